"""Adaptive pooling: each spatial axis pooled to a given number of bins (Keras's and
PyTorch's bins), by max or by average."""

from kerasx.ops._helpers import current, float_input, value_of
from kerasx.ops.conv import normalize_data_format
from kerasx.ops.math import multiply
from kerasx.ops.reduction import max as reduce_max
from kerasx.ops.reduction import sum as reduce_sum
from kerasx.ops.shape import convert_to_tensor, constant_pad, reshape, take


def adaptive_average_pool(inputs, output_size, data_format=None):
    """The mean of each of `output_size` bins per spatial axis of `inputs` (rank 3 to 5,
    `(batch, *spatial, channels)` or channels first)."""
    return _adaptive(inputs, output_size, data_format, "average")


def adaptive_max_pool(inputs, output_size, data_format=None):
    """The maximum of each of `output_size` bins per spatial axis of `inputs`."""
    return _adaptive(inputs, output_size, data_format, "max")


def _adaptive(inputs, output_size, data_format, mode):
    spatial = len(inputs.shape) - 2
    if spatial not in (1, 2, 3):
        raise ValueError(f"adaptive_{mode}_pool expects an input of rank 3, 4 or 5 "
                         f"(batch, spatial axes, channels), received shape {tuple(inputs.shape)}.")
    sizes = (output_size,) * spatial if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != spatial or not all(isinstance(s, int) and not isinstance(s, bool) and s > 0
                                        for s in sizes):
        raise ValueError(f"adaptive_{mode}_pool: `output_size` must be a positive int or "
                         f"{spatial} of them, received {output_size!r}.")
    return adaptive_pool(inputs, sizes, normalize_data_format(data_format), mode)


def adaptive_bins(size, out_size):
    """The `(start, end)` of each of the `out_size` bins over `size` positions:
    `start = floor(i * size / out_size)`, `end = ceil((i + 1) * size / out_size)`
    (PyTorch's bins, which Keras uses too). Two neighbouring bins share a position
    where the edge `i * size / out_size` between them is not an integer."""
    return [((i * size) // out_size, -((-(i + 1) * size) // out_size)) for i in range(out_size)]


def adaptive_pool(inputs, output_size, data_format, mode):
    """Max or average of each adaptive bin: the spatial axes of `inputs` pooled one
    after the other, each to its entry of `output_size` (the bins are separable: the
    max of maxima and the mean of means over a box are its max and mean). Means are
    sums times the reciprocal of the bin size, which is Keras's arithmetic on JAX;
    integers average as `floatx`."""
    first = 1 if data_format == "channels_last" else 2
    x = float_input(inputs) if mode == "average" else inputs
    for i, out_size in enumerate(output_size):
        x = _pool_axis(x, first + i, out_size, mode)
    return x


def _pool_axis(x, axis, out_size, mode):
    shape = tuple(x.shape)
    size = shape[axis]
    if size == out_size:
        return x
    bins = adaptive_bins(size, out_size)
    width = max(end - start for start, end in bins)
    if size % out_size == 0:
        # equal bins side by side: a reshape
        windows = x
    else:
        # bins of two widths, each gathered at the widest; the extra slots read one
        # padded position holding the neutral element (-inf for max, 0 for a sum)
        index = [start + j if start + j < end else size
                 for start, end in bins for j in range(width)]
        pads = [(0, 1) if a == axis else (0, 0) for a in range(len(shape))]
        padded = constant_pad(x, pads, constant_values=_neutral(x, mode))
        windows = take(padded, index, axis=axis)
    windows = reshape(windows, shape[:axis] + (out_size, width) + shape[axis + 1:])
    if mode == "max":
        return reduce_max(windows, axis=axis + 1)
    reciprocals = convert_to_tensor([1.0 / (end - start) for start, end in bins],
                                        dtype=x.dtype)
    reciprocals = reshape(reciprocals, (out_size,) + (1,) * (len(shape) - axis - 1))
    return multiply(reduce_sum(windows, axis=axis + 1), reciprocals)


def _neutral(x, mode):
    """The element that leaves a bin's max (the lowest value of an integer dtype) or
    sum unchanged."""
    if mode != "max":
        return 0.0
    backend = current()
    dtype = value_of(x).dtype
    if backend.isdtype(dtype, "integral"):
        return int(backend.xp.iinfo(dtype).min)
    return -float("inf")
