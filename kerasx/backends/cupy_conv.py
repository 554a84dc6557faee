"""Fast CuPy kernels for convolution and pooling; each compiles on its first use.

CuPy 14 has no cuDNN bindings, so convolution is an im2col `ElementwiseKernel`
followed by one cuBLAS matmul (in the shared `conv_forward`), and the input
gradient is one cuBLAS matmul to columns followed by a col2im gather kernel
(no atomics). Pooling runs one thread per output element forward and scatters
with `atomicAdd` backward. Every kernel works on 3 spatial axes: 1-D and 2-D
inputs get unit axes inserted (a free reshape), so one source covers all ranks.
The portable array-API functions stay the reference; each kernel here has the
signature of the function it replaces.
"""

import functools

_DIMS = ("int32 D, int32 H, int32 W, int32 C, int32 OD, int32 OH, int32 OW, "
         "int32 KD, int32 KH, int32 KW, int32 SD, int32 SH, int32 SW, "
         "int32 DD, int32 DH, int32 DW")

_IM2COL = r"""
    long long t = i;
    const int c = t % C; t /= C;
    const int kw = t % KW; t /= KW;
    const int kh = t % KH; t /= KH;
    const int kd = t % KD; t /= KD;
    const int ow = t % OW; t /= OW;
    const int oh = t % OH; t /= OH;
    const int od = t % OD; const long long nb = t / OD;
    const long long z = od * SD + kd * DD;
    const long long y = oh * SH + kh * DH;
    const long long xx = ow * SW + kw * DW;
    col = x[(((nb * D + z) * H + y) * W + xx) * C + c];
"""

# dx[n, z, y, x, c] = sum over taps k with (pos - k * dil) a multiple of the stride
# inside the output of cols[n, o, k, c]
_COL2IM = r"""
    long long t = i;
    const int c = t % C; t /= C;
    const int xx = t % W; t /= W;
    const int y = t % H; t /= H;
    const int z = t % D; const long long nb = t / D;
    T acc = 0;
    for (int kd = 0; kd < KD; ++kd) {
        const int rz = z - kd * DD;
        if (rz < 0 || rz % SD) continue;
        const int od = rz / SD;
        if (od >= OD) continue;
        for (int kh = 0; kh < KH; ++kh) {
            const int ry = y - kh * DH;
            if (ry < 0 || ry % SH) continue;
            const int oh = ry / SH;
            if (oh >= OH) continue;
            for (int kw = 0; kw < KW; ++kw) {
                const int rx = xx - kw * DW;
                if (rx < 0 || rx % SW) continue;
                const int ow = rx / SW;
                if (ow >= OW) continue;
                const long long row = ((nb * OD + od) * OH + oh) * OW + ow;
                const long long tap = (kd * KH + kh) * KW + kw;
                acc += cols[(row * (KD * KH * KW) + tap) * C + c];
            }
        }
    }
    dx = acc;
"""

_POOL_FORWARD = r"""
    long long t = i;
    const int c = t % C; t /= C;
    const int ow = t % OW; t /= OW;
    const int oh = t % OH; t /= OH;
    const int od = t % OD; const long long nb = t / OD;
    T acc = is_max ? x[(((nb * D + od * SD) * H + oh * SH) * W + ow * SW) * C + c] : (T)0;
    for (int kd = 0; kd < KD; ++kd)
      for (int kh = 0; kh < KH; ++kh)
        for (int kw = 0; kw < KW; ++kw) {
            const T v =
                x[(((nb * D + od * SD + kd) * H + oh * SH + kh) * W + ow * SW + kw) * C + c];
            if (is_max) { if (v > acc) acc = v; } else { acc += v; }
        }
    if (!is_max) acc = acc / counts[has_counts ? ((od * OH + oh) * OW + ow) : 0];
    y = acc;
"""

# one thread per output element: max sends dy to the first maximal element of its
# window (window order, as the portable path), average spreads dy / count
_POOL_BACKWARD = r"""
    long long t = i;
    const int c = t % C; t /= C;
    const int ow = t % OW; t /= OW;
    const int oh = t % OH; t /= OH;
    const int od = t % OD; const long long nb = t / OD;
    const T g = is_max ? dy : dy / counts[has_counts ? ((od * OH + oh) * OW + ow) : 0];
    bool done = false;
    for (int kd = 0; kd < KD && !done; ++kd)
      for (int kh = 0; kh < KH && !done; ++kh)
        for (int kw = 0; kw < KW && !done; ++kw) {
            const long long at =
                (((nb * D + od * SD + kd) * H + oh * SH + kh) * W + ow * SW + kw) * C + c;
            if (is_max) {
                if (x[at] == out) { atomicAdd(&dx[at], g); done = true; }
            } else {
                atomicAdd(&dx[at], g);
            }
        }
"""


