"""Keras 3.15.1 parity of ops found by replaying Keras's ops unit tests: dtypes of
normalizations and histograms, booleans refused by float functions, Fourier transforms
of unknown sizes, axes checked instead of wrapped, and Keras's wording in errors."""

import warnings

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.backends import current


def _np(x):
    return ops.convert_to_numpy(x)


def _kt(shape, dtype="float32"):
    return kerasx.KerasTensor(shape, dtype=dtype)


def _has(dtype):
    """Whether the backend has `dtype` (array_api_strict has no float16)."""
    try:
        current().dtype(dtype)
    except TypeError:
        return False
    return True


# --- Fourier transforms need their transformed axes known on KerasTensors ---

@pytest.mark.parametrize("op, shape, words", [
    (ops.fft, (2, None), "last dimension fully-defined"),
    (ops.fft2, (2, None, 4), r"\(-2, -1\) axes fully-defined"),
    (ops.ifft2, (2, 4, None), r"\(-2, -1\) axes fully-defined"),
])
def test_fourier_transforms_of_unknown_sizes_raise_as_keras(op, shape, words):
    with pytest.raises(ValueError, match=words):
        op((_kt(shape), _kt(shape)))


def test_fourier_transforms_of_known_sizes_and_rfft_of_unknown_sizes_still_build():
    real, imag = ops.fft((_kt((None, 8)), _kt((None, 8))))
    assert real.shape == imag.shape == (None, 8)
    # Keras 3.15.1 accepts an unknown signal length in rfft: (2, None) for both parts
    real, imag = ops.rfft(_kt((2, None)))
    assert real.shape == (2, None)


# --- booleans ---

def test_cdist_of_two_booleans_raises_and_of_a_boolean_and_a_float_does_not():
    flags = np.array([[True, False], [False, True]])
    # Keras 3.15.1 raises TypeError on its JAX and NumPy backends (a boolean difference)
    with pytest.raises(TypeError, match="does not accept dtype bool"):
        ops.cdist(flags, flags)
    if not _has("float16"):
        return
    halves = np.array([[1.0, 0.0], [0.0, 2.0]], dtype="float16")
    out = ops.cdist(flags, halves)
    assert str(out.dtype) == "float16"  # Keras 3.15.1 gives float16
    want = np.sqrt(((flags[:, None, :] - halves[None, :, :].astype("float64")) ** 2).sum(-1))
    np.testing.assert_allclose(_np(out).astype("float64"), want, rtol=1e-3)


@pytest.mark.parametrize("name", ["erf", "sigmoid", "silu", "log_sigmoid", "softmax",
                                  "log_softmax", "glu"])
def test_float_functions_refuse_booleans_and_read_integers_as_floatx(name):
    fn = getattr(ops, name)
    # Keras 3.15.1 (JAX) raises TypeError "... does not accept dtype bool"
    with pytest.raises(TypeError, match="does not accept dtype bool"):
        fn(np.array([[True, False], [False, True]]))
    out = fn(np.array([[1, 0], [0, 1]], dtype="int32"))
    assert str(out.dtype) == "float32"  # glu gave float64 before


def test_sigmoid_of_integers_equals_the_float_formula():
    x = np.array([-2, 0, 3], dtype="int32")
    np.testing.assert_allclose(_np(ops.sigmoid(x)), 1.0 / (1.0 + np.exp(-x.astype("float64"))),
                               rtol=1e-6)


# --- normalizations of integers keep the input's dtype ---

def _layer_norm_reference(x, epsilon=1e-7):  # floatx epsilon, the default
    x = x.astype("float64")
    centered = x - x.mean(-1, keepdims=True)
    return centered / np.sqrt((centered ** 2).mean(-1, keepdims=True) + epsilon)


INTS = np.array([[1, 2, 7], [4, 0, -3]], dtype="int32")


def test_layer_normalization_of_integers_is_cast_back_to_their_dtype():
    out = ops.layer_normalization(INTS)
    assert str(out.dtype) == "int32"
    # the float result cut toward zero; Keras 3.15.1 gives [[0, 0, 1], [1, 0, -1]]
    np.testing.assert_array_equal(_np(out), np.trunc(_layer_norm_reference(INTS)))
    scaled = ops.layer_normalization(INTS, gamma=np.full(3, 2, "int32"),
                                     beta=np.ones(3, "int32"))
    np.testing.assert_array_equal(_np(scaled), [[0, 0, 3], [3, 0, -1]])  # Keras 3.15.1
    assert str(ops.layer_normalization(INTS, gamma=np.ones(3, "float32")).dtype) == "int32"
    assert str(ops.layer_normalization(INTS.astype("int8")).dtype) == "int8"
    assert str(ops.layer_normalization(_kt((2, 3), "int32")).dtype) == "int32"


