"""`JaxLayer` / `FlaxLayer`: JAX functions and Flax modules as kerasx layers, on every
backend (Keras offers them on JAX and TensorFlow only)."""

import subprocess
import sys

import numpy as np
import pytest

import kerasx
from kerasx.layers import FlaxLayer, JaxLayer
from kerasx.testing.gradcheck import check_layer_gradients, float64
from tests.conftest import to_numpy

jax = pytest.importorskip("jax")
jnp = jax.numpy


def _init(rng, inputs):
    k1, _ = jax.random.split(rng)
    return {"dense": {"w": jax.random.normal(k1, (inputs.shape[-1], 3)), "b": jnp.zeros(3)},
            "scale": 2.0}


def _call(params, inputs):
    return jnp.tanh(inputs @ params["dense"]["w"] + params["dense"]["b"]) * params["scale"]


def _data(*shape, dtype="float32", seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


def test_variables_follow_the_params_pytree_and_the_output_is_the_functions():
    layer = JaxLayer(_call, _init)
    x = _data(5, 4)
    out = layer(x)
    assert [tuple(v.shape) for v in layer.weights] == [(3,), (4, 3), ()]  # jax's leaf order
    assert all(v.trainable for v in layer.weights) and layer.non_trainable_weights == []
    params = jax.tree_util.tree_map(lambda v: jnp.asarray(to_numpy(v)), layer.params)
    np.testing.assert_allclose(to_numpy(out), np.asarray(_call(params, jnp.asarray(x))),
                               rtol=1e-6)
    assert isinstance(layer.params["dense"]["w"], kerasx.Variable)


def test_given_params_build_the_layer_at_construction():
    layer = JaxLayer(lambda params, inputs: inputs * params["a"], params={"a": np.full(2, 3.0)})
    assert layer.built and len(layer.weights) == 1
    np.testing.assert_allclose(to_numpy(layer(np.ones((1, 2), "float32"))), [[3.0, 3.0]])


def test_gradients_match_finite_differences_in_float64():
    with jax.enable_x64(True), float64():
        layer = JaxLayer(_call, _init)
        x = _data(3, 4, dtype="float64")
        layer(x)
        assert all(str(w.dtype) == "float64" for w in layer.trainable_weights)
        check_layer_gradients(layer, x)


def test_float64_values_without_64_bit_jax_are_refused_with_the_fix():
    with float64():
        layer = JaxLayer(_call, _init)
        with pytest.raises(TypeError, match="jax_enable_x64"):
            layer(_data(2, 4, dtype="float64"))


def test_state_is_non_trainable_and_updated_by_each_call():
    def call(params, state, inputs, training):
        return inputs * params["w"], {"calls": state["calls"] + 1}

    def init(rng, inputs, training):
        assert training is True
        return {"w": jnp.ones(inputs.shape[-1])}, {"calls": jnp.array(0, "int32")}

    layer = JaxLayer(call, init)
    x = np.ones((2, 3), "float32")
    layer(x)
    layer(x, training=True)
    (counter,) = layer.non_trainable_weights
    assert str(counter.dtype) == "int32" and int(to_numpy(counter)) == 2


def test_returned_state_of_another_structure_is_refused():
    layer = JaxLayer(lambda params, state, inputs: (inputs, {"a": state["a"], "b": state["a"]}),
                     params={}, state={"a": np.zeros(2, "float32")})
    with pytest.raises(ValueError, match="structure of the initial one"):
        layer(np.ones((1, 2), "float32"))


def test_rng_gives_new_keys_in_training_and_none_in_inference():
    seen = []

    def call(rng, inputs, training):
        seen.append(rng)
        if training:
            return inputs * jax.random.bernoulli(rng, 0.5, inputs.shape)
        return inputs

    x = np.ones((4, 64), "float32")
    layer = JaxLayer(call, seed=3)
    a, b = to_numpy(layer(x, training=True)), to_numpy(layer(x, training=True))
    assert not np.array_equal(a, b) and set(np.unique(a)) <= {0.0, 1.0}
    np.testing.assert_array_equal(to_numpy(layer(x, training=False)), x)
    again = JaxLayer(call, seed=3)
    np.testing.assert_array_equal(to_numpy(again(x, training=True)), a)


def test_init_draws_from_the_global_seed():
    kerasx.utils.set_random_seed(11)
    first = to_numpy(JaxLayer(_call, _init)(np.ones((1, 4), "float32")))
    kerasx.utils.set_random_seed(11)
    second = to_numpy(JaxLayer(_call, _init)(np.ones((1, 4), "float32")))
    np.testing.assert_array_equal(first, second)


def test_structured_inputs_and_integer_outputs():
    def call(params, inputs):
        a, b = inputs["a"], inputs["b"]
        y = a @ params["w"] + b
        return {"y": y, "label": jnp.argmax(y, axis=-1)}

    layer = JaxLayer(call, params={"w": np.eye(3, dtype="float32")})
    inputs = {"a": kerasx.Variable(_data(2, 3)), "b": _data(2, 3, seed=1)}
    with kerasx.GradientTape() as tape:
        out = layer(inputs)
        loss = kerasx.ops.sum(out["y"])
    assert str(out["label"].dtype) == "int32"
    ga, gw = tape.gradient(loss, [inputs["a"], layer.params["w"]])
    np.testing.assert_allclose(to_numpy(ga), np.ones((2, 3)), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(gw), to_numpy(inputs["a"]).sum(0)[:, None] * np.ones(3),
                               rtol=1e-5)


def test_function_jax_cannot_trace_runs_as_it_is():
    def call(params, inputs):
        if float(jnp.sum(inputs)) > 0:  # a Python branch on a value: not traceable
            return inputs * params["k"]
        return -inputs

    layer = JaxLayer(call, params={"k": np.float32(2.0)})
    np.testing.assert_allclose(to_numpy(layer(np.ones((1, 2), "float32"))), [[2.0, 2.0]])
    np.testing.assert_allclose(to_numpy(layer(-np.ones((1, 2), "float32"))), [[1.0, 1.0]])


def test_fit_trains_it_in_a_functional_model_and_weights_round_trip(tmp_path):
    pytest.importorskip("h5py")
    kerasx.utils.set_random_seed(0)
    inputs = kerasx.Input((4,))
    hidden = JaxLayer(_call, _init)(inputs)
    model = kerasx.Model(inputs, kerasx.layers.Dense(1)(hidden))
    model.compile(kerasx.optimizers.Adam(0.05), "mse")
    x = _data(64, 4)
    y = x[:, :1] - 0.5 * x[:, 1:2]
    history = model.fit(x, y, epochs=15, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0]
    assert model.count_params() == 16 + 4
    path = tmp_path / "m.weights.h5"
    model.save_weights(path)
    kerasx.utils.set_random_seed(1)
    inputs = kerasx.Input((4,))
    other = kerasx.Model(inputs, kerasx.layers.Dense(1)(JaxLayer(_call, _init)(inputs)))
    other.load_weights(path)
    np.testing.assert_allclose(other.predict(x, verbose=0), model.predict(x, verbose=0),
                               rtol=1e-6)


def test_config_round_trip_with_registered_functions():
    call = kerasx.saving.register_keras_serializable(package="jaxtest")(_call)
    init = kerasx.saving.register_keras_serializable(package="jaxtest")(_init)
    layer = JaxLayer(call, init, name="wrapped")
    config = layer.get_config()
    assert config["call_fn"]["config"] == "jaxtest>_call"  # as Keras writes it
    clone = JaxLayer.from_config(config)
    assert clone.call_fn is call and clone.init_fn is init and clone.name == "wrapped"


@pytest.mark.parametrize("fn, message", [
    (lambda inputs, foo: inputs, "Unsupported argument in `call_fn`: `foo`"),
    (lambda params: params, "Missing required argument in `call_fn`: `inputs`"),
    (lambda params, inputs: inputs, "cannot all be `None`"),
])
def test_signature_errors_are_keras(fn, message):
    with pytest.raises(ValueError, match=message):
        JaxLayer(fn)


def test_init_fn_signature_is_checked():
    with pytest.raises(ValueError, match="Unsupported argument in `init_fn`: `seed`"):
        JaxLayer(_call, lambda seed, inputs: {})


def test_importing_kerasx_imports_neither_jax_nor_flax():
    code = ("import sys, kerasx; kerasx.layers.JaxLayer; "
            "print('jax' in sys.modules, 'flax' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out == ["False", "False"]


def test_missing_jax_says_how_to_install(monkeypatch):
    monkeypatch.setitem(sys.modules, "jax", None)
    with pytest.raises(ImportError, match="pip install jax"):
        JaxLayer(_call, _init)


# -- FlaxLayer -----------------------------------------------------------------------------
def _flax_module():
    nn = pytest.importorskip("flax.linen")

    class Block(nn.Module):
        @nn.compact
        def __call__(self, x, training):
            x = nn.Dense(8)(x)
            x = nn.BatchNorm(use_running_average=not training, momentum=0.5)(x)
            x = nn.Dropout(0.5, deterministic=not training)(x)
            return nn.Dense(2)(x)

    return Block()


def test_flax_module_params_train_and_batch_stats_update_in_training_only():
    module = _flax_module()
    layer = FlaxLayer(module)
    x = _data(16, 4) + 3.0
    out = layer(x, training=False)
    assert len(layer.trainable_weights) == 6 and len(layer.non_trainable_weights) == 2
    variables = {"params": jax.tree_util.tree_map(lambda v: jnp.asarray(to_numpy(v)),
                                                  layer.params["params"]),
                 "batch_stats": jax.tree_util.tree_map(lambda v: jnp.asarray(to_numpy(v)),
                                                       layer.state["batch_stats"])}
    expected = module.apply(variables, jnp.asarray(x), training=False)
    np.testing.assert_allclose(to_numpy(out), np.asarray(expected), rtol=1e-5, atol=1e-6)
    before = [to_numpy(v).copy() for v in layer.non_trainable_weights]
    layer(x, training=False)
    assert all(np.array_equal(b, to_numpy(v))
               for b, v in zip(before, layer.non_trainable_weights))
    layer(x, training=True)
    assert not all(np.array_equal(b, to_numpy(v))
                   for b, v in zip(before, layer.non_trainable_weights))


def test_flax_layer_fits():
    kerasx.utils.set_random_seed(0)
    inputs = kerasx.Input((4,))
    model = kerasx.Model(inputs, FlaxLayer(_flax_module())(inputs))
    model.compile(kerasx.optimizers.Adam(0.02), "mse")
    x = _data(64, 4)
    y = np.concatenate([x[:, :1], -x[:, 1:2]], axis=1)
    history = model.fit(x, y, epochs=20, batch_size=16, verbose=0).history["loss"]
    assert history[-1] < 0.5 * history[0]


def test_keras_file_round_trip_with_registered_functions(tmp_path):
    pytest.importorskip("h5py")
    call = kerasx.saving.register_keras_serializable(package="jaxfile")(_call)
    init = kerasx.saving.register_keras_serializable(package="jaxfile")(_init)
    inputs = kerasx.Input((4,))
    model = kerasx.Model(inputs, JaxLayer(call, init)(inputs))
    path = tmp_path / "m.keras"
    model.save(path)
    loaded = kerasx.saving.load_model(path)
    x = _data(3, 4)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


def test_symbolic_call_traces_shapes_without_touching_state_or_keys():
    def call(params, state, rng, inputs, training):
        y = inputs[..., :2] * params["w"]
        return {"y": y, "n": jnp.argmax(y, -1)}, {"calls": state["calls"] + 1}

    layer = JaxLayer(call, params={"w": np.ones(2, "float32")},
                     state={"calls": np.zeros((), "int32")}, seed=1)
    inputs = kerasx.Input((None, 5))
    out = layer(inputs)
    assert tuple(out["y"].shape) == (None, None, 2) and str(out["y"].dtype) == "float32"
    assert tuple(out["n"].shape) == (None, None) and str(out["n"].dtype) == "int32"
    assert layer.seed_generator.draws == 0
    assert int(to_numpy(layer.non_trainable_weights[0])) == 0
