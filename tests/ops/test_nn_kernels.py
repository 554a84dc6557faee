"""The NumPy (and, for the cross-entropy, CuPy) backends' sparse softmax cross-entropy,
softmax and middle-axes sum and extremum kernels against the portable ops."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current
from kerasx.testing import check_gradients, float64

FUSED = ("numpy", "cupy")  # the backends with a fused sparse softmax cross-entropy


def _loss_and_grad(labels, logits, g):
    backend = current()
    z = Variable(backend.asarray(logits))
    labels, g = backend.asarray(labels), backend.asarray(g)
    with GradientTape() as tape:
        out = ops.softmax_cross_entropy(labels, z, sparse=True)
        weighted = ops.sum(ops.multiply(out, g))
    return ops.convert_to_numpy(out), ops.convert_to_numpy(tape.gradient(weighted, z))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("labels", [
    np.array([0, 3, 1, 2, 3]),
    np.array([0., 3., 1., 2., 3.]),            # losses cast their labels to float
    np.array([0, 4, -1, 2, 3]),                # out of range: loss and gradient 0
    np.array([2 ** 40, 3, -2 ** 40, 2, 0]),    # far out of range, both ways
    np.array([0, 3, 1, 2, 7], dtype=np.uint8),
    np.array([0, 3, 1, 2, 3], dtype=np.int32),
], ids=["int", "float", "out_of_range", "far_out_of_range", "uint8", "int32"])
def test_fast_kernel_matches_portable_path(labels, dtype, monkeypatch):
    backend = current()
    if backend.name not in FUSED:
        pytest.skip("the NumPy and CuPy backends have the fused kernel")
    rng = np.random.default_rng(0)
    logits = (rng.standard_normal((5, 4)) * 3).astype(dtype)
    g = rng.standard_normal(5).astype(dtype)
    assert backend.kernel("sparse_softmax_cross_entropy") is not None
    fast = _loss_and_grad(labels, logits, g)
    monkeypatch.setattr(backend, "kernels", {k: v for k, v in backend.kernels.items()
                                             if k != "sparse_softmax_cross_entropy"})
    portable = _loss_and_grad(labels, logits, g)
    tol = 1e-6 if dtype == "float32" else 1e-13
    for a, b in zip(fast, portable):
        assert a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)
    shifted = logits.astype(np.float64) - logits.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    valid = (labels >= 0) & (labels < 4)
    want = np.where(valid, -log_probs[np.arange(5), np.where(valid, labels, 0).astype(int)], 0)
    np.testing.assert_allclose(fast[0], want, rtol=tol, atol=tol)
    assert not fast[1][~valid].any()


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_cross_entropy_after_a_softmax_reuses_it_bitwise(dtype, monkeypatch):
    """Given the softmax of the same logits, the NumPy kernel takes the softmax's row
    maxima and sums instead of recomputing them: the same losses and gradients, bit
    for bit (and from any other tensor's softmax, nothing is taken)."""
    backend = current()
    if backend.name not in FUSED:
        pytest.skip("the NumPy and CuPy backends have the fused kernel")
    rng = np.random.default_rng(4)
    logits = (rng.standard_normal((6, 5)) * 4).astype(dtype)
    labels = backend.asarray(np.array([0, 4, 2, 7, 1, 3]))  # 7 is out of range: loss, gradient 0
    g = backend.asarray(rng.standard_normal(6).astype(dtype))
    results = []
    for reuse in (True, False):
        z = Variable(backend.asarray(logits))
        with GradientTape() as tape:
            probs = ops.softmax(z)
            assert probs.logits[2] is not None
            out = ops.softmax_cross_entropy(labels, z, sparse=True, probs=probs if reuse else None)
            weighted = ops.sum(ops.multiply(out, g))
        results.append((ops.convert_to_numpy(out), ops.convert_to_numpy(tape.gradient(weighted, z))))
    for a, b in zip(*results):
        assert a.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(a, b)
    assert results[0][0][3] == 0 and not results[0][1][3].any()
    original = backend.kernel("sparse_softmax_cross_entropy")
    other = ops.softmax(ops.convert_to_tensor(logits[::-1].copy()))
    calls = []
    kernel = lambda *args: calls.append(len(args)) or original(*args)
    monkeypatch.setitem(backend.kernels, "sparse_softmax_cross_entropy", kernel)
    ops.softmax_cross_entropy(labels, ops.convert_to_tensor(logits), sparse=True, probs=other)
    ops.softmax_cross_entropy(labels, other.logits[1], sparse=True, probs=other)
    assert calls == [2, 3]


def test_fast_kernel_declines_other_layouts():
    backend = current()
    if backend.name not in FUSED:
        pytest.skip("the NumPy and CuPy backends have the fused kernel")
    kernel = backend.kernel("sparse_softmax_cross_entropy")
    zeros = lambda *shape: backend.asarray(np.zeros(shape))
    assert kernel(zeros(2, 3, 4), zeros(2, 3)) is None
    assert kernel(zeros(2, 4), zeros(2, 1)) is None


# -- sums over consecutive middle axes as products with ones ---------------------------------
numpy_only = pytest.mark.skipif("current().name != 'numpy'", reason="the NumPy kernel")


@numpy_only
@pytest.mark.parametrize("shape,axes", [((5, 7, 3), (1,)), ((4, 3, 5, 6), (1, 2)),
                                         ((9, 4), (0,)), ((2, 3, 4, 5), (0, 1, 2)),
                                         ((3, 0, 4), (1,)), ((6, 1, 2), (1,)),
                                         ((32,), (0,)), ((3, 4, 5), (0, 1, 2)), ((), ())])
def test_numpy_sum_axes_matches_numpy(shape, axes):
    from kerasx.backends.numpy_kernels import sum_axes

    x = np.random.default_rng(1).standard_normal(shape)
    np.testing.assert_allclose(sum_axes(x, axes), x.sum(axis=axes), rtol=1e-12, atol=1e-12)
    got32 = sum_axes(x.astype(np.float32), axes)
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, x.sum(axis=axes), rtol=1e-5, atol=1e-5)