def test_rms_normalization_of_integers_is_cast_back_to_their_dtype():
    out = ops.rms_normalization(INTS)
    assert str(out.dtype) == "int32"
    x = INTS.astype("float64")
    want = np.trunc(x / np.sqrt((x ** 2).mean(-1, keepdims=True) + 1e-7))
    np.testing.assert_array_equal(_np(out), want)  # Keras 3.15.1: [[0, 0, 1], [1, 0, -1]]
    assert str(ops.rms_normalization(INTS, scale=np.ones(3, "float32")).dtype) == "int32"
    assert str(ops.rms_normalization(_kt((2, 3), "int32")).dtype) == "int32"


def test_float_normalizations_are_unchanged():
    x = INTS.astype("float32")
    np.testing.assert_allclose(_np(ops.layer_normalization(x)), _layer_norm_reference(x),
                               rtol=1e-5)
    if _has("float16"):
        assert str(ops.layer_normalization(x.astype("float16"),
                                           gamma=np.ones(3, "float32")).dtype) == "float16"


def test_layer_normalization_rms_scaling_warns_with_keras_message():
    x = np.ones((2, 3), "float32")
    with pytest.warns(UserWarning, match=r"You passed `rms_scaling=True`, which is deprecated\."
                      r" This argument incorrectly scales the input by the variance"):
        ops.layer_normalization(x, rms_scaling=True)
    with pytest.warns(UserWarning, match="keras.ops.rms_normalization"):
        ops.layer_normalization(_kt((2, 3)), rms_scaling=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ops.layer_normalization(x)


# --- histogram ---

def test_histogram_counts_in_the_edges_float_type_as_keras_jax():
    data = np.array([0.0, 2.0, 4.0, 8.0, 10.0], dtype="float32")
    counts, edges = ops.histogram(data, bins=5)
    want_counts, want_edges = np.histogram(data, bins=5)
    # Keras 3.15.1 on JAX: float32 counts and edges (its NumPy backend counts in int64)
    assert str(counts.dtype) == str(edges.dtype) == "float32"
    np.testing.assert_array_equal(_np(counts), want_counts)
    np.testing.assert_allclose(_np(edges), want_edges, rtol=1e-6)
    counts, edges = ops.histogram(np.array([1, 2, 3], dtype="int32"), bins=3)
    assert str(counts.dtype) == str(edges.dtype) == "float32"
    counts, edges = ops.histogram(_kt((7,)), bins=4)
    assert str(counts.dtype) == "float32" and counts.shape == (4,) and edges.shape == (5,)


def test_histogram_of_more_than_one_dimension_raises_as_keras():
    with pytest.raises(ValueError, match="Input tensor must be 1-dimensional"):
        ops.histogram(np.random.rand(3, 4, 5))


# --- shapes and axes ---

def test_reshape_to_a_symbolic_shape_has_unknown_sizes():
    assert ops.reshape(_kt((None, 20)), _kt((2,), "int32")).shape == (None, None)
    out = ops.reshape(np.zeros((20,), "float32"), _kt((2,), "int32"))
    assert isinstance(out, kerasx.KerasTensor) and out.shape == (None, None)


def test_reshape_refuses_negative_sizes_with_keras_wording():
    x = np.zeros(20, dtype="float32")
    with pytest.raises(ValueError, match=r"non-negative integer.*-1.*newshape=\(-2, 5\)"):
        ops.reshape(x, (-2, 5))
    with pytest.raises(ValueError, match=r"at most one unknown dimension.*newshape=\(-1, -1, 5\)"):
        ops.reshape(x, (-1, -1, 5))


def test_transpose_checks_its_axes_instead_of_wrapping_them():
    x = np.arange(24.0).reshape(2, 3, 4)
    # axes=[0, 1, 5] gave x unchanged (5 wrapped to 2); Keras 3.15.1 raises
    with pytest.raises(ValueError, match=r"Each axis in `axes` must be an integer in \[-3, 3\)"):
        ops.transpose(x, axes=[0, 1, 5])
    with pytest.raises(ValueError, match=r"valid permutation.*axes=\[0, 0, 0\]"):
        ops.transpose(_kt((2, 3, 4)), axes=[0, 0, 0])
    with pytest.raises(ValueError, match="must be a list of the same length as the input shape"):
        ops.transpose(x, axes=[0, 1])
    np.testing.assert_array_equal(_np(ops.transpose(x, axes=[-1, 0, 1])),
                                  np.transpose(x, (2, 0, 1)))


def test_take_checks_its_axis_instead_of_wrapping_it():
    x = np.arange(12.0).reshape(3, 4)
    # axis=5 gathered along axis 1 (5 % 2); Keras 3.15.1 raises "axis 5 is out of bounds"
    with pytest.raises(ValueError, match="axis 5 is out of bounds"):
        ops.take(x, np.array([0, 1]), axis=5)
    with pytest.raises(ValueError, match="axis 5 is out of bounds"):
        ops.take(_kt((3, 4)), _kt((2,), "int32"), axis=5)
    np.testing.assert_array_equal(_np(ops.take(x, np.array([0, 2]), axis=-1)), x[:, [0, 2]])


@pytest.mark.parametrize("fn", [
    lambda a: ops.sort(a, axis=10), lambda a: ops.argsort(a, axis=10),
    lambda a: ops.cumsum(a, axis=10), lambda a: ops.cumprod(a, axis=10),
    lambda a: ops.unstack(a, axis=10),
])
def test_axis_out_of_bounds_uses_keras_wording(fn):
    for a in (np.ones((3, 4), "float32"), _kt((3, 4))):
        with pytest.raises(ValueError, match="axis 10 is out of bounds"):
            fn(a)


def test_cumsum_of_a_tuple_axis_says_so():
    with pytest.raises(TypeError, match=r"`axis` must be an int or None, received \(1,\)"):
        ops.cumsum(np.ones((2, 3)), axis=(1,))


def test_eye_of_floats_is_a_type_error_as_keras():
    for call in (lambda: ops.eye(3.0), lambda: ops.eye(3, 2.0),
                 lambda: ops.eye(ops.max(ops.arange(4.0)))):
        with pytest.raises(TypeError, match="must be an integer or an integer tensor"):
            call()
    assert _np(ops.eye(ops.max(ops.arange(4)))).shape == (3, 3)


# --- wording of other errors ---

def test_batch_normalization_names_a_parameter_of_the_wrong_length():
    x = np.ones((2, 3, 4, 5), "float32")
    with pytest.raises(ValueError, match=r"`offset` must be a vector of length"):
        ops.batch_normalization(x, np.zeros(5), np.ones(5), axis=-1, offset=np.ones(3))
    with pytest.raises(ValueError, match=r"`scale` must be a vector of length"):
        ops.batch_normalization(_kt((None, 3, 4, 5)), _kt((5,)), _kt((5,)), axis=-1,
                                scale=_kt((3,)))


def test_conv_channel_mismatch_uses_keras_wording():
    words = "input channels must match the kernel"
    with pytest.raises(ValueError, match=words):
        ops.conv(_kt((2, 10, 3)), _kt((3, 5, 1)))
    with pytest.raises(ValueError, match=words):
        ops.depthwise_conv(_kt((2, 10, 3)), _kt((3, 5, 1)))
    with pytest.raises(ValueError, match=words):
        ops.conv_transpose(_kt((2, 4, 3)), _kt((2, 4, 5)), 1)


def test_fold_qr_wording():
    with pytest.raises(ValueError, match="Input must be a 3D tensor"):
        ops.fold(np.ones((1, 2, 3, 4), "float32"), output_size=(4, 4), kernel_size=2)
    with pytest.raises(ValueError, match=r"Input should have rank >= 2\. Received: "):
        ops.qr(np.ones(3, "float32"))
    with pytest.raises(ValueError, match="`mode` argument value not supported"):
        ops.qr(np.ones((3, 3), "float32"), mode="invalid")


def test_image_ops_use_keras_wording():
    with pytest.raises(ValueError, match="Must specify exactly two of top_padding, "
                                         "bottom_padding, target_height"):
        ops.image.pad_images(np.ones((8, 8, 3), "float32"), top_padding=1, bottom_padding=1,
                             target_height=10, left_padding=1, right_padding=1)
    with pytest.raises(ValueError, match="Input images must have 3 channels, but received "
                                         "images with 4 channels"):
        ops.image.rgb_to_hsv(np.ones((5, 5, 4), "float32"))
    with pytest.raises(ValueError, match=r"Invalid channel size: expected 3 \(RGB\) or 1"):
        ops.image.rgb_to_grayscale(np.ones((5, 5, 2), "float32"))
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        ops.image.extract_patches(np.ones((1, 4, 4, 3), "float32"), 5)


def test_image_ops_rank_dtype_and_negative_amounts_use_keras_wording():
    with pytest.raises(ValueError, match="Invalid images rank: expected rank 3"):
        ops.image.rgb_to_hsv(np.ones((3, 3), "float32"))
    with pytest.raises(ValueError, match=r"Invalid images dtype: expected float dtype\."):
        ops.image.rgb_to_hsv(np.ones((4, 4, 3), "int32"))
    with pytest.raises(ValueError, match="top_cropping must be >= 0"):
        ops.image.crop_images(np.ones((10, 10, 3), "float32"), top_cropping=-1,
                              left_cropping=1, target_height=2, target_width=2)
    with pytest.raises(ValueError, match="top_padding must be >= 0"):
        ops.image.pad_images(np.ones((10, 10, 3), "float32"), top_padding=-1,
                             left_padding=1, target_height=20, target_width=20)


def test_scale_and_translate_with_a_symbolic_scale_builds():
    # the zero-filled probe of the scale divided by zero; Keras 3.15.1 gives (2, 25, 25, 3)
    out = ops.image.scale_and_translate(_kt((2, 20, 20, 3)), (2, 25, 25, 3), _kt((2,)),
                                        _kt((2,)), (1, 2), "linear")
    assert out.shape == (2, 25, 25, 3)
