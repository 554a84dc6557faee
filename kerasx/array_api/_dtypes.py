"""The array API's data types and data type functions, on kerasx's dtype names.

kerasx tensors name their dtype with a string (`tensor.dtype == "float32"`), so the
namespace's dtypes are those strings: `x.dtype == xp.float32` holds, and every function
takes them (or a backend dtype) where the standard takes a dtype.
"""

import builtins
from collections import namedtuple

from kerasx.backends import current

bool = "bool"  # noqa: A001 - the standard's name
int8, int16, int32, int64 = "int8", "int16", "int32", "int64"
uint8, uint16, uint32, uint64 = "uint8", "uint16", "uint32", "uint64"
float32, float64 = "float32", "float64"
complex64, complex128 = "complex64", "complex128"

_KINDS = {
    "bool": ("bool",),
    "signed integer": (int8, int16, int32, int64),
    "unsigned integer": (uint8, uint16, uint32, uint64),
    "integral": (int8, int16, int32, int64, uint8, uint16, uint32, uint64),
    "real floating": ("float16", "bfloat16", float32, float64),
    "complex floating": (complex64, complex128),
    "numeric": (int8, int16, int32, int64, uint8, uint16, uint32, uint64, "float16",
                "bfloat16", float32, float64, complex64, complex128),
}

finfo_object = namedtuple("finfo_object", "bits eps max min smallest_normal dtype")
iinfo_object = namedtuple("iinfo_object", "bits max min dtype")


def name_of(dtype):
    """The kerasx name of `dtype` (a name, a backend or NumPy dtype, a Python type)."""
    from kerasx.backend import standardize_dtype

    return standardize_dtype(dtype)


def isdtype(dtype, kind):
    """Whether `dtype` is of `kind`: a dtype, a kind name ("real floating",
    "integral", ...) or a tuple of those."""
    if isinstance(kind, tuple):
        return any(isdtype(dtype, k) for k in kind)
    name = name_of(dtype)
    if isinstance(kind, str) and kind in _KINDS:
        return name in _KINDS[kind]
    if isinstance(kind, str) and " " in kind:
        raise ValueError(f"isdtype: unknown kind {kind!r}; expected one of {sorted(_KINDS)} "
                         "or a dtype.")
    return name == name_of(kind)


def _info_array(x_or_dtype):
    dtype = x_or_dtype.dtype if hasattr(x_or_dtype, "shape") else x_or_dtype
    backend = current()
    return backend, name_of(dtype), backend.dtype(name_of(dtype))


def finfo(type):  # noqa: A002 - the standard's name
    """Machine limits of a floating dtype (or of an array's dtype)."""
    backend, name, dtype = _info_array(type)
    info = backend.xp.finfo(dtype)
    return finfo_object(int(info.bits), float(info.eps), float(info.max), float(info.min),
                        float(info.smallest_normal), name)


def iinfo(type):  # noqa: A002
    """Limits of an integer dtype (or of an array's dtype)."""
    backend, name, dtype = _info_array(type)
    info = backend.xp.iinfo(dtype)
    return iinfo_object(int(info.bits), int(info.max), int(info.min), name)


def result_type(*arrays_and_dtypes):
    """The dtype kerasx's ops give to a mix of these arrays, dtypes and Python scalars."""
    from kerasx.backend import result_type as promote

    def dtype_of(a):
        if hasattr(a, "shape") and hasattr(a, "dtype"):
            return a.dtype
        # a Python scalar takes the array's dtype (a weak type, as in Keras)
        return type(a) if isinstance(a, (int, float, complex)) else a

    return promote(*[dtype_of(a) for a in arrays_and_dtypes])


def can_cast(from_, to, /):
    """Whether the standard's promotion rules cast `from_` (a dtype or an array) to `to`
    without loss (the backend's answer)."""
    source = from_.dtype if hasattr(from_, "shape") else from_
    backend = current()
    return builtins.bool(backend.xp.can_cast(backend.dtype(name_of(source)),
                                             backend.dtype(name_of(to))))


def astype(x, dtype, /, *, copy=True, device=None):
    """`x` cast to `dtype` (differentiable for floating dtypes)."""
    from kerasx import ops

    return ops.cast(x, name_of(dtype))
