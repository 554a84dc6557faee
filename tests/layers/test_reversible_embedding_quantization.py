"""int8 / int4 quantization of `ReversibleEmbedding` (tied and untied, per-channel and
grouped int4): its variables as Keras 3.15.1 creates them, the forward and reverse
numbers against NumPy formulas, the soft cap, gradients, `.keras` round trips; and the
`kernel` / `embeddings` attributes of int4 `Dense`, `EinsumDense` and `Embedding`,
which hold the unpacked int4 values as in Keras."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.autodiff.tape import GradientTape
from kerasx.backends import current
from kerasx.quantizers import Int4QuantizationConfig
from tests.conftest import to_numpy

EPSILON = 1e-7  # the backend epsilon of abs-max quantization
VOCAB, WIDTH = 11, 6


def dev(x):
    return current().asarray(x)


def data(seed=0):
    rng = np.random.default_rng(seed)
    return (rng.normal(size=(VOCAB, WIDTH)).astype("float32"),
            rng.normal(size=(WIDTH, VOCAB)).astype("float32"),
            rng.normal(size=(3, WIDTH)).astype("float32"))


def quantized_layer(tie, mode, block_size=None, cap=None, seed=0):
    table, reverse, _ = data(seed)
    layer = layers.ReversibleEmbedding(VOCAB, WIDTH, tie_weights=tie, logit_soft_cap=cap)
    layer.build()
    layer.set_weights([table] if tie else [table, reverse])
    if mode == "int4":
        layer.quantize(config=Int4QuantizationConfig(block_size=block_size))
    else:
        layer.quantize(mode)
    return layer


def abs_max(x, axis, top):
    """NumPy abs-max quantization to [-top, top] (int4: [-8, 7]): `(values, scale)`,
    the scale keeping `axis`."""
    low = -8 if top == 7 else -top
    scale = top / (np.abs(x).max(axis=axis, keepdims=True) + EPSILON)
    return np.clip(np.round(x * scale), low, top), scale


def reverse_logits(x, kernel_values, kernel_scale):
    """The reverse product of the quantized call: inputs quantized per row to int8."""
    xq, xs = abs_max(x.astype("float32"), -1, 127)
    return (xq @ kernel_values) / (xs * kernel_scale)


# Keras 3.15.1's variables (path, shape, dtype) after quantizing an untied layer
KERAS_VARIABLES = {
    ("int8", None): [("embeddings", (11, 6), "int8"), ("embeddings_scale", (11,), "float32"),
                     ("reverse_embeddings", (6, 11), "int8"),
                     ("reverse_embeddings_scale", (11,), "float32")],
    ("int4", -1): [("embeddings", (11, 3), "int8"), ("embeddings_scale", (11,), "float32"),
                   ("reverse_embeddings", (3, 11), "int8"),
                   ("reverse_embeddings_scale", (11,), "float32")],
    ("int4", 4): [("embeddings", (11, 3), "int8"), ("embeddings_scale", (11, 2), "float32"),
                  ("embeddings_zero", (11, 2), "int8"), ("g_idx", (6,), "float32"),
                  ("reverse_embeddings", (3, 11), "int8"),
                  ("reverse_embeddings_scale", (2, 11), "float32"),
                  ("reverse_embeddings_zero", (2, 11), "float32")],
}


@pytest.mark.parametrize("mode,block_size", list(KERAS_VARIABLES))
def test_variables_and_policy_as_keras(mode, block_size):
    layer = quantized_layer(False, mode, block_size)
    got = [(v.name, tuple(v.shape), str(v.dtype)) for v in layer.weights]
    assert got == KERAS_VARIABLES[(mode, block_size)]
    assert not any(v.trainable for v in layer.weights)
    expected = "int8" if mode == "int8" else f"int4/{block_size}"
    assert layer.dtype_policy.name == f"{expected}_from_float32"
    tied = quantized_layer(True, mode, block_size)
    assert [v.name for v in tied.weights] == [
        n for n, _, _ in KERAS_VARIABLES[(mode, block_size)] if not n.startswith("reverse")]


@pytest.mark.parametrize("tie", [True, False])
@pytest.mark.parametrize("cap", [None, 2.0])
def test_int8_numbers(tie, cap):
    table, reverse, x = data()
    layer = quantized_layer(tie, "int8", cap=cap)
    table_q, table_s = abs_max(table, -1, 127)
    ids = np.array([[1, 3, 10], [0, 2, 5]])
    np.testing.assert_allclose(to_numpy(layer(dev(ids))), (table_q / table_s)[ids], rtol=1e-6)
    if tie:
        kernel_q, kernel_s = table_q.T, table_s.T
    else:
        kernel_q, kernel_s = abs_max(reverse, 0, 127)
    expected = reverse_logits(x, kernel_q, kernel_s)
    if cap is not None:
        expected = cap * np.tanh(expected / cap)
    np.testing.assert_allclose(to_numpy(layer(dev(x), reverse=True)), expected,
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(layer.quantized_call(dev(x), reverse=True)),
                               expected, rtol=1e-5, atol=1e-6)
    # close to the float projection
    float_kernel = table.T if tie else reverse
    float_logits = x @ float_kernel
    if cap is not None:
        float_logits = cap * np.tanh(float_logits / cap)
    np.testing.assert_allclose(expected, float_logits, atol=0.1)


@pytest.mark.parametrize("tie", [True, False])
def test_int4_per_channel_numbers(tie):
    table, reverse, x = data(1)
    layer = quantized_layer(tie, "int4", -1, seed=1)
    if tie:
        kernel_q, kernel_s = abs_max(table, -1, 7)
        kernel_q, kernel_s = kernel_q.T, kernel_s.T
    else:
        kernel_q, kernel_s = abs_max(reverse, 0, 7)
    # int4's default config quantizes no activations: float inputs, integer kernel
    np.testing.assert_allclose(to_numpy(layer(dev(x), reverse=True)),
                               (x @ kernel_q) / kernel_s, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("tie", [True, False])
def test_int4_grouped_numbers(tie):
    """Grouped int4 multiplies the float inputs with the kernel dequantized from its
    variables: `(values - zero[g]) * scale[g]`."""
    table, reverse, x = data(2)
    layer = quantized_layer(tie, "int4", 4, seed=2)
    groups = np.arange(WIDTH) // 4
    if tie:
        values = to_numpy(layer.embeddings).astype("float64")  # unpacked (VOCAB, WIDTH)
        scale, zero = to_numpy(layer.embeddings_scale), to_numpy(layer.embeddings_zero)
        kernel = ((values - zero[:, groups]) * scale[:, groups]).T
    else:
        packed = to_numpy(layer.reverse_embeddings).astype("int32")
        low, high = ((packed & 15) ^ 8) - 8, (((packed >> 4) & 15) ^ 8) - 8
        values = np.stack([low, high], axis=1).reshape(-1, VOCAB)[:WIDTH]
        scale = to_numpy(layer.reverse_embeddings_scale)
        zero = to_numpy(layer.reverse_embeddings_zero)
        kernel = (values - zero[groups]) * scale[groups]
    np.testing.assert_allclose(to_numpy(layer(dev(x), reverse=True)), x @ kernel,
                               rtol=1e-5, atol=1e-5)
    float_kernel = table.T if tie else reverse
    np.testing.assert_allclose(kernel, float_kernel, atol=np.abs(float_kernel).max() / 7)


def reverse_gradient(layer, x, upstream):
    inputs = ops.convert_to_tensor(dev(x))
    with GradientTape() as tape:
        tape.watch(inputs)
        loss = ops.sum(ops.multiply(layer(inputs, reverse=True), dev(upstream)))
    return to_numpy(tape.gradient(loss, inputs))


def test_int8_reverse_gradient_flows_through_the_inputs_scale_only():
    """As in Keras (its rounded int8 inputs carry no gradient): the logits are
    `M * (max|x| + eps) / (127 * kernel_scale)` with `M` the integer product, so each
    row's gradient sits at its largest |x|."""
    _, reverse, x = data(3)
    layer = quantized_layer(False, "int8", seed=3)
    upstream = np.random.default_rng(4).normal(size=(3, VOCAB)).astype("float32")
    kernel_q, kernel_s = abs_max(reverse, 0, 127)
    xq, _ = abs_max(x, -1, 127)
    per_row = ((upstream * (xq @ kernel_q)) / (127 * kernel_s)).sum(axis=-1)
    expected = np.zeros_like(x)
    top = np.abs(x).argmax(axis=-1)
    rows = np.arange(len(x))
    expected[rows, top] = np.sign(x[rows, top]) * per_row
    np.testing.assert_allclose(reverse_gradient(layer, x, upstream), expected,
                               rtol=1e-5, atol=1e-6)


