"""`TorchModuleWrapper`: a torch.nn.Module as a layer, checked against torch itself."""

import sys

import numpy as np
import pytest

import kerasx
from kerasx.layers import TorchModuleWrapper
from kerasx.testing import check_layer_gradients, float64
from tests.conftest import to_numpy

torch = pytest.importorskip("torch")
nn = torch.nn


def _mlp(dtype=torch.float32, seed=0):
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(4, 5), nn.Tanh(), nn.Linear(5, 3)).to(dtype)


def _data(*shape, dtype="float32", seed=0):
    return np.random.default_rng(seed).normal(size=shape).astype(dtype)


def _torch_out(module, *xs):
    with torch.no_grad():
        return module(*[torch.from_numpy(np.array(x)) for x in xs]).numpy()


class TwoInTwoOut(nn.Module):
    """Two inputs, a tuple of two outputs (one of them not depending on `b`)."""

    def __init__(self):
        super().__init__()
        self.proj = nn.Linear(3, 2)

    def forward(self, a, b):
        return self.proj(a) * b, torch.tanh(a).sum(dim=1)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_matches_the_module(dtype):
    module = _mlp(getattr(torch, dtype))
    layer = TorchModuleWrapper(module)
    x = _data(6, 4, dtype=dtype)
    out = layer(x)
    assert layer.dtype == dtype and out.dtype == dtype
    np.testing.assert_allclose(to_numpy(out), _torch_out(module, x), rtol=1e-6, atol=1e-7)


def test_convolution_forward_and_float32_module_casts_float64_inputs():
    torch.manual_seed(3)
    module = nn.Sequential(nn.Conv2d(2, 3, 3), nn.ReLU(), nn.Flatten())
    layer = TorchModuleWrapper(module)
    x = _data(2, 2, 5, 5, dtype="float64")
    out = layer(x)
    assert out.dtype == "float32"
    np.testing.assert_allclose(to_numpy(out), _torch_out(module, x.astype("float32")),
                               rtol=1e-6, atol=1e-6)
    # a layer dtype other than the module's: inputs still reach the module in its own
    double = TorchModuleWrapper(_mlp(torch.float64), dtype="float32")
    assert double(_data(2, 4)).dtype == "float64"


def test_weights_are_the_module_state():
    module = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    module[0].bias.requires_grad_(False)
    layer = TorchModuleWrapper(module)
    assert [w.name for w in layer.trainable_weights] == ["0.weight", "1.weight", "1.bias"]
    assert [w.name for w in layer.non_trainable_weights] == [
        "0.bias", "1.running_mean", "1.running_var", "1.num_batches_tracked"]
    assert layer.count_params() == sum(t.numel() for t in module.state_dict().values())
    for key, value in module.state_dict().items():
        var = next(w for w in layer.weights if w.name == key)
        np.testing.assert_array_equal(to_numpy(var), value.numpy())
    # assigning a variable changes the module
    layer.trainable_weights[0].assign(np.full((3, 4), 0.5, "float32"))
    np.testing.assert_array_equal(module[0].weight.detach().numpy(), np.full((3, 4), 0.5))


def test_gradients_match_torch():
    module = TwoInTwoOut()
    layer = TorchModuleWrapper(module)
    a, b = _data(5, 3), _data(5, 2, seed=1)
    ka, kb = kerasx.ops.convert_to_tensor(a), kerasx.ops.convert_to_tensor(b)
    with kerasx.GradientTape() as tape:
        tape.watch([ka, kb])
        y, s = layer(ka, kb)
        loss = kerasx.ops.sum(y ** 2) + kerasx.ops.sum(s * s)
    grads = tape.gradient(loss, [ka, kb] + layer.trainable_weights)
    ta, tb = (torch.from_numpy(v).requires_grad_(True) for v in (a, b))
    ty, ts = module(ta, tb)
    ((ty ** 2).sum() + (ts * ts).sum()).backward()
    expected = [ta.grad, tb.grad] + [p.grad for p in module.parameters()]
    assert len(grads) == len(expected) == 4
    for got, want in zip(grads, expected):
        np.testing.assert_allclose(to_numpy(got), want.numpy(), rtol=1e-6, atol=1e-6)


def test_gradient_of_one_output_only():
    layer = TorchModuleWrapper(TwoInTwoOut())
    a = kerasx.ops.convert_to_tensor(_data(4, 3))
    with kerasx.GradientTape() as tape:
        tape.watch(a)
        _, s = layer(a, kerasx.ops.ones((4, 2)))
        loss = kerasx.ops.sum(s)
    ga, gw, gb = tape.gradient(loss, [a] + layer.trainable_weights)
    np.testing.assert_allclose(to_numpy(ga), 1.0 - np.tanh(_data(4, 3)) ** 2, rtol=1e-6)
    assert gw is None and gb is None  # the projection does not reach `s`


