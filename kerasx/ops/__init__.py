"""`kerasx.ops`: differentiable array operations with the `keras.ops` names.

Every function accepts Tensors, Variables, backend arrays and Python scalars,
and returns a Tensor. While a `GradientTape` records, each call on a tracked
input adds one node whose VJP rule sits beside the forward in these modules.

Called on symbolic tensors (`kerasx.Input` and what is computed from it), a
function computes nothing: it adds an operation node to the functional graph
(see `kerasx.layers.core.op_layer`), so `kerasx.Model(x, ops.exp(x) * 2)` works.
"""

import builtins as _builtins
import functools as _functools

from kerasx.autodiff.tensor import TensorOps as _TensorOps
from kerasx.ops.conv import conv, conv_transpose, depthwise_conv, separable_conv
from kerasx.ops.linalg import dense, dot, matmul, norm
from kerasx.ops.math import (abs, add, ceil, clip, cos, divide, equal, exp, expm1, floor,
                             floor_divide, greater, greater_equal, isfinite, isnan, less,
                             less_equal, log, log1p, logical_and, logical_not, logical_or,
                             maximum, minimum, mod, multiply, negative, not_equal, power,
                             reciprocal, round, sign, sin, sqrt, square, subtract, where)
from kerasx.ops.nn import (dropout, elu, exponential, gelu, hard_sigmoid, hard_silu, leaky_relu,
                           log_softmax, mish, relu, relu6, selu, sigmoid, sigmoid_cross_entropy,
                           silu, softmax, softmax_cross_entropy, softplus, softsign, swish, tanh)
from kerasx.ops.reduction import (all, any, argmax, argmin, logsumexp, max, mean, min, prod, std,
                                  sum, var)
from kerasx.ops.shape import (arange, broadcast_to, cast, concatenate, convert_to_numpy,
                              convert_to_tensor, expand_dims, flatten, flip, getitem, moveaxis,
                              one_hot, ones, ones_like, repeat, reshape, shape, split, squeeze,
                              stack, stop_gradient, swapaxes, take, take_along_axis, tile,
                              transpose, zeros, zeros_like)

from kerasx.ops.padding import pad
from kerasx.ops.axis_patterns import rearrange
from kerasx.ops.nn import (celu, glu, hard_shrink, hard_tanh, log_sigmoid, prelu, soft_shrink,
                           sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh_shrink,
                           threshold)
from kerasx.ops.pooling import average_pool, max_pool
from kerasx.ops.rnn import gru, lstm, simple_rnn
from kerasx.ops.normalization import (batch_normalization, layer_normalization, moments,
                                      normalize, rms_normalization)
from kerasx.ops.adaptive_pooling import adaptive_average_pool, adaptive_max_pool
from kerasx.ops.arithmetic import copy, fmod, nan_to_num, trunc
from kerasx.ops.comparison import allclose, isclose, isinf, logical_xor, signbit
from kerasx.ops.cumulative import cumprod, cumsum
from kerasx.ops.ctc import ctc_decode, ctc_loss
from kerasx.ops.contraction import inner, outer, tensordot, vdot
from kerasx.ops.creation import empty, eye, full, full_like, identity, linspace, meshgrid, tri
from kerasx.ops.einsum import einsum
from kerasx.ops.exp_log import erf, exp2, log10, log2, logaddexp, rsqrt
from kerasx.ops.inspection import is_tensor, ndim, size
from kerasx.ops.matrix import diag, diagonal, trace, tril, triu
from kerasx.ops.moving import (hstack, ravel, roll, scatter_update, select, slice, slice_update,
                               unstack, vstack)
from kerasx.ops.sorting import argsort, digitize, in_top_k, searchsorted, sort, top_k
from kerasx.ops.statistics import average, bincount, count_nonzero, median, quantile
from kerasx.ops.trigonometry import (arccos, arccosh, arcsin, arcsinh, arctan, arctan2, arctanh,
                                     cosh, hypot, sinh, tan)
from kerasx.ops.error_functions import erfc, erfinv
from kerasx.ops.extrema import amax, amin, fmax, fmin, ptp
from kerasx.ops.attention import dot_product_attention
from kerasx.ops.nn_extra import (binary_crossentropy, categorical_crossentropy, depth_to_space,
                                 multi_hot, polar, psnr, space_to_depth,
                                 sparse_categorical_crossentropy)
