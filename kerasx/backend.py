"""`kerasx.backend`: the `keras.backend` names — global settings and dtype helpers."""

from kerasx.config import (backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx,
                           set_image_data_format)
from kerasx.utils.seeding import clear_session
from kerasx.utils.dtype_promotion import result_type

_KNOWN_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32",
                 "uint64", "float16", "bfloat16", "float32", "float64", "complex64",
                 "complex128", "string", "float8_e4m3fn", "float8_e5m2")
_NAME_ALIASES = {"int": "int32"}  # as Keras on its 32-bit backends
_PYTHON_TYPES = {bool: "bool", int: "int32", float: None, str: "string"}

__all__ = ["backend", "clear_session", "epsilon", "floatx", "get_uid", "image_data_format",
           "is_float_dtype", "is_int_dtype", "is_keras_tensor", "result_type", "set_epsilon",
           "set_floatx", "set_image_data_format", "standardize_dtype"]


def standardize_dtype(dtype):
    """The standard name of `dtype` (a name, a NumPy/CuPy/array-API dtype, or a Python
    type): `"float32"`, `"int32"`... None and `float` give `floatx()`."""
    from kerasx.backends.base import dtype_name

    if dtype is None:
        return floatx()
    if dtype in _PYTHON_TYPES:
        return _PYTHON_TYPES[dtype] or floatx()
    name = dtype_name(dtype)
    name = _NAME_ALIASES.get(name, name)
    if name not in _KNOWN_DTYPES:
        raise ValueError(f"Invalid dtype: {dtype!r}. Expected one of {list(_KNOWN_DTYPES)}, "
                         "a dtype object of an array library or a Python type.")
    return name


def is_float_dtype(dtype):
    """True for the floating-point types (float16, bfloat16, float32, float64)."""
    return standardize_dtype(dtype).startswith(("float", "bfloat"))


def is_int_dtype(dtype):
    """True for the signed and unsigned integer types (not bool)."""
    return standardize_dtype(dtype).startswith(("int", "uint"))


def is_keras_tensor(x):
    """True for the symbolic tensors of the functional API (`kerasx.Input` and what
    layers compute from it)."""
    from kerasx.layers.core.keras_tensor import KerasTensor

    return isinstance(x, KerasTensor)


def get_uid(prefix=""):
    """The next integer id of `prefix`: 1, 2, ... The counter is the one behind automatic
    layer names (after one `Dense`, `get_uid("dense")` is 2) and `clear_session` resets it."""
    from kerasx.utils import naming

    uid = naming._COUNTS.get(prefix, 0) + 1
    naming._COUNTS[prefix] = uid
    return uid
