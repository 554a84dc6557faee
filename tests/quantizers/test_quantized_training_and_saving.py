"""Float8 training steps against Keras 3 (losses, weights, scales and amax histories),
and quantized models through saving: kerasx round trips (`.keras`, `.weights.h5`),
Keras-saved quantized models loaded and trained on here, and kerasx-saved ones
loaded and trained on by real Keras (with `KERASX_KERAS_PYTHON`)."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current
from kerasx.dtype_policies import QuantizedFloat8DTypePolicy
from tests.quantizers._golden import cases_of, golden_file


def _np(x):
    return current().to_numpy(getattr(x, "value", x))


@pytest.mark.parametrize("case", cases_of("float8_train"), ids=lambda c: c["name"])
def test_float8_training_steps_match_keras(case):
    a = case["arrays"]
    history = case["config"]["history"]
    dtype = None if history is None else QuantizedFloat8DTypePolicy(
        "float8", "float32", amax_history_length=history)
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(3, dtype=dtype)])
    for i, layer in enumerate(model.layers):
        for v in layer.weights:
            if f"initial_{i}__{v.name}" in a:
                v.assign(current().asarray(a[f"initial_{i}__{v.name}"]))
    if history is None:
        model.quantize("float8")
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    for step in range(3):
        loss = model.train_on_batch(a["x"], a["y"])
        np.testing.assert_allclose(loss, a[f"loss_{step}"], rtol=2e-5, err_msg=f"step {step}")
    names = sorted(f"{i}__{v.name}" for i, layer in enumerate(model.layers)
                   for v in layer.weights)
    assert names == case["state_names"]
    for i, layer in enumerate(model.layers):
        for v in layer.weights:
            np.testing.assert_allclose(_np(v), a[f"state_{i}__{v.name}"], rtol=2e-5, atol=1e-6,
                                       err_msg=f"layer {i} {v.name}")
    np.testing.assert_allclose(_np(model(a["x"])), a["pred"], rtol=2e-5, atol=1e-6)


def _model(mode, use_bias=True):
    inputs = keras.Input((3,), dtype="int32")
    x = keras.layers.Embedding(10, 6)(inputs)
    x = keras.layers.EinsumDense("abc,cd->abd", (3, 5), bias_axes="d" if use_bias else None,
                                 activation="relu")(x)
    x = keras.layers.Dense(2, use_bias=use_bias)(x)
    # int8 and int4 kernels are frozen: the normalization keeps something to train
    outputs = keras.layers.LayerNormalization()(x)
    model = keras.Model(inputs, outputs)
    kinds = (keras.layers.Dense, keras.layers.EinsumDense)
    if mode != "float8":
        kinds += (keras.layers.Embedding,)
    model.quantize(mode, filters=lambda layer: isinstance(layer, kinds))
    return model


@pytest.mark.parametrize("mode", ["int8", "int4", "float8"])
@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
def test_quantized_models_round_trip(tmp_path, mode, suffix):
    model = _model(mode)
    model.compile(optimizer="adam", loss="mse")
    ids = np.random.default_rng(0).integers(0, 10, (4, 3))
    model.fit(ids, np.ones((4, 3, 2), "float32"), epochs=1, verbose=0)
    path = str(tmp_path / f"model{suffix}")
    if suffix == ".keras":
        model.save(path)
        loaded = keras.models.load_model(path)
    else:
        model.save_weights(path)
        loaded = _model(mode)
        loaded.load_weights(path)
    assert [layer.dtype_policy.name for layer in loaded.layers] == \
        [layer.dtype_policy.name for layer in model.layers]
    # paired by name: as in Keras, a float8 layer built from its config creates its
    # scales before its kernel, one quantized after building after it
    for layer, loaded_layer in zip(model.layers, loaded.layers):
        theirs_by_name = {v.name: v for v in loaded_layer.weights}
        assert sorted(theirs_by_name) == sorted(v.name for v in layer.weights)
        for ours in layer.weights:
            theirs = theirs_by_name[ours.name]
            assert ours.dtype == theirs.dtype
            np.testing.assert_array_equal(_np(ours), _np(theirs))
    np.testing.assert_array_equal(_np(loaded(ids)), _np(model(ids)))


@pytest.mark.parametrize("case", cases_of("saved_model"), ids=lambda c: c["name"])
def test_keras_saved_quantized_models_load_and_train_on(case, tmp_path):
    pytest.importorskip("h5py")
    from tests.interop.round_trips import assert_keras_file_trains_on

    a = case["arrays"]
    assert_keras_file_trains_on(golden_file(case["file"]), {
        "x": a["x"], "pred": a["pred"], "step_x": a["step_x"], "step_y": a["step_y"],
        "after_step": a["after_step"]}, tmp_path)


@pytest.mark.parametrize("mode,use_bias", [("int8", False), ("int4", False), ("float8", True)])
def test_real_keras_loads_and_trains_kerasx_quantized_models(tmp_path, mode, use_bias):
    from tests.interop.round_trips import assert_real_keras_trains_on

    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(5, activation="relu",
                                                                  use_bias=use_bias),
                              keras.layers.Dense(3, use_bias=use_bias),
                              keras.layers.LayerNormalization()])
    model.quantize(mode, filters=lambda layer: isinstance(layer, keras.layers.Dense))
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(1)
    x = rng.normal(size=(8, 6)).astype("float32")
    model.fit(x, rng.normal(size=(8, 3)).astype("float32"), epochs=1, verbose=0)
    assert_real_keras_trains_on(tmp_path, f"quantized_{mode}", model, x,
                                rng.normal(size=(8, 6)).astype("float32"),
                                rng.normal(size=(8, 3)).astype("float32"))


@pytest.mark.parametrize("mode", ["int8", "int4", "float8"])
def test_real_keras_loads_and_trains_kerasx_quantized_layers_of_every_kind(tmp_path, mode):
    from tests.interop.round_trips import assert_real_keras_trains_on

    model = _model(mode, use_bias=mode == "float8")
    model.compile(optimizer="adam", loss="mse")
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 10, (4, 3))
    model.fit(ids, rng.normal(size=(4, 3, 2)).astype("float32"), epochs=1, verbose=0)
    assert_real_keras_trains_on(tmp_path, f"layers_{mode}", model, ids,
                                rng.integers(0, 10, (4, 3)),
                                rng.normal(size=(4, 3, 2)).astype("float32"))


def test_quantized_layers_list_their_variables_in_keras_file_order():
    """Keras writes a quantized layer's variables in its mode's order (`kernel`, `bias`,
    `kernel_scale`, ...), not trainable first; `_saved_variables` gives that order."""
    dense = keras.layers.Dense(3)
    dense.build((None, 4))
    assert [v.name for v in dense._saved_variables()] == ["kernel", "bias"]
    dense.quantize("int8")
    assert [v.name for v in dense.weights] == ["bias", "kernel", "kernel_scale"]
    assert [v.name for v in dense._saved_variables()] == ["kernel", "bias", "kernel_scale"]
    einsum = keras.layers.EinsumDense("ab,bc->ac", 3, bias_axes="c")
    einsum.build((None, 4))
    einsum.quantize("int4")
    assert [v.name for v in einsum._saved_variables()] == \
        ["kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"]
    table = keras.layers.Embedding(5, 2)
    table.build()
    table.quantize("int4", config=keras.quantizers.Int4QuantizationConfig(block_size=None))
    assert [v.name for v in table._saved_variables()] == ["embeddings", "embeddings_scale"]
