"""Convolution and pooling primitives: every configuration class against naive float64
loop references, gradients by finite differences, the NumPy fast kernels against the
portable path, the CuPy kernel sources, and the bad-input errors."""

import ctypes
import shutil
import subprocess
import sys

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current
from kerasx.ops import pooling
from kerasx.testing import OpCase, float64
from tests.ops.conv_reference import (check_in_one_sample_chunks, conv_ref, conv_transpose_ref,
                                      depthwise_ref, pool_ref)
from tests.sampled_gradcheck import check_gradients, check_op_case

conv_module = sys.modules["kerasx.ops.conv"]  # `kerasx.ops.conv` the attribute is the function
rng = np.random.default_rng(11)


def r(*shape):
    return rng.standard_normal(shape)


def conv_case(name, x, w, b=None, strides=1, padding="valid", dilation=1,
              data_format="channels_last"):
    n = w.ndim - 2
    st = (strides,) * n if isinstance(strides, int) else strides
    dl = (dilation,) * n if isinstance(dilation, int) else dilation
    if b is None:
        return OpCase(name, lambda x, w: ops.conv(x, w, st, padding, data_format, dl),
                      lambda x, w: conv_ref(x, w, st, padding, dl, data_format), [x, w])
    return OpCase(name, lambda x, w, b: ops.conv(x, w, st, padding, data_format, dl, bias=b),
                  lambda x, w, b: conv_ref(x, w, st, padding, dl, data_format, b), [x, w, b])


def transpose_case(name, x, w, strides=1, padding="valid", output_padding=None, dilation=1,
                   data_format="channels_last", b=None):
    n = w.ndim - 2
    st = (strides,) * n if isinstance(strides, int) else strides
    dl = (dilation,) * n if isinstance(dilation, int) else dilation
    op = (output_padding,) * n if isinstance(output_padding, int) else output_padding
    inputs = [x, w] + ([] if b is None else [b])
    return OpCase(name,
                  lambda x, w, *b: ops.conv_transpose(x, w, st, padding, op, data_format, dl,
                                                      bias=b[0] if b else None),
                  lambda x, w, *b: conv_transpose_ref(x, w, st, padding, op, dl, data_format,
                                                      b[0] if b else None), inputs)


def pool_case(name, x, pool_size, strides=None, padding="valid", mode="max",
              data_format="channels_last"):
    fn = ops.max_pool if mode == "max" else ops.average_pool
    return OpCase(name, lambda x: fn(x, pool_size, strides, padding, data_format),
                  lambda x: pool_ref(x, pool_size, strides, padding, mode, data_format), [x])


CONV_CASES = [
    conv_case("conv1d_valid", r(2, 6, 3), r(3, 3, 4), r(4)),
    conv_case("conv1d_same_strides2", r(2, 7, 2), r(3, 2, 3), strides=2, padding="same"),
    conv_case("conv1d_causal_dilation2", r(2, 6, 2), r(2, 2, 3), r(3), padding="causal",
              dilation=2),
    conv_case("conv1d_groups2", r(2, 5, 4), r(2, 2, 4), r(4)),
    conv_case("conv1d_channels_first", r(2, 3, 6), r(3, 3, 2), data_format="channels_first"),
    conv_case("conv2d_valid", r(2, 5, 4, 3), r(3, 2, 3, 2), r(2)),
    conv_case("conv2d_same", r(1, 4, 5, 2), r(3, 3, 2, 3), r(3), padding="same"),
    conv_case("conv2d_strides2_same_odd", r(1, 5, 6, 2), r(3, 2, 2, 2), strides=(2, 3),
              padding="same"),
    conv_case("conv2d_strides2_valid", r(2, 5, 5, 2), r(2, 2, 2, 2), strides=2),
    conv_case("conv2d_dilation2", r(1, 6, 5, 2), r(2, 2, 2, 3), dilation=(2, 1)),
    conv_case("conv2d_dilation2_same", r(1, 5, 5, 2), r(3, 2, 2, 2), dilation=2, padding="same"),
    conv_case("conv2d_groups3", r(1, 4, 4, 6), r(2, 2, 2, 3), r(3)),
    conv_case("conv2d_channels_first_same", r(2, 3, 4, 5), r(3, 3, 3, 2), r(2), padding="same",
              data_format="channels_first"),
    conv_case("conv2d_channels_first_groups2_strides2", r(1, 4, 5, 5), r(2, 2, 2, 4),
              strides=2, data_format="channels_first"),
    conv_case("conv2d_1x1", r(2, 3, 3, 4), r(1, 1, 4, 3), r(3)),
    conv_case("conv3d_valid", r(1, 4, 3, 4, 2), r(2, 2, 2, 2, 2), r(2)),
    conv_case("conv3d_same_strides2", r(1, 4, 5, 3, 2), r(3, 2, 3, 2, 2), strides=2,
              padding="same"),
    conv_case("conv3d_dilation2_groups2", r(1, 5, 4, 4, 2), r(2, 2, 2, 1, 2), dilation=2),
    conv_case("conv3d_channels_first", r(1, 2, 3, 4, 3), r(2, 2, 2, 2, 3),
              data_format="channels_first"),
]