def test_gradients_match_finite_differences_in_float64():
    with float64():
        layer = TorchModuleWrapper(_mlp(torch.float64, seed=2))
        check_layer_gradients(layer, _data(3, 4, dtype="float64"))


def _train_data():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 4)).astype("float32")
    y = (np.sin(x[:, :1]) + 0.5 * x[:, 1:2]).astype("float32")
    return x, y


@pytest.mark.parametrize("kind", ["sequential", "functional"])
def test_fit_trains_the_module_with_kerasx_layers(kind):
    module = _mlp()
    wrapper = TorchModuleWrapper(module)
    if kind == "sequential":
        model = kerasx.Sequential([kerasx.Input((4,)), wrapper, kerasx.layers.Dense(1)])
    else:
        inputs = kerasx.Input((4,))
        hidden = kerasx.layers.Dense(4, activation="relu")(inputs)
        model = kerasx.Model(inputs, kerasx.layers.Dense(1)(wrapper(hidden)))
    assert model.output_shape == (None, 1)
    before = [p.detach().numpy().copy() for p in module.parameters()]
    first_kernel = to_numpy(model.layers[1].kernel).copy() if kind == "functional" else None
    model.compile(optimizer=kerasx.optimizers.Adam(0.01), loss="mse")
    x, y = _train_data()
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.6 * losses[0]
    for p, var, old in zip(module.parameters(), wrapper.trainable_weights, before):
        assert not np.allclose(p.detach().numpy(), old)
        np.testing.assert_array_equal(p.detach().numpy(), to_numpy(var))
    if first_kernel is not None:  # gradients reach the layer before the module
        assert not np.allclose(to_numpy(model.layers[1].kernel), first_kernel)
    # the model's predictions are the torch module's own on the same features
    features = x if kind == "sequential" else to_numpy(model.layers[1](x))
    dense = model.layers[-1]
    expected = _torch_out(module, features) @ to_numpy(dense.kernel) + to_numpy(dense.bias)
    np.testing.assert_allclose(model.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)


def test_recorded_steps_give_the_eager_results():
    def trained(**compile_kwargs):
        kerasx.utils.set_random_seed(4)
        torch.manual_seed(4)
        wrapper = TorchModuleWrapper(nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)))
        model = kerasx.Sequential([kerasx.Input((4,)), wrapper, kerasx.layers.Dense(1)])
        model.compile(optimizer="adam", loss="mse", **compile_kwargs)
        x, y = _train_data()
        model.fit(x, y, epochs=3, batch_size=16, verbose=0)
        return model.get_weights()

    for a, b in zip(trained(), trained(run_eagerly=True)):
        np.testing.assert_array_equal(a, b)


def test_batch_norm_buffers_update_in_training_only():
    module = nn.BatchNorm1d(3)
    layer = TorchModuleWrapper(module)
    mean, var, count = layer.non_trainable_weights
    x = _data(8, 3) * 2.0 + 1.0
    out = layer(x, training=True)
    np.testing.assert_allclose(to_numpy(mean), 0.1 * x.mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(var), 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-5)
    assert int(to_numpy(count)) == 1
    np.testing.assert_allclose(to_numpy(out), (x - x.mean(0)) / np.sqrt(x.var(0) + 1e-5),
                               rtol=1e-4, atol=1e-5)
    np.testing.assert_array_equal(module.running_mean.numpy(), to_numpy(mean))
    saved = [to_numpy(w).copy() for w in (mean, var, count)]
    out = layer(x, training=False)
    for w, old in zip((mean, var, count), saved):
        np.testing.assert_array_equal(to_numpy(w), old)
    np.testing.assert_allclose(to_numpy(out), (x - saved[0]) / np.sqrt(saved[1] + 1e-5),
                               rtol=1e-5, atol=1e-6)
    assert not module.training
    layer(x)  # training=None: the module's train() mode, as in Keras
    assert module.training and int(to_numpy(count)) == 2


