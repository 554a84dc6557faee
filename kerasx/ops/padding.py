"""`pad` with every mode of `keras.ops.pad` (NumPy's `numpy.pad` modes).

Each axis is padded in turn, as `numpy.pad` does, so corners take the values the
earlier axes produced. The index modes (`edge`, `reflect`, `symmetric`, `wrap` /
`circular`) gather along the axis with `take`, whatever the width (a reflection wider
than the axis repeats periodically, as NumPy's does); the statistic modes
(`maximum`, `minimum`, `mean`, `median`) pad with the statistic of the unpadded part
of the axis; `linear_ramp` runs from 0 to the edge value. All are built from
differentiable ops, so gradients flow to `x` (and through the statistics).
"""

from numbers import Integral

from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.shape import broadcast_to, concatenate, constant_pad, shape_of, take

MODES = ("constant", "edge", "linear_ramp", "maximum", "mean", "median", "minimum",
         "reflect", "symmetric", "wrap", "empty", "circular")


class UnknownPadModeError(NotImplementedError, ValueError):
    """An unknown `pad` mode: Keras on JAX raises NotImplementedError (NumPy's `np.pad`
    raises ValueError), so the error is both."""


def pad(x, pad_width, mode="constant", constant_values=None):
    """Pads `x`: `pad_width` is one `(before, after)` pair per axis, one pair for
    every axis (`((before, after),)`), or one width for both sides of every axis
    (`int` or `(width,)`). `mode` is one of `MODES`; `constant_values` (default 0)
    only goes with `mode="constant"`. `"empty"` pads with zeros (NumPy leaves those
    values undefined)."""
    if mode not in MODES:
        hint = (f" Modes are lowercase: use mode={mode.lower()!r}."
                if isinstance(mode, str) and mode.lower() in MODES else "")
        raise UnknownPadModeError(f"pad: unknown mode {mode!r} (unimplemented padding mode); "
                                  f"expected one of {list(MODES)}.{hint}")
    if constant_values is not None and mode != "constant":
        raise ValueError("pad: Argument `constant_values` can only be provided when "
                         f"`mode == 'constant'`. Received: mode={mode!r}.")
    if not hasattr(value_of(x), "shape"):
        x = Tensor(current().asarray(x))
    shape = shape_of(value_of(x))
    widths = _pad_widths(pad_width, len(shape))
    if mode in ("constant", "empty"):
        return constant_pad(x, widths, 0 if constant_values is None else constant_values)
    for axis, (before, after) in enumerate(widths):
        if before or after:
            x = _pad_axis(x, axis, before, after, mode)
    return x


def _pad_widths(pad_width, ndim):
    """`pad_width` as one `(before, after)` pair of ints per axis, broadcast from the
    shapes `numpy.pad` takes: `()`, `(2,)` or `(1,)`, `(1, 2)` or `(1, 1)`, `(ndim, 2)`
    or `(ndim, 1)`."""
    value = value_of(pad_width)
    if hasattr(value, "shape"):
        value = current().to_numpy(value).tolist()
    rows = [[value]] if not isinstance(value, (list, tuple)) else (
        [list(r) if isinstance(r, (list, tuple)) else None for r in value]
        if value and isinstance(value[0], (list, tuple)) else [list(value)])
    pairs = None
    if rows and all(r is not None and len(r) in (1, 2) and len(r) == len(rows[0])
                    for r in rows) and len(rows) in (1, ndim):
        pairs = [(r[0], r[-1]) for r in rows] * (ndim if len(rows) == 1 else 1)
    if pairs is None or any(not isinstance(v, Integral) or isinstance(v, bool) or v < 0
                            for p in pairs for v in p):
        raise ValueError(
            f"pad: pad_width must be non-negative integer (before, after) widths for each of "
            f"the {ndim} axes, one pair or one width for all of them; received {pad_width!r}.")
    return [(int(a), int(b)) for a, b in pairs]