TRANSPOSE_CASES = [
    transpose_case("conv1d_transpose_strides2", r(2, 4, 3), r(3, 2, 3), strides=2,
                   b=r(2)),
    transpose_case("conv2d_transpose_valid", r(1, 3, 4, 2), r(3, 3, 2, 2), b=r(2)),
    transpose_case("conv2d_transpose_same", r(1, 3, 4, 2), r(3, 2, 3, 2), padding="same"),
    transpose_case("conv2d_transpose_strides2_same_k4", r(1, 3, 3, 2), r(4, 4, 2, 2),
                   strides=2, padding="same"),
    transpose_case("conv2d_transpose_strides3_same_k2", r(1, 3, 2, 2), r(2, 2, 2, 2),
                   strides=3, padding="same"),
    transpose_case("conv2d_transpose_output_padding", r(1, 3, 3, 2), r(3, 3, 2, 2),
                   strides=2, output_padding=1),
    transpose_case("conv2d_transpose_same_output_padding", r(1, 3, 3, 2), r(3, 3, 2, 2),
                   strides=(2, 3), padding="same", output_padding=(1, 2)),
    transpose_case("conv2d_transpose_dilation2", r(1, 3, 3, 2), r(2, 2, 2, 2), dilation=2,
                   padding="same"),
    transpose_case("conv2d_transpose_channels_first", r(1, 2, 3, 4), r(3, 3, 3, 2),
                   strides=2, data_format="channels_first"),
    transpose_case("conv3d_transpose_strides2", r(1, 2, 3, 2, 2), r(2, 2, 2, 2, 2), strides=2,
                   padding="same"),
]

DEPTHWISE_CASES = [
    OpCase("depthwise_conv2d", lambda x, w, b: ops.depthwise_conv(x, w, 1, "valid", bias=b),
           lambda x, w, b: depthwise_ref(x, w, bias=b), [r(2, 4, 4, 3), r(3, 3, 3, 1), r(3)]),
    OpCase("depthwise_conv2d_mult2_same_strides2",
           lambda x, w: ops.depthwise_conv(x, w, 2, "same"),
           lambda x, w: depthwise_ref(x, w, (2, 2), "same"), [r(1, 5, 4, 2), r(3, 2, 2, 2)]),
    OpCase("depthwise_conv1d_channels_first",
           lambda x, w: ops.depthwise_conv(x, w, 1, "valid", "channels_first"),
           lambda x, w: depthwise_ref(x, w, data_format="channels_first"),
           [r(2, 3, 5), r(2, 3, 2)]),
    OpCase("separable_conv2d",
           lambda x, d, p, b: ops.separable_conv(x, d, p, 1, "same", bias=b),
           lambda x, d, p, b: conv_ref(depthwise_ref(x, d, padding="same"), p, bias=b),
           [r(1, 4, 4, 2), r(3, 3, 2, 2), r(1, 1, 4, 3), r(3)]),
]

POOL_CASES = [
    pool_case("max_pool1d", r(2, 7, 3), (2,)),
    pool_case("max_pool1d_same_s2", r(2, 7, 2), (3,), (2,), "same"),
    pool_case("max_pool1d_overlap", r(2, 6, 2), (3,), (1,)),
    pool_case("max_pool2d", r(2, 4, 6, 2), (2, 2)),
    pool_case("max_pool2d_same_odd", r(1, 5, 7, 2), (2, 3), (2, 2), "same"),
    pool_case("max_pool2d_overlap_s1", r(1, 5, 4, 2), (3, 3), (1, 1)),
    pool_case("max_pool2d_channels_first", r(2, 2, 4, 5), (2, 2), None, "valid", "max",
              "channels_first"),
    pool_case("max_pool3d_same", r(1, 4, 3, 5, 2), (2, 2, 2), None, "same"),
    pool_case("avg_pool1d", r(2, 7, 3), (2,), mode="average"),
    pool_case("avg_pool1d_same_s2", r(2, 7, 2), (3,), (2,), "same", "average"),
    pool_case("avg_pool2d", r(2, 4, 6, 2), (2, 2), mode="average"),
    pool_case("avg_pool2d_same_overlap", r(1, 5, 4, 2), (3, 3), (1, 1), "same", "average"),
    pool_case("avg_pool2d_channels_first_same", r(1, 2, 5, 5), (2, 2), (2, 2), "same",
              "average", "channels_first"),
    pool_case("avg_pool3d_same", r(1, 3, 4, 5, 2), (2, 2, 2), None, "same", "average"),
]

CASES = CONV_CASES + TRANSPOSE_CASES + DEPTHWISE_CASES + POOL_CASES


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op(case):
    check_op_case(case)


@pytest.mark.parametrize("wrt", [[0], [1], [2]], ids=["input", "kernel", "bias"])
@pytest.mark.parametrize("case", [CONV_CASES[12], TRANSPOSE_CASES[0]], ids=lambda c: c.name)
def test_gradient_of_one_input_at_a_time(case, wrt):
    check_gradients(case.fn, case.inputs, wrt=wrt)


@pytest.mark.parametrize("case", CONV_CASES, ids=lambda c: c.name)
def test_conv_inference_in_batch_chunks_matches_the_reference(case, monkeypatch):
    """Without gradients the convolution runs in batch chunks (here one sample each),
    written into one output: the same values. (The NumPy backend's depthwise kernel,
    which makes no im2col matrix and takes the batch whole, is set aside here; its own
    tests are in `test_conv_depthwise.py`.)"""
    import importlib

    monkeypatch.delitem(current().kernels, "conv_depthwise_inference", raising=False)
    check_in_one_sample_chunks(case, importlib.import_module("kerasx.ops.conv"), monkeypatch)


def test_default_data_format_follows_config():
    from kerasx import config

    x, w = r(1, 2, 4, 4), r(3, 3, 2, 2)
    config.set_image_data_format("channels_first")
    try:
        with float64():
            got = ops.convert_to_numpy(ops.conv(current().asarray(x), current().asarray(w)))
    finally:
        config.set_image_data_format("channels_last")
    np.testing.assert_allclose(got, conv_ref(x, w, data_format="channels_first"), rtol=1e-10)


def test_groups_is_checked_against_the_kernel():
    x, w = r(1, 4, 4, 4), r(2, 2, 2, 4)
    with float64():
        y = ops.conv(current().asarray(x), current().asarray(w), groups=2)
        np.testing.assert_allclose(ops.convert_to_numpy(y), conv_ref(x, w), rtol=1e-10)
        with pytest.raises(ValueError, match=r"groups=4 does not match.*groups=2"):
            ops.conv(current().asarray(x), current().asarray(w), groups=4)


