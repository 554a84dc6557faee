"""The NumPy backend's grouped convolution kernels (one ungrouped convolution per
group): the kernels against the portable grouped convolution in float64 (1-D to 3-D,
strides, dilation, few and many channels per group, a cropped input), what they
decline, and `ops.conv`, `Conv2D` and the fused convolution + pooling through them
against the references, by finite differences and with the kernels removed."""

import numpy as np
import pytest

from kerasx import ops
from kerasx.backends import current
from kerasx.ops.conv_pool import conv_max_pool
from kerasx.testing import OpCase
from tests.ops.conv_reference import (check_model_trains_alike,
                                      check_op_with_and_without_kernels, conv_ref,
                                      count_kernel_calls, pool_ref, portable_conv_and_grads)
from tests.sampled_gradcheck import check_op_case

pytestmark = pytest.mark.skipif("current().name != 'numpy'", reason="NumPy kernel")
rng = np.random.default_rng(23)


def r(*shape):
    return rng.standard_normal(shape)


def _kernels():
    from kerasx.backends import numpy_grouped

    return numpy_grouped


@pytest.mark.parametrize("x_shape,window,strides,dilation,groups,filters", [
    ((2, 7, 6, 4), (3, 3), (1, 1), (1, 1), 2, 6),
    ((2, 9, 8, 6), (3, 2), (2, 3), (1, 1), 3, 3),
    ((1, 9, 9, 8), (2, 3), (1, 2), (2, 1), 2, 4),
    ((2, 8, 8, 32), (3, 3), (1, 1), (1, 1), 4, 8),
    ((2, 8, 8, 32), (3, 3), (2, 2), (1, 1), 2, 16),
    ((3, 11, 6), (4,), (1,), (2,), 3, 6),
    ((1, 5, 4, 6, 4), (2, 2, 3), (1, 2, 1), (1, 1, 1), 2, 4),
], ids=["2d", "2d_strided", "2d_dilated", "2d_8_channels_per_group",
        "2d_16_channels_per_group_strided", "1d_dilated", "3d"])
def test_kernels_are_the_portable_grouped_convolution_in_float64(
        x_shape, window, strides, dilation, groups, filters, monkeypatch):
    grouped = _kernels()
    monkeypatch.setattr(current(), "kernels", {})  # the portable path underneath
    x, kernel = r(*x_shape), r(*window, x_shape[-1] // groups, filters)
    y, saved = grouped.conv_grouped(x, kernel, strides, dilation, groups, True, True)
    dy = r(*y.shape)
    y_ref, dx_ref, dw_ref = portable_conv_and_grads(x, kernel, strides, dilation, groups, dy,
                                                      x_shape)
    np.testing.assert_allclose(y, y_ref.reshape(y.shape), rtol=1e-12, atol=1e-12)
    dx, dw = grouped.conv_grouped_grads(dy, saved, x_shape, True, True)
    assert dx.shape == x_shape and dw.shape == kernel.shape
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, dw_ref, rtol=1e-12, atol=1e-12)
    inference = grouped.grouped_inference(x, kernel, strides, dilation, groups)
    np.testing.assert_array_equal(inference, y)


def test_only_the_wanted_gradients_are_kept_and_computed():
    grouped = _kernels()
    x, kernel = r(2, 6, 6, 4), r(3, 3, 2, 4)
    y, saved = grouped.conv_grouped(x, kernel, (1, 1), (1, 1), 2, True, False)
    assert saved.cols == [] and saved.kernel is not None
    dx, dw = grouped.conv_grouped_grads(r(*y.shape), saved, x.shape, True, False)
    assert dx.shape == x.shape and dw is None
    y, saved = grouped.conv_grouped(x, kernel, (1, 1), (1, 1), 2, False, True)
    assert len(saved.cols) == 2 and saved.kernel is None
    dx, dw = grouped.conv_grouped_grads(r(*y.shape), saved, x.shape, False, True)
    assert dx is None and dw.shape == kernel.shape