def _pad_axis(x, axis, before, after, mode):
    n = shape_of(value_of(x))[axis]
    if n == 0:
        raise ValueError(f"pad: mode {mode!r} cannot pad axis {axis}, which is empty.")
    if mode in ("edge", "reflect", "symmetric", "wrap", "circular"):
        positions = range(-before, n + after)
        index = [_source(mode, j, n) for j in positions]
        return take(x, current().asarray(index, dtype="int64"), axis=axis)
    if mode == "linear_ramp":
        return _linear_ramp(x, axis, before, after, n)
    return _statistic_pad(x, axis, before, after, mode)


def _source(mode, j, n):
    """The index along an axis of size `n` that padded position `j` (0 = the first
    original value) copies."""
    if mode == "edge":
        return min(max(j, 0), n - 1)
    if mode in ("wrap", "circular"):
        return j % n
    if mode == "reflect":
        if n == 1:
            return 0
        period = 2 * n - 2
        j %= period
        return period - j if j >= n else j
    j %= 2 * n  # symmetric: the edge value repeats
    return 2 * n - 1 - j if j >= n else j


def _statistic_pad(x, axis, before, after, mode):
    from kerasx.ops import reduction, statistics

    reduce = {"maximum": reduction.max, "minimum": reduction.min, "mean": reduction.mean,
              "median": statistics.median}[mode]
    stat = reduce(x, axis=axis, keepdims=True)
    if mode in ("mean", "median"):
        stat = _like_numpy_for_integers(stat, value_of(x).dtype, "round")
    return _surround(x, axis, before, after, stat, stat)


def _linear_ramp(x, axis, before, after, n):
    """Ramps from 0 (NumPy's default end value) up to each edge value."""
    from kerasx.ops.math import multiply
    from kerasx.ops.shape import expand_dims, getitem

    xv = value_of(x)
    backend = current()
    ndim = len(xv.shape)
    parts = []
    for width, edge_index, rising in ((before, 0, True), (after, n - 1, False)):
        if not width:
            parts.append(None)
            continue
        edge = getitem(x, tuple(slice(None) if i != axis else edge_index
                                for i in range(ndim)))
        steps = [k / width for k in range(width)]  # NumPy's linspace without endpoint
        fractions = backend.asarray(steps if rising else steps[::-1],
                                    dtype=_float_name(xv.dtype))
        shape = tuple(width if i == axis else 1 for i in range(ndim))
        ramp = multiply(expand_dims(edge, axis), Tensor(backend.xp.reshape(fractions, shape)))
        parts.append(_like_numpy_for_integers(ramp, xv.dtype, "floor"))
    return _surround(x, axis, before, after, *parts)


def _surround(x, axis, before, after, left, right):
    """`x` with `before` copies of `left` and `after` copies of `right` (arrays of size 1
    or the width along `axis`) concatenated along `axis`."""
    shape = shape_of(value_of(x))
    pieces = []
    for width, piece in ((before, left), (after, right)):
        if width:
            full = tuple(width if i == axis else size for i, size in enumerate(shape))
            pieces.append(broadcast_to(piece, full))
        else:
            pieces.append(None)
    return concatenate([p for p in (pieces[0], x, pieces[1]) if p is not None], axis=axis)


def _float_name(dtype):
    from kerasx.backends.base import dtype_name

    name = dtype_name(dtype)
    return name if name.startswith(("float", "bfloat")) else "float64"


def _like_numpy_for_integers(values, dtype, rounding):
    """Statistics and ramps of an integer array rounded back to its type as `numpy.pad`
    does: `rounding` is "round" (half to even, the statistics) or "floor" (ramps)."""
    from kerasx.backends.base import dtype_name
    from kerasx.ops.shape import cast

    if dtype_name(dtype).startswith(("float", "bfloat", "complex")):
        return values
    xp = current().xp
    return cast(Tensor(getattr(xp, rounding)(value_of(values))), dtype)
