"""Cases of Keras 3.15.1's own unit tests for the convolution, pooling and activation
layers (and sweeps around them) where kerasx differed; expected values are Keras's
(computed with Keras 3.15.1 on JAX, as each comment says) or independent float64
NumPy formulas."""

import warnings

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.testing.gradcheck import check_gradients, check_layer_gradients, float64
from tests.ops.conv_reference import conv_ref, depthwise_ref, pool_ref


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


# -- argument errors in Keras's wording (its relu_test / leaky_relu_test / softmax_test) -----
@pytest.mark.parametrize("kwargs, message", [
    (dict(max_value=-10), r"max_value of a ReLU layer cannot be a negative value\. "
                          r"Received: max_value=-10"),
    (dict(negative_slope=-10), r"negative_slope of a ReLU layer cannot be None or a negative "
                               r"value\. Received: negative_slope=-10"),
    (dict(negative_slope=None), "negative_slope of a ReLU layer cannot be None or a negative"),
    (dict(threshold=-10), r"threshold of a ReLU layer cannot be None or a negative value\. "
                          r"Received: threshold=-10"),
    (dict(threshold=None), "threshold of a ReLU layer cannot be None or a negative value"),
])
def test_relu_argument_errors_use_keras_wording(kwargs, message):
    with pytest.raises(ValueError, match=message):
        layers.ReLU(**kwargs)


@pytest.mark.parametrize("slope", [None, -0.5])
def test_leaky_relu_argument_error_uses_keras_wording(slope):
    with pytest.raises(ValueError, match="The negative_slope value of a Leaky ReLU layer cannot "
                                         "be None or negative value"):
        layers.LeakyReLU(negative_slope=slope)


def test_softmax_mask_with_more_dimensions_than_the_inputs():
    layer = layers.Softmax()
    inputs = np.array([[1.0, 2.0, 1.0]], np.float32)
    with pytest.raises(ValueError, match=r"must be broadcastable to the inputs and must not have "
                                         r"more dimensions\. Received: inputs\.shape=\(1, 3\), "
                                         r"mask\.shape=\(1, 1, 3\)"):
        layer(inputs, mask=np.array([[[1.0, 0.0, 1.0]]]))
    with pytest.raises(ValueError, match="broadcastable"):
        layer(inputs, mask=np.ones((2, 3)))


# -- leaky ReLU with slopes above 1 ------------------------------------------------------
X_SLOPE = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0], [1.0, 3.0, -1.0, 0.2, 0.1]], np.float32)
# Keras 3.15.1 (JAX, as TensorFlow and torch) gives x for x >= 0 and 2 * x below, for
# the layer, `activations.leaky_relu` and `ops.leaky_relu` alike
KERAS_SLOPE_2 = [[-4.0, -1.0, 0.0, 0.5, 2.0], [1.0, 3.0, -2.0, 0.2, 0.1]]


@pytest.mark.parametrize("fn", [
    lambda x: layers.LeakyReLU(negative_slope=2.0)(x),
    lambda x: kerasx.activations.leaky_relu(x, negative_slope=2.0),
    lambda x: ops.leaky_relu(x, negative_slope=2.0),
])
def test_leaky_relu_with_a_slope_above_one(fn):
    np.testing.assert_allclose(_np(fn(X_SLOPE)), KERAS_SLOPE_2)


@pytest.mark.parametrize("slope", [0.3, 1.0, 2.5])
def test_leaky_relu_gradients_for_every_slope(slope):
    x = np.array([-1.5, -0.2, 0.3, 2.0, -3.0, 0.7])
    check_gradients(lambda v: ops.leaky_relu(v, negative_slope=slope), [x])
    # the second derivative of sum(leaky(x) ** 2) is 2 * factor ** 2, factor 1 or slope
    xv = kerasx.Variable(x)
    with kerasx.GradientTape() as outer:
        with kerasx.GradientTape() as inner:
            loss = ops.sum(ops.leaky_relu(xv, negative_slope=slope) ** 2)
        grad = inner.gradient(loss, xv)
        total = ops.sum(grad)
    factor = np.where(x >= 0, 1.0, slope)
    np.testing.assert_allclose(_np(grad), 2 * x * factor ** 2, rtol=1e-12)
    np.testing.assert_allclose(_np(outer.gradient(total, xv)), 2 * factor ** 2, rtol=1e-12)


