"""Reductions with VJP rules beside each forward."""

import builtins  # `any`, `all`, `max`, `min` and `sum` below are the ops

from kerasx.backends.base import dtype_name
from kerasx.config import floatx
from kerasx.ops._helpers import (Tensor, as_float_operand, current, namespace, normalize_axes,
                                 record, tracked, value_of)


def _operand(x):
    """`x`, with a list or tuple read as Keras reads it: one tensor, the elements stacked
    (so that gradients reach the tensors in it, e.g. `ops.sum(model.losses)`); a Python
    number as a 0-d tensor of Keras's dtype (`ops.sum(3)` is int32)."""
    if not isinstance(x, (list, tuple, bool, int, float, complex)):
        return x
    from kerasx.ops.shape import convert_to_tensor, stack

    if not isinstance(x, (list, tuple)):
        return convert_to_tensor(x)
    if x and builtins.any(isinstance(e, (list, tuple)) or hasattr(e, "shape") for e in x):
        return stack([convert_to_tensor(_operand(e)) for e in x])
    return convert_to_tensor(x)


def _expand_back(xp, g, axes, keepdims, shape):
    """Broadcasts a reduced gradient back to the input shape."""
    if not keepdims and 0 < len(axes) < len(shape):  # a 0-d gradient broadcasts as it is
        g = xp.reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    fast = current().kernel("broadcast_to")
    return xp.broadcast_to(g, shape) if fast is None else fast(g, shape)


def _sum(xp, xv, axes, keepdims, shape):
    # a backend may sum some axes faster (`sum_axes`, None to decline)
    fast = current().kernel("sum_axes")
    out = None if fast is None else fast(xv, axes)
    if out is None:
        return xp.sum(xv, axis=axes, keepdims=keepdims)
    if keepdims:
        out = xp.reshape(out, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return out


def array_sum(xv, axes=None):
    """The sum of the raw array `xv` over `axes` (every axis for None), through the
    backend's `sum_axes` where it has one, for code that works on arrays rather than
    tensors (metrics, VJPs)."""
    axes = tuple(range(len(xv.shape))) if axes is None else tuple(axes)
    return _sum(namespace(), xv, axes, False, tuple(xv.shape))


def column_sum(xv):
    """The column sums of the 2-D array `xv` (a bias gradient), through the backend's
    `sum_axes` where it has one."""
    return _sum(namespace(), xv, (0,), False, tuple(xv.shape))


# integer sums keep the input's width from 32 bits up, as in Keras (NumPy: int64)
_SUM_DTYPES = {"bool": "int32", "int8": "int32", "int16": "int32", "int32": "int32",
               "uint8": "uint32", "uint16": "uint32", "uint32": "uint32"}


def sum(x, axis=None, keepdims=False):
    """The sum over `axis`; booleans and integers narrower than 64 bits add up in int32
    (unsigned: uint32), as in Keras."""
    xp = namespace()
    x = _operand(x)
    xv = value_of(x)
    shape = tuple(xv.shape)
    axes = normalize_axes(axis, len(shape))
    if tracked(x) or current().isdtype(xv.dtype, "real floating"):
        out = _sum(xp, xv, axes, keepdims, shape)
    else:
        from kerasx.backends.base import dtype_name

        wide = _SUM_DTYPES.get(dtype_name(xv.dtype))
        out = xp.sum(xv, axis=axes, keepdims=keepdims,
                     dtype=None if wide is None else current().dtype(wide))
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (_expand_back(xp, g, axes, keepdims, shape),))


def averaged_operand(xv):
    """`xv` for a mean: integers and booleans as float32, as Keras averages them also
    under a float16 / bfloat16 floatx (float64 under a float64 floatx); a Python
    number as floatx; a float array as it is."""
    backend = current()
    if hasattr(xv, "dtype") and backend.isdtype(xv.dtype, ("integral", "bool")):
        return backend.xp.astype(
            xv, backend.dtype("float64" if floatx() == "float64" else "float32"))
    return as_float_operand(xv)


