"""Global configuration: float type, fuzz factor, image layout and backend name."""

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_FLOAT_TYPES = ("float32", "float64")
_LAYER_FUSION = True


def floatx():
    """The default float type of weights and computations (`"float32"`)."""
    return _FLOATX


def set_floatx(value):
    """Sets the default float type: `"float32"` or `"float64"`."""
    global _FLOATX
    if value not in _FLOAT_TYPES:
        raise ValueError(
            f"Unknown floatx {value!r}: expected one of {list(_FLOAT_TYPES)}. "
            "float16/bfloat16 are not in the array API standard."
        )
    _FLOATX = str(value)


def epsilon():
    """The fuzz factor used to keep logs and divisions finite (1e-7)."""
    return _EPSILON


def set_epsilon(value):
    global _EPSILON
    _EPSILON = float(value)


def image_data_format():
    """`"channels_last"` (default) or `"channels_first"`."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format):
    global _IMAGE_DATA_FORMAT
    if data_format not in ("channels_last", "channels_first"):
        raise ValueError(
            f"Unknown data_format {data_format!r}: expected 'channels_last' or 'channels_first'."
        )
    _IMAGE_DATA_FORMAT = data_format


def layer_fusion():
    """Whether models run fusable layers as one op (see `set_layer_fusion`)."""
    return _LAYER_FUSION


def set_layer_fusion(enabled):
    """Turns layer fusion on (the default) or off.

    Sequential and functional models run a convolution and the max pooling after it
    as one op that pools first, in training a convolution, batch normalization and
    max pooling as one op, and for inference fold a batch normalization into the
    convolution before it (`kerasx.models.fusion`). Turned off, every layer runs on
    its own, as in Keras: useful to compare with Keras to the last bit, as the fused
    and folded ops round differently (about 1e-7 relative).
    """
    global _LAYER_FUSION
    _LAYER_FUSION = bool(enabled)


def backend():
    """The name of the active backend (`numpy`, `cupy` or `array_api_strict`)."""
    from kerasx.backends import current

    return current().name


def enable_unsafe_deserialization():
    """Allows loading Lambda layers and other Python code from saved files (trusted files only)."""
    from kerasx.saving.serialization import enable_unsafe_deserialization as enable

    enable()