# -- depthwise and separable convolutions with strides and dilation together -------------
def _separable_ref(x, depthwise, pointwise, strides, padding, dilation, data_format):
    mid = depthwise_ref(x, depthwise, strides, padding, dilation, data_format)
    return conv_ref(mid, pointwise, None, "valid", None, data_format)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_depthwise_conv_takes_strides_and_dilation_together(padding, data_format):
    # Keras 3.15.1 builds and runs DepthwiseConv1D/2D(strides=2, dilation_rate=2) (only
    # Conv and ConvTranspose refuse the pair); shapes (2, 4, 4, 6) "valid", (2, 5, 5, 6)
    # "same" on a (2, 9, 9, 3) input
    rng = np.random.default_rng(0)
    layer = layers.DepthwiseConv2D(2, strides=2, dilation_rate=2, depth_multiplier=2,
                                   padding=padding, data_format=data_format)
    shape = (2, 9, 9, 3) if data_format == "channels_last" else (2, 3, 9, 9)
    x = rng.standard_normal(shape).astype(np.float32)
    y = layer(x)
    kernel, bias = (_np(w) for w in layer.weights)
    expected = depthwise_ref(x, kernel, (2, 2), padding, (2, 2), data_format, bias)
    spatial = (4, 4) if padding == "valid" else (5, 5)
    assert y.shape == ((2, *spatial, 6) if data_format == "channels_last" else (2, 6, *spatial))
    np.testing.assert_allclose(_np(y), expected, rtol=1e-5, atol=1e-5)
    assert layer.compute_output_shape(shape) == y.shape
    one_d = layers.DepthwiseConv1D(3, strides=3, dilation_rate=2, padding=padding,
                                   data_format=data_format)
    x1 = x[:, :, 0] if data_format == "channels_last" else x[:, :, :, 0]
    y1 = one_d(x1)
    kernel1, bias1 = (_np(w) for w in one_d.weights)
    np.testing.assert_allclose(
        _np(y1), depthwise_ref(x1, kernel1, (3,), padding, (2,), data_format, bias1),
        rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("padding", ["valid", "same"])
def test_separable_conv_takes_strides_and_dilation_together(padding, data_format):
    rng = np.random.default_rng(1)
    layer = layers.SeparableConv2D(4, 2, strides=(2, 1), dilation_rate=(2, 3),
                                   padding=padding, data_format=data_format, use_bias=False)
    shape = (2, 9, 8, 3) if data_format == "channels_last" else (2, 3, 9, 8)
    x = rng.standard_normal(shape).astype(np.float32)
    y = layer(x)
    depthwise, pointwise = (_np(w) for w in layer.weights)
    expected = _separable_ref(x, depthwise, pointwise, (2, 1), padding, (2, 3), data_format)
    np.testing.assert_allclose(_np(y), expected, rtol=1e-5, atol=1e-5)
    one_d = layers.SeparableConv1D(4, 2, strides=2, dilation_rate=3, padding=padding,
                                   data_format=data_format, use_bias=False)
    x1 = x[:, :, 0] if data_format == "channels_last" else x[:, :, :, 0]
    y1 = one_d(x1)
    depthwise, pointwise = (_np(w) for w in one_d.weights)
    np.testing.assert_allclose(
        _np(y1), _separable_ref(x1, depthwise, pointwise, (2,), padding, (3,), data_format),
        rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("make, shape", [
    (lambda: layers.DepthwiseConv2D(2, strides=2, dilation_rate=2, padding="same",
                                    depth_multiplier=2), (2, 7, 6, 3)),
    (lambda: layers.SeparableConv1D(3, 2, strides=3, dilation_rate=2,
                                    data_format="channels_first"), (2, 3, 11)),
])
def test_strided_dilated_depthwise_and_separable_gradients(make, shape):
    rng = np.random.default_rng(2)
    with float64():
        layer = make()
        layer.build(shape)
        layer.set_weights([rng.standard_normal(w.shape) for w in layer.get_weights()])
        check_layer_gradients(layer, rng.standard_normal(shape))


# -- integer and boolean inputs to average pooling ---------------------------------------
X_INT = np.arange(2 * 7 * 3).reshape(2, 7, 3).astype(np.int32)


def test_average_pool_of_integers_is_floatx():
    # Keras 3.15.1 (JAX): float32 means, e.g. [1.5, 2.5, 3.5, 7.5, ...] for pool 2
    for y in (ops.average_pool(X_INT, 2), layers.AveragePooling1D(2)(X_INT),
              ops.average_pool(X_INT, 3, 2, padding="same")):
        assert y.dtype == "float32"
    np.testing.assert_allclose(_np(layers.AveragePooling1D(2)(X_INT)),
                               pool_ref(X_INT, (2,), mode="average"))
    np.testing.assert_allclose(_np(ops.average_pool(X_INT, 3, 2, padding="same")),
                               pool_ref(X_INT, (3,), (2,), "same", mode="average"), rtol=1e-6)
    # booleans average their 0/1 values (NumPy's boolean sum would saturate at True)
    mask = X_INT % 3 == 0
    np.testing.assert_allclose(_np(layers.AveragePooling1D(2)(mask)),
                               pool_ref(mask.astype(np.float64), (2,), mode="average"))


@pytest.mark.parametrize("output_size", [3, 2])
def test_adaptive_average_pooling_of_integers(output_size):
    # Keras 3.15.1 gives float32 [[3, 4, 5], [9, 10, 11], [15, 16, 17]] for the first
    # sample and output size 3 (kerasx gave int32 zeros: the bin sizes' reciprocals were
    # cast to the integer dtype)
    y = layers.AdaptiveAveragePooling1D(output_size)(X_INT)
    assert y.dtype == "float32"
    bins = [((i * 7) // output_size, -((-(i + 1) * 7) // output_size))
            for i in range(output_size)]
    expected = np.stack([X_INT[:, a:b].mean(axis=1) for a, b in bins], axis=1)
    np.testing.assert_allclose(_np(y), expected, rtol=1e-6)
    np.testing.assert_allclose(_np(ops.adaptive_average_pool(X_INT, output_size)), expected,
                               rtol=1e-6)


def test_adaptive_max_pooling_of_integers_stays_integer_without_warnings():
    # Keras 3.15.1: int32 [[6, 7, 8], [12, 13, 14], [18, 19, 20]] for the first sample
    x = X_INT - 30  # negative values: the padding must lose against every real value
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = layers.AdaptiveMaxPooling1D(3)(x)
    assert y.dtype == "int32"
    np.testing.assert_array_equal(_np(y)[0], [[-24, -23, -22], [-18, -17, -16], [-12, -11, -10]])