def mean(x, axis=None, keepdims=False):
    x = _operand(x)
    backend = current()
    xp = backend.xp
    xv = averaged_operand(value_of(x))
    shape = tuple(xv.shape)
    axes = normalize_axes(axis, len(shape))
    count = 1
    for a in axes:
        count *= shape[a]
    if backend.isdtype(xv.dtype, "real floating"):
        narrow = dtype_name(xv.dtype) in ("float16", "bfloat16")
        if narrow:  # summed in float32 as Keras does: float16 overflows at 65504
            total = _sum(xp, xp.astype(xv, backend.dtype("float32")), axes, keepdims, shape)
            out = xp.astype(total / count, xv.dtype)
        else:
            out = _sum(xp, xv, axes, keepdims, shape) / count
    else:
        out = xp.mean(xv, axis=axes, keepdims=keepdims)
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (_expand_back(xp, g / count, axes, keepdims, shape),))


def _extremum(x, axis, keepdims, largest):
    xp = namespace()
    xv = value_of(x)
    shape = tuple(xv.shape)
    axes = normalize_axes(axis, len(shape))
    out = _extremum_value(xp, xv, axes, keepdims, shape, largest)
    if not tracked(x):
        return Tensor(out)

    def vjp(g):
        # a backend may route the gradient faster where no group has tied extrema
        fast = current().kernel("extremum_grad")
        routed = None if fast is None else fast(xv, out, g, axes)
        if routed is not None:
            return (routed,)
        kept = _expand_back(xp, out, axes, keepdims, shape)
        mask = xp.astype(xv == kept, xv.dtype)
        count = _sum(xp, mask, axes, True, shape)
        # the division happens on the reduced shape; one pass over the input remains
        share = (g if keepdims else xp.reshape(g, tuple(count.shape))) / count
        return (mask * share,)

    return record(out, (x,), vjp)