@numpy_only
@pytest.mark.parametrize("axes", [(2,), (0, 2), (1, 2), ()])
def test_numpy_sum_axes_declines_the_last_axis_gaps_and_no_axes(axes):
    from kerasx.backends.numpy_kernels import sum_axes

    x = np.ones((2, 3, 4))
    assert sum_axes(x, axes) is None
    assert sum_axes(np.ones((2, 3, 4), dtype=np.int64), (1,)) is None


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean"])
def test_sum_and_mean_over_middle_axes_with_their_gradients(op, keepdims):
    x = np.random.default_rng(2).standard_normal((3, 4, 5, 2))
    want = getattr(np, op)(x, axis=(1, 2), keepdims=keepdims)
    with float64():
        got = getattr(ops, op)(current().asarray(x), axis=(1, 2), keepdims=keepdims)
    np.testing.assert_allclose(ops.convert_to_numpy(got), want, rtol=1e-12)
    check_gradients(lambda v: getattr(ops, op)(v, axis=(1, 2), keepdims=keepdims), [x])


# -- maxima and minima over consecutive middle axes by halving passes -------------------------
@numpy_only
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("shape,axes", [((5, 7, 3), (1,)), ((4, 61, 61, 8), (1, 2)),
                                         ((9, 4), (0,)), ((2, 3, 5, 4, 6), (0, 1, 2)),
                                         ((3, 2, 4), (1,)), ((0, 5, 3), (1,)), ((3, 6, 0), (1,)),
                                         ((2, 1000, 255), (1,))])
