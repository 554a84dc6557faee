"""Naive float64 loop references for convolution and pooling (shared by the conv tests).

Written from the definitions, one output element at a time, without any of the
slicing tricks of the implementation.
"""

import itertools

import numpy as np


def same_padding(sizes, windows, strides):
    pads = []
    for n, w, s in zip(sizes, windows, strides):
        out = -(-n // s)
        total = max((out - 1) * s + w - n, 0)
        pads.append((total // 2, total - total // 2))
    return pads


def _to_last(x, data_format):
    return np.moveaxis(x, 1, -1) if data_format == "channels_first" else x


def _from_last(y, data_format):
    return np.moveaxis(y, -1, 1) if data_format == "channels_first" else y


def conv_ref(x, w, strides=None, padding="valid", dilation=None, data_format="channels_last",
             bias=None):
    """Grouped N-d cross-correlation; groups = channels // w.shape[-2]."""
    x = _to_last(np.asarray(x, dtype=np.float64), data_format)
    n = w.ndim - 2
    strides = strides or (1,) * n
    dilation = dilation or (1,) * n
    kernel = w.shape[:-2]
    cin, filters = w.shape[-2:]
    groups = x.shape[-1] // cin
    per_group = filters // groups
    windows = [(k - 1) * d + 1 for k, d in zip(kernel, dilation)]
    if padding == "valid":
        pads = [(0, 0)] * n
    elif padding == "causal":
        pads = [(windows[0] - 1, 0)]
    else:
        pads = same_padding(x.shape[1:-1], windows, strides)
    xp = np.pad(x, [(0, 0)] + pads + [(0, 0)])
    out = [(xp.shape[1 + i] - windows[i]) // strides[i] + 1 for i in range(n)]
    y = np.zeros((x.shape[0], *out, filters))
    for o in itertools.product(*map(range, out)):
        for k in itertools.product(*map(range, kernel)):
            pos = tuple(o[i] * strides[i] + k[i] * dilation[i] for i in range(n))
            patch = xp[(slice(None),) + pos]
            for f in range(filters):
                g = f // per_group
                part = patch[:, g * cin:(g + 1) * cin] @ w[k + (slice(None), f)]
                y[(slice(None),) + o + (f,)] += part
    if bias is not None:
        y = y + bias
    return _from_last(y, data_format)


def keras_transpose_padding(window, stride, padding, output_padding):
    """Keras's (JAX backend) padding of the stride-dilated input of a transposed conv."""
    if padding == "valid":
        extra = max(window, stride) - window if output_padding is None else output_padding
        return window - 1, window - 1 + extra
    total = stride + window - 2 if output_padding is None else \
        window + window % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, window - 1)
    return left, total - left


def conv_transpose_ref(x, w, strides=None, padding="valid", output_padding=None, dilation=None,
                       data_format="channels_last", bias=None):
    """Transposed conv as Keras defines it: insert stride-1 zeros between the inputs, pad,
    and correlate with the spatially flipped kernel (in/out axes swapped)."""
    x = _to_last(np.asarray(x, dtype=np.float64), data_format)
    n = w.ndim - 2
    strides = strides or (1,) * n
    dilation = dilation or (1,) * n
    op = output_padding or (None,) * n
    sizes = x.shape[1:-1]
    dilated = np.zeros((x.shape[0],) + tuple((m - 1) * s + 1 for m, s in zip(sizes, strides))
                       + (x.shape[-1],))
    dilated[(slice(None),) + tuple(slice(None, None, s) for s in strides)] = x
    pads = [keras_transpose_padding((k - 1) * d + 1, s, padding, p)
            for k, d, s, p in zip(w.shape[:-2], dilation, strides, op)]
    dilated = np.pad(dilated, [(0, 0)] + pads + [(0, 0)])
    flipped = np.swapaxes(w[tuple(slice(None, None, -1) for _ in range(n))], -1, -2)
    return _from_last(conv_ref(dilated, flipped, None, "valid", dilation, bias=bias), data_format)


def pool_ref(x, pool_size, strides=None, padding="valid", mode="max",
             data_format="channels_last"):
    """Max or average over each window; "same" windows average the real elements only."""
    x = _to_last(np.asarray(x, dtype=np.float64), data_format)
    n = x.ndim - 2
    strides = strides or pool_size
    sizes = x.shape[1:-1]
    pads = [(0, 0)] * n if padding == "valid" else same_padding(sizes, pool_size, strides)
    out = [(sizes[i] + sum(pads[i]) - pool_size[i]) // strides[i] + 1 for i in range(n)]
    y = np.zeros((x.shape[0], *out, x.shape[-1]))
    for o in itertools.product(*map(range, out)):
        index = []
        for i in range(n):
            start = o[i] * strides[i] - pads[i][0]
            index.append(slice(max(start, 0), min(start + pool_size[i], sizes[i])))
        window = x[(slice(None),) + tuple(index)]
        axes = tuple(range(1, n + 1))
        y[(slice(None),) + o] = window.max(axis=axes) if mode == "max" else window.mean(axis=axes)
    return _from_last(y, data_format)


def depthwise_ref(x, w, strides=None, padding="valid", dilation=None,
                  data_format="channels_last", bias=None):
    """Depthwise conv: a grouped conv with one group per input channel."""
    grouped = w.reshape(w.shape[:-2] + (1, w.shape[-2] * w.shape[-1]))
    return conv_ref(x, grouped, strides, padding, dilation, data_format, bias)


def check_in_one_sample_chunks(case, module, monkeypatch):
    """Runs the op `case` without gradients in batch chunks of one sample (the backend's
    `inference_chunk_bytes` at 1), counting the chunks through `module.conv_forward`,
    and checks the values against the float64 reference."""
    from kerasx import ops
    from kerasx.backends import current
    from kerasx.testing import float64

    monkeypatch.setattr(current(), "inference_chunk_bytes", 1)
    chunks = []
    forward = module.conv_forward
    monkeypatch.setattr(module, "conv_forward",
                        lambda x, *a: chunks.append(x.shape[0]) or forward(x, *a))
    with float64():
        got = ops.convert_to_numpy(case.fn(*[current().asarray(a) for a in case.inputs]))
    np.testing.assert_allclose(got, case.reference(*case.inputs), rtol=1e-12, atol=1e-12)
    assert chunks == [1] * len(case.inputs[0])
