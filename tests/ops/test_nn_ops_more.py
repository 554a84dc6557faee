"""The rest of `keras.ops.nn`: dot-product attention, pixel (un)shuffles, PSNR, polar,
multi-hot, the cross-entropy ops, `extract_sequences` and `unfold` / `fold`, forward
against float64 NumPy written from the definitions, gradients against finite
differences; bad arguments; symbolic use; and the `kerasx.ops.nn` namespace."""

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.testing import OpCase
from tests.conftest import to_numpy
from tests.sampled_gradcheck import check_op_case

rng = np.random.default_rng(23)
MASKED = -0.7 * 3.38953e38


def _softmax(z, axis=-1):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _attention(q, k, v, bias=None, mask=None, scale=None, is_causal=False):
    t, n, h = q.shape[1:]
    s, heads = k.shape[1], k.shape[2]
    out = np.zeros(q.shape[:3] + v.shape[3:])
    factor = 1 / np.sqrt(h) if scale is None else scale
    for i in range(n):
        j = i // (n // heads)  # query head i reads key head j
        logits = np.einsum("btd,bsd->bts", q[:, :, i], k[:, :, j]) * factor
        if bias is not None:
            logits = logits + np.broadcast_to(bias, (q.shape[0], n, t, s))[:, i]
        keep = np.ones(logits.shape, bool)
        if mask is not None:
            keep &= np.broadcast_to(mask, (q.shape[0], n, t, s))[:, i]
        if is_causal:
            keep &= np.tril(np.ones((t, s), bool))
        out[:, :, i] = np.einsum("bts,bsd->btd", _softmax(np.where(keep, logits, MASKED)),
                                 v[:, :, j])
    return out


Q = rng.standard_normal((2, 3, 4, 5))
K = rng.standard_normal((2, 6, 4, 5))
V = rng.standard_normal((2, 6, 4, 3))
BIAS = rng.standard_normal((1, 4, 3, 6))
MASK = rng.random((2, 1, 3, 6)) > 0.3
MASK[0, 0, 1] = False  # a fully masked row attends uniformly