def test_max_pool_sends_the_gradient_of_a_tied_window_to_its_first_maximum():
    x = np.zeros((1, 2, 4, 1))
    x[0, 1, 3, 0] = -1.0
    with float64():
        g = check_grad_values(lambda v: ops.max_pool(v, 2), x)
    expected = np.zeros((1, 2, 4, 1))
    expected[0, 0, 0, 0] = expected[0, 0, 2, 0] = 1.0
    np.testing.assert_array_equal(g, expected)


def check_grad_values(fn, x):
    from kerasx.autodiff import GradientTape, Variable

    v = Variable(current().asarray(x))
    with GradientTape() as tape:
        loss = ops.sum(fn(v))
    return current().to_numpy(tape.gradient(loss, v))


def test_average_pool_same_divides_by_the_real_elements_only():
    x = np.ones((1, 3, 3, 1))
    with float64():
        y = ops.average_pool(current().asarray(x), 2, padding="same")
    np.testing.assert_array_equal(ops.convert_to_numpy(y), np.ones((1, 2, 2, 1)))


def test_strides_and_dilation_together():
    x, w = r(1, 9, 2), r(2, 2, 3)
    check_op_case(OpCase("conv1d_strides2_dilation2",
                         lambda x, w: ops.conv(x, w, 2, "valid", None, 2),
                         lambda x, w: conv_ref(x, w, (2,), "valid", (2,)), [x, w]))


# -- the NumPy fast path against the portable one -----------------------------------------
numpy_only = pytest.mark.skipif("current().name != 'numpy'",
                                reason="the NumPy fast kernels run on the numpy backend")


def _needs_gemm():
    from kerasx.backends import numpy_blas

    if numpy_blas.level3() is None:
        pytest.skip("this NumPy bundles no OpenBLAS (or KERASX_BLAS_GEMM=0)")


@numpy_only
@pytest.mark.parametrize("channels", [1, 3, 7, 16])
@pytest.mark.parametrize("window,strides,dilation", [
    ((3, 2), (1, 1), (1, 1)), ((3, 2), (2, 1), (1, 1)), ((3, 2), (1, 1), (2, 2)),
    ((4,), (3,), (1,)), ((2, 3, 2), (1, 2, 1), (2, 1, 1))])
def test_numpy_im2col_matches_portable(channels, window, strides, dilation):
    from kerasx.backends.numpy_conv import KERNELS

    x = r(2, *(9, 8, 7)[:len(window)], channels).astype(np.float32)
    eff = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
    out = conv_module.output_sizes(x.shape[1:-1], eff, strides, [(0, 0)] * len(window))
    got = KERNELS["conv_im2col"](x, window, strides, dilation, out)
    np.testing.assert_array_equal(got, conv_module.im2col(x, window, strides, dilation, out))
    if 1 < channels < 8:  # stored transposed, so that the (rows, window * channels) reshape
        rows = got.reshape(-1, got.shape[-1])  # of conv_forward is a view, not a copy
        assert rows.T.flags.c_contiguous and np.shares_memory(rows, got)


@numpy_only
def test_numpy_conv_with_few_channels_matches_portable_in_float32():
    """Three input channels and 8,192 output rows: the transposed im2col, the kernel
    gradient that must decline it, and a grouped convolution, against the portable path."""
    backend = current()
    x = Variable(r(2, 66, 66, 6).astype(np.float32))
    w = Variable(r(3, 3, 3, 8).astype(np.float32))
    wg = Variable(r(3, 3, 3, 4).astype(np.float32))
    results = []
    for kernels in (backend.kernels, {}):
        saved, backend.kernels = backend.kernels, kernels
        try:
            with GradientTape() as tape:
                y = ops.conv(x[..., :3], w, 1, "valid")
                yg = ops.conv(x, wg, 2, "same", groups=2)
                loss = ops.sum(y * y) + ops.sum(yg * yg)
            results.append([y, yg] + tape.gradient(loss, [x, w, wg]))
        finally:
            backend.kernels = saved
    for got, want in zip(*results):
        got, want = np.asarray(got), np.asarray(want)
        np.testing.assert_allclose(got, want, rtol=2e-4, atol=2e-3 * np.abs(want).max())


@numpy_only
@pytest.mark.parametrize("groups", [1, 2])
@pytest.mark.parametrize("strides,dilation", [((1, 1, 1), (1, 1, 1)), ((2, 1, 2), (1, 1, 1)),
                                              ((1, 1, 1), (1, 2, 2))])
def test_numpy_input_grad_matches_portable(groups, strides, dilation):
    from kerasx.backends.numpy_conv import KERNELS

    kernel = r(2, 3, 2, 2, 4)
    x_shape = (2, 6, 7, 5, 2 * groups)
    eff = [(k - 1) * d + 1 for k, d in zip(kernel.shape[:3], dilation)]
    out = conv_module.output_sizes(x_shape[1:-1], eff, strides, [(0, 0)] * 3)
    dy = r(2, *out, 4)
    np.testing.assert_allclose(
        KERNELS["conv_input_grad"](dy, kernel, x_shape, strides, dilation, groups),
        conv_module.conv_input_grad(dy, kernel, x_shape, strides, dilation, groups),
        rtol=1e-12, atol=1e-12)


@numpy_only
@pytest.mark.parametrize("x_shape,strides", [((2, 5, 6, 3), (1, 1)), ((3, 7, 4), (1,)),
                                             ((2, 6, 6, 3), (2, 2)), ((2, 5, 6, 3), None)],
                         ids=["2d", "1d", "strided", "cropped"])
