"""`Rescaling`: multiplies the inputs by a scale and adds an offset."""

__all__ = ["Rescaling"]

from kerasx import ops
from kerasx.config import image_data_format
from kerasx.layers.layer import Layer
from kerasx.layers.preprocessing._data_layer import DataLayer
from kerasx.layers.preprocessing._dtypes import as_dtype
from kerasx.saving.serialization import deserialize_keras_object, serialize_keras_object


class Rescaling(DataLayer, Layer):
    """Computes `inputs * scale + offset`, e.g. `scale=1/255` maps `[0, 255]` to `[0, 1]`.

    Integer inputs (such as `uint8` images) are cast to the layer's float dtype
    first. Gradients pass through to the inputs.

    Args:
        scale: a number, or a list with one value per channel (broadcast over the
            last axis, or over axis 1 when `image_data_format()` is
            `"channels_first"`).
        offset: a number or a per-channel list, added after scaling.

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, scale, offset=0.0, **kwargs):
        super().__init__(**kwargs)
        for name, value in (("scale", scale), ("offset", offset)):
            if not _numeric(value):
                raise ValueError(f"Rescaling: `{name}` must be a number or a list of numbers "
                                 f"(one per channel), received {name}={value!r}.")
        self.scale = scale
        self.offset = offset
        self.supports_masking = True

    def call(self, inputs):
        inputs = as_dtype(inputs, self.dtype)
        scale = ops.convert_to_tensor(self.scale, dtype=self.dtype)
        offset = ops.convert_to_tensor(self.offset, dtype=self.dtype)
        if len(scale.shape) and image_data_format() == "channels_first":
            scale = ops.reshape(scale, tuple(scale.shape) + (1,) * (3 - len(scale.shape)))
        return ops.add(ops.multiply(inputs, scale), offset)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "scale": serialize_keras_object(self.scale),
                "offset": serialize_keras_object(self.offset)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("scale", "offset"):
            config[key] = deserialize_keras_object(config[key])
        return cls(**config)


def _numeric(value):
    """Whether `value` is a number, an array, or a (nested) list or tuple of numbers."""
    import numbers

    if isinstance(value, (list, tuple)):
        return all(_numeric(v) for v in value)
    if isinstance(value, bool):
        return False
    return isinstance(value, numbers.Number) or hasattr(value, "dtype")
