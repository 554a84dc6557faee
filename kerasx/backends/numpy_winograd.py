"""3x3 convolutions by Winograd's minimal filtering F(4x4, 3x3), registered by the NumPy
backend for training.

The output is computed in 4x4 tiles. Each tile reads a 6x6 patch of the input; the
patch, the kernel and the product are taken to a 36-point transform domain where the
convolution becomes 36 independent products over channels:

    M[k] = V[k] @ U[k],  V = B' P (the patches),  U = G' W (the kernel),  Y = A' M

with `B' = kron(B^T, B^T)` (36 x 36), `G' = kron(G, G)` (36 x 9) and `A' = kron(A^T,
A^T)` (16 x 36) from Lavin and Gray, "Fast Algorithms for Convolutional Neural
Networks" (2016). The 36 products have K = input channels instead of im2col's
9 x channels, and do 2.25 times fewer multiplications than one im2col product; the
patch matrix is 2.25 times the input where im2col's is 9 times. The transforms are
products too (K = 36 and 16), so every pass runs in the BLAS.

The backward is the exact adjoint of those linear maps: `dM = A'^T dY`, `dU[k] =
V[k]^T dM[k]`, `dW = G'^T dU`, `dV[k] = dM[k] U[k]^T` and the patches' gradient
`B'^T dV` added back where the 6x6 patches overlap.

The transform products (K = 36 and 16) are bound by memory bandwidth where im2col's
product is bound by arithmetic: on a quiet 2-core machine the Keras CIFAR-10 convnet's
step took 43 ms against im2col's 49, but while a neighbour took most of the memory
bandwidth, 68 against 60 (`benchmarks/README.md`, seventeenth round).

The transforms' constants (up to 64 in `A'`) cost accuracy: float32 results differ
from im2col's by about 1e-5 of the output's scale, against 3e-7. The backend uses
it for float32 and float64 alike; `KERASX_WINOGRAD=0` turns it off. The transforms
also mix a patch's values, so an inf or NaN in the input makes every output of the
tiles whose patches hold it NaN, where im2col keeps it to the windows that read it.
"""

import os

import numpy as np
from numpy.lib.stride_tricks import as_strided

from kerasx.backends.numpy_trace_array import recordable_helper

# read once: the NumPy backend registers the kernels, and the fused nodes that call
# them directly (`numpy_conv_bn_pool`) take them, only when this is True
ENABLED = os.environ.get("KERASX_WINOGRAD", "1") != "0"

_TILE = 4  # output tile side; F(2x2, 3x3) measured no faster (NOT_KEPT.md)
_PATCH = _TILE + 2  # input patch side
_POINTS = _PATCH * _PATCH  # of the transform domain
_F4 = (  # F(4x4, 3x3): B^T, G, A^T
    [[4, 0, -5, 0, 1, 0],
     [0, -4, -4, 1, 1, 0],
     [0, 4, -4, -1, 1, 0],
     [0, -2, -1, 2, 1, 0],
     [0, 2, -1, -2, 1, 0],
     [0, 4, 0, -5, 0, 1]],
    [[1 / 4, 0, 0],
     [-1 / 6, -1 / 6, -1 / 6],
     [-1 / 6, 1 / 6, -1 / 6],
     [1 / 24, 1 / 12, 1 / 6],
     [1 / 24, -1 / 12, 1 / 6],
     [0, 0, 1]],
    [[1, 1, 1, 1, 1, 0],
     [0, 1, -1, 2, -2, 0],
     [0, 1, 1, 4, 4, 0],
     [0, 1, -1, 8, -8, 1]])
_MATRICES = {}


