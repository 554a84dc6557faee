"""Deterministic initializers: Zeros, Ones, Constant, Identity."""

from kerasx.backends import current
from kerasx.initializers.initializer import Initializer, standardize_dtype, standardize_shape


class Zeros(Initializer):
    """Fills the weights with 0.

    Example:

        layer = Dense(3, kernel_initializer=Zeros())
    """

    def __call__(self, shape, dtype=None):
        backend = current()
        shape = standardize_shape(shape, "Zeros")
        dtype = backend.dtype(standardize_dtype(dtype, "Zeros"))
        return backend.xp.zeros(shape, dtype=dtype, device=backend.device)


class Ones(Initializer):
    """Fills the weights with 1.

    Example:

        layer = Dense(3, bias_initializer=Ones())
    """

    def __call__(self, shape, dtype=None):
        backend = current()
        shape = standardize_shape(shape, "Ones")
        dtype = backend.dtype(standardize_dtype(dtype, "Ones"))
        return backend.xp.ones(shape, dtype=dtype, device=backend.device)


class Constant(Initializer):
    """Fills the weights with one value: a number, or an array broadcast to the
    weight's shape (as Keras does, e.g. a pretrained embedding matrix).

    Args:
        value: a Python number (NumPy scalars are accepted too), or an array
            (NumPy, a tensor or a nested list) broadcastable to the weight's shape.

    Example:

        layer = Dense(3, bias_initializer=Constant(0.1))
        embedding = Embedding(1000, 50, embeddings_initializer=Constant(matrix),
                              trainable=False)
    """

    def __init__(self, value=0.0):
        if hasattr(value, "item") and getattr(value, "ndim", 1) == 0:
            value = value.item()
        if isinstance(value, (str, bytes)) or not (
                isinstance(value, (bool, int, float, list, tuple)) or hasattr(value, "shape")):
            raise TypeError(
                f"Constant: value must be a Python number or an array, received {value!r} of "
                f"type {type(value).__name__}."
            )
        self.value = value

    def __call__(self, shape, dtype=None):
        backend = current()
        shape = standardize_shape(shape, "Constant")
        dtype = backend.dtype(standardize_dtype(dtype, "Constant"))
        if isinstance(self.value, (bool, int, float)):
            return backend.xp.full(shape, self.value, dtype=dtype, device=backend.device)
        filled = backend.xp.zeros(shape, dtype=dtype, device=backend.device)
        value = backend.asarray(getattr(self.value, "value", self.value), dtype=dtype)
        try:
            return filled + value
        except (ValueError, TypeError):
            raise ValueError(
                f"Constant: a value of shape {tuple(value.shape)} cannot fill a weight of shape "
                f"{shape}; pass an array of the weight's shape (or one that broadcasts to it)."
            ) from None

    def get_config(self):
        if isinstance(self.value, (bool, int, float)):
            return {"value": self.value}
        from kerasx.saving.serialization import serialize_keras_object

        return {"value": serialize_keras_object(self.value)}

    @classmethod
    def from_config(cls, config):
        from kerasx.saving.serialization import deserialize_keras_object

        value = config["value"]
        return cls(deserialize_keras_object(value) if isinstance(value, dict) else value)


class Identity(Initializer):
    """`gain` times the identity matrix; only for 2-D weights (non-square ones get
    ones on the main diagonal).

    Args:
        gain: the scale of the diagonal.

    Example:

        layer = Dense(4, kernel_initializer=Identity(gain=0.5))
    """

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape, "Identity")
        if len(shape) != 2:
            raise ValueError(
                f"Identity initializer can only be used for 2D matrices. Received: shape={shape} "
                f"of rank {len(shape)}. Use it for Dense kernels or recurrent kernels."
            )
        backend = current()
        dtype = backend.dtype(standardize_dtype(dtype, "Identity"))
        eye = backend.xp.eye(shape[0], shape[1], dtype=dtype, device=backend.device)
        return eye if self.gain == 1 else eye * self.gain

    def get_config(self):
        return {"gain": self.gain}
