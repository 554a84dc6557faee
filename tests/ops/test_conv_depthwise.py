"""The NumPy backend's depthwise convolution kernels (per kernel tap, no im2col): the
kernels against the portable grouped convolution in float64 (1-D to 3-D, strides,
dilation, a cropped input), what they decline, and the depthwise and separable ops and
layers through them against the references, by finite differences and with the
kernels removed."""

import numpy as np
import pytest

from kerasx import ops
from kerasx.backends import current
from kerasx.testing import OpCase
from tests.ops.conv_reference import (check_model_trains_alike,
                                      check_op_with_and_without_kernels, conv_ref,
                                      count_kernel_calls, depthwise_ref, portable_conv_and_grads)
from tests.sampled_gradcheck import check_op_case

pytestmark = pytest.mark.skipif("current().name != 'numpy'", reason="NumPy kernel")
rng = np.random.default_rng(17)


def r(*shape):
    return rng.standard_normal(shape)


def _kernels():
    from kerasx.backends import numpy_depthwise

    return numpy_depthwise


@pytest.mark.parametrize("x_shape,window,strides,dilation,multiplier", [
    ((2, 7, 6, 3), (3, 3), (1, 1), (1, 1), 1),
    ((2, 9, 8, 4), (3, 2), (2, 3), (1, 1), 1),
    ((1, 9, 9, 2), (2, 3), (1, 2), (2, 1), 1),
    ((3, 11, 5), (4,), (1,), (2,), 1),
    ((1, 5, 4, 6, 2), (2, 2, 3), (1, 2, 1), (1, 1, 1), 1),
    ((2, 7, 6, 16), (3, 3), (1, 1), (1, 1), 2),
    ((2, 9, 8, 24), (3, 2), (2, 1), (1, 2), 3),
    ((3, 11, 32), (4,), (2,), (1,), 4),
], ids=["2d", "2d_strided", "2d_dilated", "1d_dilated", "3d", "multiplier_2",
        "multiplier_3_strided_dilated", "1d_multiplier_4"])
def test_kernels_are_the_portable_grouped_convolution_in_float64(x_shape, window, strides,
                                                                 dilation, multiplier,
                                                                 monkeypatch):
    dw_kernels = _kernels()
    monkeypatch.setattr(current(), "kernels", {})  # the portable path underneath
    channels = x_shape[-1]
    x, kernel = r(*x_shape), r(*window, 1, channels * multiplier)
    y, saved = dw_kernels.conv_depthwise(x, kernel, strides, dilation, channels, True, True)
    dy = r(*y.shape)
    y_ref, dx_ref, dw_ref = portable_conv_and_grads(x, kernel, strides, dilation, x_shape[-1],
                                                      dy, x_shape)
    np.testing.assert_allclose(y, y_ref.reshape(y.shape), rtol=1e-12, atol=1e-12)
    dx, dw = dw_kernels.conv_depthwise_grads(dy, saved, x_shape, True, True)
    assert dx.shape == x_shape and dw.shape == kernel.shape
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dw, dw_ref, rtol=1e-12, atol=1e-12)
    inference = dw_kernels.depthwise_inference(x, kernel, strides, dilation, channels)
    np.testing.assert_array_equal(inference, y)


@pytest.mark.parametrize("multiplier", [1, 2])
def test_input_gradient_extends_with_zeros_past_the_region_read(multiplier, monkeypatch):
    dw_kernels = _kernels()
    monkeypatch.setattr(current(), "kernels", {})
    channels = 3 if multiplier == 1 else 16
    x, kernel = r(2, 8, 8, channels), r(3, 3, 1, channels * multiplier)
    cropped = x[:, :7, :7]
    y, saved = dw_kernels.conv_depthwise(cropped, kernel, (1, 1), (1, 1), channels, True,
                                         False)
    assert saved.x is None  # no kernel gradient wanted: the input is not kept
    dy = r(*y.shape)
    dx, dw = dw_kernels.conv_depthwise_grads(dy, saved, x.shape, True, False)
    assert dw is None
    _, dx_ref, _ = portable_conv_and_grads(np.ascontiguousarray(cropped), kernel, (1, 1),
                                            (1, 1), channels, dy, cropped.shape)
    np.testing.assert_allclose(dx[:, :7, :7], dx_ref, rtol=1e-12, atol=1e-12)
    assert not dx[:, 7:].any() and not dx[:, :, 7:].any()


def test_inference_with_a_depth_multiplier_repeats_the_input_in_batch_chunks(monkeypatch):
    dw_kernels = _kernels()
    x, kernel = r(7, 9, 8, 16), r(3, 3, 1, 32)
    whole = dw_kernels.conv_depthwise(x, kernel, (1, 2), (1, 1), 16, False, False)[0]
    monkeypatch.setattr(dw_kernels, "_REPEAT_CHUNK_BYTES", x[:1].nbytes * 2 * 3)  # 3 samples
    repeats = []
    original = np.repeat
    monkeypatch.setattr(dw_kernels.np, "repeat",
                        lambda a, *args, **kw: repeats.append(len(a)) or original(a, *args, **kw))
    chunked = dw_kernels.depthwise_inference(x, kernel, (1, 2), (1, 1), 16)
    assert repeats == [3, 3, 1]
    np.testing.assert_array_equal(chunked, whole)


