"""The linear-algebra ops (`keras.ops.linalg` and `slogdet` / `logdet`): forward against
float64 NumPy, in float32, and gradients against central finite differences, batched
inputs included; then result structures, dtypes, and what singular matrices and wrong
shapes give."""

import warnings

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.testing import OpCase, check_op_case

rng = np.random.default_rng(11)


def _well_conditioned(*shape):
    n = shape[-1]
    return rng.standard_normal(shape) + 3.0 * np.eye(n)


def _spd(*shape):
    a = rng.standard_normal(shape)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _symmetric_spread(*shape):
    """Symmetric matrices with eigenvalues 1, 2, ..., n (far apart for finite differences)."""
    q, _ = np.linalg.qr(rng.standard_normal(shape))
    w = np.arange(1.0, shape[-1] + 1)
    return (q * w) @ np.swapaxes(q, -1, -2)


SQUARE = _well_conditioned(3, 3)
BATCH = _well_conditioned(2, 3, 3)
RHS = rng.standard_normal((2, 3, 2))
SPD = _spd(2, 3, 3)
LOWER = np.linalg.cholesky(SPD)
TALL = rng.standard_normal((2, 4, 3))
WIDE = np.swapaxes(TALL, -1, -2)
SYMMETRIC = _symmetric_spread(2, 4, 4)
# an upper triangle of noise that solve_triangular(lower=True) and cholesky_inverse ignore
NOISY_LOWER = LOWER + np.triu(rng.standard_normal((3, 3)), 1)
# a general (non-symmetric) matrix: cholesky reads it as (x + x^T) / 2
NEAR_SPD = SPD + 0.3 * rng.standard_normal((2, 3, 3))


def _tri_solve(a, b, lower):
    t = np.tril(a) if lower else np.triu(a)
    if b.ndim == a.ndim - 1:
        return np.linalg.solve(t, b[..., None])[..., 0]
    return np.linalg.solve(t, b)


def _sym(x):
    return (x + np.swapaxes(x, -1, -2)) / 2


def _lstsq(a, b):
    return np.linalg.lstsq(a, b, rcond=None)[0]