def test_numpy_input_grad_of_a_1x1_convolution_is_the_portable_sum(x_shape, strides):
    """A 1x1 convolution that read its whole input takes `dy @ W.T` (one product, no
    zeroed array); strided ones, and those whose input extends past what they read
    (`strides` None: a cropped input), keep the other paths. The sums are the same."""
    from kerasx.backends import numpy_conv

    n = len(x_shape) - 2
    kernel = r(*(1,) * n, x_shape[-1], 4)
    read = x_shape if strides is not None else (x_shape[0], x_shape[1] - 1) + x_shape[2:]
    strides = strides or (1,) * n
    out = conv_module.output_sizes(read[1:-1], (1,) * n, strides, [(0, 0)] * n)
    dy = r(x_shape[0], *out, 4)
    fast = numpy_conv.conv_input_grad(dy, kernel, x_shape, strides, (1,) * n, 1)
    portable = conv_module.conv_input_grad(dy, kernel, x_shape, strides, (1,) * n, 1)
    assert fast.shape == x_shape and fast.flags.c_contiguous
    np.testing.assert_allclose(fast, portable, rtol=1e-12, atol=1e-12)


@numpy_only
@pytest.mark.parametrize("x_shape,window,strides,dilation,on_grid", [
    ((2, 9, 9, 3), (3, 3), (2, 2), (1, 1), False),   # sizes not a multiple of the stride
    ((2, 10, 8, 8), (4, 4), (2, 2), (1, 1), False),
    ((2, 11, 9, 2), (3, 2), (3, 2), (2, 1), False),  # dilated taps landing on other phases
    ((3, 17, 5), (3,), (2,), (1,), True),
    ((2, 6, 6, 6, 2), (2, 2, 2), (2, 1, 2), (1, 1, 1), True),
    ((2, 9, 9, 1), (3, 3), (2, 2), (1, 1), False),   # one channel: the per-offset adds
    # grids with few extra rows: products on each phase's flat grid
    ((2, 33, 33, 3), (3, 3), (2, 2), (1, 1), True),
    ((2, 34, 30, 4), (3, 3), (2, 2), (1, 1), True),
    ((2, 25, 22, 2), (3, 2), (3, 2), (2, 1), True)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_strided_input_grad_by_phase_is_the_portable_sum(x_shape, window, strides,
                                                                dilation, on_grid, dtype,
                                                                monkeypatch):
    """The strided input gradient, accumulated per stride phase (by products added on
    each phase's flat grid where it is large enough), adds the same products in the
    same order as the portable per-offset loop: equal bit for bit."""
    from kerasx.backends import numpy_conv, numpy_conv_grid
    from kerasx.backends.numpy_conv import KERNELS

    if on_grid:
        _needs_gemm()
    ran = []
    add = numpy_conv_grid.add_tap_products
    monkeypatch.setattr(numpy_conv, "add_tap_products", lambda *a: ran.append(add(*a)) or ran[-1])
    kernel = r(*window, x_shape[-1], 5).astype(dtype)
    eff = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
    out = conv_module.output_sizes(x_shape[1:-1], eff, strides, [(0, 0)] * len(window))
    dy = r(x_shape[0], *out, 5).astype(dtype)
    got = KERNELS["conv_input_grad"](dy, kernel, x_shape, strides, dilation, 1)
    assert got.shape == x_shape and got.dtype == dtype
    assert any(ran) == on_grid
    np.testing.assert_array_equal(
        got, conv_module.conv_input_grad(dy, kernel, x_shape, strides, dilation, 1))


@numpy_only
@pytest.mark.parametrize("x_shape,window,dilation,out_less", [
    ((2, 20, 18, 3), (3, 3), (1, 1), (0, 0)),
    ((2, 24, 20, 2), (3, 2), (2, 1), (0, 0)),
    ((2, 21, 19, 3), (3, 3), (1, 1), (1, 1)),    # `dy` covers less than `x` allows
    ((3, 30, 4), (5,), (1,), (0,)),
    ((2, 12, 12, 12, 2), (2, 2, 2), (1, 1, 1), (0, 0, 0))])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_input_grad_on_the_flat_grid_is_the_portable_sum(x_shape, window, dilation,
                                                                out_less, dtype):
    """The unit-stride input gradient as accumulating products on the flat input grid
    adds each tap's product in the portable loop's order."""
    from kerasx.backends import numpy_conv_grid

    _needs_gemm()
    kernel = r(*window, x_shape[-1], 5).astype(dtype)
    out = [size - (k - 1) * d - less
           for size, k, d, less in zip(x_shape[1:-1], window, dilation, out_less)]
    dy = r(x_shape[0], *out, 5).astype(dtype)
    strides = (1,) * len(window)
    got = numpy_conv_grid.input_grad_on_grid(dy, kernel, x_shape, dilation)
    assert got is not None and got.shape == x_shape and got.dtype == dtype
    want = conv_module.conv_input_grad(dy, kernel, x_shape, strides, dilation, 1)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())
    if any(out_less):  # what no window read takes no gradient
        assert not got[:, -1].any() and not got[:, :, -1].any()


@numpy_only
def test_numpy_input_grad_declines_the_flat_grid_where_it_wastes_rows(monkeypatch):
    from kerasx.backends import numpy_conv, numpy_conv_grid

    kernel = r(3, 3, 2, 4)
    dy = r(2, 4, 4, 4)  # 6x6 inputs: the grid has 2.25 times the output's rows
    assert numpy_conv_grid.input_grad_on_grid(dy, kernel, (2, 6, 6, 2), (1, 1)) is None
    want = conv_module.conv_input_grad(dy, kernel, (2, 6, 6, 2), (1, 1), (1, 1), 1)
    got = numpy_conv.conv_input_grad(dy, kernel, (2, 6, 6, 2), (1, 1), (1, 1), 1)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    monkeypatch.setattr(numpy_conv_grid, "level3", lambda: None)  # no BLAS bound
    dy = r(2, 18, 18, 4)
    assert numpy_conv_grid.input_grad_on_grid(dy, kernel, (2, 20, 20, 2), (1, 1)) is None
    np.testing.assert_allclose(
        numpy_conv.conv_input_grad(dy, kernel, (2, 20, 20, 2), (1, 1), (1, 1), 1),
        conv_module.conv_input_grad(dy, kernel, (2, 20, 20, 2), (1, 1), (1, 1), 1),
        rtol=1e-12, atol=1e-12)


@numpy_only
@pytest.mark.parametrize("x_shape,window,dilation,pads", [
    ((5, 16, 15, 8), (3, 3), (1, 1), ((1, 1), (1, 1))),          # "same"
    ((5, 30, 12, 9), (3, 2), (2, 1), ((0, 0), (0, 0))),          # "valid", dilated
    ((4, 30, 8), (5,), (1,), ((4, 0),)),                         # causal
    ((3, 12, 12, 12, 8), (2, 2, 2), (1, 1, 1), ((0, 1), (0, 1), (0, 1)))])
@pytest.mark.parametrize("bias,relu", [(False, False), (True, True), (True, False)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_numpy_inference_conv_on_the_flat_grid_matches_portable(x_shape, window, dilation,
                                                                pads, bias, relu, dtype,
                                                                monkeypatch):
    from kerasx.backends import numpy_conv_grid

    _needs_gemm()
    monkeypatch.setattr(numpy_conv_grid, "_FORWARD_CHUNK_BYTES", 1)  # one sample a chunk
    x = r(*x_shape).astype(dtype)
    kernel = r(*window, x_shape[-1], 6).astype(dtype)
    b = r(6).astype(dtype) if bias else None
    n = len(window)
    got = numpy_conv_grid.conv_inference_on_grid(x, pads, kernel, b, relu, (1,) * n,
                                                 dilation, 1)
    assert got is not None and got.dtype == dtype
    xpad = np.pad(x, ((0, 0),) + tuple(pads) + ((0, 0),))
    want, _ = conv_module.conv_forward(xpad, kernel, (1,) * n, dilation, 1)
    if bias:
        want = want + b
    if relu:
        want = np.maximum(want, 0)
    assert got.shape == want.shape
    tol = 1e-12 if dtype == np.float64 else 2e-5
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol * np.abs(want).max())


@numpy_only
def test_numpy_inference_conv_on_the_grid_declines_what_it_does_not_take():
    from kerasx.backends import numpy_conv_grid

    x = r(2, 9, 9, 8).astype(np.float32)
    kernel = r(3, 3, 8, 4).astype(np.float32)
    same = ((1, 1), (1, 1))
    run = numpy_conv_grid.conv_inference_on_grid
    assert run(x, same, kernel, None, False, (2, 2), (1, 1), 1) is None    # strided
    assert run(x, same, r(3, 3, 4, 4).astype(np.float32), None, False, (1, 1), (1, 1),
               2) is None                                                  # groups
    assert run(x[..., :4], same, kernel[:, :, :4], None, False, (1, 1), (1, 1),
               1) is None                                                  # few channels
    assert run(x[:, :4, :4], ((0, 0), (0, 0)), kernel, None, False, (1, 1), (1, 1),
               1) is None                                                  # 16 rows for 4
    assert run(x, same, kernel, None, False, (1, 1), (1, 1), 1) is None   # 121 for 81
    assert run(x, same, kernel.astype(np.float64), None, False, (1, 1), (1, 1), 1) is None
    assert run(x.astype(np.int32), same, kernel.astype(np.int32), None, False, (1, 1),
               (1, 1), 1) is None


@numpy_only
def test_inference_conv_through_the_op_matches_the_recorded_forward(monkeypatch):
    """`ops.conv` without a tape (the grid on NumPy) gives the forward a tape records."""
    from kerasx.backends import numpy_conv_grid

    _needs_gemm()
    ran = []
    forward = numpy_conv_grid.conv_inference_on_grid
    monkeypatch.setitem(current().kernels, "conv_inference_on_grid",
                        lambda *a: ran.append(forward(*a)) or ran[-1])
    x = r(4, 16, 16, 16).astype(np.float32)
    kernel = Variable(r(3, 3, 16, 8).astype(np.float32))
    bias = Variable(r(8).astype(np.float32))
    plain = ops.conv(x, kernel, padding="same", bias=bias, relu=True)
    assert len(ran) == 1 and ran[0] is not None
    with GradientTape():
        recorded = ops.conv(x, kernel, padding="same", bias=bias, relu=True)
    np.testing.assert_allclose(np.asarray(plain), np.asarray(recorded), rtol=2e-5, atol=2e-5)


@numpy_only
@pytest.mark.parametrize("x_shape,strides", [((1, 16, 16, 8), 1), ((1, 13, 13, 8), 2)])
def test_grid_paths_pass_the_finite_difference_check(x_shape, strides, monkeypatch):
    """Inputs large enough for the flat-grid kernels: the tape's input gradient on the
    grid against finite differences of the inference forward on the grid (unit
    strides) or of the im2col chunks (strided)."""
    from kerasx.backends import numpy_conv, numpy_conv_grid

    _needs_gemm()
    ran = []

    def spy(name, function):
        def call(*args):
            out = function(*args)
            ran.append((name, out is not None and out is not False))
            return out
        return call

    for name in ("input_grad_on_grid", "add_tap_products"):
        monkeypatch.setattr(numpy_conv, name, spy(name, getattr(numpy_conv, name)))
    monkeypatch.setitem(current().kernels, "conv_inference_on_grid",
                        spy("forward", numpy_conv_grid.conv_inference_on_grid))
    check_gradients(lambda x, w: ops.conv(x, w, strides=strides, padding="same"),
                    [r(*x_shape), r(3, 3, 8, 4)], wrt=[0, 1])
    assert ("input_grad_on_grid" if strides == 1 else "add_tap_products", True) in ran
    assert ("forward", True) in ran if strides == 1 else ("forward", False) in ran


@numpy_only
@pytest.mark.parametrize("mode,with_counts", [("max", False), ("average", False),
                                              ("average", True)])
@pytest.mark.parametrize("pool_size,strides,size", [((2, 2), (2, 2), (6, 4)),
                                                    ((2, 2), (2, 2), (5, 7)),
                                                    ((3, 2), (1, 2), (6, 5)),
                                                    ((2,), (3,), (8,)),
                                                    ((3,), (3,), (9,)),
                                                    ((2, 2, 2), (2, 2, 2), (4, 5, 4)),
                                                    ((2, 1), (3, 1), (7, 3))])
def test_numpy_pool_backward_matches_portable(mode, pool_size, strides, size, with_counts):
    """Tiled, cut-off and gapped (strides above the pool size) windows in one to three
    dimensions, and the per-window counts of "same" average pooling."""
    from kerasx.backends.numpy_conv import KERNELS

    x = np.round(r(2, *size, 3), 1)  # rounding makes ties for the first-maximum rule
    out = conv_module.output_sizes(size, pool_size, strides, [(0, 0)] * len(size))
    counts = (np.random.default_rng(8).integers(1, 5, (1, *out, 1)).astype(float)
              if with_counts else None)
    y = pooling.pool_forward(x, pool_size, strides, mode, counts)
    dy = r(*y.shape)
    got = KERNELS["pool_backward"](x, y, dy, pool_size, strides, mode, counts)
    np.testing.assert_array_equal(
        got, pooling.pool_backward(x, y, dy, pool_size, strides, mode, counts))
    assert got.shape == x.shape


@numpy_only
@pytest.mark.parametrize("channels,rows", [(1, 9000), (3, 20000), (40, 9000), (2, 100),
                                           (40, 100)])
def test_numpy_kernel_grad_matches_portable(channels, rows, monkeypatch):
    from kerasx.backends.numpy_conv import KERNELS

    cols = r(rows, 9 * channels).astype(np.float32)
    dy = r(rows, 5).astype(np.float32)
    shape = (3, 3, channels, 5)
    fast = KERNELS["conv_kernel_grad"](cols, dy, shape, 1)
    monkeypatch.setattr(current(), "kernels", {})
    portable = conv_module.conv_kernel_grad(cols, dy, shape, 1)
    if fast is None:  # short skinny columns keep the single product
        assert 9 * channels < 32 and rows < 8192
        return
    assert fast.shape == shape and fast.flags.c_contiguous
    np.testing.assert_allclose(fast, portable, rtol=1e-4, atol=1e-3)


def _fast_vs_portable(case, monkeypatch, tol):
    from kerasx.autodiff import GradientTape, Variable

    def run():
        with float64():
            variables = [Variable(current().asarray(a)) for a in case.inputs]
            with GradientTape() as tape:
                out = case.fn(*variables)
                loss = ops.sum(out * out)
            grads = tape.gradient(loss, variables)
        return [ops.convert_to_numpy(out)] + [current().to_numpy(g) for g in grads]

    fast = run()
    monkeypatch.setattr(current(), "kernels", {})
    portable = run()
    for a, b in zip(fast, portable):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


@numpy_only
@pytest.mark.parametrize("case", [CONV_CASES[6], CONV_CASES[11], TRANSPOSE_CASES[3],
                                  POOL_CASES[5], POOL_CASES[11]], ids=lambda c: c.name)
def test_whole_op_with_and_without_fast_kernels(case, monkeypatch):
    _fast_vs_portable(case, monkeypatch, 1e-12)


# -- the CuPy kernels ---------------------------------------------------------------------
@pytest.mark.skipif("current().name != 'cupy'", reason="needs the cupy backend and a GPU")
@pytest.mark.parametrize("case", [CONV_CASES[7], CONV_CASES[16], TRANSPOSE_CASES[6],
                                  POOL_CASES[4], POOL_CASES[12]], ids=lambda c: c.name)
def test_cupy_kernels_match_portable(case, monkeypatch):
    _fast_vs_portable(case, monkeypatch, 1e-10)


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_cupy_kernel_sources_compiled_as_c_match_portable(tmp_path):
    """The CUDA bodies of `cupy_conv` are plain C: compiled for the CPU (atomicAdd as +=)
    they must reproduce the portable im2col, col2im, pooling forward and backward."""
    from kerasx.backends import use_backend

    with use_backend("numpy"):
        _check_cupy_sources_as_c(tmp_path)


def _check_cupy_sources_as_c(tmp_path):
    from kerasx.backends import cupy_conv as cc

    dims = ", ".join(f"int {n}" for n in ("D", "H", "W", "C", "OD", "OH", "OW", "KD", "KH",
                                          "KW", "SD", "SH", "SW", "DD", "DH", "DW"))
    source = f"""
    #include <stdbool.h>
    typedef double T;
    #define atomicAdd(p, v) (*(p) += (v))
    void im2col(const T* x, T* out, long long size, {dims}) {{
        for (long long i = 0; i < size; ++i) {{ T col; {cc._IM2COL} out[i] = col; }} }}
    void col2im(const T* cols, T* out, long long size, {dims}) {{
        for (long long i = 0; i < size; ++i) {{ T dx; {cc._COL2IM} out[i] = dx; }} }}
    void poolf(const T* x, const T* counts, bool is_max, bool has_counts, T* out,
               long long size, {dims}) {{
        for (long long i = 0; i < size; ++i) {{ T y; {cc._POOL_FORWARD} out[i] = y; }} }}
    void poolb(const T* dys, const T* outs, const T* x, const T* counts, bool is_max,
               bool has_counts, T* dx, long long size, {dims}) {{
        for (long long i = 0; i < size; ++i) {{
            T dy = dys[i]; T out = outs[i]; {cc._POOL_BACKWARD} }} }}
    """
    (tmp_path / "k.c").write_text(source)
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", str(tmp_path / "k.so"),
                    str(tmp_path / "k.c")], check=True)
    lib = ctypes.CDLL(str(tmp_path / "k.so"))

    def ptr(a):
        return a.ctypes.data_as(ctypes.c_void_p)

    def dims_args(shape, window, strides, dilation, out):
        sp, w, s, d, o = cc._as_3d(shape, window, strides, dilation, out)
        return [ctypes.c_int(int(v)) for v in (*sp, shape[-1], *o, *w, *s, *d)]

    for shape, window, strides, dilation in [((2, 7, 3), (3,), (2,), (1,)),
                                             ((2, 7, 6, 3), (2, 3), (1, 1), (2, 1)),
                                             ((1, 5, 6, 4, 2), (2, 3, 2), (2, 1, 2), (1, 1, 1))]:
        x = r(*shape)
        eff = [(k - 1) * d + 1 for k, d in zip(window, dilation)]
        out = conv_module.output_sizes(shape[1:-1], eff, strides, [(0, 0)] * len(window))
        args = dims_args(shape, window, strides, dilation, out)
        expected = conv_module.im2col(x, window, strides, dilation, out)
        got = np.empty(expected.shape)
        lib.im2col(ptr(x), ptr(got), ctypes.c_longlong(got.size), *args)
        np.testing.assert_array_equal(got, expected)
        w = r(*window, shape[-1], 4)
        dy = r(shape[0], *out, 4)
        dcols = np.ascontiguousarray(dy.reshape(-1, 4) @ w.reshape(-1, 4).T)
        got = np.empty(shape)
        lib.col2im(ptr(dcols), ptr(got), ctypes.c_longlong(got.size), *args)
        np.testing.assert_allclose(
            got, conv_module.conv_input_grad(dy, w, shape, strides, dilation, 1), atol=1e-12)

    for shape, pool, strides, mode, with_counts in [((2, 7, 3), (3,), (2,), "max", False),
                                                    ((2, 6, 5, 3), (2, 3), (1, 1), "max", False),
                                                    ((2, 5, 7, 3), (3, 3), (1, 2), "average", True),
                                                    ((2, 4, 4, 4, 2), (2, 2, 2), (2, 2, 2),
                                                     "average", False)]:
        x = np.round(r(*shape), 1)
        out = conv_module.output_sizes(shape[1:-1], pool, strides, [(0, 0)] * len(pool))
        counts = rng.integers(1, 9, size=(1, *out, 1)).astype(float) if with_counts else None
        count_arg = counts.reshape(-1).copy() if with_counts else np.array([float(np.prod(pool))])
        args = dims_args(shape, pool, strides, (1,) * len(pool), out)
        expected = pooling.pool_forward(x, pool, strides, mode, counts)
        got = np.empty(expected.shape)
        lib.poolf(ptr(x), ptr(count_arg), ctypes.c_bool(mode == "max"),
                  ctypes.c_bool(with_counts), ptr(got), ctypes.c_longlong(got.size), *args)
        np.testing.assert_array_equal(got, expected)
        dy = r(*expected.shape)
        got = np.zeros(shape)
        lib.poolb(ptr(dy), ptr(expected), ptr(x), ptr(count_arg), ctypes.c_bool(mode == "max"),
                  ctypes.c_bool(with_counts), ptr(got), ctypes.c_longlong(dy.size), *args)
        np.testing.assert_allclose(
            got, pooling.pool_backward(x, expected, dy, pool, strides, mode, counts), atol=1e-12)


