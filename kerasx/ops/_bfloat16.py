"""bfloat16 results as Keras's NumPy backend gives them.

`ml_dtypes`' bfloat16 is a type NumPy's promotion does not know: a bfloat16 array
meeting a Python float, a matrix product or a convolution of bfloat16 arrays, and many
float functions come back float32 or float64. Keras's NumPy backend casts each op's
result back to the type of its inputs, so its ops keep bfloat16.

`enable(backend)` - called by the NumPy backend when it first hands out
bfloat16 - puts every public op (`kerasx.ops`, its `nn`, `numpy`, `linalg` and `image`
namespaces, and the Tensor operators) behind one rule. When the float inputs of a call
are all bfloat16 (Python numbers aside):

- a float32 or float64 result is cast to bfloat16, unless an explicit `dtype=` argument
  (`cast`, `one_hot`, `full_like`...) decides, or the op is one of `KERAS_WIDENS`;
- the ops of `PYTHON_FLOAT_AS_FLOAT32` read a Python float operand as a float32 array;
- while a tape records, each tracked bfloat16 input sits behind an identity node that
  casts its gradient to bfloat16 (a weight of a `mixed_bfloat16` layer: to float32), so
  gradients keep the dtypes of what they differentiate.

Before bfloat16 is first used the ops run untouched; afterwards a call on other types
pays one look at the dtypes of its arguments (about 0.3 us).
"""

import inspect
import os
import sys

from kerasx.autodiff.tape import is_recording, record
from kerasx.autodiff.tensor import Tensor, TensorOps

# Ops for which Keras's NumPy backend itself returns a wider float on bfloat16 inputs
# (the linear algebra in float64, the cross-entropies in float32, ...).
KERAS_WIDENS = frozenset(
    "sparsemax logsumexp i0 segment_max binary_crossentropy categorical_crossentropy "
    "sparse_categorical_crossentropy ctc_loss ctc_decode multi_hot cholesky cholesky_inverse det eig "
    "eigh inv logdet lstsq lu_factor matrix_rank pinv qr slogdet solve solve_triangular "
    "svd batch_normalization".split())

# Ops whose operands Keras's NumPy backend makes tensors before promoting them: there a
# Python float meeting a bfloat16 array is a float32 array, and the result float32.
PYTHON_FLOAT_AS_FLOAT32 = frozenset(
    "arctan2 fmod heaviside hypot logaddexp logaddexp2 mod nextafter".split())

# Tensor operators that run an op (the others read or index)
_OPERATORS = ("__add__", "__radd__", "__sub__", "__rsub__", "__mul__", "__rmul__",
              "__truediv__", "__rtruediv__", "__pow__", "__rpow__", "__matmul__",
              "__rmatmul__", "__neg__", "__abs__", "__floordiv__", "__mod__")

_STATE = {}  # the backend's dtypes and namespace, filled by `enable`

_ONLY_BFLOAT16, _NO_FLOAT, _OTHER_FLOAT = 1, 0, 2


def enable(backend):
    """Makes the public ops keep bfloat16 on `backend`, which has it (idempotent)."""
    if _STATE:
        return
    xp = backend.xp

    def of_arrays(name):  # the dtype object arrays carry (NumPy's `float32` is a type)
        return xp.zeros(0, dtype=backend.dtype(name)).dtype

    _STATE["bfloat16"] = of_arrays("bfloat16")
    _STATE["wider"] = tuple(of_arrays(n) for n in (
        "float32", "float64", "float16", "complex64", "complex128"))
    _STATE["narrowed"] = _STATE["wider"][:2]
    _STATE["float32"] = _STATE["wider"][0]
    _STATE["xp"] = xp
    ops = sys.modules.get("kerasx.ops")
    if ops is not None and hasattr(ops, "image"):
        _wrap_ops(ops)
    else:  # enabled while `kerasx.ops` is being imported: it calls `wrap_if_pending` last
        _STATE["pending"] = True


def wrap_if_pending():
    """Wraps the ops where `enable` ran before they were all defined. Where ml_dtypes is
    imported already and NumPy is the default backend, enables bfloat16 now: the first
    op call resolves the backend, too late to keep its own result."""
    if _STATE.pop("pending", False):
        _wrap_ops(sys.modules["kerasx.ops"])
    elif not _STATE and "ml_dtypes" in sys.modules and \
            os.environ.get("KERASX_BACKEND", "numpy") == "numpy":
        from kerasx.backends import get_backend

        get_backend("numpy").dtype("bfloat16")


def _wrap_ops(ops):
    """Puts `keeping_bfloat16` behind each public op: the symbolic-aware functions of
    `kerasx.ops` call the eager function held in their own globals as `_fn` (and, when
    an argument is a list, tuple or dict, `_slow`), so replacing them there reaches
    every alias (`ops.nn.relu`, `ops.numpy.add`...)."""
    seen = set()
    for name, fn in vars(ops).items():
        scope = getattr(fn, "__globals__", None)
        if getattr(fn, "_kerasx_op", None) is None or "_fn" not in scope \
                or id(scope) in seen:
            continue
        seen.add(id(scope))
        scope["_fn"] = kept = keeping_bfloat16(fn._kerasx_op, scope["_fn"])
        scope["_slow"] = _eager_through(kept, scope["_slow"], ops._has_symbolic)
    for name in ops.image.__all__:
        setattr(ops.image, name, keeping_bfloat16(name, getattr(ops.image, name)))
    for name in _OPERATORS:
        setattr(TensorOps, name, keeping_bfloat16(name, getattr(TensorOps, name)))


