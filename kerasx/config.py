"""Global configuration: float type, fuzz factor, image layout, backend name, layer
fusion, limits on epochs and steps for quick runs, and where progress is written."""

import os as _os

from kerasx.utils.messages import (disable_interactive_logging, enable_interactive_logging,
                                   is_interactive_logging_enabled)
from kerasx.utils.config_flags import (disable_flash_attention, disable_traceback_filtering,
                                      enable_flash_attention, enable_traceback_filtering,
                                      is_flash_attention_enabled, is_nnx_enabled,
                                      is_traceback_filtering_enabled, set_backend)

__all__ = ["backend", "disable_interactive_logging", "enable_interactive_logging",
           "enable_unsafe_deserialization", "epsilon", "floatx", "image_data_format",
           "is_interactive_logging_enabled", "layer_fusion", "max_epochs", "max_steps_per_epoch",
           "set_epsilon", "set_floatx", "set_image_data_format", "set_layer_fusion",
           "set_max_epochs", "set_max_steps_per_epoch"]

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"
_FLOAT_TYPES = ("float16", "bfloat16", "float32", "float64")
_LAYER_FUSION = True
_LIMITS = {"epochs": None, "steps_per_epoch": None}


def floatx():
    """The default float type of weights and computations (`"float32"` unless
    `set_floatx` changed it)."""
    return _FLOATX


def set_floatx(value):
    """Sets the default float type: `"float32"` (the default), `"float64"`, `"float16"`
    or `"bfloat16"`.

    As in Keras, floatx is the dtype of new weights, of layer computations, of losses,
    metrics and their variables, of the learning-rate variable (which holds the rate
    rounded to it), and of `ops.ones` / `random.normal` and the other creation ops. A
    Python float with a float32 array stays float32; alone it becomes floatx, as on
    Keras's NumPy backend (Keras's JAX backend makes it float32). Means of integers
    stay float32 and the optimizer's step counter int32, as in Keras.

    Half precision needs a backend that has the dtype: NumPy and CuPy have float16, and
    bfloat16 with the `ml_dtypes` package; array_api_strict has neither. Training wholly
    in float16 loses small updates and overflows easily: the `"mixed_float16"` dtype
    policy (`set_dtype_policy`) is usually the better choice.
    """
    global _FLOATX
    if value not in _FLOAT_TYPES:
        raise ValueError(
            f"Unknown floatx {value!r}: expected one of {list(_FLOAT_TYPES)}."
        )
    if value in ("float16", "bfloat16"):
        from kerasx.backends import current

        try:
            current().dtype(value)
        except TypeError as error:
            raise ValueError(f"Cannot set floatx to {value!r}: {error} Use the numpy or cupy "
                             "backend for half precision.") from None
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


def max_epochs():
    """The cap on the epochs of every `fit` (None: no cap), set by `set_max_epochs` or
    the environment variable `KERASX_MAX_EPOCHS`."""
    return _LIMITS["epochs"]


def set_max_epochs(max_epochs):
    """Caps the epochs of every `fit` at `max_epochs` (None removes the cap): a quick
    run of a script without editing it. `fit` warns when it cuts a run short."""
    _LIMITS["epochs"] = _limit("max_epochs", max_epochs)


def max_steps_per_epoch():
    """The cap on the batches of one epoch of `fit`, `evaluate` and `predict` (None: no
    cap), set by `set_max_steps_per_epoch` or `KERASX_MAX_STEPS_PER_EPOCH`."""
    return _LIMITS["steps_per_epoch"]


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Caps the batches of every epoch of `fit`, `evaluate` and `predict` (None removes
    the cap). The batch size stays as it was; with array data, the next epoch goes on
    from the batch where the previous one stopped."""
    _LIMITS["steps_per_epoch"] = _limit("max_steps_per_epoch", max_steps_per_epoch)


def _limit(name, value):
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer or None, received {value!r}.")
    return value


def _limit_from_environment(variable, name):
    text = _os.environ.get(variable)
    if not text:
        return None
    try:
        return _limit(name, int(text))
    except ValueError:
        raise ValueError(f"The environment variable {variable} must be a positive integer, "
                         f"received {text!r}.") from None


_LIMITS["epochs"] = _limit_from_environment("KERASX_MAX_EPOCHS", "max_epochs")
_LIMITS["steps_per_epoch"] = _limit_from_environment("KERASX_MAX_STEPS_PER_EPOCH",
                                                     "max_steps_per_epoch")


def dtype_policy():
    """The global dtype policy (`kerasx.dtype_policies.DTypePolicy`): the one
    `set_dtype_policy` set, else a policy of `floatx()`."""
    from kerasx.dtype_policies.dtype_policy import dtype_policy as global_policy

    return global_policy()


def set_dtype_policy(policy):
    """Sets the dtype policy of the layers created afterwards without a `dtype`:
    `"mixed_float16"`, `"mixed_bfloat16"`, `"float32"`... or a `DTypePolicy`."""
    from kerasx.dtype_policies.dtype_policy import set_dtype_policy as set_global

    set_global(policy)


__all__ += ["dtype_policy", "set_dtype_policy"]
__all__ += ["disable_flash_attention", "disable_traceback_filtering", "enable_flash_attention",
            "enable_traceback_filtering", "is_flash_attention_enabled", "is_nnx_enabled",
            "is_traceback_filtering_enabled", "set_backend"]