CASES = [
    OpCase("inv", ops.inv, np.linalg.inv, [SQUARE]),
    OpCase("inv_batch", ops.inv, np.linalg.inv, [BATCH], rtol32=1e-4, atol32=1e-5),
    OpCase("det", ops.det, np.linalg.det, [BATCH], rtol32=1e-4),
    # a singular matrix: the gradient (the adjugate) still exists
    OpCase("det_singular", ops.det, np.linalg.det, [np.array([[1.0, 2.0], [2.0, 4.0]])],
           atol32=1e-5),
    OpCase("slogdet", lambda x: ops.slogdet(x)[1], lambda x: np.linalg.slogdet(x)[1],
           [BATCH - 3.5 * np.eye(3)], rtol32=1e-4),
    OpCase("slogdet_sign", lambda x: ops.slogdet(x)[0], lambda x: np.linalg.slogdet(x)[0],
           [BATCH - 3.5 * np.eye(3)], wrt=[]),
    OpCase("logdet", ops.logdet, lambda x: np.linalg.slogdet(x)[1], [SPD], rtol32=1e-4),
    OpCase("solve", ops.solve, np.linalg.solve, [BATCH, RHS], rtol32=1e-4, atol32=1e-5),
    OpCase("solve_vector", ops.solve, np.linalg.solve, [SQUARE, RHS[0, :, 0]],
           rtol32=1e-4, atol32=1e-5),
    OpCase("solve_broadcast", ops.solve, np.linalg.solve, [BATCH, RHS[0]],
           rtol32=1e-4, atol32=1e-5),
    OpCase("solve_vector_batch_a", ops.solve, lambda a, b: np.linalg.solve(a, b[:, None])[..., 0],
           [BATCH, RHS[0, :, 0]], rtol32=1e-4, atol32=1e-5),
    OpCase("solve_triangular_lower",
           lambda a, b: ops.solve_triangular(a, b, lower=True),
           lambda a, b: _tri_solve(a, b, True), [NOISY_LOWER, RHS], rtol32=1e-4, atol32=1e-5),
    OpCase("solve_triangular_upper", ops.solve_triangular,
           lambda a, b: _tri_solve(a, b, False), [BATCH, RHS], rtol32=1e-4, atol32=1e-5),
    OpCase("solve_triangular_vectors", ops.solve_triangular,
           lambda a, b: _tri_solve(a, b, False), [BATCH, RHS[..., 0]], rtol32=1e-4,
           atol32=1e-5),
    OpCase("cholesky", ops.cholesky, np.linalg.cholesky, [SPD], rtol32=1e-4, atol32=1e-5),
    OpCase("cholesky_upper", lambda x: ops.cholesky(x, upper=True),
           lambda x: np.swapaxes(np.linalg.cholesky(x), -1, -2), [SPD], rtol32=1e-4,
           atol32=1e-5),
    OpCase("cholesky_reads_symmetric_part", ops.cholesky,
           lambda x: np.linalg.cholesky(_sym(x)), [NEAR_SPD], rtol32=1e-4, atol32=1e-5),
    OpCase("cholesky_inverse", ops.cholesky_inverse, lambda x: np.linalg.inv(x @ x.T),
           [LOWER[0]], rtol32=1e-4, atol32=1e-5),
    OpCase("cholesky_inverse_batch_noisy", ops.cholesky_inverse,
           lambda x: np.linalg.inv(np.tril(x) @ np.swapaxes(np.tril(x), -1, -2)),
           [NOISY_LOWER], rtol32=1e-4, atol32=1e-5),
    OpCase("cholesky_inverse_upper", lambda x: ops.cholesky_inverse(x, upper=True),
           lambda x: np.linalg.inv(np.swapaxes(x, -1, -2) @ x),
           [np.swapaxes(LOWER, -1, -2)], rtol32=1e-4, atol32=1e-5),
    OpCase("pinv_tall", ops.pinv, np.linalg.pinv, [TALL], rtol32=1e-4, atol32=1e-5),
    OpCase("pinv_wide", ops.pinv, np.linalg.pinv, [WIDE], rtol32=1e-4, atol32=1e-5),
    OpCase("pinv_square", ops.pinv, np.linalg.pinv, [BATCH], rtol32=1e-4, atol32=1e-5),
    OpCase("lstsq", ops.lstsq, _lstsq, [TALL[0], rng.standard_normal((4, 2))],
           rtol32=1e-4, atol32=1e-5),
    OpCase("lstsq_vector", ops.lstsq, _lstsq, [TALL[0], rng.standard_normal(4)],
           rtol32=1e-4, atol32=1e-5),
    OpCase("lstsq_underdetermined", ops.lstsq, _lstsq, [WIDE[0], rng.standard_normal(3)],
           rtol32=1e-4, atol32=1e-5),
    # eigenvectors and singular vectors are defined up to sign: compare sign-free functions
    OpCase("eigh_values", lambda x: ops.eigh(x)[0], lambda x: np.linalg.eigh(x)[0],
           [SYMMETRIC], rtol32=1e-4, atol32=1e-5),
    OpCase("eigh_vectors", lambda x: ops.square(ops.eigh(x)[1]),
           lambda x: np.linalg.eigh(x)[1] ** 2, [SYMMETRIC], rtol32=1e-3, atol32=1e-4),
    OpCase("eigh_reads_symmetric_part", lambda x: ops.eigh(x)[0],
           lambda x: np.linalg.eigh(_sym(x))[0], [SYMMETRIC + 0.1 * rng.standard_normal((4, 4))],
           rtol32=1e-4, atol32=1e-5),
    OpCase("svd_values", lambda x: ops.svd(x, compute_uv=False),
           lambda x: np.linalg.svd(x, compute_uv=False), [TALL], rtol32=1e-4, atol32=1e-5),
    OpCase("svd_values_of_full", lambda x: ops.svd(x)[1],
           lambda x: np.linalg.svd(x)[1], [WIDE], rtol32=1e-4, atol32=1e-5),
    OpCase("svd_u", lambda x: ops.square(ops.svd(x, full_matrices=False)[0]),
           lambda x: np.linalg.svd(x, full_matrices=False)[0] ** 2, [TALL],
           rtol32=1e-3, atol32=1e-4),
    OpCase("svd_vh", lambda x: ops.square(ops.svd(x, full_matrices=False)[2]),
           lambda x: np.linalg.svd(x, full_matrices=False)[2] ** 2, [TALL],
           rtol32=1e-3, atol32=1e-4),
    OpCase("svd_u_wide", lambda x: ops.square(ops.svd(x, full_matrices=False)[0]),
           lambda x: np.linalg.svd(x, full_matrices=False)[0] ** 2, [WIDE],
           rtol32=1e-3, atol32=1e-4),
    OpCase("svd_vh_wide", lambda x: ops.square(ops.svd(x, full_matrices=False)[2]),
           lambda x: np.linalg.svd(x, full_matrices=False)[2] ** 2, [WIDE],
           rtol32=1e-3, atol32=1e-4),
    OpCase("svd_square_full", lambda x: ops.square(ops.svd(x)[0]) + ops.square(ops.svd(x)[2]),
           lambda x: np.linalg.svd(x)[0] ** 2 + np.linalg.svd(x)[2] ** 2, [BATCH],
           rtol32=1e-3, atol32=1e-4),
    # q and r flip signs together: q r is the input; abs keeps a sign-free view of each
    OpCase("qr_q", lambda x: ops.abs(ops.qr(x)[0]), lambda x: np.abs(np.linalg.qr(x)[0]),
           [TALL], rtol32=1e-3, atol32=1e-4),
    OpCase("qr_r", lambda x: ops.abs(ops.qr(x)[1]), lambda x: np.abs(np.linalg.qr(x)[1]),
           [TALL], rtol32=1e-3, atol32=1e-4),
    OpCase("qr_wide", lambda x: ops.abs(ops.qr(x)[0]) + ops.sum(ops.abs(ops.qr(x)[1])),
           lambda x: np.abs(np.linalg.qr(x)[0]) + np.abs(np.linalg.qr(x)[1]).sum(),
           [WIDE], rtol32=1e-3, atol32=1e-4),
    OpCase("qr_complete_wide", lambda x: ops.abs(ops.qr(x, mode="complete")[1]),
           lambda x: np.abs(np.linalg.qr(x, mode="complete")[1]), [WIDE],
           rtol32=1e-3, atol32=1e-4),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op(case):
    check_op_case(case)


def test_qr_reconstructs_and_has_the_documented_shapes():
    x = TALL.astype(np.float32)
    q, r = ops.qr(x)
    assert q.shape == (2, 4, 3) and r.shape == (2, 3, 3)
    np.testing.assert_allclose(ops.convert_to_numpy(q @ r), x, atol=1e-5)
    q, r = ops.qr(x, mode="complete")
    assert q.shape == (2, 4, 4) and r.shape == (2, 4, 3)
    np.testing.assert_allclose(ops.convert_to_numpy(ops.triu(r)), ops.convert_to_numpy(r))
    with pytest.raises(ValueError, match="mode"):
        ops.qr(x, mode="r")


def test_svd_shapes_and_reconstruction():
    x = WIDE.astype(np.float32)
    u, s, vh = ops.svd(x)
    assert (u.shape, s.shape, vh.shape) == ((2, 3, 3), (2, 3), (2, 4, 4))
    u, s, vh = ops.svd(x, full_matrices=False)
    assert (u.shape, s.shape, vh.shape) == ((2, 3, 3), (2, 3), (2, 3, 4))
    rebuilt = ops.convert_to_numpy(u * s[:, None, :] @ vh)
    np.testing.assert_allclose(rebuilt, x, atol=1e-5)


def test_svd_vector_gradient_of_full_non_square_is_a_clear_error():
    x = kerasx.Variable(TALL)
    with kerasx.GradientTape() as tape:
        u, s, vh = ops.svd(x)
        loss = ops.sum(ops.square(u))
    with pytest.raises(NotImplementedError, match="full_matrices=False"):
        tape.gradient(loss, x)


def test_eigh_reconstructs_and_orders_ascending():
    w, v = ops.eigh(SYMMETRIC)
    w, v = ops.convert_to_numpy(w), ops.convert_to_numpy(v)
    assert np.all(np.diff(w, axis=-1) > 0)
    np.testing.assert_allclose((v * w[:, None, :]) @ np.swapaxes(v, -1, -2), SYMMETRIC,
                               atol=1e-5)


def test_eig_gives_complex_results():
    rotation = np.array([[0.0, -1.0], [1.0, 0.0]], np.float32)
    w, v = ops.eig(rotation)
    w, v = ops.convert_to_numpy(w), ops.convert_to_numpy(v)
    assert w.dtype == np.complex64 and v.dtype == np.complex64
    np.testing.assert_allclose(np.sort_complex(w), [-1j, 1j], atol=1e-6)
    np.testing.assert_allclose(rotation @ v, v * w[None, :], atol=1e-6)
    w, _ = ops.eig(BATCH)
    assert ops.convert_to_numpy(w).dtype == np.complex128 and w.shape == (2, 3)


def test_lu_factor_matches_lapack():
    scipy_linalg = pytest.importorskip("scipy.linalg")
    for x in (rng.standard_normal((2, 4, 4)), rng.standard_normal((3, 5)),
              rng.standard_normal((2, 5, 3)), np.array([[0.0, 1.0], [0.0, 2.0]])):
        lu, piv = ops.lu_factor(x)
        lu, piv = ops.convert_to_numpy(lu), ops.convert_to_numpy(piv)
        assert piv.dtype == np.int32
        flat_x = x.reshape((-1,) + x.shape[-2:])
        for got_lu, got_piv, one in zip(lu.reshape(flat_x.shape), piv.reshape(len(flat_x), -1),
                                        flat_x):
            with warnings.catch_warnings():  # the last matrix is singular
                warnings.simplefilter("ignore")
                want_lu, want_piv = scipy_linalg.lu_factor(one, check_finite=False)
            np.testing.assert_allclose(got_lu, want_lu, atol=1e-12)
            np.testing.assert_array_equal(got_piv, want_piv)


def test_matrix_rank():
    x = np.stack([np.diag([1.0, 1e-3, 0.0]), np.ones((3, 3))]).astype(np.float32)
    rank = ops.matrix_rank(x)
    assert ops.convert_to_numpy(rank).dtype == np.int32
    np.testing.assert_array_equal(ops.convert_to_numpy(rank), [2, 1])
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.matrix_rank(x, tol=1e-2)), [1, 1])
    with pytest.raises(ValueError, match="rank 2 or more"):
        ops.matrix_rank(np.ones(3))