@pytest.mark.parametrize("x_shape,kernel_shape,groups,dtypes", [
    ((1, 6, 6, 4), (3, 3, 2, 4), 2, (np.float64, np.float64)),   # 2 channels per group
    ((1, 6, 6, 8), (3, 3, 1, 16), 8, (np.float64, np.float64)),  # multiplier 2, 8 channels
    ((1, 6, 6, 1), (3, 3, 1, 1), 1, (np.float64, np.float64)),   # one channel
    ((1, 6, 6, 3), (3, 3, 1, 3), 3, (np.float32, np.float64)),
    ((1, 6, 6, 3), (3, 3, 1, 3), 3, (np.int64, np.int64)),
], ids=["grouped", "multiplier_2_few_channels", "one_channel", "mixed_dtypes", "integers"])
def test_declines_what_is_not_a_plain_depthwise_convolution(x_shape, kernel_shape, groups,
                                                             dtypes):
    x = r(*x_shape).astype(dtypes[0])
    kernel = r(*kernel_shape).astype(dtypes[1])
    assert _kernels().conv_depthwise(x, kernel, (1, 1), (1, 1), groups, True, True) is None


OP_CASES = [
    OpCase("depthwise_same_bias", lambda x, w, b: ops.depthwise_conv(x, w, 1, "same", bias=b),
           lambda x, w, b: depthwise_ref(x, w, padding="same", bias=b),
           [r(2, 6, 5, 3), r(3, 3, 3, 1), r(3)]),
    OpCase("depthwise_strides2_channels_first",
           lambda x, w: ops.depthwise_conv(x, w, 2, "valid", "channels_first"),
           lambda x, w: depthwise_ref(x, w, (2, 2), data_format="channels_first"),
           [r(2, 3, 7, 6), r(3, 2, 3, 1)]),
    OpCase("separable_same",
           lambda x, d, p, b: ops.separable_conv(x, d, p, 1, "same", bias=b),
           lambda x, d, p, b: conv_ref(depthwise_ref(x, d, padding="same"), p, bias=b),
           [r(2, 5, 5, 3), r(3, 3, 3, 1), r(1, 1, 3, 4), r(4)]),
    OpCase("depthwise_multiplier_2_same_bias",
           lambda x, w, b: ops.depthwise_conv(x, w, 1, "same", bias=b),
           lambda x, w, b: depthwise_ref(x, w, padding="same", bias=b),
           [r(1, 4, 5, 16), r(3, 3, 16, 2), r(32)]),
    OpCase("depthwise_relu",
           lambda x, w, b: ops.depthwise_conv(x, w, 1, "valid", bias=b, relu=True),
           lambda x, w, b: np.maximum(depthwise_ref(x, w, bias=b), 0.0),
           [r(2, 6, 6, 4), r(3, 3, 4, 1), r(4)]),
    OpCase("separable_relu",
           lambda x, d, p, b: ops.separable_conv(x, d, p, 1, "same", bias=b, relu=True),
           lambda x, d, p, b: np.maximum(
               conv_ref(depthwise_ref(x, d, padding="same"), p, bias=b), 0.0),
           [r(2, 5, 5, 3), r(3, 3, 3, 1), r(1, 1, 3, 4), r(4)]),
]


def _count(monkeypatch):
    """Records the calls the depthwise training kernel takes (True) and declines."""
    return count_kernel_calls(monkeypatch, "conv_depthwise")


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
def test_ops_through_the_kernels_match_references_and_finite_differences(case, monkeypatch):
    taken = _count(monkeypatch)
    check_op_case(case)
    assert True in taken  # (a separable convolution's pointwise half declines)


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
def test_ops_with_and_without_the_kernels(case, monkeypatch):
    check_op_with_and_without_kernels(case, _count(monkeypatch), monkeypatch)


def test_depthwise_layer_trains_the_same_with_and_without_the_kernels(monkeypatch):
    """A `SeparableConv2D` and a `DepthwiseConv2D` (depth multiplier 2) model trained
    from one seed in float64: the same losses and weights either way (two depthwise
    convolutions, 4 steps, 2 epochs)."""
    import kerasx as keras

    def layers():
        return [keras.layers.SeparableConv2D(16, 3, padding="same", activation="relu"),
                keras.layers.DepthwiseConv2D(3, strides=2, activation="relu",
                                             depth_multiplier=2),
                keras.layers.GlobalAveragePooling2D()]

    check_model_trains_alike(layers, rng.random((64, 10, 10, 3)), _count(monkeypatch),
                             2 * 2 * 4, monkeypatch)