def test_input_gradient_extends_with_zeros_past_the_region_read(monkeypatch):
    grouped = _kernels()
    monkeypatch.setattr(current(), "kernels", {})
    x, kernel = r(2, 8, 8, 6), r(3, 3, 3, 4)
    cropped = x[:, :7, :7]
    y, saved = grouped.conv_grouped(cropped, kernel, (1, 1), (1, 1), 2, True, False)
    dy = r(*y.shape)
    dx, _ = grouped.conv_grouped_grads(dy, saved, x.shape, True, False)
    _, dx_ref, _ = portable_conv_and_grads(np.ascontiguousarray(cropped), kernel, (1, 1),
                                            (1, 1), 2, dy, cropped.shape)
    np.testing.assert_allclose(dx[:, :7, :7], dx_ref, rtol=1e-12, atol=1e-12)
    assert not dx[:, 7:].any() and not dx[:, :, 7:].any()


@pytest.mark.parametrize("x_shape,kernel_shape,groups,dtypes", [
    ((1, 6, 6, 4), (3, 3, 4, 4), 1, (np.float64, np.float64)),   # one group
    ((1, 6, 6, 4), (3, 3, 1, 8), 4, (np.float64, np.float64)),   # depthwise
    ((1, 6, 6, 4), (3, 3, 2, 4), 2, (np.float32, np.float64)),
    ((1, 6, 6, 4), (3, 3, 2, 4), 2, (np.int64, np.int64)),
], ids=["one_group", "depthwise", "mixed_dtypes", "integers"])
def test_declines_what_is_not_a_grouped_convolution(x_shape, kernel_shape, groups, dtypes):
    x = r(*x_shape).astype(dtypes[0])
    kernel = r(*kernel_shape).astype(dtypes[1])
    grouped = _kernels()
    assert grouped.conv_grouped(x, kernel, (1, 1), (1, 1), groups, True, True) is None
    assert grouped.grouped_inference(x, kernel, (1, 1), (1, 1), groups) is None


OP_CASES = [
    OpCase("conv_groups2_same_bias",
           lambda x, w, b: ops.conv(x, w, 1, "same", bias=b, groups=2),
           lambda x, w, b: conv_ref(x, w, padding="same", bias=b),
           [r(2, 6, 5, 6), r(3, 3, 3, 4), r(4)]),
    OpCase("conv_groups4_strides2_channels_first",
           lambda x, w: ops.conv(x, w, 2, "valid", "channels_first", groups=4),
           lambda x, w: conv_ref(x, w, (2, 2), data_format="channels_first"),
           [r(2, 8, 7, 6), r(3, 2, 2, 8)]),
    OpCase("conv_groups2_relu",
           lambda x, w, b: ops.conv(x, w, 1, "valid", bias=b, groups=2, relu=True),
           lambda x, w, b: np.maximum(conv_ref(x, w, bias=b), 0.0),
           [r(2, 6, 6, 4), r(3, 3, 2, 6), r(6)]),
    OpCase("conv_groups2_max_pool",
           lambda x, w, b: conv_max_pool(x, w, b, padding="same", groups=2, pool_size=2),
           lambda x, w, b: pool_ref(conv_ref(x, w, padding="same", bias=b), (2, 2)),
           [r(2, 6, 6, 4), r(3, 3, 2, 4), r(4)]),
]


def _count(monkeypatch):
    """Records the calls the grouped training kernel takes (True) and declines."""
    return count_kernel_calls(monkeypatch, "conv_grouped")


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
def test_ops_through_the_kernels_match_references_and_finite_differences(case, monkeypatch):
    taken = _count(monkeypatch)
    check_op_case(case)
    assert True in taken


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
def test_ops_with_and_without_the_kernels(case, monkeypatch):
    inference_calls = count_kernel_calls(monkeypatch, "conv_grouped_inference")
    check_op_with_and_without_kernels(case, _count(monkeypatch), monkeypatch)
    assert True in inference_calls


def test_grouped_layer_trains_the_same_with_and_without_the_kernels(monkeypatch):
    """A model of grouped `Conv2D` layers trained from one seed in float64: the same
    losses and weights either way (two grouped convolutions, 4 steps, 2 epochs)."""
    import kerasx as keras

    def layers():
        return [keras.layers.Conv2D(8, 3, padding="same", groups=2, activation="relu"),
                keras.layers.Conv2D(8, 3, strides=2, groups=4, activation="relu"),
                keras.layers.GlobalAveragePooling2D()]

    check_model_trains_alike(layers, rng.random((64, 10, 10, 4)), _count(monkeypatch),
                             2 * 2 * 4, monkeypatch)