from kerasx.ops.patches import extract_sequences, fold, unfold
from kerasx.ops.segments import scatter, segment_max, segment_min, segment_prod, segment_sum
from kerasx.ops.float_functions import (cbrt, deg2rad, divide_no_nan, fabs, heaviside, ldexp,
                                        logaddexp2, nextafter, rad2deg, sinc)
from kerasx.ops.casting import array, dtype, empty_like, saturate_cast, view
from kerasx.ops.complex_parts import (angle, conj, conjugate, imag, isneginf, isposinf, isreal,
                                      real)
from kerasx.ops.differences import diff, trapezoid
from kerasx.ops.flips import fliplr, flipud, rot90
from kerasx.ops.indexing import argpartition, isin, nonzero, unique, unravel_index
from kerasx.ops.joining import append, dstack
from kerasx.ops.matrix_building import diagflat, vander
from kerasx.ops.splitting import array_split, dsplit, hsplit, vsplit
from kerasx.ops.vector_products import cross, kron
from kerasx.ops.nan_reductions import (nanargmax, nanargmin, nancumprod, nancumsum, nanmax,
                                       nanmean, nanmin, nanprod, nanstd, nansum, nanvar)
from kerasx.ops.nan_statistics import nanmedian, nanpercentile, nanquantile, percentile
from kerasx.ops.bitwise import (bitwise_and, bitwise_invert, bitwise_left_shift, bitwise_not,
                                bitwise_or, bitwise_right_shift, bitwise_xor, gcd, lcm,
                                left_shift, right_shift)
from kerasx.ops.bessel import i0
from kerasx.ops.correlation import corrcoef, correlate
from kerasx.ops.histogram import histogram
from kerasx.ops.log_spacing import geomspace, logspace
from kerasx.ops.vectorize import vectorize
from kerasx.ops.windows import bartlett, blackman, hamming, hanning, kaiser
from kerasx.ops.solvers import cholesky_inverse, inv, lstsq, pinv, solve, solve_triangular
from kerasx.ops.determinants import det, logdet, matrix_rank, slogdet
from kerasx.ops.decompositions import cholesky, eig, eigh, qr, svd
from kerasx.ops.lu import lu_factor
from kerasx.ops.fourier import fft, fft2, ifft2, irfft, rfft
from kerasx.ops.short_time_fourier import istft, stft
from kerasx.ops.distances import cdist
from kerasx.ops.complex_views import view_as_complex, view_as_real

# The types that may hold a symbolic tensor; `kerasx.layers.core.keras_tensor` adds
# `KerasTensor` when it is imported (no KerasTensor can exist before that).
_MAYBE_SYMBOLIC = {list, tuple, dict}
_SYMBOLIC_SET = set()
# Functions that read only static facts of their argument, or create arrays from nothing.
_NOT_RECORDED = {"shape", "convert_to_numpy", "zeros", "ones", "arange", "eye", "identity",
                 "tri", "full", "empty", "size", "ndim", "is_tensor"}
# (and: what reads a dtype, builds a window or a geometric sequence from numbers, or wraps a
# function; `linspace`, `logspace` and `geomspace` record a node when `start` or `stop` is
# symbolic, as in Keras)
_NOT_RECORDED |= {"dtype", "bartlett", "blackman", "hamming", "hanning", "kaiser",
                  "vectorize"}


def _register_symbolic_type(cls):
    _MAYBE_SYMBOLIC.add(cls)
    _SYMBOLIC_SET.add(cls)


def _has_symbolic(value):
    """Whether `value` is, or (in lists, tuples, dicts) holds, a symbolic tensor."""
    if isinstance(value, dict):
        value = value.values()
    elif not isinstance(value, (list, tuple)):
        return type(value) in _SYMBOLIC_SET
    for v in value:
        t = type(v)
        if t in _SYMBOLIC_SET or t in _MAYBE_SYMBOLIC and _has_symbolic(v):
            return True
    return False


