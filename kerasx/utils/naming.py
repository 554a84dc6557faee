"""Unique, Keras-style object names (`dense`, `dense_1`, ...)."""

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


def reset_names():
    _COUNTS.clear()
