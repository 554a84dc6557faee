"""GPTQ: its config and dtype policy, the algorithm's properties (Hessian, groups,
activation order, error below rounding), the "gptq" mode of Dense and EinsumDense, the
calibration of a model through its layer structure, saving, and the base Layer's
quantization API."""

import math

import numpy as np
import pytest

import kerasx as keras
from kerasx.dtype_policies import GPTQDTypePolicy
from kerasx.quantizers import GPTQConfig
from kerasx.quantizers.gptq import (GPTQ, compute_quantization_parameters,
                                    dequantize_with_zero_point, gptq_quantize_matrix,
                                    quantize_with_zero_point)
from kerasx.quantizers.calibration import get_dataloader
from tests.conftest import to_numpy


class Tokenizer:
    """Characters to their code points."""

    def tokenize(self, text):
        return keras.ops.convert_to_tensor([ord(c) for c in text], dtype="int32")


def _config(**kwargs):
    return GPTQConfig(dataset=None, tokenizer=None, **kwargs)


# -- GPTQConfig ----------------------------------------------------------------------------
def test_config_defaults_and_round_trip():
    config = GPTQConfig(dataset=[1, 2], tokenizer=Tokenizer())
    assert config.mode == "gptq"
    assert (config.weight_bits, config.num_samples, config.per_channel, config.sequence_length,
            config.hessian_damping, config.group_size, config.symmetric,
            config.activation_order) == (4, 128, True, 512, 0.01, 128, False, False)
    assert config.dtype_policy_string() == "gptq/4/128"
    saved = config.get_config()
    assert saved["dataset"] is None and saved["tokenizer"] is None  # calibration only
    restored = keras.quantizers.deserialize(keras.quantizers.serialize(config))
    assert isinstance(restored, GPTQConfig) and restored.get_config() == saved


@pytest.mark.parametrize("kwargs, message", [
    ({"weight_bits": 5}, "Unsupported weight_bits 5. Supported values are 2, 3, 4, and 8."),
    ({"num_samples": 0}, "num_samples must be a positive integer."),
    ({"sequence_length": -1}, "sequence_length must be a positive integer."),
    ({"hessian_damping": 1.5}, "hessian_damping must be between 0 and 1."),
    ({"group_size": 0}, "Invalid group_size. Supported values are -1"),
    ({"group_size": -2}, "but got -2"),
])
def test_config_rejects_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message.replace(".", r"\.")):
        _config(**kwargs)


# -- GPTQDTypePolicy ------------------------------------------------------------------------
def test_policy_from_name_and_config():
    policy = keras.dtype_policies.get("gptq/3/64_from_mixed_bfloat16")
    assert isinstance(policy, GPTQDTypePolicy)
    assert (policy.name, policy.quantization_mode, policy.weight_bits, policy.group_size,
            policy.compute_dtype, policy.variable_dtype) == (
        "gptq/3/64_from_mixed_bfloat16", "gptq", 3, 64, "bfloat16", "float32")
    assert policy.get_config() == {"mode": "gptq/3/64", "source_name": "mixed_bfloat16"}
    assert keras.dtype_policies.deserialize(keras.dtype_policies.serialize(policy)) == policy
    assert policy != keras.dtype_policies.get("gptq/3/32_from_mixed_bfloat16")


@pytest.mark.parametrize("mode, message", [
    ("gptq/4", "Expected format 'gptq/<weight_bits>/<group_size>'"),
    ("gptq/four/8", "must be integers"),
    ("gptq/5/8", "Invalid weight_bits in mode. Supported values are 2, 3, 4, and 8, but got 5"),
    ("gptq/4/0", "Invalid group_size in mode"),
])
def test_policy_rejects_bad_modes(mode, message):
    with pytest.raises(ValueError, match=message):
        GPTQDTypePolicy(mode, "float32")