def test_numpy_extremum_middle_is_numpys_reduction(shape, axes, largest):
    """Odd, even and prime lengths, several axes, empty batches and channels, ties
    (integers from a small range) and every float width give NumPy's result exactly."""
    from kerasx.backends.numpy_kernels import extremum_middle

    rng = np.random.default_rng(4)
    reduce = np.max if largest else np.min
    for x in (rng.standard_normal(shape), rng.integers(-3, 3, shape),
              rng.standard_normal(shape).astype(np.float32),
              rng.standard_normal(shape).astype(np.float16)):
        got = extremum_middle(x, axes, largest)
        assert got.dtype == x.dtype
        np.testing.assert_array_equal(got, reduce(x, axis=axes))


@numpy_only
@pytest.mark.parametrize("largest", [True, False])
def test_numpy_extremum_middle_propagates_nan_and_infinities(largest):
    from kerasx.backends.numpy_kernels import extremum_middle

    x = np.random.default_rng(5).standard_normal((3, 9, 4)).astype(np.float32)
    x[0, 8, 1] = np.nan      # the odd leftover
    x[1, 2, 3] = np.nan
    x[2, 4, 0] = np.inf
    x[2, 5, 2] = -np.inf
    got = extremum_middle(x, (1,), largest)
    want = (np.max if largest else np.min)(x, axis=1)
    np.testing.assert_array_equal(got, want)
    assert np.isnan(got[0, 1]) and np.isnan(got[1, 3])


@numpy_only
@pytest.mark.parametrize("shape,axes", [((2, 3, 4), (2,)), ((2, 3, 4), (0, 2)),
                                         ((2, 3, 4), ()), ((2, 1, 4), (1,)),
                                         ((2, 3, 256), (1,))])
def test_numpy_extremum_middle_declines_other_reductions(shape, axes):
    """The last axis, gaps, no axes, a single position and wide rows (which NumPy
    reduces faster itself) are left to NumPy."""
    from kerasx.backends.numpy_kernels import extremum_middle

    assert extremum_middle(np.ones(shape), axes, True) is None


@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_and_min_over_middle_axes_with_their_gradients(op, keepdims):
    """Through the kernel on NumPy; ties (the repeated values) share the gradient."""
    x = np.random.default_rng(6).standard_normal((3, 5, 7, 2))
    x[1, 4, 6, 0] = x[1, 0, 0, 0] = 5.0
    x[2, 2, 3, 1] = x[2, 3, 2, 1] = -5.0
    want = getattr(np, op)(x, axis=(1, 2), keepdims=keepdims)
    with float64():
        got = getattr(ops, op)(current().asarray(x), axis=(1, 2), keepdims=keepdims)
        np.testing.assert_array_equal(ops.convert_to_numpy(got), want)
        v = Variable(current().asarray(x))
        with GradientTape() as tape:
            out = ops.sum(getattr(ops, op)(v, axis=(1, 2), keepdims=keepdims))
        grad = ops.convert_to_numpy(tape.gradient(out, v))
    tie = 1 if op == "max" else 2
    channel = 0 if op == "max" else 1
    assert grad[tie, 4 if op == "max" else 2, 6 if op == "max" else 3, channel] == 0.5
    np.testing.assert_allclose(grad.sum(axis=(1, 2)), np.ones((3, 2)))
    check_gradients(lambda v: getattr(ops, op)(v, axis=(1, 2), keepdims=keepdims),
                    [np.random.default_rng(7).standard_normal((3, 5, 7, 2))])


# -- per-channel vectors over wide rows ---------------------------------------------------------
@numpy_only
@pytest.mark.parametrize("shape,per,positions_per_row", [
    ((64, 16, 16, 32), None, 256), ((1000, 32), 8, 8), ((5, 3, 7), None, 1),
    ((4, 4096), None, 2)])
