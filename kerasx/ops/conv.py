"""Convolutions: one N-dimensional primitive and its transposed and depthwise relatives.

Arrays are channels_last inside: `(batch, *spatial, channels)` with kernels laid
out as Keras stores them, `(*kernel_size, in_channels // groups, filters)`.
`channels_first` inputs are transposed at the edges of each primitive.

The forward pass gathers the input patch under every output position with
shifted strided slices (im2col) and multiplies once by the kernel matrix; the
input gradient adds one `dy @ W[k].T` per kernel offset into a strided slice
of `dx`, so no Python loop ever runs over the batch. The building blocks
`im2col`, `conv_forward`, `conv_input_grad` and `conv_kernel_grad` are pure
array API; a backend may replace `im2col` and `conv_input_grad` with faster
kernels of the same signature (`conv_im2col`, `conv_input_grad`), and compute
the whole inference forward, bias and ReLU included, with
`conv_inference_on_grid(x, pads, kernel, bias, relu, strides, dilation, groups)`
(None to decline).
"""

import itertools
import math

from kerasx.ops._helpers import (Tensor, current, input_like_weights, record, relu_of_fresh,
                                 tracked, value_of)
from kerasx.ops.reduction import column_sum

_PADDINGS = ("valid", "same", "causal")


# -- argument handling (shared with ops/pooling.py) ---------------------------------------
def normalize_tuple(value, n, name, allow_zero=False):
    """`value` (an int or a sequence of n ints) as an n-tuple of ints."""
    if isinstance(value, int) and not isinstance(value, bool):
        out = (value,) * n
    else:
        try:
            out = tuple(int(v) for v in value)
        except TypeError:
            raise ValueError(f"`{name}` must be an int or a tuple of {n} ints, received "
                             f"{name}={value!r}.") from None
        if len(out) != n:
            raise ValueError(f"`{name}` must have {n} entries (one per spatial axis), received "
                             f"{name}={value!r}.")
    low = 0 if allow_zero else 1
    if any(v < low for v in out):
        kind = "non-negative" if allow_zero else "positive"
        bad = {v for v in out if v < low}
        raise ValueError(f"`{name}` entries must be {kind} integers. The `{name}` argument "
                         f"must be a tuple of {n} integers. Received {name}={value!r}, "
                         f"including values {bad} that do not satisfy "
                         f"`value {'>=' if allow_zero else '>'} 0`.")
    return out


def normalize_data_format(data_format):
    """`data_format`, defaulting to `kerasx.config.image_data_format()`."""
    if data_format is None:
        from kerasx.config import image_data_format

        return image_data_format()
    value = str(data_format).lower()
    if value not in ("channels_last", "channels_first"):
        raise ValueError("`data_format` must be 'channels_last' or 'channels_first', received "
                         f"data_format={data_format!r}.")
    return value


def normalize_padding(padding, allow_causal=False):
    value = str(padding).lower()
    allowed = _PADDINGS if allow_causal else _PADDINGS[:2]
    if value not in allowed:
        raise ValueError(f"`padding` must be one of {list(allowed)}, received padding={padding!r}.")
    return value


