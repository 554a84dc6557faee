"""`Initializer`: the base class of weight initializers."""

from kerasx.backends import current


class Initializer:
    """Base class of initializers: `initializer(shape, dtype=None)` returns an array.

    Subclasses implement `__call__(shape, dtype=None)` returning an array of the
    active backend on its device, and `get_config()` returning their
    constructor arguments, so that `from_config(get_config())` rebuilds them.

    Example:

        class Halves(Initializer):
            def __call__(self, shape, dtype=None):
                return Constant(0.5)(shape, dtype)
    """

    def __call__(self, shape, dtype=None):
        raise NotImplementedError(
            f"{type(self).__name__} must implement `__call__(self, shape, dtype=None)`."
        )

    def get_config(self):
        """The constructor arguments as a JSON-able dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuilds an initializer from the output of `get_config()`."""
        return cls(**config)

    def clone(self):
        """A new initializer with the same configuration."""
        return type(self).from_config(self.get_config())

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def standardize_shape(shape, who):
    """`shape` as a tuple of non-negative ints, or a clear error naming `who`."""
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)
    try:
        dims = tuple(shape)
    except TypeError:
        raise TypeError(
            f"{who}: shape must be a tuple of non-negative integers, received shape={shape!r}."
        ) from None
    for d in dims:
        if isinstance(d, bool) or not hasattr(d, "__index__") or int(d) < 0:
            raise ValueError(
                f"{who}: shape must be a tuple of non-negative integers, received "
                f"shape={shape!r}. Weights need fully known shapes (no None)."
            )
    return tuple(int(d) for d in dims)


def standardize_dtype(dtype, who, floating=False):
    """`dtype` (a name or a dtype object; None means `floatx()`) as a dtype name."""
    from kerasx.backends.base import dtype_name
    from kerasx.config import floatx

    name = floatx() if dtype is None else dtype_name(dtype)
    if floating and name not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(
            f"{who} draws floating-point values, but dtype={name!r} was requested. "
            "Use a float dtype ('float16', 'bfloat16', 'float32' or 'float64'), or a "
            "Zeros/Ones/Constant initializer for integer weights."
        )
    current().dtype(name)  # unknown names fail here, with the available ones listed
    return name
