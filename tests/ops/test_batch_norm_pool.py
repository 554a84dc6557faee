"""`batch_norm_max_pool`: batch normalization with the batch's statistics, ReLU and max
pooling as one node, against a float64 reference of the separate steps and by finite
differences, with negative scales (min pooling), no scale or offset, channels_first,
overlapping and "same" pooling, 1-D and 3-D inputs."""

import numpy as np
import pytest

from kerasx import ops
from kerasx.backends import current
from kerasx.ops.batch_norm_pool import batch_norm_max_pool
from kerasx.testing import OpCase, float64
from tests.ops.conv_reference import pool_ref
from tests.sampled_gradcheck import check_op_case

rng = np.random.default_rng(8)


def r(*shape):
    return rng.standard_normal(shape)


def reference(x, scale, offset, epsilon, pool_size, strides, padding, data_format, relu):
    axis = 1 if data_format == "channels_first" else x.ndim - 1
    red = tuple(i for i in range(x.ndim) if i != axis)
    shape = [1] * x.ndim
    shape[axis] = x.shape[axis]
    mean = x.mean(axis=red, keepdims=True)
    variance = ((x - mean) ** 2).mean(axis=red, keepdims=True)
    y = (x - mean) / np.sqrt(variance + epsilon)
    if scale is not None:
        y = y * scale.reshape(shape)
    if offset is not None:
        y = y + offset.reshape(shape)
    if relu:
        y = np.maximum(y, 0.0)
    return pool_ref(y, pool_size, strides, padding, "max", data_format)


def case(name, x, scale=None, offset=None, epsilon=1e-3, pool_size=2, strides=None,
         padding="valid", data_format="channels_last", relu=True):
    n = x.ndim - 2
    ps = (pool_size,) * n if isinstance(pool_size, int) else pool_size
    st = ps if strides is None else ((strides,) * n if isinstance(strides, int) else strides)
    params = [p for p in (scale, offset) if p is not None]

    def fn(x, *p):
        s = p[0] if scale is not None else None
        o = p[-1] if offset is not None else None
        return batch_norm_max_pool(x, s, o, epsilon, ps, st, padding, data_format, relu)[0]

    def ref(x, *p):
        s = p[0] if scale is not None else None
        o = p[-1] if offset is not None else None
        return reference(x, s, o, epsilon, ps, st, padding, data_format, relu)

    return OpCase(name, fn, ref, [x] + params)


CASES = [
    case("2d", r(3, 6, 6, 3), r(3), r(3)),
    case("2d_negative_scales_min_pool", r(2, 6, 4, 3), np.array([1.5, -0.7, -2.0]), r(3)),
    case("2d_no_scale_no_offset_no_relu", r(2, 4, 6, 2), relu=False),
    case("2d_channels_first", r(2, 3, 6, 4), np.array([0.5, -1.0, 2.0]), r(3),
         data_format="channels_first"),
    case("2d_overlapping_same", r(2, 5, 7, 2), np.array([-1.2, 0.8]), r(2), pool_size=3,
         strides=2, padding="same"),
    case("1d", r(4, 9, 2), r(2), None, pool_size=3, strides=2),
    case("3d", r(2, 4, 4, 2, 2), None, r(2), epsilon=0.1),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_matches_separate_steps_and_finite_differences(c):
    check_op_case(c)


def test_returns_the_batch_statistics():
    x = r(4, 4, 4, 3)
    with float64():
        out, mean, variance = batch_norm_max_pool(current().asarray(x), None, None, 1e-3, 2,
                                                  None, "valid", "channels_last", True)
    np.testing.assert_allclose(ops.convert_to_numpy(mean), x.mean(axis=(0, 1, 2)), rtol=1e-12)
    np.testing.assert_allclose(ops.convert_to_numpy(variance), x.var(axis=(0, 1, 2)),
                               rtol=1e-12)
    assert tuple(out.shape) == (4, 2, 2, 3)


numpy_only = pytest.mark.skipif("current().name != 'numpy'", reason="NumPy kernel")


@numpy_only
def test_numpy_affine_pool_backward_matches_the_two_steps():
    from kerasx.backends.numpy_conv import max_pool_backward, max_pool_backward_affine

    code = rng.integers(0, 4, (5, 3, 4, 6)).astype(np.uint8)
    code[0, 0, 0, 0] = 255  # a NaN window: no gradient
    dy, x = r(5, 3, 4, 6), r(5, 6, 8, 6)
    slope, intercept = r(6), r(6)
    got = max_pool_backward_affine(code, dy, x.shape, (2, 2), (2, 2), x, slope, intercept)
    want = max_pool_backward(code, dy, x.shape, (2, 2), (2, 2)) + x * slope + intercept
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)


@numpy_only
def test_float32_through_the_numpy_kernels_matches_the_separate_ops(monkeypatch):
    """Through the winning-offset pooling kernels (made to take this small input) and
    the blocked affine backward; float32, against the separate normalization, ReLU and
    pooling ops."""
    from kerasx import GradientTape, Variable
    from kerasx.backends import numpy_conv
    from kerasx.ops.normalization import fused_batch_normalization

    monkeypatch.setattr(numpy_conv, "_ARGMAX_POOL_MIN_BYTES", 0)
    calls = []
    affine = numpy_conv.max_pool_backward_affine
    monkeypatch.setitem(current().kernels, "max_pool_backward_affine",
                        lambda *a: calls.append(1) or affine(*a))
    x = Variable(r(16, 16, 16, 8).astype(np.float32))
    gamma = Variable(np.array([1.0, -0.5, 2.0, 0.3, -1.5, 1.0, 0.7, -0.2], np.float32))
    beta = Variable(r(8).astype(np.float32))
    results = []
    for fused in (True, False):
        with GradientTape() as tape:
            if fused:
                out = batch_norm_max_pool(x, gamma, beta, 1e-3, 2, None, "valid",
                                          "channels_last", True)[0]
            else:
                y = fused_batch_normalization(x, -1, gamma, beta, 1e-3)[0]
                out = ops.max_pool(ops.relu(y), 2, 2)
            loss = ops.sum(out * ops.sin(out))
        results.append([out] + tape.gradient(loss, [x, gamma, beta]))
    assert calls == [1]
    for a, b in zip(*results):
        a, b = ops.convert_to_numpy(a), ops.convert_to_numpy(b)
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())
