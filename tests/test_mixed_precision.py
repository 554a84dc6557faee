"""Mixed precision: layers under `"mixed_float16"`, autocast weights, the float32 last
layer, `LossScaleOptimizer` dynamics, compile's automatic wrapping, saving, and a small
model's forward pass and training steps against Keras 3 (golden values)."""

import importlib.util
import os
import sys

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from kerasx.autodiff.tape import GradientTape
from kerasx.backends import current
from kerasx.optimizers import SGD, LossScaleOptimizer

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "golden"))
from loader import GOLDEN_DIR, load_cases  # noqa: E402

HAS_FLOAT16 = hasattr(current().xp, "float16")
needs_float16 = pytest.mark.skipif(
    not HAS_FLOAT16,
    reason="the backend has no float16 (not an array API dtype; array_api_strict lacks it)")
CASES = {case["name"]: case for case in load_cases("mixed_precision")}


@pytest.fixture(autouse=True)
def _default_policy():
    """Each test starts, and leaves, with no global policy set (layers follow floatx)."""
    from kerasx.dtype_policies.dtype_policy import reset_dtype_policy

    reset_dtype_policy()
    yield
    reset_dtype_policy()


def _np(x):
    return current().to_numpy(getattr(x, "value", x))


class _Probe(layers.Layer):
    """Records the dtypes its call sees."""

    def build(self, input_shape):
        self.w = self.add_weight((input_shape[-1],), "ones", name="w")
        self.moving = self.add_weight((input_shape[-1],), "zeros", trainable=False,
                                      autocast=False, name="moving")

    def call(self, x):
        self.seen = (x.dtype, self.w.dtype, self.moving.dtype)
        self.moving.assign(self.moving + 1.0)
        return x * self.w


# -- layers ------------------------------------------------------------------------------
@needs_float16
def test_mixed_layer_stores_float32_and_computes_in_float16():
    layer = layers.Dense(3, dtype="mixed_float16")
    out = layer(np.ones((2, 4), np.float64))
    assert (layer.dtype, layer.compute_dtype, layer.variable_dtype, layer.input_dtype) == (
        "float32", "float16", "float32", "float16")
    assert out.dtype == "float16"
    assert layer.kernel.dtype == "float32" and layer.kernel.numpy().dtype == np.float32
    assert all(w.dtype == "float32" for w in layer.get_weights() and layer.weights)


@needs_float16
def test_weights_are_read_in_the_compute_dtype_inside_call():
    probe = _Probe(dtype="mixed_float16")
    out = probe(ops.convert_to_tensor(np.ones((2, 3), np.float32)))
    assert probe.seen == ("float16", "float16", "float32")
    assert out.dtype == "float16"
    assert probe.w.dtype == "float32" and probe.moving.numpy().dtype == np.float32
    np.testing.assert_array_equal(probe.moving.numpy(), np.ones(3, np.float32))


@needs_float16
def test_autocast_false_keeps_inputs_and_weights():
    probe = _Probe(dtype="mixed_float16", autocast=False)
    probe(np.ones((2, 3), np.float32))
    assert probe.seen == ("float32", "float32", "float32")


@needs_float16
def test_integer_inputs_are_not_cast():
    layer = layers.Identity(dtype="mixed_float16")
    ints, floats = layer([np.array([1, 4], np.int32), np.array([0.5], np.float64)])
    assert (ints.dtype, floats.dtype) == ("int32", "float16")


@needs_float16
def test_float32_last_layer_casts_its_input_and_outputs_float32():
    keras.mixed_precision.set_global_policy("mixed_float16")
    hidden = layers.Dense(4)
    head = layers.Activation("softmax", dtype="float32")
    y = head(hidden(np.ones((2, 3), np.float32)))
    assert hidden.compute_dtype == "float16" and y.dtype == "float32"
    np.testing.assert_allclose(_np(ops.sum(y, axis=-1)), [1.0, 1.0], rtol=1e-6)


