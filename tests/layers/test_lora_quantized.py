"""LoRA on int8 / int4 quantized `Dense`, `EinsumDense` and `Embedding`: Keras golden
values (outputs, gradients, the quantized variables, what files hold: the update
merged and quantized again, a training step), gradients of the factors against finite
differences, training only the factors, `.keras` round trips and the refused modes."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.autodiff.tape import GradientTape
from kerasx.backends import current
from kerasx.layers.core._quantization import Quantizable
from kerasx.quantizers import Int4QuantizationConfig
from tests.conftest import to_numpy
from tests.golden.loader import GOLDEN_DIR, load_cases
from tests.layers.lora_in_keras import assert_real_keras_reloads

CASES = load_cases("lora_quantized")


def of_kind(kind):
    return [c for c in CASES if c["kind"] == kind]


def dev(x):
    return current().asarray(x)


def quantize(layer, mode, block_size=None):
    config = Int4QuantizationConfig(block_size=block_size) if mode == "int4" else None
    layer.quantize(mode, config=config)


def lora_layer(case):
    """The case's layer: float weights set, quantized and LoRA enabled in the case's
    order, the factors set."""
    a = case["arrays"]
    layer = getattr(layers, case["class"])(**case["config"])
    shape = case["input_shape"]
    layer.build(None if shape is None else tuple(shape))
    for v in layer.weights:
        v.assign(dev(a[f"float_{v.name}"]))
    steps = [lambda: quantize(layer, case["mode"], case["block_size"]),
             lambda: layer.enable_lora(case["rank"], lora_alpha=case["alpha"])]
    for step in steps if case["order"] == "quantize_first" else steps[::-1]:
        step()
    for v in layer.weights:
        if v.name.startswith("lora_"):
            v.assign(dev(a[f"factor_{v.name}"]))
    return layer


def saved_values(layer):
    store = {}
    layer.save_own_variables(store)
    return store


# -- Keras golden values ----------------------------------------------------------------
@pytest.mark.parametrize("case", of_kind("layer"), ids=lambda c: c["name"])
def test_layer_matches_keras(case):
    a = case["arrays"]
    layer = lora_layer(case)
    assert layer.lora_enabled and layer.lora_alpha == case["lora_alpha"]
    assert layer.dtype_policy.name == case["dtype_policy"]
    assert sorted(w.name for w in layer.trainable_weights) == sorted(case["trainable_names"])
    for v in layer.non_trainable_weights:  # the base quantized alone, the factors apart
        np.testing.assert_array_equal(to_numpy(v), a[f"quantized_{v.name}"], err_msg=v.name)
    with GradientTape() as tape:
        y = layer(dev(a["x"]))
        loss = ops.sum(ops.multiply(y, dev(a["proj"])))
    np.testing.assert_allclose(to_numpy(y), a["y"], rtol=1e-5, atol=1e-5)
    sources = list(layer.trainable_weights)
    for v, grad in zip(sources, tape.gradient(loss, sources)):
        np.testing.assert_allclose(to_numpy(grad), a[f"grad_{v.name}"], rtol=1e-4, atol=1e-5,
                                   err_msg=v.name)
    store = saved_values(layer)
    assert sorted(store, key=int) == case["saved_keys"]
    for key in store:
        want = a[f"saved_{key}"]
        if want.dtype.kind == "i":
            np.testing.assert_array_equal(store[key], want, err_msg=key)
        else:
            np.testing.assert_allclose(store[key], want, rtol=1e-5, atol=1e-6, err_msg=key)


def test_training_matches_keras():
    (case,) = of_kind("train")
    a = case["arrays"]
    model = kerasx.Sequential([kerasx.Input((5,)), layers.Dense(6, activation="tanh"),
                               layers.Dense(3)])
    model.set_weights([a[f"float_{i}"] for i in range(len(model.weights))])
    model.quantize("int8")
    factors = iter(a[f"factor_{i}"] for i in range(4))
    for layer in model.layers:
        layer.enable_lora(2, lora_alpha=4.0)
        for v in (layer.lora_kernel_a, layer.lora_kernel_b):
            v.assign(dev(next(factors)))
    model.compile(optimizer=kerasx.optimizers.SGD(0.1), loss="mse")
    loss = float(model.train_on_batch(a["x"], a["y"]))
    np.testing.assert_allclose(loss, a["loss"][0], rtol=1e-5)
    # the weights by (layer, name): Keras numbers its layer names differently
    paths = {tuple(p.split("/")[-2:]): p for p in case["after_paths"]}
    names = sorted({p.split("/")[-2] for p in case["after_paths"]})
    for index, layer in enumerate(model.layers):
        for v in layer.weights:
            want = a["after_" + paths[(names[index], v.name)].replace("/", "__")]
            np.testing.assert_allclose(to_numpy(v), want, rtol=1e-5, atol=1e-6,
                                       err_msg=v.path)


# -- gradients and training ---------------------------------------------------------------
GRAD_LAYERS = [
    ("dense_int8", lambda: layers.Dense(3), (2, 4), "int8", None),
    ("dense_int4", lambda: layers.Dense(3), (2, 4), "int4", 2),
    ("einsum_int8", lambda: layers.EinsumDense("abc,cd->abd", (None, 3), bias_axes="d"),
     (2, 3, 4), "int8", None),
    ("einsum_int4", lambda: layers.EinsumDense("ab,bc->ac", 3), (2, 4), "int4", -1),
    ("embedding_int8", lambda: layers.Embedding(5, 4), None, "int8", None),
    ("embedding_int4", lambda: layers.Embedding(5, 4), None, "int4", 2),
]


@pytest.mark.parametrize("name,make,shape,mode,block_size", GRAD_LAYERS,
                         ids=[g[0] for g in GRAD_LAYERS])
def test_factor_gradients_match_finite_differences(name, make, shape, mode, block_size):
    """In float64: the quantized product does not depend on the factors, and the loss
    is linear in each factor, so central differences are exact up to rounding."""
    rng = np.random.default_rng(3)
    kerasx.config.set_floatx("float64")
    layer = make()
    x = rng.integers(0, 5, (2, 3)) if shape is None else rng.normal(size=shape)
    layer.build(None if shape is None else x.shape)
    quantize(layer, mode, block_size)
    layer.enable_lora(2, lora_alpha=3.0)
    assert layer.lora_enabled and all(w.dtype == "float64" for w in layer.trainable_weights)
    for w in layer.trainable_weights:
        w.assign(dev(rng.normal(size=w.shape)))
    proj = dev(rng.normal(size=to_numpy(layer(dev(x))).shape))

    def loss():
        return ops.sum(ops.multiply(layer(dev(x)), proj))

    sources = list(layer.trainable_weights)
    with GradientTape() as tape:
        value = loss()
    eps = 1e-4
    for var, grad in zip(sources, tape.gradient(value, sources)):
        base = to_numpy(var).copy()
        numeric = np.zeros_like(base)
        for i in np.ndindex(base.shape):
            values = []
            for delta in (eps, -eps):
                moved = base.copy()
                moved[i] += delta
                var.assign(dev(moved))
                values.append(float(to_numpy(loss())))
            numeric[i] = (values[0] - values[1]) / (2 * eps)
        var.assign(dev(base))
        np.testing.assert_allclose(to_numpy(grad), numeric, rtol=1e-6, atol=1e-8,
                                   err_msg=f"{name}: {var.name}")


def qlora_model(mode="int8"):
    model = kerasx.Sequential([kerasx.Input((6,)), layers.Dense(8, activation="tanh"),
                               layers.Dense(3)])
    model.quantize(mode)
    for layer in model.layers:
        layer.enable_lora(2)
    return model


def _data(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(16, 6)).astype("float32"),
            rng.normal(size=(16, 3)).astype("float32"))


@pytest.mark.parametrize("mode", ["int8", "int4"])
def test_fit_trains_only_the_factors_and_the_bias(mode):
    x, y = _data()
    model = qlora_model(mode)
    model.compile(optimizer=kerasx.optimizers.Adam(0.05), loss="mse")
    before = {w.path: to_numpy(w).copy() for w in model.weights}
    history = model.fit(x, y, batch_size=4, epochs=3, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]
    for w in model.weights:
        moved = not np.array_equal(to_numpy(w), before[w.path])
        assert moved == w.trainable, w.path
    assert {w.name for w in model.trainable_weights} == {"bias", "lora_kernel_a",
                                                          "lora_kernel_b"}


def test_merged_file_matches_the_dequantized_sum():
    """What a file holds, dequantized, is the dequantized base plus the update, up to
    the int8 rounding of the new scale."""
    layer = layers.Dense(4)
    layer.build((None, 5))
    quantize(layer, "int8")
    # read before LoRA: with LoRA on, `kernel` adds the update to the int8 values (Keras)
    base = to_numpy(layer.kernel).astype("float64") / to_numpy(layer.kernel_scale)
    layer.enable_lora(2, lora_alpha=4.0)
    rng = np.random.default_rng(5)
    for v in (layer.lora_kernel_a, layer.lora_kernel_b):
        v.assign(dev(rng.normal(size=v.shape).astype("float32")))
    update = 2.0 * to_numpy(layer.lora_kernel_a) @ to_numpy(layer.lora_kernel_b)
    store = saved_values(layer)
    kernel, scale = store["0"], store["2"]
    assert kernel.dtype == np.int8 and np.abs(kernel).max() == 127
    merged = kernel / scale
    np.testing.assert_allclose(merged, base + update, atol=0.51 / scale.min())


# -- saving ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["int8", "int4"])
def test_keras_file_round_trip_holds_the_merged_quantized_kernel(tmp_path, mode):
    x, y = _data(2)
    model = qlora_model(mode)
    model.compile(optimizer=kerasx.optimizers.Adam(0.05), loss="mse")
    model.fit(x, y, epochs=2, verbose=0)
    path = str(tmp_path / "qlora.keras")
    model.save(path)
    loaded = kerasx.models.load_model(path)
    for old, new in zip(model.layers, loaded.layers):
        # as in Keras the config keeps `lora_rank`: LoRA again, the factors at zeros
        assert new.quantization_mode == mode and new.lora_enabled
        assert not np.any(to_numpy(new.lora_kernel_b))
        store = saved_values(old)
        listed = [v for v in Quantizable._saved_variables(new) if not v.name.startswith("lora")]
        assert len(listed) == len(store)
        for key, v in zip(sorted(store, key=int), listed):
            np.testing.assert_array_equal(to_numpy(v), store[key], err_msg=v.name)
    # the merged, quantized again kernel computes close to the LoRA layer
    np.testing.assert_allclose(loaded.predict(x, verbose=0), model.predict(x, verbose=0),
                               atol=0.1 if mode == "int4" else 0.03)


def test_load_into_a_lora_layer_resets_the_factors():
    layer = layers.Embedding(4, 6)
    layer.build()
    quantize(layer, "int8")
    layer.enable_lora(2)
    layer.lora_embeddings_b.assign(dev(np.ones((2, 6), "float32")))
    store = saved_values(layer)
    layer.load_own_variables(store)
    assert not np.any(to_numpy(layer.lora_embeddings_b))
    np.testing.assert_array_equal(to_numpy(layer.embeddings), store["0"])
    rows = store["0"][[1, 2]] / store["1"][[1, 2], None]
    np.testing.assert_allclose(to_numpy(layer(dev(np.array([1, 2])))), rows, rtol=1e-6)


# -- refused combinations -----------------------------------------------------------------
def test_gptq_and_awq_refuse_lora():
    for mode in ("gptq", "awq"):
        layer = layers.Dense(2)
        layer.build((None, 4))
        layer.enable_lora(1)
        config = getattr(kerasx.quantizers, f"{mode.upper()}Config")
        with pytest.raises(NotImplementedError, match=f"not currently supported with "
                                                      f"{mode.upper()} quantization"):
            layer.quantize(mode, config=_calibration_config(config))
        assert layer.quantization_mode is None and layer.lora_enabled  # left as it was
        quantized = layers.Dense(2)
        quantized.build((None, 4))
        quantized.quantize(mode, config=_calibration_config(config))
        with pytest.raises(NotImplementedError, match=f"{mode.upper()} quantization"):
            quantized.enable_lora(1)


def _calibration_config(config_class):
    import inspect

    params = inspect.signature(config_class).parameters
    args = {name: None for name in ("dataset", "tokenizer") if name in params}
    return config_class(**args)


def test_float8_takes_lora_but_refuses_calls():
    layer = layers.Dense(2)
    layer.build((None, 4))
    layer.quantize("float8")
    layer.enable_lora(1)
    with pytest.raises(NotImplementedError, match="`_float8_call` doesn't support LoRA"):
        layer(dev(np.ones((1, 4), "float32")))


def test_model_saved_by_keras_loads():
    """Keras's file holds the merged, quantized again kernels: kerasx reads them as
    Keras does, LoRA on with zero factors."""
    (case,) = of_kind("saved_model")
    a = case["arrays"]
    model = kerasx.models.load_model(os.path.join(GOLDEN_DIR, case["file"]))
    for layer in model.layers:
        assert layer.quantization_mode == "int4" and layer.lora_enabled
        assert not np.any(to_numpy(layer.lora_kernel_b))
    pred = model.predict(a["x"], verbose=0)
    np.testing.assert_allclose(pred, a["pred_loaded"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(pred, a["pred"], atol=0.2)  # the requantization's error


@pytest.mark.parametrize("mode", ["int8", "int4"])
def test_real_keras_loads_a_kerasx_qlora_file(tmp_path, mode):
    x, y = _data(4)
    assert_real_keras_reloads(tmp_path, "qlora", qlora_model(mode), x, y, 1e-4)
