"""Checks of the constructor arguments the dropout layers share, with Keras's messages."""

__all__ = []


def check_rate(layer_name, rate):
    """Raises unless `rate` is a number in [0, 1] (Keras accepts 1: everything dropped)."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValueError(
            f"{layer_name}: Invalid value received for argument `rate`. Expected a float "
            f"value between 0 and 1. Received: rate={rate!r}")
    return rate


def check_noise_shape(noise_shape):
    """`noise_shape` as a tuple of positive ints or None entries (None stays None)."""
    if noise_shape is None:
        return None
    if isinstance(noise_shape, str):
        raise ValueError(
            "Invalid value received for argument `noise_shape`. Expected a tuple or list of "
            f"integers. Received: noise_shape={noise_shape!r}")
    try:
        noise_shape = tuple(noise_shape)
    except TypeError:
        raise ValueError(
            "Invalid value received for argument `noise_shape`. Expected an iterable of "
            f"integers (e.g., a tuple or list). Received: noise_shape={noise_shape!r}") from None
    for i, dim in enumerate(noise_shape):
        if dim is None:
            continue
        if isinstance(dim, bool) or not isinstance(dim, int):
            raise ValueError(
                "Invalid value received for argument `noise_shape`. Expected all elements to "
                f"be integers or None. Received element at index {i}: {dim!r} "
                f"(type: {type(dim).__name__})")
        if dim <= 0:
            raise ValueError(
                "Invalid value received for argument `noise_shape`. Expected all dimensions "
                f"to be positive integers or None. Received negative or zero value at index "
                f"{i}: {dim}")
    return noise_shape