@needs_float16
def test_gradients_reach_the_float32_weights():
    layer = layers.Dense(2, dtype="mixed_float16", kernel_initializer="ones")
    x = np.arange(6, dtype=np.float32).reshape(3, 2) / 4
    layer.build((None, 2))
    with GradientTape() as tape:
        loss = ops.sum(layer(x))
    grads = tape.gradient(loss, layer.trainable_weights)
    np.testing.assert_allclose(_np(grads[0]).astype(np.float32),
                               x.T @ np.ones((3, 2), np.float32), rtol=1e-3)
    SGD(0.5).apply(grads, layer.trainable_weights)
    assert layer.kernel.numpy().dtype == np.float32
    np.testing.assert_allclose(layer.kernel.numpy(), 1 - 0.5 * (x.T @ np.ones((3, 2))),
                               rtol=1e-3)


@needs_float16
def test_mixed_layer_config_round_trip():
    layer = layers.Dense(3, dtype="mixed_float16")
    config = layer.get_config()
    assert config["dtype"] == {"module": "keras", "class_name": "DTypePolicy",
                               "config": {"name": "mixed_float16"}, "registered_name": None}
    clone = layers.Dense.from_config(config)
    assert clone.dtype_policy.name == "mixed_float16" and clone.compute_dtype == "float16"
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert restored.dtype_policy.name == "mixed_float16"


@needs_float16
def test_dtype_policy_setter_before_build():
    layer = layers.Dense(2)
    layer.dtype_policy = "mixed_float16"
    assert layer.compute_dtype == "float16"
    layer(np.ones((1, 2), np.float32))
    with pytest.raises(ValueError, match="is built"):
        layer.dtype_policy = "float32"


@pytest.mark.skipif(HAS_FLOAT16, reason="checks the error of a backend without float16")
def test_backend_without_float16_refuses_mixed_policies():
    with pytest.raises(ValueError, match="numpy and cupy backends"):
        layers.Dense(2, dtype="mixed_float16")
    keras.mixed_precision.set_global_policy("mixed_float16")
    with pytest.raises(ValueError, match="does not have"):
        layers.Dense(2)


def test_bfloat16_comes_from_ml_dtypes():
    if importlib.util.find_spec("ml_dtypes") is None or current().name not in ("numpy", "cupy"):
        with pytest.raises(ValueError, match="bfloat16 is available on the numpy and cupy "
                                             "backends with the `ml_dtypes` package"):
            layers.Dense(2, dtype="mixed_bfloat16")
        return
    probe = _Probe(dtype="mixed_bfloat16")
    out = probe(np.ones((1, 2), np.float32))
    assert probe.seen == ("bfloat16", "bfloat16", "float32")
    assert out.dtype == "bfloat16" and probe.w.dtype == "float32"


@pytest.mark.skipif(importlib.util.find_spec("ml_dtypes") is None
                    or current().name not in ("numpy", "cupy"),
                    reason="bfloat16 needs ml_dtypes on the numpy or cupy backend")
def test_a_convolution_runs_under_mixed_bfloat16():
    # array-api-compat's finfo cannot read ml_dtypes' bfloat16: the backend's finfo can
    assert current().finfo("bfloat16").bits == 16
    conv = layers.Conv2D(2, 3, dtype="mixed_bfloat16")
    x = np.random.default_rng(2).normal(size=(2, 5, 5, 3)).astype(np.float32)
    out = _np(conv(x)).astype(np.float32)
    reference = layers.Conv2D(2, 3)
    reference.build(x.shape)
    reference.set_weights(conv.get_weights())
    np.testing.assert_allclose(out, _np(reference(x)), rtol=0.05, atol=0.05)


needs_bfloat16 = pytest.mark.skipif(
    importlib.util.find_spec("ml_dtypes") is None or current().name not in ("numpy", "cupy"),
    reason="bfloat16 needs ml_dtypes on the numpy or cupy backend")


@needs_bfloat16
@pytest.mark.parametrize("make, shape", [
    (lambda: layers.Dense(3, activation="gelu"), (2, 4)),
    (lambda: layers.EinsumDense("ab,bc->ac", 3), (2, 4)),
    (lambda: layers.Conv2D(2, 3), (2, 5, 5, 3)),
    (lambda: layers.LSTM(3), (2, 5, 4)),
    (lambda: layers.LayerNormalization(), (2, 5, 4)),
])
def test_layers_under_mixed_bfloat16_return_bfloat16_as_keras(make, shape):
    # ml_dtypes widens bfloat16 products and bfloat16-with-Python-float to float32;
    # Keras 3's layers (its NumPy backend too) return their compute dtype
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    reference = make()
    expected = _np(reference(x))
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    layer = make()
    layer.build(x.shape)
    layer.set_weights(reference.get_weights())
    out = layer(x)
    assert out.dtype == "bfloat16"
    assert all(_np(w).dtype == np.float32 for w in layer.weights)
    # bfloat16 keeps 8 bits of mantissa: the float32 layer's values to about 1%
    np.testing.assert_allclose(_np(out).astype(np.float32), expected, rtol=0.05, atol=0.05)