def test_numpy_wide_rows_repeat_the_vectors_to_match(shape, per, positions_per_row):
    """`wide` views a channels-last array with `m` positions per row (a power of two
    dividing `per`, rows of at most 8,192 values) and repeats per-channel vectors `m`
    times, so a broadcast over its rows is the broadcast over the original positions."""
    from kerasx.backends.numpy_kernels import wide

    rng = np.random.default_rng(3)
    x, v = rng.standard_normal(shape), rng.standard_normal(shape[-1])
    view, (tiled,) = wide(x, v, per=per)
    assert view.shape == (x.size // (positions_per_row * shape[-1]),
                          positions_per_row * shape[-1])
    assert np.shares_memory(view, x)
    np.testing.assert_array_equal((view * tiled).reshape(shape), x * v)


@numpy_only
@pytest.mark.parametrize("layout", ["contiguous", "strided", "cropped", "one_axis"])
def test_numpy_add_channels_in_place_and_into_a_new_array(layout):
    """A large cropped view (a transposed convolution's output) goes to a new
    contiguous array; the view itself is left as it was."""
    from kerasx.backends.numpy_kernels import add_channels

    rng = np.random.default_rng(4)
    x = {"contiguous": rng.standard_normal((64, 16, 16, 32)),  # past the size for wide rows
         "strided": rng.standard_normal((4, 6, 12, 32))[:, :, ::2],
         "cropped": rng.standard_normal((64, 33, 33, 32))[:, :32, 1:],
         "one_axis": rng.standard_normal(32)}[layout]
    v = rng.standard_normal(32)
    before = x.copy()
    want = x + v
    got = add_channels(x, v)
    np.testing.assert_array_equal(got, want)
    assert got.flags.c_contiguous
    np.testing.assert_array_equal(x, before)
    same = x.copy() if layout not in ("strided", "cropped") else x
    assert add_channels(same, v, out=same) is same
    np.testing.assert_array_equal(same, want)


@numpy_only
def test_numpy_affine_channels_matches_the_broadcast_and_declines_strided_inputs():
    from kerasx.backends.numpy_kernels import affine_channels

    rng = np.random.default_rng(5)
    x = rng.standard_normal((64, 16, 16, 16)).astype(np.float32)
    a, b = rng.standard_normal(16).astype(np.float32), rng.standard_normal(16).astype(np.float32)
    got = affine_channels(x, a, b)
    want = x * a
    want += b
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, want)  # the same two operations per element
    assert affine_channels(x[:, :, ::2], a, b) is None
    assert affine_channels(x[:2], a, b) is None  # small: the plain broadcast is faster


