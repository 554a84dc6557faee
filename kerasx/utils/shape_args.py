"""Checks of the shapes users pass as arguments (`Input(shape=...)`, `input_shape=...`)."""

import operator


def standardize_shape(shape):
    """`shape` as a tuple of non-negative ints and Nones, or a ValueError as Keras raises.

    A bare number is refused, as in Keras (`Input(shape=8)`): a shape is a
    sequence of sizes. Sizes may be Python or NumPy integers or None; floats,
    strings and booleans are refused rather than silently converted.
    """
    if isinstance(shape, str) or not hasattr(shape, "__iter__"):
        hint = (f" For one axis, pass a one-element tuple, e.g. ({shape!r},)."
                if isinstance(shape, int) else "")
        raise ValueError(
            f"Cannot convert '{shape}' to a shape: expected a tuple of sizes (ints or None), "
            f"received {type(shape).__name__} {shape!r}.{hint}"
        )
    sizes = tuple(shape)
    result = []
    for size in sizes:
        if size is None:
            result.append(None)
            continue
        try:
            if isinstance(size, bool):
                raise TypeError
            result.append(operator.index(size))
        except TypeError:
            raise ValueError(
                f"Cannot convert '{sizes}' to a shape. Found invalid dimension '{size}' of type "
                f"'{type(size)}': sizes must be ints (or None for an unknown size)."
            ) from None
    if any(size is not None and size < 0 for size in result):
        raise ValueError(f"Cannot convert '{sizes}' to a shape. Negative dimensions are not "
                         f"allowed: sizes must be >= 0 (or None for an unknown size).")
    return tuple(result)