def test_integer_inputs_compute_in_floatx():
    x = np.array([[2, 1], [1, 3]], np.int32)
    for out in (ops.inv(x), ops.det(x), ops.cholesky(x), ops.eigh(x)[0], ops.pinv(x),
                ops.solve(x, np.array([1, 2], np.int32)), ops.slogdet(x)[1]):
        assert ops.convert_to_numpy(out).dtype == np.float32
    np.testing.assert_allclose(ops.convert_to_numpy(ops.inv(x)), np.linalg.inv(x), rtol=1e-6)


def test_singular_matrices_give_nan_in_their_own_results():
    x = np.stack([np.ones((2, 2)), 2 * np.eye(2)]).astype(np.float32)
    inverse = ops.convert_to_numpy(ops.inv(x))
    assert np.isnan(inverse[0]).all()
    np.testing.assert_allclose(inverse[1], 0.5 * np.eye(2))
    solved = ops.convert_to_numpy(ops.solve(x, np.ones(2, np.float32)))
    assert np.isnan(solved[0]).all() and np.allclose(solved[1], 0.5)
    sign, logabs = (ops.convert_to_numpy(v) for v in ops.slogdet(x))
    np.testing.assert_array_equal(sign, [0.0, 1.0])
    assert logabs[0] == -np.inf
    assert ops.convert_to_numpy(ops.det(x))[0] == 0.0