def _as_3d(shape, window, strides, dilation, out_sizes):
    """Pads the per-axis parameters of 1 or 2 spatial axes to 3 with unit axes."""
    lead = 3 - len(window)
    spatial = (1,) * lead + tuple(shape[1:-1])
    return (spatial, (1,) * lead + tuple(window), (1,) * lead + tuple(strides),
            (1,) * lead + tuple(dilation), (1,) * lead + tuple(out_sizes))


def kernels(cupy):
    """The fast-path table for convolution and pooling (compiled lazily)."""

    @functools.lru_cache(maxsize=None)
    def compiled(name):
        if name == "im2col":
            return cupy.ElementwiseKernel(f"raw T x, {_DIMS}", "T col", _IM2COL,
                                          "kerasx_im2col")
        if name == "col2im":
            return cupy.ElementwiseKernel(f"raw T cols, {_DIMS}", "T dx", _COL2IM,
                                          "kerasx_col2im")
        if name == "pool_forward":
            return cupy.ElementwiseKernel(
                f"raw T x, raw T counts, bool is_max, bool has_counts, {_DIMS}", "T y",
                _POOL_FORWARD, "kerasx_pool_forward")
        return cupy.ElementwiseKernel(
            f"T dy, T out, raw T x, raw T counts, bool is_max, bool has_counts, {_DIMS}",
            "raw T dx", _POOL_BACKWARD, "kerasx_pool_backward")

    def dims(spatial, channels, out, window, strides, dilation):
        return tuple(int(v) for v in (*spatial, channels, *out, *window, *strides, *dilation))

    def conv_im2col(x, window_shape, strides, dilation, out_sizes):
        spatial, window, st, dil, out = _as_3d(x.shape, window_shape, strides, dilation,
                                              out_sizes)
        x = cupy.ascontiguousarray(x)
        with x.device:
            cols = cupy.empty((x.shape[0], *out_sizes, len_prod(window) * x.shape[-1]),
                              dtype=x.dtype)
        compiled("im2col")(x, *dims(spatial, x.shape[-1], out, window, st, dil), cols)
        return cols

    def conv_input_grad(dy, kernel, x_shape, strides, dilation, groups):
        if groups != 1:
            from kerasx.ops.conv import conv_input_grad as portable

            return portable(dy, kernel, x_shape, strides, dilation, groups)
        window_shape = tuple(kernel.shape[:-2])
        channels, filters = kernel.shape[-2], kernel.shape[-1]
        out_sizes = tuple(dy.shape[1:-1])
        rows = len_prod(dy.shape[:-1])
        dcols = cupy.ascontiguousarray(dy).reshape(rows, filters) @ kernel.reshape(-1, filters).T
        spatial, window, st, dil, out = _as_3d(x_shape, window_shape, strides, dilation,
                                              out_sizes)
        with dy.device:
            dx = cupy.empty(tuple(x_shape), dtype=dy.dtype)
        compiled("col2im")(cupy.ascontiguousarray(dcols),
                           *dims(spatial, channels, out, window, st, dil), dx)
        return dx

    def _counts(counts, like, pool_size):
        if counts is None:
            with like.device:
                return cupy.full((1,), len_prod(pool_size), dtype=like.dtype), False
        return cupy.ascontiguousarray(counts.reshape(-1)), True

    def pool_forward(x, pool_size, strides, mode, counts=None):
        n = len(pool_size)
        out_sizes = tuple((s - k) // st + 1 for s, k, st in zip(x.shape[1:-1], pool_size, strides))
        spatial, window, st, dil, out = _as_3d(x.shape, pool_size, strides, (1,) * n, out_sizes)
        x = cupy.ascontiguousarray(x)
        count_array, has_counts = _counts(counts, x, pool_size)
        with x.device:
            y = cupy.empty((x.shape[0], *out_sizes, x.shape[-1]), dtype=x.dtype)
        compiled("pool_forward")(x, count_array, mode == "max", has_counts,
                                 *dims(spatial, x.shape[-1], out, window, st, dil), y)
        return y

    def pool_backward(x, out, dy, pool_size, strides, mode, counts=None):
        n = len(pool_size)
        out_sizes = tuple(dy.shape[1:-1])
        spatial, window, st, dil, osz = _as_3d(x.shape, pool_size, strides, (1,) * n, out_sizes)
        count_array, has_counts = _counts(counts, dy, pool_size)
        source = cupy.ascontiguousarray(x) if mode == "max" else count_array
        with dy.device:
            dx = cupy.zeros(tuple(x.shape), dtype=dy.dtype)
        compiled("pool_backward")(cupy.ascontiguousarray(dy), cupy.ascontiguousarray(out),
                                  source, count_array, mode == "max", has_counts,
                                  *dims(spatial, x.shape[-1], osz, window, st, dil), dx)
        return dx

    return {
        "conv_im2col": conv_im2col,
        "conv_input_grad": conv_input_grad,
        "pool_forward": pool_forward,
        "pool_backward": pool_backward,
    }


def len_prod(values):
    out = 1
    for v in values:
        out *= int(v)
    return out
