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
    `inference_chunk_bytes` at 1), counting the chunks through
    `module.inference_forward`, and checks the values against the float64 reference."""
    from kerasx import ops
    from kerasx.backends import current
    from kerasx.testing import float64

    monkeypatch.setattr(current(), "inference_chunk_bytes", 1)
    chunks = []
    forward = module.inference_forward
    monkeypatch.setattr(module, "inference_forward",
                        lambda backend, x, *a: chunks.append(x.shape[0]) or forward(backend, x, *a))
    with float64():
        got = ops.convert_to_numpy(case.fn(*[current().asarray(a) for a in case.inputs]))
    np.testing.assert_allclose(got, case.reference(*case.inputs), rtol=1e-12, atol=1e-12)
    assert chunks == [1] * len(case.inputs[0])


def run_with_gradients(fn, arrays, wrt_input, loss_fn=None):
    """`[fn(x, *weights), gradients...]` in float64 as host arrays: the weights (all but
    the first array) as Variables, `x` a Variable too when `wrt_input`, the loss
    `sum(out * sin(out))` unless `loss_fn` is given."""
    from kerasx import GradientTape, Variable, ops
    from kerasx.backends import current
    from kerasx.testing import float64

    with float64():
        values = [current().asarray(a) for a in arrays]
        variables = [Variable(v) for v in values[1:]]
        x = Variable(values[0]) if wrt_input else values[0]
        with GradientTape() as tape:
            out = fn(x, *variables)
            loss = ops.sum(out * ops.sin(out)) if loss_fn is None else loss_fn(out)
        grads = tape.gradient(loss, variables + ([x] if wrt_input else []))
    return [ops.convert_to_numpy(out)] + [current().to_numpy(g) for g in grads]


def check_blocked_kernel(case, kernel_name, monkeypatch):
    """The NumPy backend's blocked kernel `kernel_name` runs for `case` (its input taking
    no gradient) and gives the portable path's output and gradients in float64; for an
    input that takes a gradient it is not called at all."""
    import numpy as np
    import pytest

    from kerasx.backends import current

    backend = current()
    calls = []
    blocked = backend.kernels[kernel_name]
    monkeypatch.setitem(backend.kernels, kernel_name, lambda *a: calls.append(1) or blocked(*a))
    fast = run_with_gradients(case.fn, case.inputs, wrt_input=False)
    assert calls, "the blocked kernel did not run"
    monkeypatch.setitem(backend.kernels, kernel_name,
                        lambda *a: pytest.fail("blocked kernel used for a tracked input"))
    run_with_gradients(case.fn, case.inputs, wrt_input=True)
    monkeypatch.setattr(backend, "kernels", {})
    portable = run_with_gradients(case.fn, case.inputs, wrt_input=False)
    for a, b in zip(fast, portable):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


def conv_pool_case(op, mode, name, x, w, b=None, strides=1, padding="valid", dilation=1,
                   relu=True, pool_size=2, pool_strides=None, pool_padding="valid",
                   data_format="channels_last"):
    """An `OpCase` for a fused convolution + pooling `op` (`kerasx.ops.conv_pool`), its
    reference the separate steps: `pool_ref(relu(conv_ref(...)))` in `mode`."""
    import numpy as np

    from kerasx.testing import OpCase

    n = w.ndim - 2
    st = (strides,) * n if isinstance(strides, int) else strides
    dl = (dilation,) * n if isinstance(dilation, int) else dilation
    ps = (pool_size,) * n if isinstance(pool_size, int) else pool_size
    pst = ps if pool_strides is None else (
        (pool_strides,) * n if isinstance(pool_strides, int) else pool_strides)
    args = dict(strides=st, padding=padding, dilation_rate=dl, relu=relu, pool_size=ps,
                pool_strides=pst, pool_padding=pool_padding, data_format=data_format)

    def fn(x, w, *b):
        return op(x, w, b[0] if b else None, **args)

    def ref(x, w, *b):
        y = conv_ref(x, w, st, padding, dl, data_format, b[0] if b else None)
        if relu:
            y = np.maximum(y, 0.0)
        return pool_ref(y, ps, pst, pool_padding, mode, data_format)

    return OpCase(name, fn, ref, [x, w] + ([] if b is None else [b]))


def count_kernel_calls(monkeypatch, name, *modules):
    """Wraps the backend kernel `name` (and the same function imported by name into
    `modules`) to record each call: True when it took the call, False when it declined
    (returned None). Returns the list of records."""
    from kerasx.backends import current

    kernel = current().kernels[name]
    taken = []

    def spy(*args):
        out = kernel(*args)
        taken.append(out is not None)
        return out

    monkeypatch.setitem(current().kernels, name, spy)
    for module in modules:
        monkeypatch.setattr(module, name, spy)
    return taken


def portable_conv_and_grads(x, kernel, strides, dilation, groups, dy, x_shape):
    """The portable (im2col) convolution's output and input and kernel gradients, the
    reference of the NumPy backend's convolution kernels."""
    import sys

    conv = sys.modules["kerasx.ops.conv"]  # `kerasx.ops.conv` the attribute is the function
    y, cols = conv.conv_forward(x, kernel, strides, dilation, groups)
    dx = conv.conv_input_grad(dy, kernel, x_shape, strides, dilation, groups)
    dw = conv.conv_kernel_grad(cols, dy, tuple(kernel.shape), groups)
    return y, dx, dw


def check_op_with_and_without_kernels(case, taken, monkeypatch):
    """Runs the op `case` with its gradients through the backend's kernels (`taken`, a
    `count_kernel_calls` record, must show one call taken) and without any, and without
    gradients: the same values."""
    from kerasx import ops
    from kerasx.backends import current

    fast = run_with_gradients(case.fn, case.inputs, wrt_input=True)
    assert taken.count(True) == 1
    inference = ops.convert_to_numpy(case.fn(*[current().asarray(a) for a in case.inputs]))
    monkeypatch.setattr(current(), "kernels", {})
    portable = run_with_gradients(case.fn, case.inputs, wrt_input=True)
    for a, b in zip(fast, portable):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(inference, portable[0], rtol=1e-5, atol=1e-5)


def check_model_trains_alike(layers, x, taken, calls, monkeypatch):
    """A model of `layers()` (then a softmax `Dense` over 4 classes) trained for two
    epochs in float64 from one seed, with the backend's kernels (`taken`, a
    `count_kernel_calls` record, must show `calls` calls taken) and without: the same
    losses and weights."""
    import kerasx as keras
    from kerasx.backends import current

    keras.config.set_floatx("float64")
    y = np.random.default_rng(0).integers(0, 4, len(x))

    def run():
        keras.utils.set_random_seed(5)
        model = keras.Sequential([keras.Input(x.shape[1:])] + layers()
                                 + [keras.layers.Dense(4, activation="softmax")])
        # eager steps: the kernels' use is counted at every step
        model.compile("adam", "sparse_categorical_crossentropy", jit_compile=False)
        history = model.fit(x, y, batch_size=16, epochs=2, verbose=0)
        return history.history["loss"], [w.copy() for w in model.get_weights()]

    losses, weights = run()
    assert taken.count(True) == calls
    monkeypatch.setattr(current(), "kernels", {})
    losses_ref, weights_ref = run()
    np.testing.assert_allclose(losses, losses_ref, rtol=1e-10)
    for w, w_ref in zip(weights, weights_ref):
        np.testing.assert_allclose(w, w_ref, rtol=1e-8, atol=1e-10)