# -- bad input ----------------------------------------------------------------------------
def _arrays(*arrays):
    return [current().asarray(a.astype(np.float32)) for a in arrays]


def test_kernel_larger_than_padded_input():
    x, w = _arrays(r(1, 3, 3, 2), r(4, 4, 2, 1))
    with pytest.raises(ValueError, match=r"larger than the padded input.*size 3.*padding='same'"):
        ops.conv(x, w)
    x, w = _arrays(r(1, 4, 2), r(3, 2, 1))
    with pytest.raises(ValueError, match=r"effective size 5, dilation included"):
        ops.conv(x, w, dilation_rate=2)


def test_input_of_wrong_rank():
    x, w = _arrays(r(5, 5, 2), r(3, 3, 2, 1))
    with pytest.raises(ValueError,
                       match=r"must have rank 4 .*received an input of shape \(5, 5, 2\)"):
        ops.conv(x, w)
    with pytest.raises(ValueError, match=r"rank >= 3.*received shape \(4, 3\)"):
        ops.max_pool(_arrays(r(4, 3))[0], 2)


def test_channels_first_data_with_channels_last_kernel_names_the_fix():
    x, w = _arrays(r(2, 3, 8, 8), r(3, 3, 3, 4))
    with pytest.raises(ValueError, match=r"8 channels.*expects a multiple of 3.*looks like "
                                         r"channels_first.*data_format='channels_first'"):
        ops.conv(x, w)


