"""Sliding windows: `extract_sequences` (frames of a signal) and `unfold` / `fold`
(im2col and col2im of channels-first images). `unfold` and `fold` are each other's
gradient, so each is one tape node whose VJP is the other."""

from importlib import import_module

from kerasx.autodiff.tensor import Tensor
from kerasx.ops._helpers import current, record, shape_of, tracked, value_of
from kerasx.ops.shape import take


def extract_sequences(x, sequence_length, sequence_stride):
    """Frames of `sequence_length` taken every `sequence_stride` along the last axis:
    `(..., n)` -> `(..., 1 + (n - sequence_length) // sequence_stride, sequence_length)`."""
    backend = current()
    xp = backend.xp
    shape = shape_of(value_of(x))
    for name, value in (("sequence_length", sequence_length),
                        ("sequence_stride", sequence_stride)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"extract_sequences: `{name}` must be a positive integer, "
                             f"received {value!r}.")
    if not shape:
        raise ValueError("extract_sequences: Input should have rank >= 1. Received: input "
                         "shape (); pass an array whose last axis holds the sequences.")
    if shape[-1] < sequence_length:
        raise ValueError(f"extract_sequences: the last axis must hold at least "
                         f"sequence_length={sequence_length} values; received an input of "
                         f"shape {shape}.")
    count = 1 + (shape[-1] - sequence_length) // sequence_stride
    starts = xp.arange(count, device=backend.device)[:, None] * sequence_stride
    index = starts + xp.arange(sequence_length, device=backend.device)[None, :]
    return take(x, index, axis=-1)


def _pair(name, argument, value, low):
    pair = (value, value) if isinstance(value, int) else tuple(value)
    if len(pair) != 2 or any(isinstance(v, bool) or not isinstance(v, int) or v < low
                             for v in pair):
        raise ValueError(f"{name}: `{argument}` must be an integer >= {low} or a pair of them, "
                         f"received {value!r}.")
    return pair


def _geometry(name, size, kernel_size, dilation, padding, stride):
    """The windows over an image of `size = (H, W)`: kernel, dilation, padding, stride and
    the number of positions along each axis."""
    k = _pair(name, "kernel_size", kernel_size, 1)
    d = _pair(name, "dilation", dilation, 1)
    p = _pair(name, "padding", padding, 0)
    s = _pair(name, "stride", stride, 1)
    counts = tuple((size[i] + 2 * p[i] - d[i] * (k[i] - 1) - 1) // s[i] + 1 for i in range(2))
    if min(counts) < 1:
        raise ValueError(f"{name}: a {k[0]}x{k[1]} kernel with dilation {d} does not fit in a "
                         f"{size[0]}x{size[1]} image padded by {p}.")
    return k, d, p, s, counts


def _window(k, d, s, counts, i, j):
    """The key of the padded image's entries that kernel position (i, j) visits."""
    return (slice(None), slice(None),
            slice(i * d[0], i * d[0] + (counts[0] - 1) * s[0] + 1, s[0]),
            slice(j * d[1], j * d[1] + (counts[1] - 1) * s[1] + 1, s[1]))


def _unfold_values(xp, xv, k, d, p, s, counts):
    n, c, h, w = xv.shape
    padded = xv
    if p[0] or p[1]:
        padded = xp.zeros((n, c, h + 2 * p[0], w + 2 * p[1]), dtype=xv.dtype,
                          device=xv.device)
        padded[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = xv
    patches = xp.stack([padded[_window(k, d, s, counts, i, j)]
                        for i in range(k[0]) for j in range(k[1])], axis=2)
    return xp.reshape(patches, (n, c * k[0] * k[1], counts[0] * counts[1]))


def _fold_values(xp, cols, size, k, d, p, s, counts):
    n = cols.shape[0]
    c = cols.shape[1] // (k[0] * k[1])
    blocks = xp.reshape(cols, (n, c, k[0], k[1], counts[0], counts[1]))
    out = xp.zeros((n, c, size[0] + 2 * p[0], size[1] + 2 * p[1]), dtype=cols.dtype,
                   device=cols.device)
    for i in range(k[0]):
        for j in range(k[1]):
            key = _window(k, d, s, counts, i, j)
            out[key] = out[key] + blocks[:, :, i, j, ...]
    return out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]


def unfold(x, kernel_size, dilation=1, padding=0, stride=1):
    """The sliding `kernel_size` patches of a `(N, C, H, W)` image as columns:
    `(N, C * kH * kW, L)`, `L` the number of window positions (channel-major, then
    kernel row, then kernel column, as PyTorch's `unfold`)."""
    backend = current()
    xp = backend.xp
    xv = value_of(x)
    if not backend.is_native(xv):
        xv = backend.asarray(xv)
    if len(shape_of(xv)) != 4:
        raise ValueError(f"unfold expects a 4-D channels-first input (N, C, H, W); received "
                         f"shape {shape_of(xv)}.")
    size = tuple(xv.shape[2:])
    k, d, p, s, counts = _geometry("unfold", size, kernel_size, dilation, padding, stride)
    out = _unfold_values(xp, xv, k, d, p, s, counts)
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (_fold_values(xp, g, size, k, d, p, s, counts),))


def fold(x, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """The inverse arrangement of `unfold`: columns `(N, C * kH * kW, L)` summed back
    into an `(N, C) + output_size` image, overlapping entries added."""
    backend = current()
    xp = backend.xp
    xv = value_of(x)
    if not backend.is_native(xv):
        xv = backend.asarray(xv)
    size = _pair("fold", "output_size", output_size, 1)
    k, d, p, s, counts = _geometry("fold", size, kernel_size, dilation, padding, stride)
    shape = shape_of(xv)
    if len(shape) != 3:
        raise ValueError(f"fold: Input must be a 3D tensor. Received: input.shape={shape}. "
                         f"Pass columns of shape (N, C * kernel height * kernel width, L).")
    if shape[1] % (k[0] * k[1]) or shape[2] != counts[0] * counts[1]:
        raise ValueError(
            f"fold expects columns of shape (N, C * {k[0] * k[1]}, {counts[0] * counts[1]}) for "
            f"a {k[0]}x{k[1]} kernel over output_size {size} (dilation {d}, padding {p}, "
            f"stride {s}); received shape {shape}.")
    out = _fold_values(xp, xv, size, k, d, p, s, counts)
    if not tracked(x):
        return Tensor(out)
    return record(out, (x,), lambda g: (_unfold_values(xp, g, k, d, p, s, counts),))


# registers the differentiable rules
import_module("kerasx.ops.patches_grads")