@needs_bfloat16
def test_a_python_float_keeps_a_bfloat16_array_bfloat16():
    a = ops.cast(ops.ones((2, 3)), "bfloat16")
    assert ops.add(a, 1.5).dtype == "bfloat16" and ops.multiply(0.5, a).dtype == "bfloat16"
    assert ops.add(a, ops.ones((3,))).dtype == "float32"  # a float32 array still widens


# -- LossScaleOptimizer ------------------------------------------------------------------
def _variable(values):
    return keras.Variable(np.asarray(values, np.float32))


def test_overflow_halves_the_scale_and_skips_the_step():
    v = _variable([1.0, 2.0])
    opt = LossScaleOptimizer(SGD(0.1), initial_scale=8.0)
    opt.apply([ops.convert_to_tensor(np.array([np.inf, 1.0], np.float32))], [v])
    np.testing.assert_array_equal(v.numpy(), [1.0, 2.0])
    assert opt.dynamic_scale.host_value == 4.0 and opt.step_counter.host_value == 0
    assert int(opt.iterations) == 0
    opt.apply([ops.convert_to_tensor(np.array([np.nan, 1.0], np.float32))], [v])
    assert opt.dynamic_scale.host_value == 2.0


def test_finite_steps_unscale_and_grow_the_scale():
    v = _variable([1.0, 2.0])
    opt = LossScaleOptimizer(SGD(0.5), initial_scale=4.0, dynamic_growth_steps=3)
    grad = ops.convert_to_tensor(np.array([4.0, -8.0], np.float32))  # scaled by 4
    scales = []
    for _ in range(4):
        opt.apply([grad], [v])
        scales.append(opt.dynamic_scale.host_value)
    assert scales == [4.0, 4.0, 8.0, 8.0]
    # steps 1-3 unscale by 4 (g = [1, -2]), step 4 by 8 (g = [0.5, -1])
    np.testing.assert_allclose(v.numpy(), [1 - 0.5 * (3 * 1 + 0.5), 2 + 0.5 * (3 * 2 + 1)])
    assert opt.step_counter.host_value == 1 and int(opt.iterations) == 4


def test_scale_loss_and_variables():
    opt = LossScaleOptimizer(SGD(0.1))
    assert float(_np(opt.scale_loss(ops.convert_to_tensor(2.0)))) == 2.0 ** 16
    v = _variable([1.0])
    opt.build([v])
    assert [var.path.split("/")[1] for var in opt.variables] == [
        "iteration", "learning_rate", "step_counter", "dynamic_scale", "iteration",
        "learning_rate"]
    opt.learning_rate = 0.25
    assert float(opt.inner_optimizer.learning_rate.host_value) == 0.25


def test_loss_scale_optimizer_config_round_trip():
    opt = LossScaleOptimizer(SGD(0.1), initial_scale=128.0, dynamic_growth_steps=10)
    config = keras.optimizers.serialize(opt)
    assert config["class_name"] == "LossScaleOptimizer"
    assert config["config"]["inner_optimizer"]["class_name"] == "SGD"
    restored = keras.optimizers.deserialize(config)
    assert isinstance(restored, LossScaleOptimizer) and isinstance(restored.inner_optimizer, SGD)
    assert (restored.initial_scale, restored.dynamic_growth_steps) == (128.0, 10)


def test_loss_scale_optimizer_errors():
    with pytest.raises(ValueError, match="dynamic=False"):
        LossScaleOptimizer(SGD(), dynamic=False)
    with pytest.raises(ValueError, match="set `clipnorm` on the `inner_optimizer`"):
        LossScaleOptimizer(SGD(), clipnorm=1.0)
    with pytest.raises(TypeError, match="Optimizer instance"):
        LossScaleOptimizer("sgd")
    with pytest.raises(ValueError, match="dynamic_growth_steps"):
        LossScaleOptimizer(SGD(), dynamic_growth_steps=0)