def test_cholesky_of_an_indefinite_matrix_is_a_clear_error():
    with pytest.raises(ValueError, match="not positive definite"):
        ops.cholesky(np.array([[1.0, 2.0], [2.0, 1.0]]))
    # the zero matrix is positive semi-definite and factors as zero
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.cholesky(np.zeros((2, 2)))), 0.0)


@pytest.mark.parametrize("call, message", [
    (lambda: ops.inv(np.ones((2, 3))), "square matrices"),
    (lambda: ops.det(np.ones(3)), "rank 2 or more"),
    (lambda: ops.solve(np.eye(2), np.ones(3)), "needs `b` with 2 rows"),
    (lambda: ops.solve(np.ones((3, 2, 2)), np.ones((3, 2))), "b\\[..., None\\]"),
    (lambda: ops.solve(np.ones((2, 2, 2)), np.ones((3, 2, 1))), "do not broadcast"),
    (lambda: ops.solve_triangular(np.eye(2), np.ones((3, 1))), "needs `b` with 2 rows"),
    (lambda: ops.lstsq(np.ones((2, 3, 2)), np.ones((2, 3))), "lstsq expects"),
    (lambda: ops.lstsq(np.ones((3, 2)), np.ones(2)), "lstsq expects"),
    (lambda: ops.cholesky(np.ones((2, 3))), "square matrices"),
])
def test_wrong_shapes_are_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_linalg_namespace_holds_the_keras_names():
    names = ["cholesky", "cholesky_inverse", "det", "eig", "eigh", "inv", "lstsq", "lu_factor",
             "matrix_rank", "norm", "pinv", "qr", "solve", "solve_triangular", "svd"]
    for name in names:
        assert getattr(ops.linalg, name) is getattr(ops, name), name


def test_symbolic_model_of_linalg_ops():
    x = kerasx.Input((3, 3))
    w, v = ops.eigh(x)
    model = kerasx.Model(x, [ops.linalg.inv(x), ops.det(x), w, ops.svd(x, compute_uv=False)])
    data = BATCH.astype(np.float32)
    inverse, determinant, values, singular = (ops.convert_to_numpy(t) for t in model(data))
    np.testing.assert_allclose(inverse, np.linalg.inv(data), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(determinant, np.linalg.det(data), rtol=1e-4)
    np.testing.assert_allclose(values, np.linalg.eigh(_sym(data))[0], rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(singular, np.linalg.svd(data, compute_uv=False), rtol=1e-4)
