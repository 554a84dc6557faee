"""Fast NumPy kernels for hot ops, checked in the tests against the portable path."""

import functools
import math

import numpy as np

from kerasx.backends.numpy_trace_array import recordable_helper


def ones_vector(n, dtype):
    """A read-only vector of `n` ones, kept up to 2^20 elements: column sums as products
    with it are made every step, and making a small vector would cost as much as the
    product (a large one costs little beside its product, and is not kept)."""
    return _kept_ones(n, np.dtype(dtype)) if n <= 1 << 20 else np.ones(n, dtype)


@functools.lru_cache(maxsize=32)
def _kept_ones(n, dtype):
    out = np.ones(n, dtype)
    out.flags.writeable = False
    return out


def relu_in_place(y):
    """`max(y, 0)` written over the float array `y`.

    NumPy's `clip` with both bounds runs a loop 2.6-3.3 times faster than `maximum`
    against the number 0 (in place, ms: 64 x 32x32x32 0.29 against 0.78, 128 x 13x13x32
    0.078 against 0.255, 128 x 512 0.010 against 0.026). It keeps NaN, as `maximum`
    does; only a -0.0 input stays -0.0 where `maximum` gives +0.0: the same zero to every
    later op but the sign bit."""
    return np.clip(y, 0.0, np.inf, out=y)


# per-channel vectors are repeated to rows of about this many values (see `wide`)
_WIDE_VALUES = 8192
# below this many elements repeating the vectors costs more than the wide rows save
# (1024 x 64: 20 us plain against 27 us wide; 1024 x 512: 130 against 95 us)
_WIDE_MIN_SIZE = 1 << 18


