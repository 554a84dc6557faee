"""`kerasx.array_api`: the Python array API standard (2024.12) over kerasx's ops.

`tensor.__array_namespace__()` returns this module, so array-API code runs on kerasx
tensors and variables: `einops.array_api`, libraries dispatching with
`array_api_compat.array_namespace(x)`, or code written against `xp`:

    xp = x.__array_namespace__()
    y = xp.sum(xp.reshape(x, (2, -1)) ** 2, axis=1)

Every function is a kerasx op (or a few): it works on every backend, records on an open
`GradientTape` (gradients flow through array-API code), and on symbolic `KerasTensor`s
builds functional graphs. Dtypes are kerasx's dtype names (`xp.float32 == "float32"`);
integer results of searches and counts are int32, Keras's index dtype (the inspection
namespace says so). Not provided: in-place updates (`__setitem__`: kerasx tensors are
values, as JAX's arrays), and the `fft` extension.
"""

from kerasx import ops as _ops
from kerasx.array_api import linalg
from kerasx.array_api._adapted import (UniqueAllResult, UniqueCountsResult,
                                       UniqueInverseResult, arange, argmax, argmin, argsort,
                                       asarray, broadcast_arrays, broadcast_shapes, clip,
                                       concat, copysign, count_nonzero, cumulative_prod,
                                       cumulative_sum, diff, empty, empty_like, expand_dims,
                                       eye, from_dlpack, full, full_like, isin, linspace, max,
                                       matrix_transpose, meshgrid, min, ones, ones_like,
                                       positive, prod, reshape, round, searchsorted, sort,
                                       stack, std, sum, take, take_along_axis, tile,
                                       unique_all, unique_counts, unique_inverse,
                                       unique_values, unstack, var, vecdot, zeros, zeros_like)
from kerasx.array_api._dtypes import (astype, bool, can_cast, complex64,
                                      complex128, finfo, float32, float64, iinfo, int8, int16,
                                      int32, int64, isdtype, result_type, uint8, uint16,
                                      uint32, uint64)
from kerasx.array_api._info import __array_namespace_info__

__array_api_version__ = "2024.12"

e = 2.718281828459045
pi = 3.141592653589793
inf = float("inf")
nan = float("nan")
newaxis = None

# the functions kerasx.ops provides under the standard's name and signature
for _name in (
        "abs", "add", "all", "any", "bitwise_invert", "ceil", "conj", "cos", "cosh", "divide",
        "equal", "exp", "expm1", "flip", "floor", "floor_divide", "greater", "greater_equal",
        "hypot", "imag", "isfinite", "isinf", "isnan", "less", "less_equal", "log", "log1p",
        "log2", "log10", "logaddexp", "logical_and", "logical_not", "logical_or",
        "logical_xor", "matmul", "maximum", "mean", "minimum", "moveaxis", "multiply",
        "negative", "nextafter", "nonzero", "not_equal", "permute_dims", "real", "reciprocal",
        "repeat", "roll", "sign", "signbit", "sin", "sinh", "sqrt", "square", "squeeze",
        "subtract", "tan", "tanh", "tensordot", "tril", "triu", "trunc", "where",
        "broadcast_to"):
    globals()[_name] = getattr(_ops, _name)
del _name

# the standard's names for ops kerasx (as NumPy) names otherwise
acos, acosh, asin, asinh = _ops.arccos, _ops.arccosh, _ops.arcsin, _ops.arcsinh
atan, atan2, atanh = _ops.arctan, _ops.arctan2, _ops.arctanh
pow, remainder = _ops.power, _ops.mod  # noqa: A001
bitwise_and, bitwise_or, bitwise_xor = _ops.bitwise_and, _ops.bitwise_or, _ops.bitwise_xor
bitwise_left_shift, bitwise_right_shift = _ops.bitwise_left_shift, _ops.bitwise_right_shift

__all__ = ["UniqueAllResult", "UniqueCountsResult", "UniqueInverseResult",
           "__array_namespace_info__", "abs", "acos", "acosh", "add", "all", "any", "arange",
           "argmax", "argmin", "argsort", "asarray", "asin", "asinh", "astype", "atan", "atan2",
           "atanh", "bitwise_and", "bitwise_invert", "bitwise_left_shift", "bitwise_or",
           "bitwise_right_shift", "bitwise_xor", "bool", "broadcast_arrays", "broadcast_shapes",
           "broadcast_to", "can_cast", "ceil", "clip", "complex128", "complex64", "concat",
           "conj", "copysign", "cos", "cosh", "count_nonzero", "cumulative_prod",
           "cumulative_sum", "diff", "divide", "e", "empty", "empty_like", "equal", "exp",
           "expand_dims", "expm1", "eye", "finfo", "flip", "float32", "float64", "floor",
           "floor_divide", "from_dlpack", "full", "full_like", "greater", "greater_equal",
           "hypot", "iinfo", "imag", "inf", "int16", "int32", "int64", "int8", "isdtype",
           "isfinite", "isin", "isinf", "isnan", "less", "less_equal", "linalg", "linspace",
           "log", "log10", "log1p", "log2", "logaddexp", "logical_and", "logical_not",
           "logical_or", "logical_xor", "matmul", "matrix_transpose", "max", "maximum", "mean",
           "meshgrid", "min", "minimum", "moveaxis", "multiply", "nan", "negative", "newaxis",
           "nextafter", "nonzero", "not_equal", "ones", "ones_like", "permute_dims", "pi",
           "positive", "pow", "prod", "real", "reciprocal", "remainder", "repeat", "reshape",
           "result_type", "roll", "round", "searchsorted", "sign", "signbit", "sin", "sinh",
           "sort", "sqrt", "square", "squeeze", "stack", "std", "subtract", "sum", "take",
           "take_along_axis", "tan", "tanh", "tensordot", "tile", "tril", "triu", "trunc",
           "uint16", "uint32", "uint64", "uint8", "unique_all", "unique_counts",
           "unique_inverse", "unique_values", "unstack", "var", "vecdot", "where", "zeros",
           "zeros_like"]
