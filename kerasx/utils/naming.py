"""Unique, Keras-style object names (`dense`, `dense_1`, ...)."""

import contextlib
import re

_COUNTS = {}


def to_snake_case(name):
    """`SpatialDropout1D` -> `spatial_dropout1d`, `Conv2D` -> `conv2d`, as Keras names them."""
    name = re.sub(r"\W+", "", name)
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    name = re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
    return name


def uniquify(base):
    """`base` the first time, then `base_1`, `base_2`, ... as Keras names layers."""
    count = _COUNTS.get(base, 0)
    _COUNTS[base] = count + 1
    return base if count == 0 else f"{base}_{count}"


@contextlib.contextmanager
def names_given_back(*bases):
    """Names under `bases` taken inside the block are free again after it (for internal
    placeholder objects that Keras, tracing without them, never names)."""
    saved = {base: _COUNTS.get(base) for base in bases}
    try:
        yield
    finally:
        for base, count in saved.items():
            if count is None:
                _COUNTS.pop(base, None)
            else:
                _COUNTS[base] = count


def reset_names():
    _COUNTS.clear()