def test_conv_transpose_channel_mismatch():
    x, w = _arrays(r(1, 4, 4, 3), r(3, 3, 2, 5))
    with pytest.raises(ValueError, match=r"3 channels.*expects 5.*\(\*kernel_size, filters, "
                                         r"in_channels\)"):
        ops.conv_transpose(x, w)


def test_bad_arguments():
    x, w = _arrays(r(1, 4, 4, 2), r(2, 2, 2, 2))
    with pytest.raises(ValueError, match=r"padding.*\['valid', 'same', 'causal'\].*'full'"):
        ops.conv(x, w, padding="full")
    with pytest.raises(ValueError, match=r"`strides` must have 2 entries.*\(1, 2, 3\)"):
        ops.conv(x, w, strides=(1, 2, 3))
    with pytest.raises(ValueError, match=r"`strides` entries must be positive.*0"):
        ops.conv(x, w, strides=0)
    with pytest.raises(ValueError, match=r"data_format.*'NHWC'"):
        ops.conv(x, w, data_format="NHWC")
    with pytest.raises(ValueError, match=r"padding.*\['valid', 'same'\].*'causal'"):
        ops.max_pool(x, 2, padding="causal")
    with pytest.raises(ValueError, match=r"window \(effective size 5.*larger than the padded"):
        ops.average_pool(x, 5)