def _depth_to_space(x, b, channels_first=False):
    """Channels_last reads each pixel's channels as a (b, b, depth) block; channels_first as
    (depth, b, b), as Keras (and PyTorch's pixel shuffle) do."""
    if channels_first:
        n, c, h, w = x.shape
        out = np.zeros((n, c // (b * b), h * b, w * b))
        for i in range(h * b):
            for j in range(w * b):
                out[:, :, i, j] = x[:, :, i // b, j // b].reshape(n, -1, b, b)[:, :, i % b, j % b]
        return out
    n, h, w, c = x.shape
    out = np.zeros((n, h * b, w * b, c // (b * b)))
    for i in range(h * b):
        for j in range(w * b):
            out[:, i, j] = x[:, i // b, j // b].reshape(n, b, b, -1)[:, i % b, j % b]
    return out


def _space_to_depth(x, b, channels_first=False):
    if channels_first:
        n, c, h, w = x.shape
        out = np.zeros((n, c * b * b, h // b, w // b))
        for i in range(h // b):
            for j in range(w // b):
                out[:, :, i, j] = x[:, :, i * b:(i + 1) * b, j * b:(j + 1) * b].reshape(n, -1)
        return out
    n, h, w, c = x.shape
    out = np.zeros((n, h // b, w // b, c * b * b))
    for i in range(h // b):
        for j in range(w // b):
            out[:, i, j] = x[:, i * b:(i + 1) * b, j * b:(j + 1) * b].reshape(n, -1)
    return out


def _unfold(x, k, d=(1, 1), p=(0, 0), s=(1, 1)):
    n, c, h, w = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    rows = (h + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    cols = (w + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, c * k[0] * k[1], rows * cols))
    for ch in range(c):
        for i in range(k[0]):
            for j in range(k[1]):
                for a in range(rows):
                    for b in range(cols):
                        out[:, (ch * k[0] + i) * k[1] + j, a * cols + b] = \
                            padded[:, ch, a * s[0] + i * d[0], b * s[1] + j * d[1]]
    return out


def _fold(x, size, k, d=(1, 1), p=(0, 0), s=(1, 1)):
    n = x.shape[0]
    c = x.shape[1] // (k[0] * k[1])
    rows = (size[0] + 2 * p[0] - d[0] * (k[0] - 1) - 1) // s[0] + 1
    cols = (size[1] + 2 * p[1] - d[1] * (k[1] - 1) - 1) // s[1] + 1
    out = np.zeros((n, c, size[0] + 2 * p[0], size[1] + 2 * p[1]))
    for ch in range(c):
        for i in range(k[0]):
            for j in range(k[1]):
                for a in range(rows):
                    for b in range(cols):
                        out[:, ch, a * s[0] + i * d[0], b * s[1] + j * d[1]] += \
                            x[:, (ch * k[0] + i) * k[1] + j, a * cols + b]
    return out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]


def _sequences(x, length, stride):
    count = 1 + (x.shape[-1] - length) // stride
    return np.stack([x[..., i * stride:i * stride + length] for i in range(count)], axis=-2)


EPS = 1e-7
PROBS = rng.uniform(0.05, 1.0, (4, 5))
LOGITS = rng.standard_normal((4, 5)) * 3
ONE_HOT = np.eye(5)[[0, 3, 1, 4]]
IDS = np.array([0, 3, 1, 4])
LABELS = (rng.random((4, 5)) > 0.5).astype(np.float64)
SIGMOIDS = rng.uniform(0.05, 0.95, (4, 5))


def _clipped_log(p, axis=-1):
    return np.log(np.clip(p / p.sum(axis=axis, keepdims=True), EPS, 1 - EPS))


CASES = [
    OpCase("attention", ops.dot_product_attention, _attention, [Q, K, V]),
    OpCase("attention_bias_mask_scale",
           lambda q, k, v, b: ops.dot_product_attention(q, k, v, bias=b, mask=MASK, scale=0.3),
           lambda q, k, v, b: _attention(q, k, v, b, MASK, 0.3), [Q, K, V, BIAS]),
    OpCase("attention_causal", lambda q, k, v: ops.dot_product_attention(q, k, v, is_causal=True),
           lambda q, k, v: _attention(q, k, v, is_causal=True), [Q, K[:, :4], V[:, :4]]),
    OpCase("attention_grouped_heads", ops.dot_product_attention, _attention,
           [Q, K[:, :, :2], V[:, :, :2]]),
    OpCase("depth_to_space", lambda x: ops.depth_to_space(x, 2),
           lambda x: _depth_to_space(x, 2), [rng.standard_normal((2, 3, 2, 8))]),
    OpCase("depth_to_space_channels_first",
           lambda x: ops.depth_to_space(x, 2, data_format="channels_first"),
           lambda x: _depth_to_space(x, 2, True), [rng.standard_normal((1, 8, 2, 3))]),
    OpCase("space_to_depth", lambda x: ops.space_to_depth(x, 3),
           lambda x: _space_to_depth(x, 3), [rng.standard_normal((2, 6, 3, 2))]),
    OpCase("space_to_depth_channels_first",
           lambda x: ops.space_to_depth(x, 2, data_format="channels_first"),
           lambda x: _space_to_depth(x, 2, True), [rng.standard_normal((1, 3, 4, 2))]),
    OpCase("psnr", lambda a, b: ops.psnr(a, b, 2.0),
           lambda a, b: 20 * np.log10(2.0) - 10 * np.log10(np.mean((a - b) ** 2)),
           [rng.standard_normal((2, 3, 3)), rng.standard_normal((2, 3, 3))]),
    OpCase("binary_crossentropy", lambda p: ops.binary_crossentropy(LABELS, p),
           lambda p: -(LABELS * np.log(p) + (1 - LABELS) * np.log(1 - p)), [SIGMOIDS]),
    OpCase("binary_crossentropy_logits",
           lambda z: ops.binary_crossentropy(LABELS, z, from_logits=True),
           lambda z: -(LABELS * np.log(1 / (1 + np.exp(-z)))
                       + (1 - LABELS) * np.log(1 / (1 + np.exp(z)))), [LOGITS]),
    OpCase("categorical_crossentropy", lambda p: ops.categorical_crossentropy(ONE_HOT, p),
           lambda p: -np.sum(ONE_HOT * _clipped_log(p), axis=-1), [PROBS]),
    OpCase("categorical_crossentropy_axis0",
           lambda p: ops.categorical_crossentropy(ONE_HOT.T, p, axis=0),
           lambda p: -np.sum(ONE_HOT.T * _clipped_log(p, 0), axis=0), [PROBS.T]),
    OpCase("categorical_crossentropy_logits",
           lambda z: ops.categorical_crossentropy(ONE_HOT, z, from_logits=True),
           lambda z: -np.sum(ONE_HOT * np.log(_softmax(z)), axis=-1), [LOGITS]),
    OpCase("sparse_categorical_crossentropy",
           lambda p: ops.sparse_categorical_crossentropy(IDS, p),
           lambda p: -_clipped_log(p)[np.arange(4), IDS], [PROBS]),
    OpCase("sparse_categorical_crossentropy_logits",
           lambda z: ops.sparse_categorical_crossentropy(IDS[:, None], z, from_logits=True),
           lambda z: -np.log(_softmax(z))[np.arange(4), IDS], [LOGITS]),
    OpCase("extract_sequences", lambda x: ops.extract_sequences(x, 3, 2),
           lambda x: _sequences(x, 3, 2), [rng.standard_normal((2, 8))]),
    OpCase("extract_sequences_1d", lambda x: ops.extract_sequences(x, 4, 3),
           lambda x: _sequences(x, 4, 3), [rng.standard_normal(12)]),
    OpCase("unfold", lambda x: ops.unfold(x, 2), lambda x: _unfold(x, (2, 2)),
           [rng.standard_normal((2, 2, 4, 3))]),
    OpCase("unfold_dilated_padded_strided",
           lambda x: ops.unfold(x, (2, 3), dilation=(2, 1), padding=1, stride=(2, 1)),
           lambda x: _unfold(x, (2, 3), (2, 1), (1, 1), (2, 1)),
           [rng.standard_normal((1, 2, 5, 4))]),
    OpCase("fold", lambda x: ops.fold(x, (4, 5), (2, 3), padding=(1, 0), stride=(2, 1)),
           lambda x: _fold(x, (4, 5), (2, 3), (1, 1), (1, 0), (2, 1)),
           [rng.standard_normal((2, 12, 9))]),
    OpCase("fold_dilated", lambda x: ops.fold(x, 4, 2, dilation=2),
           lambda x: _fold(x, (4, 4), (2, 2), (2, 2)), [rng.standard_normal((1, 8, 4))]),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_nn_case(case):
    check_op_case(case)


def test_a_fully_masked_row_attends_uniformly_like_keras():
    q, k, v = Q[:1, :1, :1], K[:1, :, :1], V[:1, :, :1]
    out = ops.dot_product_attention(q, k, v, mask=np.zeros((1, 1, 1, 6), bool))
    np.testing.assert_allclose(to_numpy(out)[0, 0, 0], V[0, :, 0].mean(axis=0), rtol=1e-6)


@pytest.mark.parametrize("kwargs, message", [
    ({"flash_attention": True}, "flash_attention"),
    ({"attn_logits_soft_cap": 30.0}, "attn_logits_soft_cap"),
    ({"query": Q[0]}, "4D"),
    ({"key": K[:, :, :3]}, "multiple of K"),
    ({"value": V[:1]}, "N a multiple of K"),
])
def test_dot_product_attention_rejects_bad_arguments(kwargs, message):
    args = {"query": Q, "key": K, "value": V, **kwargs}
    with pytest.raises(ValueError, match=message):
        ops.dot_product_attention(**args)


def test_pixel_shuffles_invert_each_other_and_check_their_arguments():
    x = rng.standard_normal((2, 4, 6, 3))
    back = ops.depth_to_space(ops.space_to_depth(x, 2), 2)
    np.testing.assert_allclose(to_numpy(back), x.astype(np.float32), rtol=1e-6)
    with pytest.raises(ValueError, match="multiple of block_size"):
        ops.space_to_depth(x, 4)
    with pytest.raises(ValueError, match="block_size\\*\\*2"):
        ops.depth_to_space(x, 2)
    with pytest.raises(ValueError, match="data_format"):
        ops.depth_to_space(x, 1, data_format="NHWC")
    with pytest.raises(ValueError, match="4-D"):
        ops.space_to_depth(x[0], 2)


def test_psnr_refuses_different_shapes():
    with pytest.raises(ValueError, match="same shape"):
        ops.psnr(np.ones((2, 3)), np.ones((3, 2)), 1.0)


def test_polar_gives_complex_numbers_of_the_matching_precision():
    r, theta = rng.uniform(0.5, 2.0, (2, 3)), rng.uniform(-3.0, 3.0, (2, 3))
    out = ops.polar(r.astype(np.float32), theta.astype(np.float32))
    assert out.dtype == "complex64"
    np.testing.assert_allclose(to_numpy(out), r * np.exp(1j * theta), rtol=1e-5)
    assert ops.polar(r, theta).dtype == "complex128"


def test_multi_hot_combines_the_labels_of_each_row_like_keras():
    np.testing.assert_array_equal(to_numpy(ops.multi_hot(np.array([[0, 4], [1, 1]]), 5)),
                                  [[1, 0, 0, 0, 1], [0, 1, 0, 0, 0]])
    one_row = ops.multi_hot(np.array([0, 2, -1]), num_tokens=4)
    np.testing.assert_array_equal(to_numpy(one_row), [1, 0, 1, 0])
    assert one_row.dtype == "float32"
    # a rank-3 input is combined over its axis 1, as Keras does
    deep = ops.multi_hot(np.array([[[0, 4], [1, 1]], [[2, 2], [3, 0]]]), 5, dtype="int32")
    np.testing.assert_array_equal(to_numpy(deep), [[[1, 1, 0, 0, 0], [0, 1, 0, 0, 1]],
                                                   [[0, 0, 1, 1, 0], [1, 0, 1, 0, 0]]])
    with pytest.raises(ValueError, match="num_classes"):
        ops.multi_hot(np.array([0]))
    with pytest.raises(ValueError, match="sparse"):
        ops.multi_hot(np.array([0]), 3, sparse=True)


def test_cross_entropy_ops_check_shapes_and_drop_out_of_range_ids():
    with pytest.raises(ValueError, match="same shape"):
        ops.binary_crossentropy(np.ones((2, 3)), np.ones((3, 2)) * 0.5)
    with pytest.raises(ValueError, match="same shape"):
        ops.categorical_crossentropy(np.ones((2, 3)), np.ones((2, 4)))
    with pytest.raises(ValueError, match="one class id per prediction"):
        ops.sparse_categorical_crossentropy(np.zeros((3,), np.int32), np.ones((2, 4)))
    out = ops.sparse_categorical_crossentropy(np.array([0, 7, -1]), LOGITS[:3], from_logits=True)
    assert np.all(to_numpy(out)[1:] == 0)
    out = ops.sparse_categorical_crossentropy(np.array([0, 7, -1]), PROBS[:3])
    assert np.all(to_numpy(out)[1:] == 0)


def test_extract_sequences_and_fold_check_their_arguments():
    with pytest.raises(ValueError, match="at least sequence_length"):
        ops.extract_sequences(np.ones(3), 4, 1)
    with pytest.raises(ValueError, match="positive integer"):
        ops.extract_sequences(np.ones(5), 2, 0)
    with pytest.raises(ValueError, match="4-D"):
        ops.unfold(np.ones((2, 3, 4)), 2)
    with pytest.raises(ValueError, match="does not fit"):
        ops.unfold(np.ones((1, 1, 2, 2)), 3)
    with pytest.raises(ValueError, match=r"expects columns of shape \(N, C \* 4, 9\)"):
        ops.fold(np.ones((1, 4, 8)), (4, 4), 2)


def test_fold_of_unfold_counts_the_windows_over_each_pixel():
    ones = np.ones((1, 1, 4, 5))
    counts = to_numpy(ops.fold(ops.unfold(ones, 3, padding=1), (4, 5), 3, padding=1))
    # the 3x3 windows at every pixel: those centred on it and on its neighbours inside
    along_rows = np.array([min(i, 1) + 1 + min(3 - i, 1) for i in range(4)])
    along_columns = np.array([min(j, 1) + 1 + min(4 - j, 1) for j in range(5)])
    expected = np.outer(along_rows, along_columns)
    np.testing.assert_array_equal(counts[0, 0], expected)


def test_hard_swish_is_hard_silu():
    x = np.linspace(-4.0, 4.0, 9)
    np.testing.assert_array_equal(to_numpy(ops.hard_swish(x)), to_numpy(ops.hard_silu(x)))
    assert ops.nn.hard_swish is ops.hard_silu


# dir(keras.ops.nn) of Keras 3.15.1
KERAS_NN_NAMES = [
    "adaptive_average_pool", "adaptive_max_pool", "average_pool", "batch_normalization",
    "binary_crossentropy", "categorical_crossentropy", "celu", "conv", "conv_transpose",
    "ctc_decode", "ctc_loss", "depth_to_space", "depthwise_conv", "dot_product_attention",
    "elu", "fold", "gelu", "glu", "hard_shrink", "hard_sigmoid", "hard_silu", "hard_swish",
    "hard_tanh", "layer_normalization", "leaky_relu", "log_sigmoid", "log_softmax", "max_pool",
    "moments", "multi_hot", "normalize", "one_hot", "polar", "psnr", "relu", "relu6",
    "rms_normalization", "selu", "separable_conv", "sigmoid", "silu", "soft_shrink", "softmax",
    "softplus", "softsign", "space_to_depth", "sparse_categorical_crossentropy", "sparse_plus",
    "sparse_sigmoid", "sparsemax", "squareplus", "swish", "tanh_shrink", "threshold", "unfold",
]


def test_kerasx_ops_nn_has_every_name_of_keras_ops_nn_as_the_same_op():
    for name in KERAS_NN_NAMES:
        assert getattr(ops.nn, name) is getattr(ops, name), name


def test_nn_ops_in_a_functional_model():
    q_in, k_in = kerasx.Input((3, 2, 4)), kerasx.Input((5, 2, 4))
    attended = ops.nn.dot_product_attention(q_in, k_in, k_in, is_causal=False)
    shuffled = ops.depth_to_space(kerasx.Input((2, 2, 4)), 2)
    assert tuple(attended.shape) == (None, 3, 2, 4) and tuple(shuffled.shape) == (None, 4, 4, 1)
    model = kerasx.Model([q_in, k_in], [attended, ops.nn.relu(attended)])
    q = rng.standard_normal((2, 3, 2, 4)).astype(np.float32)
    k = rng.standard_normal((2, 5, 2, 4)).astype(np.float32)
    out, relu = model([q, k])
    np.testing.assert_allclose(to_numpy(out), _attention(q, k, k), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(to_numpy(relu), np.maximum(_attention(q, k, k), 0), rtol=1e-5,
                               atol=1e-6)