def test_int4_reverse_gradient_is_through_the_dequantized_kernel():
    _, reverse, x = data(3)
    layer = quantized_layer(False, "int4", -1, seed=3)
    upstream = np.random.default_rng(4).normal(size=(3, VOCAB)).astype("float32")
    kernel_q, kernel_s = abs_max(reverse, 0, 7)
    np.testing.assert_allclose(reverse_gradient(layer, x, upstream),
                               upstream @ (kernel_q / kernel_s).T, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode,block_size", [("int8", None), ("int4", -1), ("int4", 3)])
@pytest.mark.parametrize("tie", [True, False])
def test_keras_file_round_trip(tmp_path, tie, mode, block_size):
    _, _, x = data()
    inputs = kerasx.Input((WIDTH,))
    layer = layers.ReversibleEmbedding(VOCAB, WIDTH, tie_weights=tie, logit_soft_cap=3.0)
    model = kerasx.Model(inputs, layer(inputs, reverse=True))
    if mode == "int4":
        model.quantize(config=Int4QuantizationConfig(block_size=block_size))
    else:
        model.quantize(mode)
    assert layer.quantization_mode == mode
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = kerasx.models.load_model(path)
    again = loaded.layers[-1]
    assert again.dtype_policy.name == layer.dtype_policy.name
    assert [(v.path, tuple(v.shape)) for v in again.weights] == [
        (v.path, tuple(v.shape)) for v in layer.weights]
    np.testing.assert_array_equal(to_numpy(loaded(dev(x))), to_numpy(model(dev(x))))


def test_quantize_refuses_a_subclass_and_unknown_modes():
    class Sub(layers.ReversibleEmbedding):
        pass

    layer = Sub(VOCAB, WIDTH)
    layer.build()
    with pytest.raises(NotImplementedError, match="does not have a `quantize`"):
        layer.quantize("int8")
    layer.quantize("int8", type_check=False)
    assert layer.quantization_mode == "int8"
    plain = layers.ReversibleEmbedding(VOCAB, WIDTH)
    plain.build()
    with pytest.raises(NotImplementedError, match="float8"):
        plain.quantize("float8")


def int4_values(weights, axis):
    """NumPy per-channel int4 quantization of `weights` over `axis`."""
    return abs_max(weights, axis, 7)[0]


def test_int4_kernel_attributes_are_the_unpacked_values():
    """After int4 quantization `kernel` / `embeddings` are the int4 values, unpacked to
    the float weight's shape (int8), as Keras returns them; the packed variable is what
    `weights` hold."""
    rng = np.random.default_rng(6)
    config = Int4QuantizationConfig(block_size=-1)
    dense = layers.Dense(5)
    dense.build((None, 4))
    kernel = rng.normal(size=(4, 5)).astype("float32")
    dense.set_weights([kernel, np.zeros(5, "float32")])
    dense.quantize(config=config)
    got = to_numpy(dense.kernel)
    assert got.shape == (4, 5) and got.dtype == np.int8
    np.testing.assert_array_equal(got, int4_values(kernel, 0))
    packed = {w.name: w for w in dense.weights}["kernel"]
    assert tuple(packed.shape) == (4, 3) and str(packed.dtype) == "int8"

    einsum = layers.EinsumDense("ab,bcd->acd", output_shape=(3, 5))
    einsum.build((None, 4))
    kernel = rng.normal(size=(4, 3, 5)).astype("float32")
    einsum.set_weights([kernel])
    einsum.quantize(config=config)
    got = to_numpy(einsum.kernel)
    assert got.shape == (4, 3, 5) and got.dtype == np.int8
    np.testing.assert_array_equal(got, int4_values(kernel.reshape(4, 15), 0).reshape(4, 3, 5))

    table = rng.normal(size=(7, 5)).astype("float32")
    embedding = layers.Embedding(7, 5)
    embedding.build()
    embedding.set_weights([table])
    embedding.quantize(config=config)
    got = to_numpy(embedding.embeddings)
    assert got.shape == (7, 5) and got.dtype == np.int8
    np.testing.assert_array_equal(got, int4_values(table, -1))


def test_int4_kernel_with_lora_adds_the_update_to_the_values():
    """Keras's `kernel` of an int4 layer with LoRA: the unpacked values plus the update,
    in the compute dtype."""
    dense = layers.Dense(5)
    dense.build((None, 4))
    dense.quantize(config=Int4QuantizationConfig(block_size=-1))
    values = to_numpy(dense.kernel).astype("float32")
    dense.enable_lora(2)
    rng = np.random.default_rng(7)
    a, b = (rng.normal(size=v.shape).astype("float32")
            for v in (dense.lora_kernel_a, dense.lora_kernel_b))
    dense.lora_kernel_a.assign(dev(a))
    dense.lora_kernel_b.assign(dev(b))
    got = to_numpy(dense.kernel)
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, values + a @ b, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("mode", ["gptq", "awq"])
def test_calibrated_kernel_is_the_unpacked_levels(mode):
    """A calibrated 4-bit layer's `kernel` is its uint8 levels `(units, input_dim)`,
    unpacked (two per byte along the first axis, low nibble first), as in Keras."""
    rng = np.random.default_rng(8)
    levels = rng.integers(0, 16, size=(16, 8)).astype("uint8")
    packed = (levels[0::2] | (levels[1::2] << 4)).astype("uint8")
    store = {"bias": rng.random(16).astype("float32"), "quantized_kernel": packed,
             "kernel_scale": rng.random((16, 1)).astype("float32"),
             "kernel_zero": rng.integers(0, 16, size=(16, 1)).astype("uint8")}
    if mode == "awq":
        store["awq_scales"] = np.ones(8, "float32")
    store["g_idx"] = np.zeros(8, "float32")
    layer = layers.Dense(16, dtype=f"{mode}/4/8_from_float32")
    layer.build((None, 8))
    layer.load_own_variables({str(i): v for i, v in enumerate(store.values())})
    got = to_numpy(layer.kernel)
    assert got.dtype == np.uint8
    np.testing.assert_array_equal(got, levels)


def test_einsum_dense_records_the_original_kernel_shape():
    """Keras's `original_kernel_shape` of int4 / gptq EinsumDense: the float kernel's
    shape, as a list."""
    config = dict(equation="ab,bcd->acd", output_shape=(8, 32), bias_axes="d")
    for dtype in ("int4_from_float32", "gptq/4/8_from_float32"):
        layer = layers.EinsumDense(**config, dtype=dtype)
        layer.build((None, 3))
        assert layer.original_kernel_shape == [3, 8, 32]
