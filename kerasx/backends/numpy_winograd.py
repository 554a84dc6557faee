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

The transforms' constants (up to 64 in `A'`) cost accuracy: float32 results differ
from im2col's by about 1e-5 of the output's scale, against 3e-7. The backend uses
it for float32 and float64 alike; `KERASX_WINOGRAD=0` turns it off.
"""

import numpy as np
from numpy.lib.stride_tricks import as_strided

_TILE = 4                 # output tile side (m)
_PATCH = _TILE + 2        # input patch side (m + r - 1)

_BT = np.array([[4, 0, -5, 0, 1, 0],
                [0, -4, -4, 1, 1, 0],
                [0, 4, -4, -1, 1, 0],
                [0, -2, -1, 2, 1, 0],
                [0, 2, -1, -2, 1, 0],
                [0, 4, 0, -5, 0, 1]], dtype=np.float64)
_G = np.array([[1 / 4, 0, 0],
               [-1 / 6, -1 / 6, -1 / 6],
               [-1 / 6, 1 / 6, -1 / 6],
               [1 / 24, 1 / 12, 1 / 6],
               [1 / 24, -1 / 12, 1 / 6],
               [0, 0, 1]], dtype=np.float64)
_AT = np.array([[1, 1, 1, 1, 1, 0],
                [0, 1, -1, 2, -2, 0],
                [0, 1, 1, 4, 4, 0],
                [0, 1, -1, 8, -8, 1]], dtype=np.float64)

_MATRICES = {}


def _matrices(dtype):
    """`(B', G', A')` in `dtype`, made once per dtype."""
    found = _MATRICES.get(dtype)
    if found is None:
        found = _MATRICES[dtype] = tuple(
            np.ascontiguousarray(np.kron(m, m), dtype=dtype) for m in (_BT, _G, _AT))
    return found


class Saved:
    """What the backward needs from a Winograd forward."""

    __slots__ = ("v", "u", "tiles")

    def __init__(self, v, u, tiles):
        self.v, self.u, self.tiles = v, u, tiles


# How far the 4x4 tiles may overrun the output (tiles past its edge are computed and
# dropped), by the smaller of the input channels and the filters: none below 32.
# Forward and both gradients, alternating with im2col (median of 12, 2-core EPYC):
#   16 -> 16 at 64 x 34x34: 0.92 of im2col's time; 16 -> 32 at 128 x 30x30: 1.12;
#   32 -> 32 at 32-128 x 18x18 and 34x34: 0.76-0.92; 32 -> 64 at 64 x 18x18: 0.73;
#   64 -> 64 at 16 x 34x34: 0.63; 64 -> 128 at 64 x 10x10: 0.55;
#   overrun: 32 -> 64, 10x10 output in 12x12 (1.44): 1.03; 64 -> 64, 13x13 in 16x16
#   (1.51): 0.91; 64 -> 64, 9x9 in 12x12 (1.78): 1.08.
_OVERRUN_BY_CHANNELS = ((64, 1.6), (32, 1.2))


def accepts(x, kernel, strides, dilation, groups):
    """True for the convolutions this file computes, and computes faster than im2col:
    2-D, 3x3, unit strides and dilation, one group, float32 or float64, 32+ input
    channels and filters, and an output that its 4x4 tiles overrun by at most a fifth
    (with 64+ channels and filters, three fifths)."""
    if not (kernel.ndim == 4 and kernel.shape[:2] == (3, 3) and groups == 1
            and tuple(strides) == (1, 1) and tuple(dilation) == (1, 1)
            and x.dtype == kernel.dtype and x.dtype in (np.float32, np.float64)):
        return False
    out_h, out_w = x.shape[1] - 2, x.shape[2] - 2
    if out_h < _TILE or out_w < _TILE:
        return False
    channels = min(kernel.shape[2], kernel.shape[3])
    allowed = next((overrun for least, overrun in _OVERRUN_BY_CHANNELS if channels >= least),
                   0.0)
    covered = -(-out_h // _TILE) * -(-out_w // _TILE) * _TILE * _TILE
    return covered <= allowed * out_h * out_w


def conv_winograd(x, kernel, strides, dilation, groups, want_x, want_w):
    """The valid convolution of the padded channels_last `x` by `kernel`, as `(y,
    saved)` for `conv_winograd_grads`; None for a convolution it does not take
    (`accepts`). `want_x` / `want_w` say which gradients will be asked for."""
    if not accepts(x, kernel, strides, dilation, groups):
        return None
    bt, g, at = _matrices(x.dtype)
    batch, height, width, cin = x.shape
    filters = kernel.shape[-1]
    out_h, out_w = height - 2, width - 2
    th, tw = -(-out_h // _TILE), -(-out_w // _TILE)
    rows = batch * th * tw
    patches = _patches(x, th, tw)                               # (36, rows * cin)
    v = (bt @ patches).reshape(_PATCH * _PATCH, rows, cin)
    u = (g @ kernel.reshape(9, cin * filters)).reshape(_PATCH * _PATCH, cin, filters)
    m = np.matmul(v, u)                                         # (36, rows, filters)
    tiles = (at @ m.reshape(_PATCH * _PATCH, -1)).reshape(_TILE, _TILE, batch, th, tw, filters)
    del m
    y = np.empty((batch, out_h, out_w, filters), dtype=x.dtype)
    if (out_h, out_w) == (th * _TILE, tw * _TILE):
        full = y
    else:
        full = np.empty((batch, th * _TILE, tw * _TILE, filters), dtype=x.dtype)
    np.copyto(full.reshape(batch, th, _TILE, tw, _TILE, filters),
              tiles.transpose(2, 3, 0, 4, 1, 5))
    if full is not y:
        np.copyto(y, full[:, :out_h, :out_w])
    saved = Saved(v if want_w else None, u if want_x else None, (th, tw))
    return y, saved


def _patches(x, th, tw):
    """The 6x6 input patch under every 4x4 output tile, as a `(36, tiles * channels)`
    matrix, patch offset major (zeros past the input's bottom and right edges)."""
    batch, height, width, cin = x.shape
    need_h, need_w = th * _TILE + 2, tw * _TILE + 2
    if (need_h, need_w) != (height, width):
        padded = np.zeros((batch, need_h, need_w, cin), dtype=x.dtype)
        padded[:, :height, :width] = x
        x = padded
    s = x.strides
    view = as_strided(x, (_PATCH, _PATCH, batch, th, tw, cin),
                      (s[1], s[2], s[0], _TILE * s[1], _TILE * s[2], s[3]), writeable=False)
    return np.ascontiguousarray(view).reshape(_PATCH * _PATCH, -1)


def conv_winograd_grads(dy, saved, x_shape, want_x, want_w):
    """`(input gradient, kernel gradient)` of `conv_winograd` from the output's
    gradient `dy` (None for the one not wanted). The input gradient has `x_shape`,
    which may extend past the input the forward read (zeros there)."""
    bt, g, at = _matrices(dy.dtype)
    batch, out_h, out_w, filters = dy.shape
    th, tw = saved.tiles
    rows = batch * th * tw
    dtiles = np.empty((_TILE, _TILE, batch, th, tw, filters), dtype=dy.dtype)
    if (out_h, out_w) != (th * _TILE, tw * _TILE):
        full = np.zeros((batch, th * _TILE, tw * _TILE, filters), dtype=dy.dtype)
        full[:, :out_h, :out_w] = dy
        dy = full
    np.copyto(dtiles, dy.reshape(batch, th, _TILE, tw, _TILE, filters).transpose(2, 4, 0, 1, 3, 5))
    dm = (at.T @ dtiles.reshape(_TILE * _TILE, -1)).reshape(_PATCH * _PATCH, rows, filters)
    del dtiles
    dw = dx = None
    if want_w:
        du = np.matmul(saved.v.transpose(0, 2, 1), dm)        # (36, cin, filters)
        cin = du.shape[1]
        dw = (g.T @ du.reshape(_PATCH * _PATCH, -1)).reshape(3, 3, cin, filters)
    if want_x:
        dv = np.matmul(dm, saved.u.transpose(0, 2, 1))         # (36, rows, cin)
        del dm
        cin = dv.shape[-1]
        dp = (bt.T @ dv.reshape(_PATCH * _PATCH, -1)).reshape(
            _PATCH, _PATCH, batch, th, tw, cin)
        del dv
        dx = _add_patches(dp, x_shape, th, tw)
    return dx, dw


def _add_patches(dp, x_shape, th, tw):
    """The input gradient from its patches' `dp` `(6, 6, batch, th, tw, channels)`:
    each patch offset's rows added where the patches overlap (offsets 4 and 5 of one
    tile fall on offsets 0 and 1 of the next). Four passes: the offsets below 4 in
    both axes (which do not overlap: a copy), then the three overlapping blocks."""
    batch, cin = dp.shape[2], dp.shape[-1]
    height = max(x_shape[1], (th + 1) * _TILE)
    width = max(x_shape[2], (tw + 1) * _TILE)
    dx = np.empty((batch, height, width, cin), dtype=dp.dtype)
    dx[:, th * _TILE:] = 0
    dx[:, :th * _TILE, tw * _TILE:] = 0
    for block_h in (0, 1):
        hs = slice(_TILE * block_h, _TILE * block_h + (_TILE if block_h == 0 else 2))
        for block_w in (0, 1):
            ws = slice(_TILE * block_w, _TILE * block_w + (_TILE if block_w == 0 else 2))
            grid = dx[:, _TILE * block_h:_TILE * (block_h + th),
                      _TILE * block_w:_TILE * (block_w + tw)]
            target = grid.reshape(batch, th, _TILE, tw, _TILE, cin)[
                :, :, :hs.stop - hs.start, :, :ws.stop - ws.start]
            source = dp[hs, ws].transpose(2, 3, 0, 4, 1, 5)
            if block_h == block_w == 0:
                np.copyto(target, source)
            else:
                np.add(target, source, out=target)
    return dx[:, :x_shape[1], :x_shape[2]]


KERNELS = {"conv_winograd": conv_winograd, "conv_winograd_grads": conv_winograd_grads}