# -- compile and fit ---------------------------------------------------------------------
def _model(kind, weights):
    case = CASES[f"{kind}_forward"]
    specs = case["config"]["layers"]
    shape = case["arrays"]["x"].shape[1:]
    model = keras.Sequential([keras.Input(shape)] + [getattr(layers, cls)(**config)
                                                     for cls, config in specs])
    model.set_weights(weights)
    return model


def _weights(case):
    arrays = case["arrays"]
    return [arrays[f"initial_{j}" if f"initial_{j}" in arrays else f"weights_{j}"]
            for j in range(sum(k.startswith("weights_") for k in arrays))]


@needs_float16
def test_compile_wraps_the_optimizer_for_mixed_float16_only():
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    assert isinstance(model.optimizer, LossScaleOptimizer)
    assert model.optimizer.name == "loss_scale_optimizer"
    assert model.get_compile_config()["optimizer"]["class_name"] == "SGD"
    model.compile(optimizer="sgd", loss="mse", auto_scale_loss=False)
    assert isinstance(model.optimizer, SGD)
    keras.mixed_precision.set_global_policy("float32")
    plain = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    plain.compile(optimizer="sgd", loss="mse")
    assert isinstance(plain.optimizer, SGD)


@needs_float16
@pytest.mark.parametrize("kind", ["dense", "conv", "batch_norm"])
def test_forward_matches_keras(kind):
    case = CASES[f"{kind}_forward"]
    arrays = case["arrays"]
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = _model(kind, _weights(case))
    assert [[layer.dtype_policy.name, layer.compute_dtype, layer.variable_dtype]
            for layer in model.layers] == case["layer_dtypes"]
    out = ops.convert_to_tensor(arrays["x"])
    for i, layer in enumerate(model.layers):
        out = layer(out)
        expected = arrays[f"hidden_{i}"]
        assert _np(out).dtype == expected.dtype
        np.testing.assert_allclose(_np(out).astype(np.float32), expected, rtol=5e-3, atol=5e-3)
    y = model.predict(arrays["x"], verbose=0)
    assert y.dtype == np.float32
    np.testing.assert_allclose(y, arrays["y"], rtol=5e-3, atol=2e-3)


@needs_float16
@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")
@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@pytest.mark.parametrize("kind", ["dense", "conv", "batch_norm"])
@pytest.mark.parametrize("scaling", ["auto_wrapped", "overflow", "growth"])
def test_training_steps_match_keras(kind, scaling):
    case = CASES[f"{kind}_train_{scaling}"]
    arrays, config = case["arrays"], case["config"]
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = _model(kind, _weights(case))
    optimizer = SGD(learning_rate=0.1)
    if "initial_scale" in config:
        optimizer = LossScaleOptimizer(optimizer, initial_scale=config["initial_scale"],
                                       dynamic_growth_steps=config.get("dynamic_growth_steps", 2000))
    model.compile(optimizer=optimizer, loss="sparse_categorical_crossentropy")
    assert type(model.optimizer).__name__ == case["optimizer"]
    for i in range(config["steps"]):
        loss = model.train_on_batch(arrays["x"], arrays["labels"])
        np.testing.assert_allclose(loss, arrays[f"loss_{i}"], rtol=5e-3)
    for j, w in enumerate(model.get_weights()):
        assert w.dtype == np.float32
        np.testing.assert_allclose(w, arrays[f"weights_{j}"], rtol=5e-3, atol=2e-3)
    assert model.optimizer.dynamic_scale.host_value == float(arrays["scale"])
    assert model.optimizer.step_counter.host_value == int(arrays["step_counter"])


@needs_float16
def test_jit_compile_with_loss_scaling_trains_like_eager_steps():
    keras.mixed_precision.set_global_policy("mixed_float16")
    x = np.random.default_rng(0).normal(size=(32, 4)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int32)
    results = []
    for jit in (True, False):
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation="relu"),
                                  layers.Dense(2, activation="softmax", dtype="float32")])
        model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                      jit_compile=jit)
        history = model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
        results.append((history.history["loss"], model.get_weights()))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)