# -- softmax over the last axis ---------------------------------------------------------------
@numpy_only
@pytest.mark.parametrize("shape", [(32, 10), (3, 5, 7), (6,), (4, 1), (0, 3)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_softmax_kernels_equal_the_portable_path_to_the_last_bits(shape, dtype, monkeypatch):
    """The kernels sum rows as products with ones, in another order than NumPy's sums:
    forward and gradient agree with the portable path to a few units in the last place."""
    from kerasx import GradientTape, Variable

    backend = current()
    rng = np.random.default_rng(2)
    x = (rng.standard_normal(shape) * 4).astype(dtype)
    g = rng.standard_normal(shape).astype(dtype)

    def run():
        v = Variable(x)
        with GradientTape() as tape:
            out = ops.softmax(v)
        return ops.convert_to_numpy(out), ops.convert_to_numpy(tape.gradient(out, v, g))

    fast, fast_grad = run()
    monkeypatch.setattr(backend, "kernels", {k: v for k, v in backend.kernels.items()
                                             if not k.startswith("softmax_last_axis")})
    portable, portable_grad = run()
    assert fast.dtype == portable.dtype == fast_grad.dtype == np.dtype(dtype)
    ulps = 4e-7 if dtype == "float32" else 1e-15
    np.testing.assert_allclose(fast, portable, rtol=ulps, atol=0)
    np.testing.assert_allclose(fast_grad, portable_grad, rtol=8 * ulps,
                               atol=8 * ulps * (np.abs(g).max() if g.size else 0))
    if x.size:
        want = np.exp(x.astype(np.float64)) / np.exp(x.astype(np.float64)).sum(-1, keepdims=True)
        np.testing.assert_allclose(fast, want, rtol=1e-5 if dtype == "float32" else 1e-13)


@numpy_only
def test_softmax_kernel_declines_integers_and_scalars_and_keeps_gradients():
    from kerasx.backends.numpy_kernels import softmax_last_axis

    assert softmax_last_axis(np.arange(6).reshape(2, 3)) is None
    assert softmax_last_axis(np.float32(1.0).reshape(())) is None
    with float64():
        check_gradients(lambda v: ops.softmax(v) * ops.convert_to_tensor(np.arange(4.0)),
                        [np.random.default_rng(3).standard_normal((3, 4))])


@numpy_only
@pytest.mark.parametrize("value_shape,shape", [((), (32,)), ((), (3, 4)), ((1, 4), (3, 4)),
                                               ((), (80, 80)), ((5, 1), (5, 1000))])
def test_numpy_broadcast_to_matches_numpy(value_shape, shape):
    """Small results are new arrays, large ones NumPy's read-only views; the same values."""
    from kerasx.backends.numpy_kernels import _FILLED_MAX, broadcast_to

    x = np.random.default_rng(2).standard_normal(value_shape).astype(np.float32)
    got = broadcast_to(x, shape)
    np.testing.assert_array_equal(got, np.broadcast_to(x, shape))
    assert got.dtype == np.float32
    assert got.flags.writeable == (int(np.prod(shape)) <= _FILLED_MAX)
    np.testing.assert_array_equal(broadcast_to(0.5, (3, 2)), np.full((3, 2), 0.5))


@numpy_only
@pytest.mark.parametrize("largest", [True, False])
@pytest.mark.parametrize("shape,axis,keepdims", [((4, 33, 33, 8), (1, 2), False),
                                                 ((3, 9, 7, 4), (1, 2), True),
                                                 ((2, 8209, 1), 1, False),  # a prime
                                                 ((5, 7), None, False), ((6, 5), 1, True),
                                                 ((3, 4, 5), 0, False)])
@pytest.mark.parametrize("values", ["distinct", "ties", "nan"])
def test_numpy_extremum_gradient_matches_portable(largest, shape, axis, keepdims, values,
                                                  monkeypatch):
    """Without ties the kernel routes each group's gradient to its extremum; with ties or
    NaN it shares it by the portable rule itself (never declining: a step recorded with
    it as one call replays it on any data), bit for bit as the portable path."""
    from kerasx.backends import numpy_kernels

    x = np.random.default_rng(8).standard_normal(shape)
    if values == "ties":
        x = np.round(x)  # many equal extrema in each group
    elif values == "nan":
        x[(0,) * len(shape)] = np.nan
    calls = []
    kernel = numpy_kernels.extremum_grad
    monkeypatch.setitem(current().kernels, "extremum_grad",
                        lambda *a: calls.append(kernel(*a)) or calls[-1])
    reduce = ops.max if largest else ops.min

    def grad():
        with float64():
            v = Variable(current().asarray(x))
            with GradientTape() as tape:
                out = reduce(v, axis=axis, keepdims=keepdims)
                loss = ops.sum(out * ops.cos(out))
            return current().to_numpy(tape.gradient(loss, v))

    fast = grad()
    assert len(calls) == 1 and calls[0] is not None
    monkeypatch.delitem(current().kernels, "extremum_grad")
    np.testing.assert_array_equal(fast, grad())


@numpy_only
@pytest.mark.parametrize("n,limit,want", [(3721, 1024, 61), (1089, 1024, 363), (8209, 8192, 1),
                                          (1024, 256, 256), (12, 5, 4), (1, 10, 1)])
def test_largest_divisor(n, limit, want):
    from kerasx.backends.numpy_kernels import _largest_divisor

    assert _largest_divisor(n, limit) == want
