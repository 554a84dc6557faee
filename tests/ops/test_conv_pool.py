"""`conv_max_pool`: a convolution, its bias and ReLU and the max pooling after it as one
node, against the float64 loop references of the separate steps, by finite differences,
and (NumPy) its blocked kernel against the portable path."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current
from kerasx.ops.conv_pool import conv_global_max_pool, conv_max_pool
from kerasx.testing import OpCase
from tests.ops.conv_reference import (check_blocked_kernel, check_in_one_sample_chunks,
                                      conv_pool_case, conv_ref, run_with_gradients)
from tests.sampled_gradcheck import check_gradients, check_op_case

rng = np.random.default_rng(5)
numpy_only = pytest.mark.skipif("current().name != 'numpy'", reason="NumPy kernel")


def r(*shape):
    return rng.standard_normal(shape)


def case(*args, **kwargs):
    return conv_pool_case(conv_max_pool, "max", *args, **kwargs)


CASES = [
    case("2d_valid_odd_crop", r(2, 7, 8, 2), r(3, 3, 2, 3), r(3)),
    case("2d_no_relu_no_bias", r(2, 6, 6, 2), r(3, 3, 2, 2), relu=False),
    case("2d_same_strides2", r(1, 7, 6, 2), r(3, 2, 2, 3), r(3), strides=2, padding="same"),
    case("2d_overlapping_pool", r(1, 8, 7, 2), r(2, 2, 2, 2), r(2), pool_size=(3, 2),
         pool_strides=(2, 1)),
    case("2d_pool_same", r(1, 7, 5, 2), r(2, 2, 2, 2), r(2), pool_size=2, pool_padding="same"),
    case("2d_dilation2", r(1, 9, 8, 2), r(2, 2, 2, 2), r(2), dilation=(2, 1)),
    case("2d_groups2", r(1, 6, 6, 4), r(2, 2, 2, 4), r(4)),
    case("2d_channels_first", r(2, 2, 7, 6), r(3, 3, 2, 3), r(3), data_format="channels_first"),
    case("1d_causal_pool3_s2", r(2, 9, 2), r(3, 2, 3), r(3), padding="causal", dilation=2,
         pool_size=3, pool_strides=2),
    case("3d_valid", r(1, 5, 4, 5, 2), r(2, 2, 2, 2, 2), r(2)),
    case("2d_pool_strides_past_the_window", r(1, 9, 8, 2), r(2, 2, 2, 2), r(2), pool_size=2,
         pool_strides=3),
    case("2d_conv_strides2_pool3", r(2, 13, 11, 1), r(3, 3, 1, 4), r(4), strides=2,
         pool_size=(3, 2)),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_matches_separate_steps_and_finite_differences(c):
    check_op_case(c)


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_kernel_and_bias_gradients_of_an_input_without_gradient(c):
    # the input takes no gradient here: the NumPy backend then runs its blocked kernel
    check_gradients(c.fn, c.inputs, wrt=list(range(1, len(c.inputs))))


_run = run_with_gradients


def _unfused(x, w, b, **kw):
    y = ops.conv(x, w, kw["strides"], kw["padding"], "channels_last", 1, bias=b, relu=True)
    return ops.max_pool(y, kw["pool_size"], kw["pool_size"])


@pytest.mark.parametrize("wrt_input", [False, True])
def test_tied_windows_route_like_the_separate_ops(wrt_input):
    # zero patches give equal convolution outputs inside a window: the gradient still
    # reaches only the first of them, as in the conv + max_pool ops
    x = r(2, 9, 9, 2)
    x[:, :5] = 0.0
    kw = dict(strides=(1, 1), padding="valid", pool_size=(2, 2))
    arrays = [x, r(3, 3, 2, 3), np.array([0.5, -0.2, 0.0])]
    fused = _run(lambda x, w, b: conv_max_pool(x, w, b, relu=True, **kw), arrays, wrt_input)
    separate = _run(lambda x, w, b: _unfused(x, w, b, **kw), arrays, wrt_input)
    for a, b in zip(fused, separate):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@numpy_only
@pytest.mark.parametrize("c", [CASES[0], CASES[1], CASES[5], CASES[7], CASES[9], CASES[11]],
                         ids=lambda c: c.name)
def test_numpy_blocked_kernel_matches_portable_path(c, monkeypatch):
    check_blocked_kernel(c, "conv_max_pool_blocked", monkeypatch)


@numpy_only
def test_numpy_blocked_kernel_handles_nan_like_the_portable_path(monkeypatch):
    x = r(2, 8, 8, 1)
    x[0, 1, 1, 0] = np.nan
    arrays = [x, r(3, 3, 1, 2), r(2)]

    def fn(x, w, b):
        return conv_max_pool(x, w, b, relu=True)

    def loss_fn(out):
        return ops.sum(ops.where(ops.isnan(out), 0.0, out))

    fast = _run(fn, arrays, False, loss_fn)
    assert np.isnan(fast[0][0, 0, 0]).all() and not np.isnan(fast[0][1]).any()
    monkeypatch.setattr(current(), "kernels", {})
    portable = _run(fn, arrays, False, loss_fn)
    for a, b in zip(fast, portable):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)  # NaN where the other has NaN


def test_errors_name_the_problem():
    with pytest.raises(ValueError, match="pool size|larger than"):
        conv_max_pool(np.zeros((1, 4, 4, 1), np.float32), np.zeros((3, 3, 1, 1), np.float32),
                      pool_size=3)
    with pytest.raises(ValueError, match="channels"):
        conv_max_pool(np.zeros((1, 6, 6, 2), np.float32), np.zeros((3, 3, 3, 1), np.float32))


# -- convolution + global max pooling ------------------------------------------------------
def global_case(name, x, w, b=None, strides=1, padding="valid", dilation=1, relu=True,
                keepdims=False, data_format="channels_last"):
    n = w.ndim - 2
    st = (strides,) * n if isinstance(strides, int) else strides
    dl = (dilation,) * n if isinstance(dilation, int) else dilation
    spatial = tuple(range(1, n + 1)) if data_format == "channels_last" else tuple(range(2, n + 2))

    def fn(x, w, *b):
        return conv_global_max_pool(x, w, b[0] if b else None, st, padding, data_format, dl,
                                    relu=relu, keepdims=keepdims)

    def ref(x, w, *b):
        y = conv_ref(x, w, st, padding, dl, data_format, b[0] if b else None)
        y = np.maximum(y, 0.0) if relu else y
        return y.max(axis=spatial, keepdims=keepdims)

    return OpCase(name, fn, ref, [x, w] + ([] if b is None else [b]))


GLOBAL_CASES = [
    global_case("1d_relu_bias", r(2, 9, 3), r(3, 3, 4), r(4)),
    global_case("1d_causal_dilation_keepdims", r(2, 8, 2), r(2, 2, 3), r(3), padding="causal",
                dilation=2, keepdims=True),
    global_case("2d_same_strides2_no_relu", r(2, 6, 5, 2), r(3, 3, 2, 3), strides=2,
                padding="same", relu=False),
    global_case("2d_channels_first_keepdims", r(2, 2, 5, 6), r(2, 2, 2, 3), r(3),
                keepdims=True, data_format="channels_first"),
    global_case("3d", r(1, 4, 3, 4, 2), r(2, 2, 2, 2, 2), r(2)),
]


@pytest.mark.parametrize("c", GLOBAL_CASES, ids=lambda c: c.name)
def test_global_matches_separate_steps_and_finite_differences(c):
    check_op_case(c)


@pytest.mark.parametrize("c", GLOBAL_CASES, ids=lambda c: c.name)
def test_global_inference_in_batch_chunks_matches_the_reference(c, monkeypatch):
    """Without gradients the convolution runs in batch chunks (here one sample each):
    the same values, in every layout."""
    from kerasx.ops import conv_pool

    check_in_one_sample_chunks(c, conv_pool, monkeypatch)


@pytest.mark.parametrize("wrt_input", [False, True])
def test_global_ties_share_the_gradient_like_ops_max(wrt_input):
    # zero windows all give the bias, and a negative kernel keeps the window over the one
    # non-zero step below it: five tied positive maxima (channels 0, 1) and ties at zero
    # after the ReLU (channel 2)
    x = np.zeros((2, 10, 2))
    x[:, 5] = 1.0
    arrays = [x, -np.abs(r(3, 2, 3)), np.array([0.5, 0.3, -0.2])]

    def separate(x, w, b):
        y = ops.conv(x, w, 1, "valid", "channels_last", 1, bias=b, relu=True)
        return ops.max(y, axis=1)

    fused = _run(lambda x, w, b: conv_global_max_pool(x, w, b, relu=True), arrays, wrt_input)
    plain = _run(separate, arrays, wrt_input)
    for a, b in zip(fused, plain):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@numpy_only
def test_numpy_blocked_kernel_declines_small_forward_only_calls(monkeypatch):
    backend = current()
    results = []
    blocked = backend.kernels["conv_max_pool_blocked"]
    monkeypatch.setitem(backend.kernels, "conv_max_pool_blocked",
                        lambda *a: results.append(blocked(*a)) or results[-1])
    x, w = r(2, 8, 8, 1), r(3, 3, 1, 2)
    conv_max_pool(current().asarray(x), current().asarray(w))  # no tape: forward only
    assert results == [None]
    _run(lambda x, w: conv_max_pool(x, w), [x, w], wrt_input=False)  # a kernel gradient
    assert results[-1] is not None


@numpy_only
def test_numpy_blocked_kernel_declines_forward_only_calls_with_several_channels(monkeypatch):
    from kerasx.backends import numpy_conv_pool

    monkeypatch.setattr(numpy_conv_pool, "_MIN_FORWARD_BYTES", 0)  # any size would do
    backend = current()
    results = []
    blocked = backend.kernels["conv_max_pool_blocked"]
    monkeypatch.setitem(backend.kernels, "conv_max_pool_blocked",
                        lambda *a: results.append(blocked(*a)) or results[-1])
    for channels in (1, 3):
        x, w = r(2, 8, 8, channels), r(3, 3, channels, 2)
        conv_max_pool(current().asarray(x), current().asarray(w))  # no tape: forward only
    assert results[0] is not None and results[1] is None



@numpy_only
@pytest.mark.parametrize("pool_size", [(2, 2), (3, 1)])
def test_numpy_blocked_forward_only_matches_the_separate_ops(monkeypatch, pool_size):
    # without a gradient the kernel keeps no winners: the maximum alone, chunk by chunk
    # (one sample a chunk here), NaN and ties included
    from kerasx.backends import numpy_conv_pool

    monkeypatch.setattr(numpy_conv_pool, "_MIN_FORWARD_BYTES", 0)
    monkeypatch.setattr(numpy_conv_pool, "_CHUNK_BYTES", 1)
    backend = current()
    results = []
    blocked = backend.kernels["conv_max_pool_blocked"]
    monkeypatch.setitem(backend.kernels, "conv_max_pool_blocked",
                        lambda *a: results.append(blocked(*a)) or results[-1])
    x, w, b = r(3, 9, 8, 1), r(3, 3, 1, 4), r(4)
    x[0, 1, 1, 0] = np.nan
    x[1, :4] = 0.0  # equal convolution outputs inside windows
    kw = dict(strides=(1, 1), padding="valid", pool_size=pool_size)
    fused = conv_max_pool(*map(backend.asarray, (x, w, b)), relu=True, **kw)
    separate = _unfused(*map(backend.asarray, (x, w, b)), **kw)
    assert results[0] is not None and results[0][1] is None  # forward only: no winners
    np.testing.assert_array_equal(backend.to_numpy(fused), backend.to_numpy(separate))

# -- (NumPy) the global pooling gradients from the winning positions only ---------------------
def _global_grads(case, monkeypatch, sparse, rows_share=None, dtype=np.float64):
    backend = current()
    if not sparse:
        monkeypatch.delitem(backend.kernels, "conv_global_max_pool_grads")
    if rows_share is not None:
        from kerasx.backends import numpy_conv_global_pool

        monkeypatch.setattr(numpy_conv_global_pool, "_SPARSE_ROWS", rows_share)
    values = [backend.asarray(a.astype(dtype)) for a in case.inputs]
    variables = [Variable(v) for v in values]
    with GradientTape() as tape:
        out = case.fn(*variables)
        loss = ops.sum(out * ops.sin(out))
    grads = tape.gradient(loss, variables)
    monkeypatch.undo()
    return [backend.to_numpy(g) for g in grads]


@numpy_only
@pytest.mark.parametrize("rows_share", [None, 0.0, 1.0], ids=["default", "dense", "sparse"])
@pytest.mark.parametrize("c", GLOBAL_CASES, ids=lambda c: c.name)
def test_numpy_global_pool_gradients_from_winners_match_the_dense_path(c, rows_share,
                                                                       monkeypatch):
    calls = []
    kernel = current().kernels["conv_global_max_pool_grads"]
    monkeypatch.setitem(current().kernels, "conv_global_max_pool_grads",
                        lambda *a: calls.append(kernel(*a)) or calls[-1])
    got = _global_grads(c, monkeypatch, True, rows_share)
    assert calls and calls[-1] is not None  # random data: no ties, the kernel runs
    want = _global_grads(c, monkeypatch, False)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


@numpy_only
def test_numpy_global_pool_gradients_in_float32_text_cnn_shapes(monkeypatch):
    c = global_case("text", r(8, 40, 16), r(5, 16, 32), r(32))
    got = _global_grads(c, monkeypatch, True, dtype=np.float32)
    want = _global_grads(c, monkeypatch, False, dtype=np.float32)
    for a, b in zip(got, want):
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-4 * np.abs(b).max())


@numpy_only
def test_numpy_global_pool_kernel_declines_ties_nan_and_groups():
    from kerasx.backends.numpy_conv_global_pool import conv_global_max_pool_grads

    y = r(2, 6, 3)
    pooled = y.max(axis=1, keepdims=True)
    g, kernel = r(2, 1, 3), r(2, 4, 3)
    args = (g, None, kernel, (2, 7, 4), (1,), (1,))
    assert conv_global_max_pool_grads(y, pooled, *args, 1, False, False) is not None
    tied = y.copy()
    tied[1, (int(np.argmax(y[1, :, 2])) + 1) % 6, 2] = pooled[1, 0, 2]
    assert conv_global_max_pool_grads(tied, pooled, *args, 1, True, False) is None
    with_nan = y.copy()
    with_nan[0, 2, 1] = np.nan  # the maximum is NaN and equals nothing
    assert conv_global_max_pool_grads(with_nan, with_nan.max(axis=1, keepdims=True),
                                      *args, 1, True, False) is None
    assert conv_global_max_pool_grads(y, pooled, *args, 2, True, False) is None