def _eager_through(kept, slow, has_symbolic):
    """The path of a call with a list, tuple or dict argument (`slow`, which searches
    them for symbolic tensors), computing eagerly through `kept`."""

    def eager_or_symbolic(*args, **kwargs):
        if has_symbolic(args) or has_symbolic(kwargs):
            return slow(*args, **kwargs)
        return kept(*args, **kwargs)

    return eager_or_symbolic


def keeping_bfloat16(name, fn):
    """`fn` (the op `name`) with its results kept bfloat16 as described above."""
    if getattr(fn, "_keeps_bfloat16", False):
        return fn
    narrow = name not in KERAS_WIDENS
    python_floats_widen = name in PYTHON_FLOAT_AS_FLOAT32
    try:
        parameters = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        parameters = []
    dtype_at = parameters.index("dtype") if "dtype" in parameters else None

    def op(*args, **kwargs):
        kind = _float_inputs(args)
        if kwargs and kind != _OTHER_FLOAT:
            kind = _float_inputs(kwargs.values()) or kind
        if kind != _ONLY_BFLOAT16:
            return fn(*args, **kwargs)
        if python_floats_widen and float in map(type, args):
            args = tuple(_STATE["xp"].asarray(a, dtype=_STATE["float32"])
                         if type(a) is float else a for a in args)
        if is_recording():
            args = _gradient_boundaries(args)
            kwargs = dict(zip(kwargs, _gradient_boundaries(tuple(kwargs.values()))))
        out = fn(*args, **kwargs)
        if not narrow or python_floats_widen and _float_inputs(args) == _OTHER_FLOAT or \
                dtype_at is not None and kwargs.get(
                    "dtype", args[dtype_at] if len(args) > dtype_at else None) is not None:
            return out
        return narrowed(out)

    op.__name__, op.__qualname__, op.__doc__ = fn.__name__, fn.__qualname__, fn.__doc__
    op.__wrapped__ = fn
    op._keeps_bfloat16 = True
    return op


def _float_inputs(values):
    """`_ONLY_BFLOAT16`, `_OTHER_FLOAT` (a float array of another type is among them) or
    `_NO_FLOAT`, for arguments that may be lists or tuples of arrays. (Every op call
    makes this check once bfloat16 is enabled: it is kept to a few attribute reads.)"""
    bfloat16 = _STATE["bfloat16"]
    f32, f64, f16, c64, c128 = _STATE["wider"]
    found = _NO_FLOAT
    for v in values:
        dtype = getattr(v.value if isinstance(v, TensorOps) else v, "dtype", None)
        if dtype is bfloat16:
            found = _ONLY_BFLOAT16
        elif dtype is not None:
            # by identity: `==` would compare dtypes of different libraries
            if dtype is f32 or dtype is f64 or dtype is f16 or dtype is c64 or dtype is c128:
                return _OTHER_FLOAT
        elif type(v) is list or type(v) is tuple:
            inner = _float_inputs(v)
            if inner == _OTHER_FLOAT:
                return inner
            found = found or inner
    return found


def narrowed(out):
    """`out` (a Tensor, or a list or tuple of them) with float32 and float64 values cast
    to bfloat16."""
    if type(out) in (list, tuple):
        return type(out)(narrowed(o) for o in out)
    if isinstance(out, Tensor) and getattr(out.value, "dtype", None) in _STATE["narrowed"]:
        out.value = _STATE["xp"].astype(out.value, _STATE["bfloat16"])
    return out


def _gradient_boundaries(values):
    """`values` with each tracked bfloat16 tensor (also in lists and tuples) behind an
    identity node that casts the gradient reaching it to bfloat16 (to float32 for a
    float32 weight that a `mixed_bfloat16` layer reads as bfloat16): an op's VJP rules
    compute its inputs' gradients in the types of their own products, float32 where a
    Python number or a matrix product is involved."""
    bfloat16 = _STATE["bfloat16"]
    out = None
    for i, v in enumerate(values):
        t = type(v)
        if t is list or t is tuple:
            new = t(_gradient_boundaries(v))
            changed = any(a is not b for a, b in zip(new, v))
        else:
            changed = getattr(v, "tracked", False) and \
                getattr(v.value, "dtype", None) is bfloat16
            new = _boundary(v) if changed else v
        if changed:
            out = list(values) if out is None else out
            out[i] = new
    return values if out is None else tuple(out)


def _boundary(x):
    xp = _STATE["xp"]
    # a mixed-precision weight read as bfloat16 takes its gradient in its stored type
    target = getattr(x, "_value", x.value).dtype
    y = record(x.value, (x,), lambda g: (
        g if getattr(g, "dtype", target) is target else xp.astype(g, target),))
    y.logits = getattr(x, "logits", None)
    y._keras_mask = getattr(x, "_keras_mask", None)
    return y