@numpy_only
@pytest.mark.parametrize("pool_size,strides,size", [((2, 2), (2, 2), (6, 4)),
                                                    ((2, 2), (2, 2), (5, 7)),
                                                    ((3, 2), (1, 2), (6, 5)),
                                                    ((2, 2, 2), (2, 1, 2), (4, 3, 5))])
def test_numpy_argmax_max_pool_matches_portable(pool_size, strides, size, monkeypatch):
    from kerasx.backends import numpy_conv

    # every size takes the kernel, and several batch blocks are used
    monkeypatch.setattr(numpy_conv, "_ARGMAX_POOL_MIN_BYTES", 0)
    monkeypatch.setattr(numpy_conv, "_BLOCK_BYTES", 1)
    x = np.round(r(3, *size, 3), 1).astype(np.float32)
    x[0, ...] = np.maximum(x[0, ...], 0.0)  # whole windows of tied zeros, as after a ReLU
    x[1, 0, 0, ...] = np.nan
    y = pooling.pool_forward(x, pool_size, strides, "max")
    dy = r(*y.shape).astype(np.float32)
    got, offsets = numpy_conv.max_pool_forward(x, pool_size, strides)
    np.testing.assert_array_equal(got, y)
    np.testing.assert_array_equal(
        numpy_conv.max_pool_backward(offsets, dy, x.shape, pool_size, strides),
        pooling.pool_backward(x, y, dy, pool_size, strides, "max"))