@needs_float16
def test_keras_saved_mixed_model_loads():
    case = CASES["saved_model"]
    arrays = case["arrays"]
    # as in Keras, the loaded Sequential takes the global policy (float32): compile() does
    # not wrap its SGD, and the file's six loss-scaling optimizer variables are skipped
    with pytest.warns(UserWarning, match="the saved optimizer has 6 variables"):
        model = keras.saving.load_model(os.path.join(GOLDEN_DIR, case["file"]))
    assert [layer.dtype_policy.name for layer in model.layers] == [
        "mixed_float16", "mixed_float16", "float32"]
    for j, w in enumerate(model.get_weights()):
        np.testing.assert_array_equal(w, arrays[f"weights_{j}"])
    np.testing.assert_allclose(model.predict(arrays["x"], verbose=0), arrays["y"],
                               rtol=5e-3, atol=2e-3)
    assert type(model.optimizer) is SGD


@needs_float16
def test_mixed_model_saves_and_loads(tmp_path):
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = keras.Sequential([keras.Input((3,)), layers.Dense(4),
                              layers.Dense(2, activation="softmax", dtype="float32")])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    x = np.random.default_rng(1).normal(size=(6, 3)).astype(np.float32)
    model.fit(x, np.array([0, 1, 0, 1, 1, 0]), verbose=0)
    path = str(tmp_path / "mixed.keras")
    model.save(path)
    keras.mixed_precision.set_global_policy("float32")
    loaded = keras.saving.load_model(path)
    assert [layer.dtype_policy.name for layer in loaded.layers] == ["mixed_float16", "float32"]
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


@needs_float16
def test_embedding_outputs_the_compute_dtype_under_a_mixed_policy():
    keras.mixed_precision.set_global_policy("mixed_float16")
    layer = layers.Embedding(10, 4)
    out = layer(np.array([[1, 2, 3]]))
    assert _np(out).dtype == np.float16 and _np(layer.embeddings).dtype == np.float32
    np.testing.assert_array_equal(_np(out)[0], _np(layer.embeddings)[[1, 2, 3]].astype(np.float16))


@needs_float16
def test_a_mixed_convolution_is_not_fused_with_its_pooling_in_float32():
    """Layer fusion leaves mixed-policy layers to their own calls (float16 compute)."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    model = keras.Sequential([keras.Input((6, 6, 2)), layers.Conv2D(3, 3),
                              layers.MaxPooling2D(2)])
    assert model.predict(np.ones((1, 6, 6, 2), "float32"), verbose=0).dtype == np.float16


@needs_float16
@pytest.mark.parametrize("make", [lambda: layers.MultiHeadAttention(2, 4),
                                  lambda: layers.GroupQueryAttention(4, 2, 1)],
                         ids=["MultiHeadAttention", "GroupQueryAttention"])
def test_attention_projections_take_the_layers_mixed_policy(make):
    keras.mixed_precision.set_global_policy("mixed_float16")
    layer = make()
    x = np.random.default_rng(0).random((2, 3, 8)).astype("float32")
    out = layer(x, x)
    assert _np(out).dtype == np.float16
    assert {_np(w).dtype for w in layer.weights} == {np.dtype("float32")}
    assert {s.dtype_policy.name for s in layer._flatten_layers()} \
        == {"mixed_float16"}


@needs_float16
@pytest.mark.parametrize("renorm", [False, True])
def test_batch_normalization_computes_in_float32_under_a_mixed_policy(renorm):
    # squares of inputs near 300 overflow float16: the statistics must come from float32
    x = (np.random.default_rng(0).normal(size=(64, 3)) * 100 + 300).astype(np.float32)
    mixed = layers.BatchNormalization(renorm=renorm, dtype="mixed_float16")
    plain = layers.BatchNormalization(renorm=renorm)
    out, expected = mixed(x, training=True), plain(x, training=True)
    assert _np(out).dtype == np.float16 and _np(mixed.moving_variance).dtype == np.float32
    np.testing.assert_allclose(_np(out), _np(expected), rtol=2e-3, atol=2e-3)
    for a, b in zip(mixed.weights, plain.weights):  # apart by the float16 input's rounding
        np.testing.assert_allclose(_np(a), _np(b), rtol=1e-3)
    inference = _np(mixed(x[:4], training=False))
    np.testing.assert_allclose(inference, _np(plain(x[:4], training=False)), rtol=2e-3, atol=2e-2)