# -- the algorithm ------------------------------------------------------------------------
def _problem(seed=0, rows=24, columns=6, samples=64):
    """Inputs in pairs of nearly equal features of unequal scales: the error of one row
    of a pair is what the other row can absorb, where GPTQ's feedback pays off."""
    rng = np.random.default_rng(seed)
    base = rng.normal(size=(samples, rows // 2)) * np.linspace(0.3, 2.0, rows // 2)
    pairs = np.stack([base, base + 0.05 * rng.normal(size=base.shape)], axis=-1)
    x = pairs.reshape(samples, rows).astype(np.float32)
    return x, rng.normal(size=(rows, columns)).astype(np.float32)


def _quantized_dense(kernel, x, blocksize=8, **kwargs):
    layer = keras.layers.Dense(kernel.shape[1], use_bias=False)
    layer.build((None, kernel.shape[0]))
    layer.set_weights([kernel])
    config = _config(**kwargs)
    layer.quantize("gptq", config=config)
    state = GPTQ(layer, config)
    state.update_hessian_with_batch(x)
    state.quantize_and_correct_layer(blocksize=blocksize)
    return layer


def _rounded_kernel(kernel, bits, group_size):
    """Round-to-nearest with the same per-group scales and zero points."""
    matrix = kernel.T
    columns = []
    group = matrix.shape[1] if group_size == -1 else group_size
    for start in range(0, matrix.shape[1], group):
        part = matrix[:, start:start + group]
        scale, zero, maxq = compute_quantization_parameters(part, bits=bits, per_channel=True)
        q = quantize_with_zero_point(part, scale, zero, maxq)
        columns.append(to_numpy(dequantize_with_zero_point(q, scale, zero)))
    return np.concatenate(columns, axis=1).T


@pytest.mark.parametrize("bits, group_size, act_order", [
    (4, -1, False), (4, 8, False), (3, 8, True), (2, -1, True), (8, 12, False)])
def test_error_on_calibration_data_below_rounding(bits, group_size, act_order):
    x, kernel = _problem()
    layer = _quantized_dense(kernel, x, blocksize=24, weight_bits=bits, group_size=group_size,
                             activation_order=act_order)
    exact = x @ kernel
    gptq_error = np.linalg.norm(to_numpy(layer(x)) - exact)
    rtn_error = np.linalg.norm(x @ _rounded_kernel(kernel, bits, group_size) - exact)
    assert gptq_error < rtn_error
    levels = to_numpy(layer.quantized_kernel)
    if bits == 4:
        levels = np.concatenate([levels & 15, levels >> 4])
    assert levels.max() <= 2 ** bits - 1


def test_identity_inverse_hessian_is_rounding():
    _, kernel = _problem(columns=5)
    weights = kernel.T

    def scale_zero(matrix):
        return compute_quantization_parameters(matrix, bits=4, per_channel=True)

    q, scale, zero, g_idx = gptq_quantize_matrix(weights, np.eye(weights.shape[1],
                                                                 dtype=np.float32),
                                                 blocksize=5, compute_scale_zero=scale_zero)
    s, z, maxq = scale_zero(weights)
    np.testing.assert_array_equal(to_numpy(q), to_numpy(quantize_with_zero_point(weights, s, z,
                                                                                 maxq)))
    np.testing.assert_array_equal(np.floor(to_numpy(g_idx)), np.zeros(weights.shape[1]))


def test_groups_and_activation_order_layout():
    x, kernel = _problem(rows=20, columns=3)
    layer = _quantized_dense(kernel, x, group_size=8, activation_order=True)
    assert tuple(layer.kernel_scale.shape) == (3, math.ceil(20 / 8))
    assert tuple(layer.quantized_kernel.shape) == (2, 20)  # 3 columns, two per byte
    groups = np.floor(to_numpy(layer.g_idx)).astype(int)
    # rows are quantized by decreasing Hessian diagonal: the busiest rows come first
    order = np.argsort(-np.diag(2 / x.shape[0] * x.T @ x), kind="stable")
    np.testing.assert_array_equal(groups[order], np.arange(20) // 8)
    plain = _quantized_dense(kernel, x, group_size=8)
    np.testing.assert_array_equal(np.floor(to_numpy(plain.g_idx)), np.arange(20) // 8)


def test_hessian_streams_as_one_batch():
    x, kernel = _problem()
    layer = keras.layers.Dense(6)
    layer.build((None, 24))
    streamed, whole = GPTQ(layer, _config()), GPTQ(layer, _config())
    for part in np.split(x, [10, 35]):
        streamed.update_hessian_with_batch(part)
    whole.update_hessian_with_batch(x.reshape(4, 16, 24))  # higher rank: rows of features
    expected = 2 / x.shape[0] * x.T.astype(np.float64) @ x
    np.testing.assert_allclose(to_numpy(streamed.hessian), expected, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(to_numpy(whole.hessian), expected, rtol=1e-4, atol=1e-3)
    assert streamed.num_samples == whole.num_samples == 64


@pytest.mark.parametrize("batch, message", [
    (None, "Input tensor cannot be None."), (np.ones(24), "must have rank >= 2"),
    (np.ones((0, 24)), "cannot be empty"),
    (np.ones((3, 5)), r"Hessian dimensions \(24\) do not match input features \(5\)")])
def test_hessian_rejects_bad_batches(batch, message):
    layer = keras.layers.Dense(6)
    layer.build((None, 24))
    with pytest.raises(ValueError, match=message):
        GPTQ(layer, _config()).update_hessian_with_batch(batch)


def test_unsupported_layer_type():
    layer = keras.layers.Conv1D(2, 3)
    layer.build((None, 5, 4))
    with pytest.raises(TypeError, match="Unsupported layer type for GPTQ"):
        GPTQ(layer, _config())


# -- the "gptq" mode of layers -----------------------------------------------------------
def test_dense_prepared_keeps_float_until_calibrated():
    layer = keras.layers.Dense(5)
    layer.build((None, 7))
    x = np.random.default_rng(1).normal(size=(3, 7)).astype(np.float32)
    before = to_numpy(layer(x))
    layer.quantize("gptq", config=_config(group_size=4))
    assert layer.dtype_policy.name == "gptq/4/4_from_float32"
    assert layer.quantization_mode == "gptq" and not layer.is_gptq_calibrated
    np.testing.assert_array_equal(to_numpy(layer(x)), before)
    spec = sorted((v.name, tuple(v.shape), v.dtype) for v in layer.weights)
    assert spec == [("bias", (5,), "float32"), ("g_idx", (7,), "float32"),
                    ("kernel", (3, 7), "uint8"), ("kernel", (7, 5), "float32"),
                    ("kernel_scale", (5, 2), "float32"), ("kernel_zero", (5, 2), "uint8")]
    assert [v.name for v in layer._saved_variables()] == ["bias", "kernel", "kernel_scale",
                                                           "kernel_zero", "g_idx"]
    with pytest.raises(ValueError, match="already quantized"):
        layer.quantize("gptq", config=_config())


@pytest.mark.parametrize("bits, stored_rows", [(4, 3), (3, 5), (8, 5)])
def test_dense_variables_after_calibration(bits, stored_rows):
    x, kernel = _problem(rows=8, columns=5)
    layer = _quantized_dense(kernel, x, weight_bits=bits, group_size=-1)
    assert layer.is_gptq_calibrated
    assert [(v.name, tuple(v.shape), v.dtype) for v in layer.weights] == [
        ("kernel", (stored_rows, 8), "uint8"), ("kernel_scale", (5, 1), "float32"),
        ("kernel_zero", (5, 1), "uint8"), ("g_idx", (8,), "float32")]
    assert not layer.trainable_weights


@pytest.mark.parametrize("equation, output_shape, input_shape, kernel_matrix", [
    ("ab,bc->ac", 5, (6,), (6, 5)),
    ("abc,cde->abde", (None, 2, 3), (4, 12), (12, 6)),
    ("abcd,cde->abe", (None, 12), (4, 2, 3), (6, 12)),
])
def test_einsum_dense_gptq(equation, output_shape, input_shape, kernel_matrix):
    rng = np.random.default_rng(2)
    layer = keras.layers.EinsumDense(equation, output_shape)
    layer.build((None,) + input_shape)
    x = rng.normal(size=(8,) + input_shape).astype(np.float32)
    exact = to_numpy(layer(x))
    config = _config(group_size=-1, weight_bits=8)
    layer.quantize("gptq", config=config)
    state = GPTQ(layer, config)
    assert (state.rows, state.columns) == kernel_matrix
    state.update_hessian_with_batch(keras.ops.reshape(x, (-1, state.rows)))
    state.quantize_and_correct_layer()
    assert [v.name for v in layer.weights] == ["kernel", "kernel_scale", "zero_point", "g_idx"]
    assert layer.get_config()["gptq_unpacked_column_size"] == kernel_matrix[1]
    np.testing.assert_allclose(to_numpy(layer(x)), exact, atol=0.05 * np.abs(exact).max())


# -- calibrating a model -------------------------------------------------------------------
def _token_model(length=12, vocab=130):
    embedding = keras.layers.Embedding(vocab, 8)
    first, second = keras.layers.Dense(10, activation="relu"), keras.layers.Dense(4)
    model = keras.Sequential([keras.Input((length,), dtype="int32"), embedding, first, second])
    return model, {"pre_block_layers": [embedding], "sequential_blocks": [first, second]}


def _text_config(structure=None, **kwargs):
    return GPTQConfig(dataset=["a calibration text of some length"], tokenizer=Tokenizer(),
                      num_samples=3, sequence_length=12, group_size=-1,
                      quantization_layer_structure=structure, **kwargs)


def test_model_needs_a_structure_and_data():
    model, structure = _token_model()
    with pytest.raises(ValueError, match="a valid quantization structure must be provided"):
        model.quantize("gptq", config=_text_config())
    assert all(layer.quantization_mode is None for layer in model.layers)  # untouched
    config = GPTQConfig(dataset=None, tokenizer=Tokenizer(), quantization_layer_structure=structure)
    with pytest.raises(ValueError, match="requires a dataset and a tokenizer"):
        model.quantize("gptq", config=config)


def test_model_structure_from_override_and_filters():
    class Structured(keras.Model):
        def __init__(self):
            super().__init__()
            self.embedding = keras.layers.Embedding(130, 8)
            self.block = keras.layers.Dense(6)
            self.head = keras.layers.Dense(3)

        def call(self, tokens):
            return self.head(self.block(self.embedding(tokens)))

        def get_quantization_layer_structure(self, mode=None):
            return {"pre_block_layers": [self.embedding],
                    "sequential_blocks": [self.block, self.head]}

    model = Structured()
    model.build((None, 12))
    assert keras.Model.get_quantization_layer_structure(model, "gptq") is None
    model.quantize("gptq", config=_text_config(), filters="dense$")
    assert model.block.is_gptq_calibrated and model.block.quantization_mode == "gptq"
    assert model.head.quantization_mode is None  # not selected by the filter


def test_model_save_load_round_trip(tmp_path):
    model, structure = _token_model()
    tokens = np.random.default_rng(3).integers(0, 130, size=(2, 12)).astype(np.int32)
    before = to_numpy(model(tokens))
    with pytest.warns(UserWarning):
        model.quantize("gptq", config=_text_config(structure, activation_order=True))
    after = to_numpy(model(tokens))
    assert not np.allclose(after, before) and np.allclose(after, before, atol=0.5)
    path = str(tmp_path / "gptq.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_array_equal(to_numpy(loaded(tokens)), after)
    dense = loaded.layers[1]
    assert dense.dtype_policy.name == "gptq/4/-1_from_float32" and dense.is_gptq_calibrated
    weights_path = str(tmp_path / "gptq.weights.h5")
    model.save_weights(weights_path)
    rebuilt, _ = _token_model()
    for layer in rebuilt.layers[1:]:
        layer.quantize("gptq", config=_text_config(structure))
    rebuilt.load_weights(weights_path)
    np.testing.assert_array_equal(to_numpy(rebuilt(tokens)), after)


def test_dataloader_windows():
    windows = to_numpy(get_dataloader(Tokenizer(), 4, ["abc", "de"], num_samples=3, eos_id=0))
    assert windows.shape == (3, 1, 4) and windows.dtype == np.int32
    tokens = [97, 98, 99, 0, 100, 101]
    for window in windows[:, 0]:  # each a run of the repeated token stream
        assert any(list(window) == (tokens * 3)[i:i + 4] for i in range(len(tokens)))
    spread = to_numpy(get_dataloader(None, 2, [np.arange(10)], num_samples=3,
                                     strategy="linspace"))
    np.testing.assert_array_equal(spread[:, 0], [[0, 1], [4, 5], [8, 9]])
    drawn = to_numpy(get_dataloader(None, 3, [np.arange(20)], num_samples=4, strategy="random",
                                    seed=7))
    again = to_numpy(get_dataloader(None, 3, [np.arange(20)], num_samples=4, strategy="random",
                                    seed=7))
    np.testing.assert_array_equal(drawn, again)  # the seed fixes the draw
    np.testing.assert_array_equal(np.diff(drawn[:, 0], axis=-1), np.ones((4, 2)))
    assert drawn.min() >= 0 and drawn.max() <= 19
    with pytest.raises(TypeError, match="must be an iterable"):
        get_dataloader(Tokenizer(), 4, "text")
    with pytest.raises(ValueError, match="Provided dataset is empty."):
        get_dataloader(Tokenizer(), 4, [])
    with pytest.raises(ValueError, match="Unknown strategy"):
        get_dataloader(None, 2, [np.arange(10)], strategy="other")


# -- the base Layer's quantization API ---------------------------------------------------
def test_layer_without_quantized_form():
    # (LayerNormalization: a layer without weights, such as Dropout, is built at
    # construction, as in Keras, so it never meets the unbuilt check)
    layer = keras.layers.LayerNormalization()
    with pytest.raises(ValueError, match="Cannot quantize a layer that isn't yet built"):
        layer.quantize("int8")
    layer.build((None, 3))
    assert layer.quantization_mode is None
    with pytest.raises(NotImplementedError, match="Layer LayerNormalization does not have a "
                                                  "`quantize` method implemented."):
        layer.quantize("int8")
    with pytest.raises(NotImplementedError, match="does not have a `quantized_build` method"):
        layer.quantized_build((None, 3), "int8")
    with pytest.raises(NotImplementedError, match="Received: quantization_mode=None"):
        layer.quantized_call(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="Invalid quantization mode"):
        layer.quantize("int3")
    quantized = keras.layers.Dropout(0.5, dtype="int8_from_float32")
    assert quantized.quantization_mode == "int8"
    with pytest.raises(NotImplementedError, match="does not have a `_int8_call` method"):
        quantized.quantized_call(np.zeros((2, 3)))


def test_quantizable_layer_public_build_and_call():
    layer = keras.layers.Dense(4, dtype="gptq/8/-1_from_float32")
    layer.build((None, 3))  # a loaded layer: calibrated levels, zeros until assigned
    assert layer.is_gptq_calibrated
    out = layer.quantized_call(np.ones((2, 3), dtype=np.float32))
    np.testing.assert_array_equal(to_numpy(out), np.zeros((2, 4)))
    with pytest.raises(NotImplementedError, match="Invalid quantization mode"):
        layer.quantized_build((3, 4), "int3")



def test_gradients_reach_inputs_and_bias():
    from kerasx.autodiff.tape import GradientTape

    x_calib, kernel = _problem(rows=8, columns=5)
    layer = keras.layers.Dense(5)
    layer.build((None, 8))
    layer.set_weights([kernel, np.arange(5, dtype=np.float32)])
    config = _config(group_size=4)
    layer.quantize("gptq", config=config)
    state = GPTQ(layer, config)
    state.update_hessian_with_batch(x_calib)
    state.quantize_and_correct_layer()
    assert [v.name for v in layer.trainable_weights] == ["bias"]
    dequantized = to_numpy(layer(np.eye(8, dtype=np.float32))) - np.arange(5)
    x = keras.ops.convert_to_tensor(np.random.default_rng(4).normal(size=(3, 8)),
                                    dtype="float32")
    weights = np.arange(5, dtype=np.float32)
    with GradientTape() as tape:
        tape.watch(x)
        loss = keras.ops.sum(layer(x) * weights)
    grad_x, grad_bias = tape.gradient(loss, [x, layer.bias])
    np.testing.assert_allclose(to_numpy(grad_x), np.tile(weights @ dequantized.T, (3, 1)),
                               rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(to_numpy(grad_bias), 3 * weights)
