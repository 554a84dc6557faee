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
    """Fills the weights with one scalar value.

    Args:
        value: a Python number (NumPy scalars are accepted too).

    Example:

        layer = Dense(3, bias_initializer=Constant(0.1))
    """

    def __init__(self, value=0.0):
        if hasattr(value, "item") and not isinstance(value, (bool, int, float)):
            if getattr(value, "size", 1) != 1:
                raise ValueError(
                    f"Constant: value must be a scalar, received an array of shape "
                    f"{tuple(value.shape)}. To start from given weights, pass the array "
                    "itself as the initializer (initializers.get(array)) or use set_weights."
                )
            value = value.item()
        if not isinstance(value, (bool, int, float)):
            raise TypeError(
                f"Constant: value must be a Python number, received {value!r} of type "
                f"{type(value).__name__}."
            )
        self.value = value

    def __call__(self, shape, dtype=None):
        backend = current()
        shape = standardize_shape(shape, "Constant")
        dtype = backend.dtype(standardize_dtype(dtype, "Constant"))
        return backend.xp.full(shape, self.value, dtype=dtype, device=backend.device)

    def get_config(self):
        return {"value": self.value}


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
