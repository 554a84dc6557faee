"""Keras's type promotion: the result dtype of combining dtypes and Python scalar types.

Keras follows JAX's lattice: bool < weak int < (uint8 | int8) < ... < weak float <
(bfloat16 | float16) < float32 < float64, with complex types above. Python `int` and
`float` are *weak*: they take the type of the array they meet (`int8` with `int` stays
`int8`). Alone or together, weak types become the 32-bit types of `floatx()`'s precision.
Like JAX without 64-bit mode, 64-bit results become 32-bit (float64 -> float32,
int64 -> int32, uint64 -> uint32, complex128 -> complex64).
"""

import functools

_LATTICE = {
    "bool": ("int",),
    "uint8": ("int16", "uint16"),
    "uint16": ("int32", "uint32"),
    "uint32": ("int64", "uint64"),
    "uint64": ("float",),
    "int": ("uint8", "int8", "complex64"),
    "int8": ("int16",),
    "int16": ("int32",),
    "int32": ("int64",),
    "int64": ("float",),
    "float": ("bfloat16", "float16"),
    "bfloat16": ("float32",),
    "float16": ("float32",),
    "float32": ("float64", "complex64"),
    "float64": ("complex128",),
    "complex64": ("complex128",),
    "complex128": (),
}
_TO_32_BITS = {"int64": "int32", "uint64": "uint32", "float64": "float32",
               "complex128": "complex64"}
_PYTHON_TYPES = {bool: "bool", int: "int32", float: "float32", complex: "complex64"}


def _upper_bounds():
    bounds = {}
    for node in _LATTICE:
        above, frontier = {node}, [node]
        while frontier:
            for parent in _LATTICE[frontier.pop()]:
                if parent not in above:
                    above.add(parent)
                    frontier.append(parent)
        bounds[node] = above
    return bounds


_UPPER_BOUNDS = _upper_bounds()


@functools.lru_cache(maxsize=512)
def _least_upper_bound(nodes):
    for node in nodes:
        if node not in _UPPER_BOUNDS:
            raise ValueError(f"dtype={node!r} is not a valid dtype for Keras type promotion: "
                             "only booleans, integers, floats and complex numbers promote. "
                             "Cast it explicitly first.")
    common = set.intersection(*(_UPPER_BOUNDS[n] for n in nodes))
    least = [c for c in common if common <= _UPPER_BOUNDS[c]]
    return least[0]


def _weak(name):
    if name.startswith(("float", "bfloat")):
        return "float"
    return "int" if "int" in name else name


def _resolve_weak(name, precision):
    if name == "float":
        return f"float{precision}"
    return f"int{precision}" if name == "int" else name


def result_type(*dtypes):
    """The dtype Keras gives to an operation on values of `dtypes`.

    Each argument is a dtype name, a dtype object of an array library, a Python
    type (`int` and `float` are weak) or None (`floatx()`). No arguments give
    `floatx()`.

    >>> result_type("int32", "float16")
    'float16'
    >>> result_type("int8", int)
    'int8'
    >>> result_type("uint8", "int8")
    'int16'
    """
    from kerasx.backend import standardize_dtype
    from kerasx.config import floatx

    if not dtypes:
        return floatx()
    names, weak = [], []
    for dtype in dtypes:
        is_weak = dtype is int or dtype is float
        if str(dtype).startswith("float8"):
            raise ValueError("There is no implicit conversion from float8 dtypes to others: "
                             f"cast explicitly first. Received: {dtypes}")
        if dtype is None:
            name = floatx()
        elif isinstance(dtype, type) and dtype in _PYTHON_TYPES:
            name = _PYTHON_TYPES[dtype]
        else:
            name = standardize_dtype(dtype)
        names.append(name)
        weak.append(is_weak)
    if len(names) == 1:
        result, result_weak = names[0], weak[0]
    elif len(set(names)) == 1 and not all(weak):
        result, result_weak = names[0], False
    elif all(weak):
        result, result_weak = _least_upper_bound(frozenset(names)), True
    else:
        nodes = frozenset(_weak(n) if w else n for n, w in zip(names, weak))
        result = _least_upper_bound(nodes)
        result_weak = result in ("int", "float")
    if result_weak and result != "bool":
        result = _resolve_weak(_weak(result), floatx()[-2:])
    return _TO_32_BITS.get(result, result)


@functools.lru_cache(maxsize=512)
def array_result_type(*names):
    """The dtype Keras gives to an op joining arrays of the dtypes `names` (kerasx dtype
    names, no Python types), with 64-bit inputs kept as kerasx keeps them (NumPy's rule).

    A 64-bit result of narrower inputs narrows as in Keras: `uint32` with `int32` is
    `int32` (NumPy: int64), `float16` with `bfloat16` is `float32`. Cached per tuple of
    names, so callers pay one dictionary look-up.

    >>> array_result_type("uint32", "int8")
    'int32'
    >>> array_result_type("float64", "float32")
    'float64'
    """
    if len(set(names)) == 1:
        return names[0]
    wide = any(name in _TO_32_BITS for name in names)
    result = _least_upper_bound(frozenset(names))
    if result in ("int", "float"):  # uint64 with a signed type: a float, as in JAX
        from kerasx.config import floatx

        result = _resolve_weak(result, "64" if wide else floatx()[-2:])
    return result if wide else _TO_32_BITS.get(result, result)