def explicit_padding(padding, sizes, windows, strides):
    """One `(before, after)` pair per spatial axis for "valid", "same" or "causal".

    `windows` are the effective window sizes (dilation included). "same" pads
    like TensorFlow and Keras: the output has `ceil(size / stride)` positions and
    the odd padding element goes after.
    """
    pads = []
    for size, window, stride in zip(sizes, windows, strides):
        if padding == "valid":
            pads.append((0, 0))
        elif padding == "causal":
            pads.append((window - 1, 0))
        else:
            out = -(-size // stride)
            total = max((out - 1) * stride + window - size, 0)
            pads.append((total // 2, total - total // 2))
    return pads


def output_sizes(sizes, windows, strides, pads):
    return tuple((n + lo + hi - w) // s + 1
                 for n, w, s, (lo, hi) in zip(sizes, windows, strides, pads))


def check_window_fits(op, sizes, windows, pads, padding):
    for axis, (n, w, (lo, hi)) in enumerate(zip(sizes, windows, pads)):
        if w > n + lo + hi:
            raise ValueError(
                f"{op}: Computed output size would be zero or negative: the window "
                f"(effective size {w}, dilation included) is larger than the "
                f"padded input along spatial axis {axis} (size {n} + padding {lo + hi} with "
                f"padding={padding!r}); received spatial shape {tuple(sizes)}. Use a smaller "
                "kernel or pool size, a larger input, or padding='same'.")


def to_channels_last(xp, x, data_format):
    if data_format == "channels_last":
        return x
    nd = len(x.shape)
    return xp.permute_dims(x, (0, *range(2, nd), 1))


def from_channels_last(xp, x, data_format):
    if data_format == "channels_last":
        return x
    nd = len(x.shape)
    return xp.permute_dims(x, (0, nd - 1, *range(1, nd - 1)))


def pad_spatial(xp, x, pads, value, device):
    """`x` (channels_last) with `pads` added around its spatial axes, filled with `value`."""
    if not any(lo or hi for lo, hi in pads):
        return x
    shape = tuple(x.shape)
    spatial = tuple(n + lo + hi for n, (lo, hi) in zip(shape[1:-1], pads))
    padded = (shape[0],) + spatial + (shape[-1],)
    # only the borders take `value`: filling the whole array first wrote it twice
    out = xp.empty(padded, dtype=x.dtype, device=device)
    for axis, (n, (lo, hi)) in enumerate(zip(shape[1:-1], pads), start=1):
        for border in (slice(0, lo), slice(lo + n, lo + n + hi)):
            if border.stop > border.start:
                out[(slice(None),) * axis + (border, ...)] = value
    out[interior(shape, pads)] = x
    return out


def interior(shape, pads):
    """The index of the unpadded region inside a padded channels_last array."""
    return ((slice(None),) + tuple(slice(lo, lo + n) for n, (lo, _) in zip(shape[1:-1], pads))
            + (slice(None),))


def window_slices(window_shape, dilation, strides, out_sizes):
    """For every window offset (row-major), the strided slice of the padded input it reads."""
    per_axis = [
        [slice(k * d, k * d + s * (o - 1) + 1, s) for k in range(w)]
        for w, d, s, o in zip(window_shape, dilation, strides, out_sizes)
    ]
    return [(slice(None),) + combo + (slice(None),) for combo in itertools.product(*per_axis)]


# -- the portable building blocks ---------------------------------------------------------
def im2col(x, window_shape, strides, dilation, out_sizes):
    """`(batch, *out_sizes, prod(window_shape) * channels)`: the input patch under every
    output position, window offset major and channel minor (the kernel's row order)."""
    xp = current().xp
    parts = [x[index] for index in window_slices(window_shape, dilation, strides, out_sizes)]
    return parts[0] if len(parts) == 1 else xp.concat(parts, axis=-1)


def conv_forward(x, kernel, strides, dilation, groups, im2col_fn=None):
    """Valid convolution of an already padded channels_last `x`; returns `(y, cols)`.

    `cols` is the im2col matrix `(batch * positions, window * channels)`, kept by the
    caller for the kernel gradient.
    """
    xp = current().xp
    window_shape = tuple(kernel.shape[:-2])
    windows = tuple((k - 1) * d + 1 for k, d in zip(window_shape, dilation))
    out_sizes = output_sizes(tuple(x.shape[1:-1]), windows, strides, [(0, 0)] * len(windows))
    cols = (im2col_fn or im2col)(x, window_shape, strides, dilation, out_sizes)
    rows = math.prod((x.shape[0],) + out_sizes)
    cols = xp.reshape(cols, (rows, cols.shape[-1]))
    filters = kernel.shape[-1]
    if groups == 1:
        y = cols @ xp.reshape(kernel, (-1, filters))
    else:
        y = _grouped_product(xp, cols, kernel, groups)
    return xp.reshape(y, (x.shape[0],) + out_sizes + (filters,)), cols


def _grouped_product(xp, cols, kernel, groups):
    window = math.prod(kernel.shape[:-2])
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    rows = cols.shape[0]
    c = xp.reshape(cols, (rows, window, groups, cin))
    c = xp.reshape(xp.permute_dims(c, (2, 0, 1, 3)), (groups, rows, window * cin))
    w = xp.reshape(kernel, (window, cin, groups, filters // groups))
    w = xp.reshape(xp.permute_dims(w, (2, 0, 1, 3)), (groups, window * cin, filters // groups))
    y = c @ w
    return xp.reshape(xp.permute_dims(y, (1, 0, 2)), (rows, filters))


def conv_input_grad(dy, kernel, x_shape, strides, dilation, groups):
    """The gradient of `conv_forward` with respect to its (padded) input of shape `x_shape`.

    Each window offset adds `dy @ W[offset].T` into the strided slice it read.
    """
    backend = current()
    xp = backend.xp
    window_shape = tuple(kernel.shape[:-2])
    out_sizes = tuple(dy.shape[1:-1])
    cin, filters = kernel.shape[-2], kernel.shape[-1]
    channels = cin * groups
    rows = math.prod(tuple(dy.shape[:-1]))
    patch_shape = tuple(dy.shape[:-1]) + (channels,)
    w = xp.reshape(kernel, (-1, cin, filters))
    if groups == 1:
        dy2 = xp.reshape(dy, (rows, filters))
    else:
        dy2 = xp.permute_dims(xp.reshape(dy, (rows, groups, filters // groups)), (1, 0, 2))
        w = xp.permute_dims(xp.reshape(w, (-1, cin, groups, filters // groups)), (0, 2, 3, 1))
    dx = xp.zeros(tuple(x_shape), dtype=dy.dtype, device=backend.device)
    for p, index in enumerate(window_slices(window_shape, dilation, strides, out_sizes)):
        if groups == 1:
            part = dy2 @ xp.matrix_transpose(w[p, ...])
        else:
            part = xp.reshape(xp.permute_dims(dy2 @ w[p, ...], (1, 0, 2)), (rows, channels))
        dx[index] += xp.reshape(part, patch_shape)
    return dx


def conv_kernel_grad(cols, dy, kernel_shape, groups):
    """The gradient of `conv_forward` with respect to its kernel, from the kept `cols`.

    A backend kernel `conv_kernel_grad` may take over (returning None where it does not).
    """
    backend = current()
    fast = backend.kernel("conv_kernel_grad")
    if fast is not None:
        out = fast(cols, dy, kernel_shape, groups)
        if out is not None:
            return out
    xp = backend.xp
    filters = kernel_shape[-1]
    rows = cols.shape[0]
    dy2 = xp.reshape(dy, (rows, filters))
    if groups == 1:
        return xp.reshape(xp.matrix_transpose(cols) @ dy2, kernel_shape)
    window = math.prod(kernel_shape[:-2])
    cin = kernel_shape[-2]
    c = xp.reshape(cols, (rows, window, groups, cin))
    c = xp.reshape(xp.permute_dims(c, (2, 1, 3, 0)), (groups, window * cin, rows))
    g = xp.permute_dims(xp.reshape(dy2, (rows, groups, filters // groups)), (1, 0, 2))
    dw = xp.reshape(c @ g, (groups, window, cin, filters // groups))
    return xp.reshape(xp.permute_dims(dw, (1, 2, 0, 3)), kernel_shape)


def conv_kernels(backend):
    return (backend.kernel("conv_im2col") or im2col,
            backend.kernel("conv_input_grad") or conv_input_grad)


_TRAINING_KERNELS = ("conv_winograd", "conv_depthwise", "conv_grouped")


def training_forward(backend, x, kernel, strides, dilation, groups, im2col_fn, want_x, want_w):
    """`(y, saved)`: the valid convolution of the padded channels_last `x` when a
    gradient will be taken (`want_x`, `want_w`: which ones), and what
    `training_backward` needs.

    A backend may register `conv_winograd(x, kernel, strides, dilation, groups, want_x,
    want_w)`, returning `(y, state)` or None to decline, with `conv_winograd_grads(dy,
    state, padded_shape, want_x, want_w)` returning `(padded input gradient, kernel
    gradient)`, and `conv_depthwise` / `conv_depthwise_grads` the same way; the rest
    goes through im2col (`conv_forward`).
    """
    for name in _TRAINING_KERNELS:
        forward = backend.kernel(name)
        if forward is not None:
            done = forward(x, kernel, strides, dilation, groups, want_x, want_w)
            if done is not None:
                return done[0], (backend.kernel(name + "_grads"), done[1])
    y, cols = conv_forward(x, kernel, strides, dilation, groups, im2col_fn)
    return y, (None, cols if want_w else None)


def inference_forward(backend, x, kernel, strides, dilation, groups, im2col_fn):
    """The valid convolution of the padded channels_last `x` when no gradient is taken:
    a backend's `conv_grouped_inference(x, kernel, strides, dilation, groups)` for a
    grouped one it takes (returning None where it declines), else im2col."""
    if groups > 1:
        grouped = backend.kernel("conv_grouped_inference")
        y = None if grouped is None else grouped(x, kernel, strides, dilation, groups)
        if y is not None:
            return y
    return conv_forward(x, kernel, strides, dilation, groups, im2col_fn)[0]


def training_backward(dy, saved, kernel, padded_shape, strides, dilation, groups,
                      input_grad_fn, want_x, want_w):
    """`(padded input gradient, kernel gradient)` (None for the one not wanted) of a
    `training_forward` from its output's channels_last gradient `dy`."""
    grads_fn, state = saved
    if grads_fn is not None:
        return grads_fn(dy, state, padded_shape, want_x, want_w)
    gx = gw = None
    if want_x:
        gx = input_grad_fn(dy, kernel, padded_shape, strides, dilation, groups)
    if want_w:
        gw = conv_kernel_grad(state, dy, tuple(kernel.shape), groups)
    return gx, gw


# -- the differentiable ops ---------------------------------------------------------------
def conv(inputs, kernel, strides=1, padding="valid", data_format=None, dilation_rate=1,
         groups=None, bias=None, relu=False):
    """N-dimensional convolution (`keras.ops.conv`), with an optional fused bias.

    Args:
        inputs: `(batch, *spatial, channels)` (or `(batch, channels, *spatial)` for
            `data_format="channels_first"`), with 1, 2 or 3 (or more) spatial axes.
        kernel: `(*kernel_size, channels // groups, filters)`.
        strides, dilation_rate: an int or one int per spatial axis.
        padding: `"valid"`, `"same"` (output size `ceil(size / stride)`) or
            `"causal"` (all padding before; for sequences).
        data_format: `"channels_last"` or `"channels_first"` (default:
            `kerasx.config.image_data_format()`).
        groups: the number of channel groups; inferred from the kernel when None.
        bias: an optional `(filters,)` vector added to every output position.
        relu: apply `max(., 0)` to the result inside the same node (the convolution
            layers pass it for `activation="relu"`).

    Returns:
        The output tensor, `(batch, *out_spatial, filters)` in the input's layout.
    """
    backend = current()
    xp = backend.xp
    wv = value_of(kernel)
    xv = input_like_weights(value_of(inputs), wv)
    bv = None if bias is None else value_of(bias)
    data_format, groups, strides, dilation, padding = check_conv_arguments(
        xv, wv, strides, padding, data_format, dilation_rate, groups)
    im2col_fn, input_grad_fn = conv_kernels(backend)

    x = to_channels_last(xp, xv, data_format)
    if not tracked(inputs, kernel, bias):
        pads = conv_pads(x, wv, strides, dilation, padding)
        y = _inference_conv(backend, x, pads, wv, bv, strides, dilation, groups, relu,
                            im2col_fn)
        return Tensor(from_channels_last(xp, y, data_format))
    pads, xpad = pad_for_conv(backend, x, wv, strides, dilation, padding)
    want_x, want_w = tracked(inputs), tracked(kernel)
    y, saved = training_forward(backend, xpad, wv, strides, dilation, groups, im2col_fn,
                                want_x, want_w)
    if bv is not None:
        add_bias(backend, y, bv, out=y)  # y is fresh; in place saves one pass over it
    if relu:
        y = relu_of_fresh(backend, y)
    out = from_channels_last(xp, y, data_format)
    x_shape, padded_shape = tuple(x.shape), tuple(xpad.shape)
    del x, xpad
    want_bias = tracked(bias)

    def vjp(g):
        g = to_channels_last(xp, g, data_format)
        gx = gb = None
        if relu or want_bias:
            g, gb = (backend.kernel("conv_relu_bias_grad") or conv_relu_bias_grad)(
                g, y if relu else None, want_bias)
        gpad, gw = training_backward(g, saved, wv, padded_shape, strides, dilation, groups,
                                     input_grad_fn, want_x, want_w)
        if gpad is not None:
            gx = from_channels_last(xp, gpad[interior(x_shape, pads)], data_format)
        return gx, gw, gb

    if want_w and not want_x and (groups != 1 or saved[0] is not None):
        # the kernel gradient's differentiable rule (conv_grads) reads the constant input
        # that neither the grouped product nor a backend kernel's state gives back
        vjp.constant_input = value_of(inputs)
    return record(out, (inputs, kernel, bias), vjp)


def inference_chunks(x, kernel, sizes):
    """The batch slices of the input `x` to convolve one at a time for inference, for
    a convolution with output spatial `sizes`: chunks whose im2col matrix has about
    the backend's `inference_chunk_bytes` (one slice when None)."""
    backend = current()
    batch, limit = x.shape[0], backend.inference_chunk_bytes
    chunk = max(batch, 1)
    if limit is not None:
        per_sample = math.prod(sizes) * math.prod(kernel.shape[:-1]) * (
            backend.finfo(kernel.dtype).bits // 8)
        chunk = max(1, limit // max(1, per_sample))
    return [slice(start, min(start + chunk, batch)) for start in range(0, max(batch, 1), chunk)]


def _inference_conv(backend, x, pads, wv, bv, strides, dilation, groups, relu, im2col_fn):
    """The channels_last output of `conv` when no gradient is taken, in batch chunks,
    each padded on its own (padding a whole predict batch first writes a second copy
    of it to fresh memory: 16% of a "same"-padded convnet's predict time). A backend's
    `conv_depthwise_inference(x, kernel, strides, dilation, groups)` takes a depthwise
    convolution (one channel per group) of the padded input whole (it makes no im2col
    matrix); grouped ones go through `inference_forward` per chunk."""
    xp = backend.xp
    depthwise = backend.kernel("conv_depthwise_inference")
    if depthwise is not None and groups == x.shape[-1] > 1 and wv.shape[-2] == 1:
        y = depthwise(pad_spatial(xp, x, pads, 0.0, backend.device), wv, strides, dilation,
                      groups)
        if y is not None:
            if bv is not None:
                add_bias(backend, y, bv, out=y)
            return relu_of_fresh(backend, y) if relu else y
    on_grid = backend.kernel("conv_inference_on_grid")
    if on_grid is not None:
        y = on_grid(x, pads, wv, bv, relu, strides, dilation, groups)
        if y is not None:
            return y
    windows = tuple((k - 1) * d + 1 for k, d in zip(wv.shape[:-2], dilation))
    padded = tuple(n + lo + hi for n, (lo, hi) in zip(x.shape[1:-1], pads))
    sizes = output_sizes(padded, windows, strides, [(0, 0)] * len(windows))
    chunks = inference_chunks(x, wv, sizes)
    out = None
    for rows in chunks:
        xpad = pad_spatial(xp, x[rows, ...], pads, 0.0, backend.device)
        y = inference_forward(backend, xpad, wv, strides, dilation, groups, im2col_fn)
        if bv is not None:
            add_bias(backend, y, bv, out=y)
        if relu:
            y = relu_of_fresh(backend, y)
        if len(chunks) == 1:
            return y
        if out is None:
            out = xp.empty((x.shape[0],) + tuple(y.shape[1:]), dtype=y.dtype,
                           device=backend.device)
        out[rows, ...] = y
    return out


def check_conv_arguments(xv, wv, strides, padding, data_format, dilation_rate, groups):
    """Checks a convolution's input and kernel against each other and normalizes the
    arguments; returns `(data_format, groups, strides, dilation, padding)`."""
    n = len(wv.shape) - 2
    data_format = normalize_data_format(data_format)
    _check_conv_inputs("conv", xv, wv, n, data_format)
    channels = xv.shape[-1] if data_format == "channels_last" else xv.shape[1]
    cin, filters = wv.shape[-2], wv.shape[-1]
    groups = _check_groups("conv", channels, cin, filters, groups, data_format, xv.shape)
    strides = normalize_tuple(strides, n, "strides")
    dilation = normalize_tuple(dilation_rate, n, "dilation_rate")
    padding = normalize_padding(padding, allow_causal=True)
    return data_format, groups, strides, dilation, padding


def conv_pads(x, kernel, strides, dilation, padding):
    """The `(before, after)` padding of each spatial axis of the channels_last `x`, after
    checking that the window fits."""
    sizes = tuple(x.shape[1:-1])
    windows = tuple((k - 1) * d + 1 for k, d in zip(kernel.shape[:-2], dilation))
    pads = explicit_padding(padding, sizes, windows, strides)
    check_window_fits("conv", sizes, windows, pads, padding)
    return pads


def pad_for_conv(backend, x, kernel, strides, dilation, padding):
    """`(pads, padded x)` for a channels_last `x`, after checking that the window fits."""
    pads = conv_pads(x, kernel, strides, dilation, padding)
    return pads, pad_spatial(backend.xp, x, pads, 0.0, backend.device)


def add_bias(backend, y, bias, out=None):
    """`y + bias` over the channels (last) axis: in place with `out=y`, else a new array
    (a backend's `add_channels` kernel may take it)."""
    fast = backend.kernel("add_channels")
    if fast is not None:
        return fast(y, bias, out)
    if out is None:
        return y + bias
    y += bias
    return y


def conv_relu_bias_grad(g, y, want_bias):
    """`(g * (y > 0), sum of that over all but the channel axis)` for channels_last `g`.

    `y` is the output of a fused ReLU (None: no ReLU); the sum is None unless
    `want_bias`. A backend kernel of the same name may take over.
    """
    xp = current().xp
    if y is not None:
        g = g * xp.astype(y > 0, g.dtype)
    gb = column_sum(xp.reshape(g, (-1, g.shape[-1]))) if want_bias else None
    return g, gb


def conv_transpose(inputs, kernel, strides=1, padding="valid", output_padding=None,
                   data_format=None, dilation_rate=1, bias=None):
    """Transposed convolution (`keras.ops.conv_transpose`): the gradient of `conv`
    with respect to its input, used as a layer.

    Args:
        inputs: `(batch, *spatial, channels)` (channels_last) or channels_first.
        kernel: `(*kernel_size, filters, channels)`, Keras's transposed layout.
        strides, dilation_rate: an int or one int per spatial axis.
        padding: `"valid"` or `"same"`.
        output_padding: None, an int or one int per axis: extra size added after
            the output along each spatial axis (must be less than the stride).
        data_format: `"channels_last"` or `"channels_first"`.
        bias: an optional `(filters,)` vector.

    Returns:
        `(batch, *out_spatial, filters)` where, with `output_padding=None`, each
        spatial size is `size * stride` for "same" and
        `(size - 1) * stride + max(window, stride)` for "valid".
    """
    backend = current()
    xp = backend.xp
    wv = value_of(kernel)
    xv = input_like_weights(value_of(inputs), wv)
    bv = None if bias is None else value_of(bias)
    n = len(wv.shape) - 2
    data_format = normalize_data_format(data_format)
    _check_conv_inputs("conv_transpose", xv, wv, n, data_format)
    channels = xv.shape[-1] if data_format == "channels_last" else xv.shape[1]
    filters = wv.shape[-2]
    if channels != wv.shape[-1]:
        raise ValueError(
            f"conv_transpose: The number of input channels must match the kernel's input "
            f"channels: the input has {channels} channels (shape {tuple(xv.shape)}, "
            f"data_format={data_format!r}) but the kernel of shape {tuple(wv.shape)} expects "
            f"{wv.shape[-1]} (its last axis). Check the data_format and the kernel layout "
            "(*kernel_size, filters, in_channels).")
    strides = normalize_tuple(strides, n, "strides")
    dilation = normalize_tuple(dilation_rate, n, "dilation_rate")
    padding = normalize_padding(padding)
    outpad = (None,) * n if output_padding is None else normalize_tuple(
        output_padding, n, "output_padding", allow_zero=True)
    _, input_grad_fn = conv_kernels(backend)

    x = to_channels_last(xp, xv, data_format)
    sizes = tuple(x.shape[1:-1])
    windows = tuple((k - 1) * d + 1 for k, d in zip(wv.shape[:-2], dilation))
    starts, out_sizes = [], []
    for size, w, s, op in zip(sizes, windows, strides, outpad):
        lo, hi = transpose_padding(w, s, padding, op)
        starts.append(w - 1 - lo)
        out_sizes.append((size - 1) * s + 1 + lo + hi - w + 1)
    full = tuple((size - 1) * s + w for size, s, w in zip(sizes, strides, windows))
    # the full transposed output, grown where output_padding reaches past its end
    grown = tuple(max(f, a + o) for f, a, o in zip(full, starts, out_sizes))
    full_shape = (x.shape[0],) + grown + (filters,)
    crop = ((slice(None),) + tuple(slice(a, a + o) for a, o in zip(starts, out_sizes))
            + (slice(None),))
    yfull = input_grad_fn(x, wv, full_shape, strides, dilation, 1)
    y = yfull[crop]
    if bv is not None:
        y = add_bias(backend, y, bv)
    out = from_channels_last(xp, y, data_format)
    if not tracked(inputs, kernel, bias):
        return Tensor(out)
    kernel_shape = tuple(wv.shape)
    conv_region = (slice(None),) + tuple(slice(0, f) for f in full) + (slice(None),)
    # "valid" without output_padding keeps the whole transposed output: no margin to zero
    whole = all(a == 0 for a in starts) and tuple(out_sizes) == full == grown

    def vjp(g):
        g = to_channels_last(xp, g, data_format)
        if whole:
            gfull = g
        else:
            gfull = xp.zeros(full_shape, dtype=g.dtype, device=backend.device)
            gfull[crop] = g
            gfull = gfull[conv_region]
        gx = gw = gb = None
        want_x, want_w = getattr(inputs, "tracked", False), getattr(kernel, "tracked", False)
        if want_x or want_w:
            gconv, cols = conv_forward(gfull, wv, strides, dilation, 1,
                                       backend.kernel("conv_im2col"))
            if want_x:
                gx = from_channels_last(xp, gconv, data_format)
            if want_w:
                gw = conv_kernel_grad(cols, x, kernel_shape, 1)
        if bias is not None and getattr(bias, "tracked", False):
            gb = column_sum(xp.reshape(g, (-1, filters)))
        return gx, gw, gb

    return record(out, (inputs, kernel, bias), vjp)


def transpose_padding(window, stride, padding, output_padding):
    """`(before, after)` padding of the stride-dilated input in Keras's transposed conv."""
    if padding == "valid":
        extra = max(window, stride) - window if output_padding is None else output_padding
        return window - 1, window - 1 + extra
    if output_padding is None:
        total = stride + window - 2
    else:
        total = window + window % 2 - 2 + output_padding
    lo = min(total // 2 + total % 2, window - 1)
    return lo, total - lo


def depthwise_conv(inputs, kernel, strides=1, padding="valid", data_format=None,
                   dilation_rate=1, bias=None, relu=False):
    """Depthwise convolution (`keras.ops.depthwise_conv`): each input channel is
    convolved with its own `depth_multiplier` filters.

    Args:
        inputs: `(batch, *spatial, channels)` or channels_first.
        kernel: `(*kernel_size, channels, depth_multiplier)`; output channel
            `c * depth_multiplier + m` uses `kernel[..., c, m]`.
        bias, relu: as for `conv` (the layers pass them).

    Returns:
        `(batch, *out_spatial, channels * depth_multiplier)`.
    """
    from kerasx.ops.shape import reshape

    wv = value_of(kernel)
    if len(wv.shape) < 3:
        raise ValueError("depthwise_conv: the kernel must have rank >= 3 (*kernel_size, "
                         f"channels, depth_multiplier), received shape {tuple(wv.shape)}.")
    shape = tuple(wv.shape)
    grouped = reshape(kernel, shape[:-2] + (1, shape[-2] * shape[-1]))
    return conv(inputs, grouped, strides, padding, data_format, dilation_rate,
                groups=shape[-2], bias=bias, relu=relu)


def separable_conv(inputs, depthwise_kernel, pointwise_kernel, strides=1, padding="valid",
                   data_format=None, dilation_rate=1, bias=None, relu=False):
    """Depthwise convolution followed by a 1x1 pointwise convolution
    (`keras.ops.separable_conv`).

    Args:
        depthwise_kernel: `(*kernel_size, channels, depth_multiplier)`.
        pointwise_kernel: `(*[1] * n, channels * depth_multiplier, filters)`.
        bias, relu: applied after the pointwise convolution, as for `conv`.
    """
    mid = depthwise_conv(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv(mid, pointwise_kernel, 1, "valid", data_format, 1, groups=1, bias=bias,
                relu=relu)


def _check_conv_inputs(op, xv, wv, n, data_format):
    if n < 1:
        raise ValueError(f"{op}: the kernel must have rank >= 3 (*kernel_size, in_channels, "
                         f"filters), received a kernel of shape {tuple(wv.shape)}.")
    if len(xv.shape) != n + 2:
        layout = "(batch, *spatial, channels)" if data_format == "channels_last" \
            else "(batch, channels, *spatial)"
        raise ValueError(
            f"{op}: a kernel of shape {tuple(wv.shape)} has {n} spatial axes, so the input must "
            f"have rank {n + 2} {layout}; received an input of shape {tuple(xv.shape)}. "
            "Add the missing batch or channel axis (e.g. with ops.expand_dims).")


def _check_groups(op, channels, cin, filters, groups, data_format, shape):
    if channels % cin:
        hint = ""
        other = shape[1] if data_format == "channels_last" else shape[-1]
        if other % cin == 0:
            flip = "channels_first" if data_format == "channels_last" else "channels_last"
            hint = f" The input looks like {flip} data: pass data_format={flip!r} or transpose it."
        raise ValueError(
            f"{op}: The number of input channels must match the kernel's input channels: the "
            f"input has {channels} "
            f"channels (shape {tuple(shape)}, "
            f"data_format={data_format!r}) but the kernel expects a multiple of {cin} "
            f"(its in_channels axis).{hint}")
    inferred = channels // cin
    if groups is not None and groups != inferred:
        raise ValueError(
            f"{op}: groups={groups} does not match the shapes: {channels} input channels with a "
            f"kernel of {cin} in_channels per group means groups={inferred} (the number of "
            f"input channels must match the kernel's input channels times groups).")
    if filters % inferred:
        raise ValueError(f"{op}: {filters} filters cannot be split into {inferred} groups; "
                         "use a number of filters divisible by groups.")
    return inferred


from kerasx.ops import conv_grads  # noqa: E402,F401  (registers conv's differentiable rule)