def test_fit_updates_batch_norm_statistics_and_predict_does_not():
    module = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    wrapper = TorchModuleWrapper(module)
    model = kerasx.Sequential([kerasx.Input((4,)), wrapper, kerasx.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = _train_data()
    model.fit(x, y, epochs=1, batch_size=16, verbose=0)
    count = wrapper.non_trainable_weights[-1]
    assert int(to_numpy(count)) == 4 and int(module[1].num_batches_tracked) == 4
    stats = [to_numpy(w).copy() for w in wrapper.non_trainable_weights]
    model.predict(x, verbose=0)
    model.evaluate(x, y, verbose=0)
    for w, old in zip(wrapper.non_trainable_weights, stats):
        np.testing.assert_array_equal(to_numpy(w), old)


def test_weights_h5_round_trip(tmp_path):
    pytest.importorskip("h5py")
    import h5py

    def build(seed):
        module = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3)).to(torch.float32)
        torch.manual_seed(seed)
        module.apply(lambda m: m.reset_parameters() if hasattr(m, "reset_parameters") else None)
        return module, kerasx.Sequential([kerasx.Input((4,)), TorchModuleWrapper(module),
                                          kerasx.layers.Dense(1)])

    module, model = build(0)
    model.compile(optimizer="adam", loss="mse")
    x, y = _train_data()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0)
    path = str(tmp_path / "model.weights.h5")
    model.save_weights(path)
    with h5py.File(path, "r") as f:  # Keras's layout: the module's state_dict keys
        group = f["layers/torch_module_wrapper/vars"]
        assert sorted(group) == sorted(module.state_dict())
    other_module, other = build(1)
    assert not np.allclose(other.predict(x, verbose=0), model.predict(x, verbose=0))
    other.load_weights(path)
    np.testing.assert_array_equal(other.predict(x, verbose=0), model.predict(x, verbose=0))
    for key, value in module.state_dict().items():
        np.testing.assert_array_equal(other_module.state_dict()[key].numpy(), value.numpy())


def test_load_own_variables_refuses_another_architecture():
    layer = TorchModuleWrapper(nn.Linear(4, 3))
    with pytest.raises(ValueError, match=r"missing: \['bias'\]"):
        layer.load_own_variables({"weight": np.zeros((3, 4), "float32")})
    with pytest.raises(ValueError, match=r"'weight' has shape \(3, 4\)"):
        layer.load_own_variables({"weight": np.zeros((2, 4), "float32"),
                                  "bias": np.zeros(3, "float32")})


def test_config_round_trip_needs_unsafe_deserialization():
    module = _mlp()
    layer = TorchModuleWrapper(module, name="wrapped", output_shape=(None, 3))
    config = layer.get_config()
    assert isinstance(config["module"], str) and config["output_shape"] == (None, 3)
    with pytest.raises(ValueError, match="safe_mode=False"):
        TorchModuleWrapper.from_config(config)
    with pytest.raises(ValueError, match="enable_unsafe_deserialization"):
        kerasx.layers.deserialize(kerasx.layers.serialize(layer))
    clone = TorchModuleWrapper.from_config(config, safe_mode=False)
    assert clone.name == "wrapped" and clone.module is not module
    x = _data(5, 4)
    np.testing.assert_array_equal(to_numpy(clone(x)), to_numpy(layer(x)))


def test_keras_file_round_trip_with_safe_mode_off(tmp_path):
    pytest.importorskip("h5py")
    model = kerasx.Sequential([kerasx.Input((4,)), TorchModuleWrapper(_mlp()),
                               kerasx.layers.Dense(1)])
    path = str(tmp_path / "model.keras")
    model.save(path)
    with pytest.raises(ValueError, match="torch.load"):
        kerasx.models.load_model(path)
    loaded = kerasx.models.load_model(path, safe_mode=False)
    x = _data(5, 4)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_declared_output_shape_is_used_for_symbolic_calls():
    calls = []
    module = _mlp()
    module.register_forward_hook(lambda *args: calls.append(1))
    layer = TorchModuleWrapper(module, output_shape=(None, 3))
    out = layer(kerasx.Input((4,)))
    assert out.shape == (None, 3) and not calls
    assert layer.compute_output_shape((None, 4)) == (None, 3)
    probed = TorchModuleWrapper(_mlp())
    assert probed.compute_output_shape((None, 4)) == (None, 3)


def test_rejects_what_is_not_a_torch_module():
    with pytest.raises(ValueError, match="torch.nn.Module instance.*Dense"):
        TorchModuleWrapper(kerasx.layers.Dense(3))
    lazy = nn.LazyLinear(3)
    with pytest.raises(ValueError, match="run the module once"):
        TorchModuleWrapper(lazy)


def test_missing_torch_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="pip install torch"):
        TorchModuleWrapper(object())