def _extremum_value(xp, xv, axes, keepdims, shape, largest):
    # a backend may reduce consecutive middle axes faster (`extremum_middle`, None to decline)
    fast = current().kernel("extremum_middle")
    out = None if fast is None else fast(xv, axes, largest)
    if out is None:
        return (xp.max if largest else xp.min)(xv, axis=axes, keepdims=keepdims)
    if keepdims:
        out = xp.reshape(out, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return out


def max(x, axis=None, keepdims=False, initial=None):
    """Maximum; ties share the gradient equally. `initial` is a floor under each result
    (and the result of an empty reduction)."""
    return _bounded_extremum(x, axis, keepdims, True, initial)


def min(x, axis=None, keepdims=False, initial=None):
    """Minimum; ties share the gradient equally. `initial` is a ceiling over each
    result (and the result of an empty reduction)."""
    return _bounded_extremum(x, axis, keepdims, False, initial)


def _bounded_extremum(x, axis, keepdims, largest, initial):
    x = _operand(x)
    if initial is None:
        return _extremum(x, axis, keepdims, largest)
    from kerasx.ops.math import maximum, minimum

    xv = value_of(x)
    if not hasattr(xv, "shape"):
        xv = current().asarray(xv)
        x = Tensor(xv)
    shape = tuple(xv.shape)
    axes = normalize_axes(axis, len(shape))
    if 0 in [shape[a] for a in axes]:  # NumPy's rule: an empty reduction is `initial`
        out_shape = tuple(1 if i in axes else n for i, n in enumerate(shape)) if keepdims \
            else tuple(n for i, n in enumerate(shape) if i not in axes)
        return Tensor(namespace().full(out_shape, initial, dtype=xv.dtype,
                                       device=current().device))
    bound = current().asarray(initial, dtype=xv.dtype)
    return (maximum if largest else minimum)(_extremum(x, axis, keepdims, largest), bound)


def var(x, axis=None, keepdims=False):
    from kerasx.ops.math import square, subtract
    from kerasx.ops.shape import cast

    x = _operand(x)
    xv = value_of(x)
    integral = hasattr(xv, "dtype") and current().isdtype(xv.dtype, ("integral", "bool"))
    centered = subtract(x, mean(x, axis=axis, keepdims=True))
    out = mean(square(centered), axis=axis, keepdims=keepdims)
    # of integers: computed in float32 and returned as floatx, as in Keras
    return cast(out, floatx()) if integral else out


def std(x, axis=None, keepdims=False):
    from kerasx.ops.math import sqrt

    return sqrt(var(x, axis=axis, keepdims=keepdims))


def prod(x, axis=None, keepdims=False, dtype=None):
    """The product over `axis`. Without `dtype`, booleans and small integers multiply
    in int32 (unsigned: uint32), as Keras does. The gradient of each factor is the
    product of the others (exact where factors are zero)."""
    backend = current()
    xp = backend.xp
    x = _operand(x)
    xv = value_of(x)
    if not hasattr(xv, "shape"):
        xv = backend.asarray(xv)
    if dtype is None:
        from kerasx.backends.base import dtype_name

        name = dtype_name(xv.dtype)
        dtype = {"bool": "int32", "int8": "int32", "int16": "int32", "uint8": "uint32",
                 "uint16": "uint32"}.get(name, name)
    if xv.dtype != backend.dtype(dtype):
        from kerasx.ops.shape import cast

        x = cast(x if hasattr(value_of(x), "shape") else Tensor(xv), dtype)
        xv = value_of(x)
    shape = tuple(xv.shape)
    axes = normalize_axes(axis, len(shape))
    out = xp.prod(xv, axis=axes, keepdims=keepdims, dtype=xv.dtype)
    if not tracked(x):
        return Tensor(out)

    def vjp(g):
        kept = [i for i in range(len(shape)) if i not in axes]
        moved = xp.permute_dims(xv, tuple(kept) + axes)
        flat = xp.reshape(moved, tuple(shape[i] for i in kept) + (-1,))
        ones = xp.ones(flat.shape[:-1] + (1,), dtype=flat.dtype, device=backend.device)
        # the product of the factors before and after each one: no division by zeros
        before = xp.cumulative_prod(xp.concat([ones, flat[..., :-1]], axis=-1), axis=-1)
        after = xp.flip(xp.cumulative_prod(
            xp.concat([ones, xp.flip(flat, axis=-1)[..., :-1]], axis=-1), axis=-1), axis=-1)
        others = xp.reshape(before * after, tuple(moved.shape))
        inverse = [0] * len(shape)
        for place, i in enumerate(tuple(kept) + axes):
            inverse[i] = place
        grad = xp.permute_dims(others, tuple(inverse))
        return (_expand_back(xp, g, axes, keepdims, shape) * grad,)

    return record(out, (x,), vjp)


def _arg_extremum(x, axis, keepdims, largest):
    """The int32 index of the largest (smallest) entry along the int `axis`, of the
    flattened input for None. -0.0 ranks below 0.0, as in Keras."""
    from kerasx.backends.base import dtype_name

    name = "argmax" if largest else "argmin"
    backend = current()
    xp = backend.xp
    xv = value_of(x)
    if not hasattr(xv, "shape"):
        xv = backend.asarray(xv)
    if axis is not None and (isinstance(axis, bool) or not isinstance(axis, int)):
        raise TypeError(f"{name}: `axis` must be an int or None, received {axis!r}. "
                        f"Reduce one axis at a time, or reshape the axes into one first.")
    if xv.shape and dtype_name(xv.dtype) in ("float16", "bfloat16"):
        from kerasx.ops.shape import cast

        xv = value_of(cast(Tensor(xv), "float32"))
    if xv.dtype == xp.bool:  # one-hot booleans; the array API has no argmax for them
        xv = xp.astype(xv, xp.int8)
    pick = xp.argmax if largest else xp.argmin
    index = pick(xv, axis=axis, keepdims=True)
    if xv.shape and backend.isdtype(xv.dtype, "real floating"):
        index = _signed_zero_ties(xv, axis, index, largest)
    if not keepdims:
        index = xp.reshape(index, ()) if axis is None else xp.squeeze(index, axis=axis)
    return Tensor(xp.astype(index, xp.int32))


def _signed_zero_ties(xv, axis, index, largest):
    """`index` (the kept-dims arg-extremum of `xv` along `axis`) with -0.0 ranked below
    0.0 in the slices whose extremum is zero: there the first 0.0 (-0.0 for the
    smallest), if any, instead of the first zero of either sign. Only those slices are
    looked at again, and nothing is read to the host (a recorded step would have to
    check such a value again at every replay)."""
    xp = current().xp
    flat = xp.reshape(xv, (-1,)) if axis is None else xv
    at = axis if axis is not None else 0
    extremum = xp.take_along_axis(flat, xp.reshape(index, (1,)) if axis is None else index,
                                  axis=at)
    zero = xp.reshape(extremum == 0, (-1,))
    rows = xp.reshape(xp.moveaxis(flat, at, -1), (zero.shape[0], -1))
    picked = xp.take(rows, xp.nonzero(zero)[0], axis=0)  # usually none
    wanted = (picked == 0) & (xp.signbit(picked) != largest)
    flat_index = xp.reshape(index, (-1,))
    # one entry past the picked slices, so that the gathers below never index an
    # empty array (its shape depends on the data: no branch on it)
    first = xp.concat([xp.astype(xp.argmax(xp.astype(wanted, xp.int8), axis=-1),
                                 flat_index.dtype),
                       xp.zeros((1,), dtype=flat_index.dtype, device=current().device)])
    present = xp.concat([xp.any(wanted, axis=-1), xp.zeros((1,), dtype=xp.bool,
                                                           device=current().device)])
    # the k-th slice with a zero extremum takes the k-th first wanted zero, if it has one
    order = xp.maximum(xp.cumulative_sum(xp.astype(zero, xp.int64)) - 1, 0)
    fixed = xp.where(xp.take(present, order), xp.take(first, order), flat_index)
    return xp.reshape(xp.where(zero, fixed, flat_index), index.shape)


def argmax(x, axis=None, keepdims=False):
    """The int32 index of the largest entry along `axis` (of the flattened input for
    None); the first one where several are equal."""
    return _arg_extremum(x, axis, keepdims, True)


def argmin(x, axis=None, keepdims=False):
    """The int32 index of the smallest entry along `axis` (of the flattened input for
    None); the first one where several are equal."""
    return _arg_extremum(x, axis, keepdims, False)


def any(x, axis=None, keepdims=False):
    return Tensor(namespace().any(value_of(x), axis=axis, keepdims=keepdims))


def all(x, axis=None, keepdims=False):
    return Tensor(namespace().all(value_of(x), axis=axis, keepdims=keepdims))


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) computed stably; integers and booleans give `floatx`."""
    xp = namespace()
    x = _operand(x)
    xv = as_float_operand(value_of(x))
    shape = tuple(xv.shape)
    axes = normalize_axes(axis, len(shape))
    m = xp.max(xv, axis=axes, keepdims=True)
    lse = xp.log(xp.sum(xp.exp(xv - m), axis=axes, keepdims=True)) + m
    out = lse if keepdims else xp.reshape(lse, tuple(n for i, n in enumerate(shape) if i not in axes))
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (_expand_back(xp, g, axes, keepdims, shape) * xp.exp(xv - lse),))


# -- differentiable VJPs: the backward pass recorded for gradients of gradients ----------
from kerasx.autodiff.higher_order import differentiable_vjp  # noqa: E402


def _expand_back_recorded(g, axes, keepdims, shape):
    """`_expand_back` as recorded ops."""
    from kerasx.ops.shape import broadcast_to, reshape

    if not keepdims and 0 < len(axes) < len(shape):
        g = reshape(g, tuple(1 if i in axes else n for i, n in enumerate(shape)))
    return broadcast_to(g, shape)


@differentiable_vjp(sum)
def _sum_rule(g, parents, out, env):
    return (_expand_back_recorded(g, env["axes"], env["keepdims"], env["shape"]),)


@differentiable_vjp(mean)
def _mean_rule(g, parents, out, env):
    return (_expand_back_recorded(g / env["count"], env["axes"], env["keepdims"], env["shape"]),)