def _symbolic_aware(name, fn, op=None):
    """`fn`, recording an operation node instead of computing when an argument is symbolic.

    `op` is the node's op name when it is not `name` (`"image.resize"`).

    The wrapper is generated with `fn`'s own signature, so the eager path costs one
    call and a set lookup per argument type; only lists, tuples, dicts and KerasTensors
    take the slow path, which searches containers (`concatenate([x, y])`).
    """
    import inspect

    def slow(*args, **kwargs):
        if _has_symbolic(args) or _has_symbolic(kwargs):
            from kerasx.layers.core.op_layer import symbolic_op

            return symbolic_op(op or name, fn, args, kwargs)
        return fn(*args, **kwargs)

    P = inspect.Parameter
    header, forward, checked, defaults = [], [], [], {}
    keyword_only = False
    for p in inspect.signature(fn).parameters.values():
        if p.kind is P.VAR_POSITIONAL:
            header.append("*" + p.name)
            forward.append("*" + p.name)
            checked.append(f"_S.isdisjoint(map(type, {p.name}))")
            keyword_only = True
            continue
        if p.kind is P.VAR_KEYWORD:
            header.append("**" + p.name)
            forward.append("**" + p.name)
            checked.append(f"_S.isdisjoint(map(type, {p.name}.values()))")
            continue
        if p.kind is P.KEYWORD_ONLY and not keyword_only:
            header.append("*")
            keyword_only = True
        if p.default is P.empty:
            header.append(p.name)
        else:
            defaults[p.name] = p.default
            header.append(f"{p.name}=_d[{p.name!r}]")
        forward.append(f"{p.name}={p.name}" if keyword_only else p.name)
        checked.append(f"type({p.name}) not in _S")
    call = ", ".join(forward)
    source = (f"def {name}({', '.join(header)}):\n"
              f"    if {' and '.join(checked) or 'True'}:\n"
              f"        return _fn({call})\n"
              f"    return _slow({call})\n")
    scope = {"_fn": fn, "_slow": slow, "_S": _MAYBE_SYMBOLIC, "_d": defaults}
    exec(compile(source, f"<kerasx.ops.{name}>", "exec"), scope)
    wrapped = _functools.wraps(fn)(scope[name])
    wrapped._kerasx_op = op or name
    return wrapped


def _wrap_public_functions(namespace):
    import inspect

    for name, value in list(namespace.items()):
        if name.startswith("_") or not inspect.isfunction(value) or name in _NOT_RECORDED:
            continue
        if not value.__module__.startswith("kerasx.ops."):
            continue
        namespace[name] = _symbolic_aware(name, value)


def _raw(fn):
    """The eager function behind a public op (Tensor operators call it directly)."""
    return getattr(fn, "__wrapped__", fn)



_UNARY = {"__neg__", "__abs__", "__pos__", "__invert__"}


def _defer_to_symbolic(fn):
    """The eager binary operator `fn`, giving way to a symbolic right operand.

    `tensor + keras_tensor` must record a graph node, not compute: returning
    NotImplemented makes Python call the KerasTensor's reflected operator
    (`__radd__`, `__rmatmul__`, `__gt__` for `<`, ...), which records the op.
    """

    def operator(a, b):
        if type(b) in _SYMBOLIC_SET:
            return NotImplemented
        return fn(a, b)

    operator.__name__ = fn.__name__
    operator.__doc__ = fn.__doc__
    return operator


def _comparison(fn):
    """`==` / `!=` on eager tensors: elementwise, as on Keras's backend arrays and variables.

    Two variables, and operands that are not array-like (None, strings, layers, ...),
    compare by identity, so `variable in a_list`, `list.remove(variable)` and
    `tensor == None` keep their meaning.
    """
    from kerasx.autodiff.variable import Variable

    def operator(a, b):
        if b is None or type(b) in _SYMBOLIC_SET or isinstance(b, (str, bytes)) or not (
                isinstance(b, (int, float, complex, list, tuple)) or hasattr(b, "shape")) or (
                isinstance(a, Variable) and isinstance(b, Variable)):
            return NotImplemented
        return fn(a, b)

    operator.__name__ = fn.__name__
    operator.__doc__ = fn.__doc__
    return operator


def _getitem_maybe_symbolic(x, key):
    # A symbolic index (`tensor[keras_tensor]`) records a `getitem` node.
    if type(key) in _SYMBOLIC_SET or type(key) is tuple and not \
            _SYMBOLIC_SET.isdisjoint(_builtins.map(type, key)):
        return getitem(x, key)
    return _raw_getitem(x, key)