class _Plan:
    """One convolution's tiling, `th` x `tw` tiles per sample, and the transforms `B'`,
    `G'`, `A'` in its dtype."""

    __slots__ = ("th", "tw", "bt", "g", "at")

    def __init__(self, out_h, out_w, dtype):
        self.th, self.tw = -(-out_h // _TILE), -(-out_w // _TILE)
        dtype = np.dtype(dtype)
        found = _MATRICES.get(dtype)
        if found is None:
            found = _MATRICES[dtype] = tuple(
                np.ascontiguousarray(np.kron(m, m), dtype=dtype)
                for m in (np.array(a, dtype=np.float64) for a in _F4))
        self.bt, self.g, self.at = found


class Saved:
    """What the backward needs from a Winograd forward."""

    __slots__ = ("v", "u", "plan")

    def __init__(self, v, u, plan):
        self.v, self.u, self.plan = v, u, plan


# How far the 4x4 tiles may overrun the output (tiles past its edge are computed and
# dropped), by the smaller of the input channels and the filters: none below 32.
# Forward and both gradients, alternating with im2col (median of 12, 2-core EPYC):
#   16 -> 16 at 64 x 34x34: 0.92 of im2col's time; 16 -> 32 at 128 x 30x30: 1.12;
#   32 -> 32 at 32-128 x 18x18 and 34x34: 0.76-0.92; 32 -> 64 at 64 x 18x18: 0.73;
#   64 -> 64 at 16 x 34x34: 0.63; 64 -> 128 at 64 x 10x10: 0.55;
#   overrun: 32 -> 64, 10x10 output in 12x12 (1.44): 1.03; 64 -> 64, 13x13 in 16x16
#   (1.51): 0.91; 64 -> 64, 9x9 in 12x12 (1.78): 1.08.
_OVERRUN_BY_CHANNELS = ((64, 1.6), (32, 1.2))


def plan(x, kernel, strides, dilation, groups):
    """The `_Plan` for the convolutions this file computes, and computes faster than
    im2col, else None: 2-D, 3x3, unit strides and dilation, one group, float32 or
    float64, 32+ input channels and filters, and an output that its 4x4 tiles overrun
    by at most a fifth (with 64+ channels and filters, three fifths)."""
    if not (kernel.ndim == 4 and kernel.shape[:2] == (3, 3) and groups == 1
            and tuple(strides) == (1, 1) and tuple(dilation) == (1, 1)
            and x.dtype == kernel.dtype and x.dtype in (np.float32, np.float64)):
        return None
    out_h, out_w = x.shape[1] - 2, x.shape[2] - 2
    channels = min(kernel.shape[2], kernel.shape[3])
    allowed = next((overrun for least, overrun in _OVERRUN_BY_CHANNELS if channels >= least),
                   0.0)
    if out_h < _TILE or out_w < _TILE:
        return None
    covered = -(-out_h // _TILE) * -(-out_w // _TILE) * _TILE * _TILE
    if covered > allowed * out_h * out_w:
        return None
    return _Plan(out_h, out_w, x.dtype)


@recordable_helper
def conv_winograd(x, kernel, strides, dilation, groups, want_x, want_w):
    """The valid convolution of the padded channels_last `x` by `kernel`, as `(y,
    saved)` for `conv_winograd_grads`; None for a convolution it does not take
    (`plan`). `want_x` / `want_w` say which gradients will be asked for."""
    p = plan(x, kernel, strides, dilation, groups)
    if p is None:
        return None
    batch, height, width, cin = x.shape
    filters = kernel.shape[-1]
    out_h, out_w = height - 2, width - 2
    t, th, tw = _TILE, p.th, p.tw
    rows = batch * th * tw
    v = (p.bt @ _patches(x, p)).reshape(_POINTS, rows, cin)
    u = (p.g @ kernel.reshape(9, cin * filters)).reshape(_POINTS, cin, filters)
    m = np.matmul(v, u)                                     # (points, rows, filters)
    tiles = (p.at @ m.reshape(_POINTS, -1)).reshape(t, t, batch, th, tw, filters)
    del m
    y = np.empty((batch, out_h, out_w, filters), dtype=x.dtype)
    if (out_h, out_w) == (th * t, tw * t):
        full = y
    else:
        full = np.empty((batch, th * t, tw * t, filters), dtype=x.dtype)
    np.copyto(full.reshape(batch, th, t, tw, t, filters), tiles.transpose(2, 3, 0, 4, 1, 5))
    if full is not y:
        np.copyto(y, full[:, :out_h, :out_w])
    empty = _empty_windows(x)
    if empty is not None:
        y.reshape(-1, filters)[empty] = 0
    return y, Saved(v if want_w else None, u if want_x else None, p)


def _empty_windows(x):
    """The flat output positions whose 3x3 window of `x` holds only zeros (None when
    there are none). im2col computes exactly 0 there; the transforms mix in the rest
    of the patch and leave a rounding residue of either sign, and a ReLU after the
    convolution would then pass gradient where it passes none (zero inputs are
    common: zero padding, image backgrounds, a ReLU before). The windows are found
    from the channels' absolute sums, zero only when every channel is: 0.2-0.7 ms for
    64 x 18x18x32, whose forward takes 4-5 ms."""
    batch, height, width, cin = x.shape
    occupied = (np.abs(x).reshape(-1, cin) @ np.ones(cin, dtype=x.dtype)).reshape(
        batch, height, width)
    rows = occupied[:, :-2] + occupied[:, 1:-1] + occupied[:, 2:]
    windows = rows[:, :, :-2] + rows[:, :, 1:-1] + rows[:, :, 2:]
    empty = np.flatnonzero(windows == 0)
    return empty if empty.size else None


def _patches(x, p):
    """The input patch under every output tile, as a `(points, tiles * channels)`
    matrix, patch offset major (zeros past the input's bottom and right edges)."""
    batch, height, width, cin = x.shape
    need_h, need_w = p.th * _TILE + 2, p.tw * _TILE + 2
    if (need_h, need_w) != (height, width):
        padded = np.zeros((batch, need_h, need_w, cin), dtype=x.dtype)
        padded[:, :height, :width] = x
        x = padded
    s = x.strides
    view = as_strided(x, (_PATCH, _PATCH, batch, p.th, p.tw, cin),
                      (s[1], s[2], s[0], _TILE * s[1], _TILE * s[2], s[3]), writeable=False)
    return np.ascontiguousarray(view).reshape(_POINTS, -1)


@recordable_helper
def conv_winograd_grads(dy, saved, x_shape, want_x, want_w):
    """`(input gradient, kernel gradient)` of `conv_winograd` from the output's
    gradient `dy` (None for the one not wanted). The input gradient has `x_shape`,
    which may extend past the input the forward read (zeros there)."""
    p = saved.plan
    batch, out_h, out_w, filters = dy.shape
    t, th, tw = _TILE, p.th, p.tw
    rows = batch * th * tw
    dtiles = np.empty((t, t, batch, th, tw, filters), dtype=dy.dtype)
    if (out_h, out_w) != (th * t, tw * t):
        full = np.zeros((batch, th * t, tw * t, filters), dtype=dy.dtype)
        full[:, :out_h, :out_w] = dy
        dy = full
    np.copyto(dtiles, dy.reshape(batch, th, t, tw, t, filters).transpose(2, 4, 0, 1, 3, 5))
    dm = (p.at.T @ dtiles.reshape(t * t, -1)).reshape(_POINTS, rows, filters)
    del dtiles
    dw = dx = None
    if want_w:
        du = np.matmul(saved.v.transpose(0, 2, 1), dm)    # (points, cin, filters)
        cin = du.shape[1]
        dw = (p.g.T @ du.reshape(_POINTS, -1)).reshape(3, 3, cin, filters)
    if want_x:
        dv = np.matmul(dm, saved.u.transpose(0, 2, 1))     # (points, rows, cin)
        del dm
        cin = dv.shape[-1]
        dp = (p.bt.T @ dv.reshape(_POINTS, -1)).reshape(_PATCH, _PATCH, batch, th, tw, cin)
        del dv
        dx = _add_patches(dp, x_shape, p)
    return dx, dw


def _add_patches(dp, x_shape, p):
    """The input gradient from its patches' `dp` `(6, 6, batch, th, tw, channels)`:
    patch offsets 4 and 5 of one tile fall on offsets 0 and 1 of the next. Per axis
    the offsets split into blocks (0-3 and 4-5) whose positions are distinct across
    tiles: the first block of both axes is copied, the other three added, one pass
    each."""
    batch, cin = dp.shape[2], dp.shape[-1]
    t, th, tw = _TILE, p.th, p.tw
    blocks = -(-_PATCH // t)
    height = max(x_shape[1], (th + blocks - 1) * t)
    width = max(x_shape[2], (tw + blocks - 1) * t)
    dx = np.empty((batch, height, width, cin), dtype=dp.dtype)
    dx[:, th * t:] = 0
    dx[:, :th * t, tw * t:] = 0
    for block_h in range(blocks):
        rows = min(t, _PATCH - t * block_h)
        for block_w in range(blocks):
            cols = min(t, _PATCH - t * block_w)
            grid = dx[:, t * block_h:t * (block_h + th), t * block_w:t * (block_w + tw)]
            target = grid.reshape(batch, th, t, tw, t, cin)[:, :, :rows, :, :cols]
            source = dp[t * block_h:t * block_h + rows,
                        t * block_w:t * block_w + cols].transpose(2, 3, 0, 4, 1, 5)
            if block_h == block_w == 0:
                np.copyto(target, source)
            else:
                np.add(target, source, out=target)
    return dx[:, :x_shape[1], :x_shape[2]]


KERNELS = {"conv_winograd": conv_winograd, "conv_winograd_grads": conv_winograd_grads}