@numpy_only
def test_winning_offsets_are_kept_only_when_a_gradient_will_read_them(monkeypatch):
    from kerasx.backends import current, numpy_conv

    monkeypatch.setattr(numpy_conv, "_ARGMAX_POOL_MIN_BYTES", 0)
    backend = current()
    calls = []

    def spy(*args):
        calls.append(True)
        return numpy_conv.max_pool_forward(*args)

    monkeypatch.setattr(backend, "kernels", {**backend.kernels, "max_pool_forward": spy})
    x = r(2, 6, 4, 3).astype(np.float32)
    want = pooling.pool_forward(x, (2, 2), (2, 2), "max")
    np.testing.assert_array_equal(ops.convert_to_numpy(pooling.max_pool(x, 2)), want)
    assert calls == []
    v = Variable(x)
    with GradientTape() as tape:
        y = pooling.max_pool(v, 2)
        total = ops.sum(y)
    np.testing.assert_array_equal(ops.convert_to_numpy(y), want)
    assert calls == [True]
    np.testing.assert_array_equal(
        ops.convert_to_numpy(tape.gradient(total, v)),
        pooling.pool_backward(x, want, np.ones_like(want), (2, 2), (2, 2), "max"))


@numpy_only
def test_numpy_argmax_max_pool_declines_small_inputs():
    from kerasx.backends import numpy_conv

    assert numpy_conv.max_pool_forward(np.zeros((2, 4, 4, 3), np.float32), (2, 2),
                                       (2, 2)) is None


@numpy_only
@pytest.mark.parametrize("relu,want_bias", [(True, True), (True, False), (False, True)])
@pytest.mark.parametrize("layout", ["contiguous", "broadcast", "transposed"])
@pytest.mark.parametrize("block", [64, 1 << 20])  # several row or sample blocks, or one
def test_numpy_relu_bias_grad_matches_portable(relu, want_bias, layout, block, monkeypatch):
    """Any gradient layout, a global average pooling's broadcast one included (read
    through its strides, never copied whole)."""
    from kerasx.backends import numpy_conv

    monkeypatch.setattr(numpy_conv, "_BLOCK_BYTES", block)
    y = np.maximum(np.round(r(3, 5, 6, 4), 1), 0.0).astype(np.float32)
    g = r(3, 5, 6, 4).astype(np.float32)
    if layout == "broadcast":
        g = np.broadcast_to(r(3, 1, 1, 4).astype(np.float32), y.shape)
    elif layout == "transposed":
        g = np.moveaxis(r(3, 4, 5, 6).astype(np.float32), 1, -1)
    fast = numpy_conv.conv_relu_bias_grad(g, y if relu else None, want_bias)
    portable = conv_module.conv_relu_bias_grad(g, y if relu else None, want_bias)
    np.testing.assert_array_equal(fast[0], portable[0])
    if want_bias:
        np.testing.assert_allclose(fast[1], portable[1], rtol=1e-5, atol=1e-5)
    else:
        assert fast[1] is None and portable[1] is None


RELU_CASES = [
    OpCase("conv2d_relu_bias", lambda x, w, b: ops.conv(x, w, 1, "same", None, 1, bias=b,
                                                         relu=True),
           lambda x, w, b: np.maximum(conv_ref(x, w, (1, 1), "same", (1, 1),
                                               "channels_last", b), 0.0),
           [r(2, 5, 4, 2), r(3, 3, 2, 3), r(3)]),
    OpCase("conv1d_relu_channels_first",
           lambda x, w: ops.conv(x, w, 2, "valid", "channels_first", 1, relu=True),
           lambda x, w: np.maximum(conv_ref(x, w, (2,), "valid", (1,), "channels_first"), 0.0),
           [r(2, 3, 7), r(2, 3, 2)]),
]


@pytest.mark.parametrize("case", RELU_CASES, ids=lambda c: c.name)
def test_conv_with_fused_relu(case):
    check_op_case(case)


@numpy_only
@pytest.mark.parametrize("case", RELU_CASES + [POOL_CASES[0]], ids=lambda c: c.name)
def test_fused_relu_and_pool_with_and_without_fast_kernels(case, monkeypatch):
    from kerasx.backends import numpy_conv

    monkeypatch.setattr(numpy_conv, "_ARGMAX_POOL_MIN_BYTES", 0)
    _fast_vs_portable(case, monkeypatch, 1e-12)
