"""The inputs of the `ops_parity` dtype sweep, shared by its generator (run with Keras)
and its test (run with kerasx): NumPy only.

Each op of `keras.ops` (and `keras.ops.image`) is called with one of a few argument
templates, every combination of the dtypes below, and (for two-argument templates) a
Python number on either side; the generator records the result dtypes.
"""

import numpy as np

DTYPES = ("bool", "int32", "int64", "float16", "float32", "float64")
PYTHON_NUMBERS = {"pyint": 2, "pyfloat": 1.5, "pybool": True}


def sample(shape, dtype, square=False):
    """Small positive values (a well-conditioned matrix for `square`) of `dtype`."""
    n = int(np.prod(shape))
    base = (np.arange(n) % 3 + 1).reshape(shape).astype("float64")
    if square:
        base = np.eye(shape[-1]) * 3 + 0.1 * base
    if dtype == "bool":
        return np.arange(n).reshape(shape) % 2 == 0
    if dtype.startswith("int"):
        return base.round().astype(dtype)
    return (base * 0.4).astype(dtype)


# name: (shapes of the arguments, whether they are square matrices)
TEMPLATES = {
    "u": (((2, 3),), False),
    "b": (((2, 3), (2, 3)), False),
    "mat": (((3, 3),), True),
    "mat2": (((3, 3), (3, 3)), True),
    "img": (((1, 4, 4, 3),), False),
    "vec": (((4,),), False),
    "vec2": (((3,), (3,)), False),
}

# ops the sweep does not call: they read no tensor dtype (creation, shapes, control
# flow, function wrappers) or need arguments no template gives
SKIPPED = {"convert_to_numpy", "shape", "dtype", "is_tensor", "ndim", "size", "vectorize",
           "custom_gradient", "vectorized_map", "map", "scan", "associative_scan", "cond",
           "switch", "while_loop", "fori_loop", "stop_gradient", "jvp", "empty", "ones",
           "zeros", "eye", "identity", "tri", "full", "arange", "linspace", "logspace",
           "geomspace", "unstack", "rearrange", "view"}


def combos(template):
    """The argument lists of `template`: `(key, arrays-or-numbers)` pairs."""
    shapes, square = TEMPLATES[template]
    if len(shapes) == 1:
        return [(d, [sample(shapes[0], d, square)]) for d in DTYPES]
    out = [(f"{a},{b}", [sample(shapes[0], a, square), sample(shapes[1], b, square)])
           for a in DTYPES for b in DTYPES]
    for name, number in PYTHON_NUMBERS.items():
        for d in DTYPES:
            out.append((f"{d},{name}", [sample(shapes[0], d, square), number]))
            out.append((f"{name},{d}", [number, sample(shapes[1], d, square)]))
    return out
