"""Reductions with VJP rules beside each forward."""

from kerasx.ops._helpers import (Tensor, as_float_operand, current, namespace, normalize_axes,
                                 record, tracked, value_of)


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


def sum(x, axis=None, keepdims=False):
    xp = namespace()
    xv = value_of(x)
    shape = tuple(xv.shape)
    axes = normalize_axes(axis, len(shape))
    out = _sum(xp, xv, axes, keepdims, shape)
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (_expand_back(xp, g, axes, keepdims, shape),))


def mean(x, axis=None, keepdims=False):
    backend = current()
    xp = backend.xp
    xv = as_float_operand(value_of(x))  # the mean of integers is a floatx, as in Keras
    shape = tuple(xv.shape)
    axes = normalize_axes(axis, len(shape))
    count = 1
    for a in axes:
        count *= shape[a]
    if backend.isdtype(xv.dtype, "real floating"):
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


def max(x, axis=None, keepdims=False):
    """Maximum; ties share the gradient equally."""
    return _extremum(x, axis, keepdims, True)


def min(x, axis=None, keepdims=False):
    """Minimum; ties share the gradient equally."""
    return _extremum(x, axis, keepdims, False)


def var(x, axis=None, keepdims=False):
    from kerasx.ops.math import square, subtract

    centered = subtract(x, mean(x, axis=axis, keepdims=True))
    return mean(square(centered), axis=axis, keepdims=keepdims)


def std(x, axis=None, keepdims=False):
    from kerasx.ops.math import sqrt

    return sqrt(var(x, axis=axis, keepdims=keepdims))


def prod(x, axis=None, keepdims=False):
    return Tensor(namespace().prod(value_of(x), axis=axis, keepdims=keepdims))


def argmax(x, axis=-1, keepdims=False):
    return Tensor(namespace().argmax(value_of(x), axis=axis, keepdims=keepdims))


def argmin(x, axis=-1, keepdims=False):
    return Tensor(namespace().argmin(value_of(x), axis=axis, keepdims=keepdims))


def any(x, axis=None, keepdims=False):
    return Tensor(namespace().any(value_of(x), axis=axis, keepdims=keepdims))


def all(x, axis=None, keepdims=False):
    return Tensor(namespace().all(value_of(x), axis=axis, keepdims=keepdims))


def logsumexp(x, axis=None, keepdims=False):
    """log(sum(exp(x))) computed stably."""
    xp = namespace()
    xv = value_of(x)
    shape = tuple(xv.shape)
    axes = normalize_axes(axis, len(shape))
    m = xp.max(xv, axis=axes, keepdims=True)
    lse = xp.log(xp.sum(xp.exp(xv - m), axis=axes, keepdims=True)) + m
    out = lse if keepdims else xp.reshape(lse, tuple(n for i, n in enumerate(shape) if i not in axes))
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (_expand_back(xp, g, axes, keepdims, shape) * xp.exp(xv - lse),))