def _bind_operators(cls, symbolic=False):
    """Gives Tensor and Variable (or, with `symbolic`, KerasTensor) the Python operators,
    routed through these ops."""
    ops = {
        "__add__": add, "__radd__": lambda a, b: add(b, a),
        "__sub__": subtract, "__rsub__": lambda a, b: subtract(b, a),
        "__mul__": multiply, "__rmul__": lambda a, b: multiply(b, a),
        "__truediv__": true_divide, "__rtruediv__": lambda a, b: true_divide(b, a),
        "__pow__": power, "__rpow__": lambda a, b: power(b, a),
        "__matmul__": matmul, "__rmatmul__": lambda a, b: matmul(b, a),
        "__neg__": negative, "__abs__": abs, "__pos__": lambda a: a,
        "__floordiv__": floor_divide, "__mod__": mod,
        "__lt__": less, "__le__": less_equal, "__gt__": greater, "__ge__": greater_equal,
        "__getitem__": getitem,
        "__and__": logical_and, "__or__": logical_or, "__invert__": logical_not,
    }
    if symbolic:
        ops.update({"__ne__": not_equal, "__rmod__": lambda a, b: mod(b, a),
                    "__rfloordiv__": lambda a, b: floor_divide(b, a),
                    "__rand__": lambda a, b: logical_and(b, a),
                    "__ror__": lambda a, b: logical_or(b, a)})
    else:
        # eager tensors' bit operators and reflected operators are those of the backend
        # arrays (bitwise on integers, logical on booleans, as JAX's arrays in Keras);
        # symbolic ones keep Keras's KerasTensor operators (logical)
        ops.update({
            "__and__": bitwise_and, "__or__": bitwise_or, "__xor__": bitwise_xor,
            "__invert__": bitwise_invert, "__lshift__": bitwise_left_shift,
            "__rshift__": bitwise_right_shift,
            "__rand__": lambda a, b: bitwise_and(b, a), "__ror__": lambda a, b: bitwise_or(b, a),
            "__rxor__": lambda a, b: bitwise_xor(b, a),
            "__rlshift__": lambda a, b: bitwise_left_shift(b, a),
            "__rrshift__": lambda a, b: bitwise_right_shift(b, a),
            "__rfloordiv__": lambda a, b: floor_divide(b, a), "__rmod__": lambda a, b: mod(b, a)})
        ops = {k: _raw(v) if k.startswith("__r") or k in _UNARY else _defer_to_symbolic(_raw(v))
               for k, v in ops.items()}
        ops["__getitem__"] = _getitem_maybe_symbolic
        ops["__eq__"], ops["__ne__"] = _comparison(_raw(equal)), _comparison(_raw(not_equal))
        cls.__hash__ = object.__hash__  # still hashable by identity, as Keras's variables
    for name, fn in ops.items():
        setattr(cls, name, fn)
    tr, rs, sq = (transpose, reshape, squeeze) if symbolic else \
        (_raw(transpose), _raw(reshape), _raw(squeeze))
    cls.T = property(lambda self: tr(self))
    cls.reshape = lambda self, *shape: rs(self, shape[0] if len(shape) == 1 else shape)
    if symbolic:
        cls.squeeze = lambda self, axis=None: sq(self, axis)


_wrap_public_functions(globals())
# keras.ops.linalg: the `linalg` module's names as the symbolic-aware ops
from kerasx.ops import linalg as _linalg  # noqa: E402
for _name in ("cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "lstsq", "lu_factor",
              "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd"):
    setattr(_linalg, _name, globals()[_name])
# control flow records graph nodes itself
from kerasx.ops.control_flow import (associative_scan, cond, fori_loop, map, scan,  # noqa: E402
                                     switch, vectorized_map, while_loop)
from kerasx.ops.custom_gradient import custom_gradient  # noqa: E402  (a decorator, not an op)
from kerasx.ops.forward_mode import jvp  # noqa: E402  (takes a function; records its own node)
_linalg.jvp = jvp
_raw_getitem = _raw(getitem)
absolute = abs
# Keras records `/` and `ops.true_divide` as a `true_divide` node (TrueDivide), not `divide`
true_divide = _symbolic_aware("true_divide", _raw(divide))
concat = concatenate
permute_dims = transpose
get_item = getitem
hard_swish = hard_silu
from kerasx.ops import nn as _nn  # noqa: E402  (keras.ops.nn: its names as the symbolic-aware ops)
_nn.__dict__.update({_name: globals()[_name] for _name in _nn.__all__})
_bind_operators(_TensorOps)
from kerasx.ops import image  # noqa: E402  (keras.ops.image: a namespace of image ops)
for _name in image.__all__:  # on a symbolic tensor each records an `image.<name>` node
    setattr(image, _name, _symbolic_aware(_name, getattr(image, _name), op="image." + _name))
from kerasx.ops import numpy  # noqa: E402  (keras.ops.numpy: its names, after the wrapping)
from kerasx.ops._bfloat16 import wrap_if_pending as _wrap_if_pending  # noqa: E402
_wrap_if_pending()  # bfloat16 enabled while these modules were imported
