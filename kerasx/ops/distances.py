"""`cdist`: the Euclidean distances between two collections of vectors."""

from importlib import import_module

from kerasx.autodiff.broadcast import unbroadcast
from kerasx.backends.base import dtype_name
from kerasx.ops._helpers import (Tensor, as_dtype, current, keras_common_dtype, record,
                                 refuse_bool, shape_of, tracked, value_of)


def _operand(x):
    backend = current()
    v = value_of(x)
    return v if backend.is_native(v) else backend.asarray(v)


def _common_float(xv, yv):
    """`(xv, yv)` in Keras's `result_type(x, y, float)`: integers and booleans as
    `floatx`, float16 with bfloat16 as float32."""
    target = keras_common_dtype((xv.dtype, yv.dtype), floating=True)
    return as_dtype(xv, target), as_dtype(yv, target)


def cdist(x, y):
    """The Euclidean distance between each row of `x` `(..., m, d)` and each row of `y`
    `(..., n, d)`: shape `(..., m, n)`, the leading axes broadcast.

    The gradient at a zero distance is taken as 0 (the subgradient of the norm at
    the origin), where a square root's derivative would be infinite.
    """
    xv, yv = _operand(x), _operand(y)
    if dtype_name(xv.dtype) == "bool":
        refuse_bool(yv, "cdist of two boolean arrays")  # a difference of booleans, as Keras
    for name, v in (("x", xv), ("y", yv)):
        if len(shape_of(v)) < 2:
            raise ValueError(f"cdist expects `{name}` of rank 2 or more, (..., rows, features), "
                             f"received shape {shape_of(v)}.")
        if current().isdtype(v.dtype, "complex floating"):
            raise TypeError(f"cdist expects real numbers, received `{name}` of dtype "
                            f"{dtype_name(v.dtype)}.")
    if shape_of(xv)[-1] != shape_of(yv)[-1]:
        raise ValueError(f"cdist: the last dimensions of `x` and `y` must match, received "
                         f"x.shape={shape_of(xv)} and y.shape={shape_of(yv)}.")
    lead_x, lead_y = shape_of(xv)[:-2][::-1], shape_of(yv)[:-2][::-1]
    if any(a != b and 1 not in (a, b) for a, b in zip(lead_x, lead_y)):
        raise ValueError(f"cdist: the leading (batch) dimensions of `x` and `y` must "
                         f"broadcast, received x.shape={shape_of(xv)} and "
                         f"y.shape={shape_of(yv)}.")
    xp = current().xp
    xv, yv = _common_float(xv, yv)
    diff = xp.expand_dims(xv, axis=-2) - xp.expand_dims(yv, axis=-3)
    out = xp.sqrt(xp.sum(diff * diff, axis=-1))
    if not tracked(x, y):
        return Tensor(out)
    sx, sy = shape_of(xv), shape_of(yv)
    tx, ty = getattr(x, "tracked", False), getattr(y, "tracked", False)

    def vjp(g):
        positive = out > 0
        scale = xp.where(positive, g / xp.where(positive, out, xp.ones_like(out)),
                         xp.zeros_like(out))
        pull = xp.expand_dims(scale, axis=-1) * diff
        gx = unbroadcast(xp, xp.sum(pull, axis=-2), sx) if tx else None
        gy = unbroadcast(xp, -xp.sum(pull, axis=-3), sy) if ty else None
        return gx, gy

    vjp.operands = (xv, yv)  # in the computed type, for the differentiable rule
    return record(out, (x, y), vjp)


# registers the differentiable rules
import_module("kerasx.ops.patches_grads")