def wide(array, *vectors, per=None):
    """`(view, tiled)`: the contiguous channels-last `array` as a matrix whose rows
    hold `m` positions, and each per-channel vector repeated `m` times to match.
    `m` is a power of two dividing `per` (default: the positions of `array`), so
    chunks of whole `per`-position parts share the tiled vectors.

    NumPy broadcasts a vector over the rows of a `(positions, channels)` matrix
    with one inner loop per row, about twice the time of a full same-shape operand
    for 32-64 channels; rows of thousands of values run at full speed.
    """
    channels = array.shape[-1]
    positions = array.size // channels
    per = positions if per is None else per
    m = 1
    while m * 2 * channels <= _WIDE_VALUES and per % (m * 2) == 0:
        m *= 2
    view = array.reshape(positions // m, m * channels)
    return view, tuple(np.tile(v, m) for v in vectors)


def add_channels(x, v, out=None):
    """`x + v` for a per-channel vector `v` over the last axis, into `out` (a new array
    when None; `x` itself to add in place), over `wide` rows (a conv output of
    64x32x32x32: 222 against 557 us). A strided `x` (a cropped view) is first copied
    into the new array, whose rows are then wide."""
    dtype = np.result_type(x, v)
    if x.ndim < 2 or x.size < _WIDE_MIN_SIZE:
        return np.add(x, v, out=out)
    if out is None and not x.flags.c_contiguous:
        out = x = np.array(x, dtype=dtype, order="C")
    out = np.empty_like(x, dtype=dtype) if out is None else out
    if not (x.flags.c_contiguous and out.flags.c_contiguous):
        return np.add(x, v, out=out)
    view, (tiled,) = wide(x, v)
    np.add(view, tiled, out=wide(out)[0])
    return out


def affine_channels(x, scale, shift=None):
    """`x * scale + shift` (`shift` may be None) for per-channel vectors over the last
    axis, in a new array computed over `wide` rows; None for a non-contiguous or small
    `x`."""
    if not x.flags.c_contiguous or x.ndim < 2 or x.size < _WIDE_MIN_SIZE:
        return None
    vectors = (scale,) if shift is None else (scale, shift)
    out = np.empty_like(x, dtype=np.result_type(x, *vectors))
    view, tiled = wide(x, *vectors)
    wide_out = wide(out)[0]
    np.multiply(view, tiled[0], out=wide_out)
    if shift is not None:
        wide_out += tiled[1]
    return out


def sum_axes(x, axes):
    """`x.sum(axis=axes)` for a float `x`, where it beats NumPy's `sum` function; None
    for other calls.

    - Consecutive axes that leave the last one, as a batched product with ones.
      NumPy sums over an axis that is not the last one row by row (the same naive
      order a product takes, so no accuracy is lost): global average pooling of a
      (512, 256, 16) batch took 2.7 ms that way against 0.14 ms here.
    - Every axis (a loss's mean), through the ufunc's reduction itself: the same
      summation as `np.sum`, without its Python wrapper (0.9 against 2.0 us).
    """
    if x.dtype.kind != "f":
        return None
    if len(axes) == x.ndim:
        return np.add.reduce(x, axis=None)
    if axes == (0,) and x.ndim == 2:  # a bias gradient, on every training step
        return np.matmul(ones_vector(x.shape[0], x.dtype), x)
    if not axes or axes[-1] >= x.ndim - 1 or axes != tuple(range(axes[0], axes[-1] + 1)):
        return None
    shape = x.shape
    pre = math.prod(shape[:axes[0]])
    red = math.prod(shape[axes[0]:axes[-1] + 1])
    post = math.prod(shape[axes[-1] + 1:])
    out = np.matmul(ones_vector(red, x.dtype), x.reshape(pre, red, post))
    return out.reshape(shape[:axes[0]] + shape[axes[-1] + 1:])


# below this many values per position the halving passes beat NumPy's reduction
# (64 x 200 x 128: 0.31 against 0.46 ms; 64 x 64 x 512: 0.41 against 0.24 ms)
_HALVING_MAX_POST = 256


# below this many values a reduced gradient is expanded into a new array: filling 32
# floats takes 0.3 us, NumPy's `broadcast_to` 2.3 us; larger ones stay read-only views
_FILLED_MAX = 4096


def broadcast_to(x, shape):
    """`xp.broadcast_to(x, shape)`; small results as new arrays (see `_FILLED_MAX`)."""
    if math.prod(shape) > _FILLED_MAX:
        return np.broadcast_to(x, shape)
    return _filled(x, shape)


@recordable_helper
def _filled(x, shape):
    x = np.asarray(x)
    out = np.empty(shape, x.dtype)
    out[...] = x
    return out


def extremum_grad(x, out, g, axes):
    """The gradient reaching float `x` through `out = x.max(axis=axes)` (or min), with
    `g` the gradient of `out` (reduced axes kept or not): each group's `g` goes to its
    extremum. One comparison and one product instead of the portable rule's four
    passes (mask, cast, count, share); when a group has tied or NaN extrema, the
    portable rule's passes (ties share; a NaN group's entries get NaN). Always an
    array for float `x` (None otherwise): a step recorded with this kernel as one call
    has no other path to take when other data has ties. When the reduced axes are the
    middle ones (a global pooling), each sample is seen as rows of several positions
    with the group's values repeated along them, as `wide` does: NumPy broadcasts over
    a short last axis with one inner loop per position (64 x 61x61x8: 4.2 -> 3.6 ms
    with the two passes, -> 1.9 ms with the long rows).
    """
    if x.dtype.kind != "f":
        return None
    shape = x.shape
    kept_shape = tuple(1 if i in axes else n for i, n in enumerate(shape))
    kept, g = np.reshape(out, kept_shape), np.reshape(g, kept_shape)
    whole_x, whole_kept, whole_g = x, kept, g
    rows = _sample_rows(shape, axes)
    if rows is not None:
        x = x.reshape(rows)
        kept, g = (np.tile(v.reshape(rows[0], 1, -1), rows[2] // shape[-1])
                   for v in (kept, g))
    hit = np.equal(x, kept)
    if np.count_nonzero(hit) != np.size(out):
        mask = (hit if rows is None else np.equal(whole_x, whole_kept)).astype(whole_x.dtype)
        return mask * (whole_g / mask.sum(axis=axes, keepdims=True))
    return np.multiply(hit, g, dtype=np.result_type(x, g)).reshape(shape)


def _sample_rows(shape, axes):
    """`(samples, rows, row length)` viewing a C-ordered array of `shape` whose middle
    `axes` are reduced as rows of whole positions (the largest count of positions
    dividing each sample's, within `_WIDE_VALUES` values), or None when the axes are
    not the middle ones or no row holds more than one position."""
    if len(shape) < 3 or axes != tuple(range(1, len(shape) - 1)):
        return None
    channels, positions = shape[-1], math.prod(shape[1:-1])
    per_row = _largest_divisor(positions, max(1, _WIDE_VALUES // max(channels, 1)))
    if per_row == 1:
        return None
    return shape[0], positions // per_row, per_row * channels


@functools.lru_cache(maxsize=64)
def _largest_divisor(n, limit):
    """The largest divisor of `n` not above `limit`."""
    best, i = 1, 1
    while i * i <= n:
        if n % i == 0:
            best = max([best] + [d for d in (i, n // i) if d <= limit])
        i += 1
    return best


def extremum_middle(x, axes, largest):
    """`x.max(axis=axes)` (`largest`) or `x.min(axis=axes)` for consecutive `axes` that
    leave the last axis, with fewer than 256 values after them; None for other calls.

    NumPy reduces a middle axis with one inner loop per row of the values after
    it: a global max pooling of (64, 3721, 8) took 6.8 ms that way. Here each pass
    takes the elementwise extremum of the first and second half of what remains,
    two contiguous blocks per batch row (0.40 ms), and an odd leftover joins the
    first position. Maxima and minima are exact, and a NaN anywhere reaches the
    result, as with NumPy's reduction.
    """
    if not axes or axes[-1] >= x.ndim - 1 or axes != tuple(range(axes[0], axes[-1] + 1)):
        return None
    shape = x.shape
    post = math.prod(shape[axes[-1] + 1:])
    red = math.prod(shape[axes[0]:axes[-1] + 1])
    if post >= _HALVING_MAX_POST or red < 2:
        return None
    pick = np.maximum if largest else np.minimum
    current = x.reshape(math.prod(shape[:axes[0]]), red, post)
    while red > 1:
        half = red // 2
        step = pick(current[:, :half], current[:, half:2 * half])
        if red % 2:
            pick(step[:, :1], current[:, 2 * half:], out=step[:, :1])
        current, red = step, half
    return current.reshape(shape[:axes[0]] + shape[axes[-1] + 1:])


@recordable_helper
def scatter_add_rows(table_shape, indices, updates, dtype):
    """out[indices[i]] += updates[i], duplicates accumulated (embedding gradients);
    `indices` of any shape, `updates` of shape `indices.shape + (width,)`.

    `np.add.at` runs several times faster on one flat index per element than on
    row indices into a 2-D table (6,400 rows of 128 into a 10,000-row table:
    2.8 ms against 10.5 ms, allocation included). The work goes in chunks of about
    `SCATTER_CHUNK` elements along the indices' first axis, so the flat indices and
    each chunk of `updates` (copied only when it is not contiguous, such as the
    broadcast gradient of an average pooling) stay in cache. Rows of an even number
    of float32 (float64) values are added as complex64 (complex128) pairs: a complex
    sum is the two lanes' sums, bit for bit, and `np.add.at` costs per element. The
    flat indices are a repeat plus one long add, not a broadcast with one short
    inner loop per row. The additions happen in the same order throughout: the
    result is bitwise that of `np.add.at` on the table (`benchmarks/HISTORY.md` has
    the timings).
    """
    width = table_shape[-1]
    out = np.zeros(table_shape, dtype=updates.dtype)
    if width == 0 or indices.size == 0:
        return out
    if indices.ndim == 0:
        indices = indices.reshape(1)
    updates = updates.reshape(indices.shape + (width,))
    pair = _PAIRED.get(updates.dtype.type) if width % 2 == 0 else None
    lanes = width // 2 if pair is not None else width
    flat_out = (out if pair is None else out.view(pair)).reshape(-1)
    per_item = indices[0].size                    # index entries per step of the first axis
    step = max(1, SCATTER_CHUNK // (per_item * lanes))
    columns = np.tile(np.arange(lanes, dtype=np.intp), min(step, len(indices)) * per_item)
    for start in range(0, len(indices), step):
        rows = indices[start:start + step].reshape(-1).astype(np.intp, copy=False)
        part = np.ascontiguousarray(updates[start:start + step]).reshape(-1)
        if pair is not None:
            part = part.view(pair)
        flat = np.repeat(rows * lanes, lanes)
        flat += columns[:len(flat)]
        np.add.at(flat_out, flat, part)
    return out


# the complex type whose elements are two lanes of each float type
_PAIRED = {np.float32: np.complex64, np.float64: np.complex128}


# flat indices per `np.add.at` call in `scatter_add_rows` (1 MB of intp)
SCATTER_CHUNK = 131072


def sparse_softmax_cross_entropy(logits, labels, softmax=None):
    """`(losses, gradient)` of the portable sparse `softmax_cross_entropy` for 2-D
    `logits` with the classes on the last axis (None otherwise).

    The label's log-probability is picked with one integer index instead of
    `take_along_axis`, and the gradient `g * (softmax - one_hot)` reuses the
    forward's exponentials. Labels outside `[0, classes)` give 0, as there.
    `softmax`: the `(probabilities, row maxima, row sums)` of `softmax_last_axis`
    over these logits, when the model's output already computed them; the same
    values then come without a second pass over the logits.
    """
    if logits.ndim != 2 or labels.shape != logits.shape[:1]:
        return None
    n, classes = logits.shape
    if softmax is None:
        shift = row_maxima(logits)
        exps = np.exp(logits - shift)
        # summed as `softmax_last_axis` sums, so that reusing its sums changes no bit
        # (a BLAS product and NumPy's sum add in different orders on some processors)
        sums = (exps @ ones_vector(classes, exps.dtype))[:, None] if classes else \
            exps.sum(axis=1, keepdims=True)
    else:
        probs, shift, sums = softmax
    ids = labels.astype(np.intp, copy=False)
    # one comparison finds both kinds of bad label: negative ids wrap to large unsigned ones
    invalid = ids.view(np.uintp) >= classes
    if invalid.any():
        ids = np.where(invalid, 0, ids)
    else:
        invalid = None
    # the labels' entries by their flat positions (1-D indexing is the cheaper kind)
    picked = _row_starts(n, classes) + ids
    losses = np.log(sums[:, 0])
    losses -= logits.reshape(-1)[picked] - shift[:, 0]
    if invalid is not None:
        losses[invalid] = 0.0

    def gradient(g):
        grad = np.divide(exps, sums, out=exps) if softmax is None else probs.copy()
        grad.reshape(-1)[picked] -= 1.0
        grad *= g[:, None]
        if invalid is not None:
            grad[invalid] = 0.0
        return grad

    return losses, gradient


@functools.lru_cache(maxsize=8)
def _row_starts(rows, columns):
    """The flat index of each row's first entry in a C-ordered `(rows, columns)` array."""
    out = np.arange(0, rows * columns, columns, dtype=np.intp)
    out.flags.writeable = False
    return out


def row_maxima(x):
    """`x.max(axis=-1, keepdims=True)`. NumPy reduces short rows one by one: many rows
    of a few values (a prediction batch of 1,024 rows of 10 classes) are reduced
    faster across a transposed copy, each step the elementwise maximum of two
    contiguous rows (1024 x 10 float32: 47 -> 9 us; 128 x 10: 7.2 -> 3.7 us). Maxima
    are exact, so both ways give the same values."""
    n = x.shape[-1]
    rows = x.size // n if n else 0
    if n > _SHORT_ROW or rows < _MANY_ROWS:
        return x.max(axis=-1, keepdims=True)
    # array methods, which a step recording follows (`np.ascontiguousarray` it does not)
    across = x.reshape(rows, n).T.copy()
    return across.max(axis=0).reshape(x.shape[:-1] + (1,))


# rows of at most `_SHORT_ROW` values, `_MANY_ROWS` of them or more, take `row_maxima`'s
# transposed way (measured break-even: 64 x 10, 128 x 32)
_SHORT_ROW, _MANY_ROWS = 32, 128


def softmax_last_axis(x):
    """`(softmax(x), row maxima, row sums)` over the last axis of a float array: the
    portable path's operations (shift by the maximum, exponentiate, divide by the
    sum) in place on one new array, through the array methods (12 -> 8 us for a
    32 x 10 batch); None otherwise. A following cross-entropy reuses the maxima and
    sums (`sparse_softmax_cross_entropy`)."""
    if x.dtype.kind != "f" or x.ndim == 0:
        return None
    shift = row_maxima(x)
    e = np.subtract(x, shift)
    np.exp(e, out=e)
    n = x.shape[-1]
    # row sums as a product with ones: NumPy sums short rows one by one (64 x 50 x 50:
    # 0.094 against 0.018 ms)
    sums = (e.reshape(-1, n) @ ones_vector(n, e.dtype)).reshape(shift.shape) if n else \
        e.sum(axis=-1, keepdims=True)
    e /= sums
    return e, shift, sums


def softmax_last_axis_grad(g, out):
    """The gradient reaching the logits of `out = softmax(x)` over the last axis,
    `out * (g - sum(g * out))`, with the row sums as a product with ones and the
    passes in place (64 x 50 x 50 float32: 0.204 -> 0.121 ms; 32 x 4 x 100 x 100:
    1.80 -> 0.82 ms); None for mixed dtypes or shapes."""
    if out.dtype.kind != "f" or g.dtype != out.dtype or g.shape != out.shape or out.ndim == 0:
        return None
    n = out.shape[-1]
    o2 = out.reshape(-1, n)
    t = np.multiply(g.reshape(-1, n), o2)
    dots = t @ ones_vector(n, t.dtype)
    np.subtract(g.reshape(-1, n), dots[:, None], out=t)
    t *= o2
    return t.reshape(out.shape)


@recordable_helper
def threshold_suffix_counts(shift, weights, num_thresholds):
    """`out[i] = sum of weights[n] with i < shift[n] < T` for the `T` evenly spaced
    thresholds of `AUC` and friends (`kerasx.metrics.metrics_utils._suffix_counts`, 1-D
    case): one float64 histogram and a reversed cumulative sum, where the portable path
    sorts the keys and searches them (`AUC.update_state` at batch 64: 124.5 -> 57.9 us). Shifts
    outside `[0, T)` (a NaN score's) count nowhere, as there."""
    t = num_thresholds
    hist = np.bincount(np.clip(shift, 0, t), weights=weights.astype(np.float64),
                       minlength=t + 1)
    out = np.zeros(t, dtype=np.float64)
    out[:t - 1] = np.cumsum(hist[t - 1:0:-1])[::-1]
    return out.astype(weights.dtype)


KERNELS = {"add_channels": add_channels,
           "affine_channels": affine_channels,
           "broadcast_to": broadcast_to,
           "extremum_grad": extremum_grad,
           "extremum_middle": extremum_middle,
           "scatter_add_rows": scatter_add_rows,
           "softmax_last_axis": softmax_last_axis,
           "softmax_last_axis_grad": softmax_last_axis_grad,
           "sparse_softmax_cross_entropy": sparse_softmax_cross_entropy,
           "sum_axes": sum_axes,
           "threshold_suffix_counts": threshold_suffix_counts}
