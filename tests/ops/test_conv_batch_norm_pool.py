"""`conv_batch_norm_max_pool`: a convolution, batch normalization with the batch's
statistics, ReLU and max pooling as one node, against a float64 reference of the
separate steps and by finite differences, and against the two nodes it replaces
(outputs, statistics and every gradient) through the NumPy kernel, whose convolution
output is in pooling-offset-major rows: few and many input channels, "same" and
"valid" convolutions, strides, dilation, negative scales, no bias, scale or offset,
channels_first, 1-D and 3-D, and the calls it declines."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current
from kerasx.ops.batch_norm_pool import batch_norm_max_pool
from kerasx.ops.conv_batch_norm_pool import conv_batch_norm_max_pool
from kerasx.testing import OpCase, float64
from tests.ops.conv_reference import conv_ref
from tests.ops.test_batch_norm_pool import reference as bn_pool_ref
from tests.sampled_gradcheck import check_op_case

rng = np.random.default_rng(11)


def r(*shape):
    return rng.standard_normal(shape)


def case(name, x, kernel, bias, scale, offset, padding="same", strides=1, dilation=1,
         pool_size=2, data_format="channels_last", relu=True):
    n = x.ndim - 2
    ps = (pool_size,) * n
    params = [p for p in (bias, scale, offset) if p is not None]

    def split(p):
        it = iter(p)
        return [None if v is None else next(it) for v in (bias, scale, offset)]

    def fn(x, k, *p):
        b, s, o = split(p)
        return conv_batch_norm_max_pool(x, k, b, s, o, 1e-3, strides, padding, data_format,
                                        dilation, pool_size=ps, relu=relu)[0]

    def ref(x, k, *p):
        b, s, o = split(p)
        y = conv_ref(x, k, (strides,) * n, padding, (dilation,) * n, data_format)
        if b is not None:
            y = y + (b if data_format == "channels_last" else b.reshape((-1,) + (1,) * n))
        return bn_pool_ref(y, s, o, 1e-3, ps, ps, "valid", data_format, relu)

    return OpCase(name, fn, ref, [x, kernel] + params)


CASES = [
    case("2d_three_channels", r(2, 6, 6, 3), r(3, 3, 3, 4), r(4), r(4), r(4)),
    case("2d_negative_scales_no_bias", r(2, 6, 4, 2), r(3, 3, 2, 3), None,
         np.array([1.5, -0.7, -2.0]), r(3)),
    case("2d_many_channels_valid_no_relu", r(2, 6, 6, 9), r(3, 3, 9, 2), r(2), None, None,
         padding="valid", relu=False),
    case("2d_strides_dilation", r(2, 9, 9, 1), r(2, 2, 1, 3), r(3), r(3), r(3),
         strides=2, dilation=2),
    case("2d_channels_first", r(2, 2, 4, 6), r(3, 3, 2, 3), r(3), np.array([0.5, -1.0, 2.0]),
         r(3), data_format="channels_first"),
    case("1d_pool_3", r(3, 9, 2), r(3, 2, 2), r(2), r(2), None, pool_size=3),
    case("3d", r(2, 4, 4, 4, 2), r(3, 3, 3, 2, 2), None, None, r(2)),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_matches_separate_steps_and_finite_differences(c):
    check_op_case(c)


def _both_ways(x, kernel, bias, scale, offset, **kw):
    """`[out, mean, variance, grads of x, kernel, bias, scale, offset]` of the fused op
    and of the convolution node followed by the normalization-pooling node."""
    pool = kw.pop("pool_size", 2)
    results = []
    for fused in (True, False):
        with GradientTape() as tape:
            if fused:
                out, mean, var = conv_batch_norm_max_pool(x, kernel, bias, scale, offset, 1e-3,
                                                          pool_size=pool, relu=True, **kw)
            else:
                y = ops.conv(x, kernel, bias=bias, **kw)
                out, mean, var = batch_norm_max_pool(y, scale, offset, 1e-3, pool, None,
                                                     "valid", kw.get("data_format"), True)
            loss = ops.sum(out * out)
        grads = tape.gradient(loss, [x, kernel, bias, scale, offset])
        results.append([ops.convert_to_numpy(v) for v in [out, mean, var] + list(grads)])
    return results


def _variables(x_shape, kernel_shape, dtype):
    filters = kernel_shape[-1]
    return [Variable(r(*shape).astype(dtype))
            for shape in (x_shape, kernel_shape, (filters,), (filters,), (filters,))]


numpy_only = pytest.mark.skipif("current().name != 'numpy'", reason="NumPy kernel")


@numpy_only
@pytest.mark.parametrize("channels,padding", [(1, "same"), (3, "same"), (16, "valid")])
def test_the_numpy_kernel_matches_the_two_nodes_in_float64(channels, padding, monkeypatch):
    calls = []
    kernel = current().kernels["conv_batch_norm_max_pool"]
    monkeypatch.setitem(current().kernels, "conv_batch_norm_max_pool",
                        lambda *a: calls.append(1) or kernel(*a))
    with float64():
        v = _variables((4, 10, 10, channels), (3, 3, channels, 5), np.float64)
        v[3].assign(np.array([1.0, -0.5, 2.0, -1.5, 0.3]))  # min pooling where negative
        got, want = _both_ways(*v, padding=padding)
    assert calls == [1]
    for name, a, b in zip(["out", "mean", "variance", "x", "kernel", "bias", "scale", "offset"],
                          got, want):
        # the bias gradient is zero up to rounding: the normalization removes the bias
        atol = 1e-9 if name == "bias" else 1e-11
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=atol, err_msg=name)


@numpy_only
def test_float32_through_the_numpy_kernel_matches_the_two_nodes():
    v = _variables((8, 16, 16, 8), (3, 3, 8, 16), np.float32)
    got, want = _both_ways(*v, padding="same")
    names = ["out", "mean", "variance", "x", "kernel", "bias", "scale", "offset"]
    for name, a, b in zip(names, got, want):
        assert a.dtype == np.float32, name
        if name == "bias":  # zero up to rounding in both: the normalization removes the bias
            offset_grad = np.abs(want[-1]).max()
            assert np.abs(a).max() < 1e-4 * offset_grad and np.abs(b).max() < 1e-4 * offset_grad
            continue
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max(), err_msg=name)


@numpy_only
@pytest.mark.parametrize("kw,kernel_calls", [
    ({"pool_size": 3}, [None]),  # 10x10 is not tiled by 3x3 windows: the kernel declines
    ({"groups": 2}, []),         # not even asked
], ids=["untiled", "grouped"])
def test_the_numpy_kernel_declines_and_the_two_nodes_run(kw, kernel_calls, monkeypatch):
    from kerasx.backends import numpy_conv_bn_pool

    results = []
    kernel = numpy_conv_bn_pool.conv_batch_norm_max_pool
    monkeypatch.setitem(current().kernels, "conv_batch_norm_max_pool",
                        lambda *a: results.append(kernel(*a)) or results[-1])
    with float64():
        cin = 4
        v = _variables((2, 10, 10, cin), (3, 3, cin // kw.get("groups", 1), 4), np.float64)
        got, want = _both_ways(*v, padding="same", **kw)
    assert results == kernel_calls
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)


def test_the_mean_reported_includes_the_bias():
    x, kernel, bias = r(3, 6, 6, 2), r(3, 3, 2, 4), r(4)
    with float64():
        _, mean, variance = conv_batch_norm_max_pool(
            current().asarray(x), current().asarray(kernel), current().asarray(bias), None,
            None, 1e-3, padding="same")
    y = conv_ref(x, kernel, (1, 1), "same", (1, 1), "channels_last") + bias
    np.testing.assert_allclose(ops.convert_to_numpy(mean), y.mean(axis=(0, 1, 2)), rtol=1e-10)
    np.testing.assert_allclose(ops.convert_to_numpy(variance), y.var(axis=(0, 1, 2)),
                               rtol=1e-10)
