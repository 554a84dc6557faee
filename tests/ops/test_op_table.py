"""Every differentiable op of the foundation: forward vs a float64 NumPy reference,
float32 run, and gradients vs central finite differences, on the active backend."""

import numpy as np
import pytest

from kerasx import ops
from kerasx.backends import current
from kerasx.testing import OpCase, check_op_case

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((3, 4))
POS = rng.uniform(0.5, 2.0, (3, 4))
ROW = rng.standard_normal((4,))
M = rng.standard_normal((4, 5))
BATCH = rng.standard_normal((2, 3, 4))
LABELS = np.array([2, 0, 3])
ONE_HOT = np.eye(4)[LABELS]
SPREAD = np.array([[0.3, -1.2, 2.5, 0.7], [1.9, -0.4, 0.1, -2.2], [-0.8, 0.05, 1.1, 0.6]])


def _softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _lse(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return (np.log(np.exp(x - m).sum(axis=axis, keepdims=True)) + m).squeeze(axis)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


CASES = [
    OpCase("add", ops.add, np.add, [A, B]),
    OpCase("add_broadcast", ops.add, np.add, [A, ROW]),
    OpCase("subtract", ops.subtract, np.subtract, [A, ROW]),
    OpCase("multiply", ops.multiply, np.multiply, [A, B]),
    OpCase("multiply_broadcast", ops.multiply, np.multiply, [A, ROW[None, :]]),
    # gradients summed over a middle axis, leading and middle axes, and axes apart
    OpCase("multiply_broadcast_middle", ops.multiply, np.multiply, [BATCH, BATCH[:, :1, :]]),
    OpCase("add_broadcast_leading_middle", ops.add, np.add, [BATCH, ROW[None, None, :]]),
    OpCase("subtract_broadcast_apart", ops.subtract, np.subtract, [BATCH, A[None, :, :1]]),
    OpCase("divide", ops.divide, np.divide, [A, POS]),
    OpCase("negative", ops.negative, np.negative, [A]),
    OpCase("power", ops.power, np.power, [POS, B]),
    OpCase("power_scalar", lambda x: ops.power(x, 3.0), lambda x: x ** 3, [A]),
    OpCase("square", ops.square, np.square, [A]),
    OpCase("sqrt", ops.sqrt, np.sqrt, [POS]),
    OpCase("exp", ops.exp, np.exp, [A]),
    OpCase("log", ops.log, np.log, [POS]),
    OpCase("log1p", ops.log1p, np.log1p, [POS]),
    OpCase("expm1", ops.expm1, np.expm1, [A]),
    OpCase("abs", ops.abs, np.abs, [SPREAD]),
    OpCase("sin", ops.sin, np.sin, [A]),
    OpCase("cos", ops.cos, np.cos, [A]),
    OpCase("reciprocal", ops.reciprocal, lambda x: 1 / x, [POS]),
    OpCase("maximum", ops.maximum, np.maximum, [A, B]),
    OpCase("minimum", ops.minimum, np.minimum, [A, B]),
    OpCase("where", lambda a, b: ops.where(ops.greater(a, b), a, b),
           lambda a, b: np.where(a > b, a, b), [A, B]),
    OpCase("clip", lambda x: ops.clip(x, -0.5, 0.5), lambda x: np.clip(x, -0.5, 0.5), [SPREAD]),
    OpCase("matmul", ops.matmul, np.matmul, [A, M]),
    OpCase("matmul_vector", ops.matmul, np.matmul, [A, ROW]),
    OpCase("matmul_batched", ops.matmul, np.matmul, [BATCH, M]),
    OpCase("dot", ops.dot, np.dot, [A, M]),
    OpCase("dense", ops.dense, lambda x, w, b: x @ w + b, [A, M, ROW[:1].repeat(5)]),
    OpCase("dense_3d", ops.dense, lambda x, w, b: x @ w + b, [BATCH, M, rng.standard_normal(5)]),
    OpCase("dense_relu", lambda x, w, b: ops.dense(x, w, b, relu=True),
           lambda x, w, b: np.maximum(x @ w + b, 0.0), [A, M, rng.standard_normal(5)]),
    OpCase("dense_3d_relu", lambda x, w, b: ops.dense(x, w, b, relu=True),
           lambda x, w, b: np.maximum(x @ w + b, 0.0), [BATCH, M, rng.standard_normal(5)]),
    OpCase("sum", ops.sum, np.sum, [A]),
    OpCase("sum_axis", lambda x: ops.sum(x, axis=1), lambda x: x.sum(axis=1), [BATCH]),
    OpCase("sum_keepdims", lambda x: ops.sum(x, axis=(0, 2), keepdims=True),
           lambda x: x.sum(axis=(0, 2), keepdims=True), [BATCH]),
    OpCase("mean", lambda x: ops.mean(x, axis=-1), lambda x: x.mean(axis=-1), [A]),
    OpCase("max", lambda x: ops.max(x, axis=1), lambda x: x.max(axis=1), [A]),
    OpCase("min", lambda x: ops.min(x, axis=0, keepdims=True), lambda x: x.min(axis=0, keepdims=True), [A]),
    OpCase("var", lambda x: ops.var(x, axis=1), lambda x: x.var(axis=1), [A]),
    OpCase("std", lambda x: ops.std(x, axis=1), lambda x: x.std(axis=1), [A]),
    OpCase("logsumexp", lambda x: ops.logsumexp(x, axis=-1), _lse, [A]),
    OpCase("reshape", lambda x: ops.reshape(x, (4, -1)), lambda x: x.reshape(4, -1), [A]),
    OpCase("transpose", ops.transpose, np.transpose, [A]),
    OpCase("transpose_axes", lambda x: ops.transpose(x, (1, 2, 0)),
           lambda x: x.transpose(1, 2, 0), [BATCH]),
    OpCase("expand_dims", lambda x: ops.expand_dims(x, 1), lambda x: x[:, None], [A]),
    OpCase("squeeze", lambda x: ops.squeeze(x, 1), lambda x: x[:, 0], [A[:, :1]]),
    OpCase("concatenate", lambda a, b: ops.concatenate([a, b], axis=1),
           lambda a, b: np.concatenate([a, b], axis=1), [A, B]),
    OpCase("stack", lambda a, b: ops.stack([a, b], axis=1), lambda a, b: np.stack([a, b], axis=1), [A, B]),
    OpCase("take", lambda x, i: ops.take(x, i, axis=0), lambda x, i: x[i],
           [M, np.array([3, 0, 3, 1])], wrt=[0]),
    OpCase("take_axis1", lambda x, i: ops.take(x, i, axis=1), lambda x, i: x[:, i],
           [A, np.array([[1, 1], [0, 3]])], wrt=[0]),
    OpCase("take_along_axis", lambda x, i: ops.take_along_axis(x, i, axis=1),
           lambda x, i: np.take_along_axis(x, i, axis=1), [A, LABELS[:, None]], wrt=[0]),
    OpCase("getitem", lambda x: x[1:, ::2], lambda x: x[1:, ::2], [A]),
    OpCase("broadcast_to", lambda x: ops.broadcast_to(x, (3, 4)), lambda x: np.broadcast_to(x, (3, 4)), [ROW]),
    OpCase("tile", lambda x: ops.tile(x, (2, 1)), lambda x: np.tile(x, (2, 1)), [A]),
    OpCase("repeat", lambda x: ops.repeat(x, 2, axis=1), lambda x: np.repeat(x, 2, axis=1), [A]),
    OpCase("repeat_once", lambda x: ops.repeat(x, 1, axis=0), lambda x: np.repeat(x, 1, axis=0),
           [A]),
    OpCase("repeat_middle_3", lambda x: ops.repeat(x, 3, axis=-2),
           lambda x: np.repeat(x, 3, axis=-2), [BATCH]),
    OpCase("repeat_middle_4", lambda x: ops.repeat(x, 4, axis=1),
           lambda x: np.repeat(x, 4, axis=1), [BATCH]),
    OpCase("repeat_by_sum", lambda x: ops.repeat(x, 6, axis=0), lambda x: np.repeat(x, 6, axis=0),
           [BATCH]),
    OpCase("repeat_flat", lambda x: ops.repeat(x, 2), lambda x: np.repeat(x, 2), [A]),
    OpCase("pad", lambda x: ops.pad(x, ((1, 0), (0, 2))), lambda x: np.pad(x, ((1, 0), (0, 2))), [A]),
    OpCase("flip", lambda x: ops.flip(x, axis=1), lambda x: x[:, ::-1], [A]),
    OpCase("moveaxis", lambda x: ops.moveaxis(x, 0, -1), lambda x: np.moveaxis(x, 0, -1), [BATCH]),
    OpCase("split", lambda x: ops.split(x, 2, axis=1)[1], lambda x: np.split(x, 2, axis=1)[1], [A]),
    OpCase("cast", lambda x: ops.cast(x * 10, "int32"), lambda x: (x * 10).astype(np.int32), [A], wrt=[]),
    OpCase("one_hot", lambda i: ops.one_hot(i, 4), lambda i: np.eye(4)[i], [LABELS], wrt=[]),
    OpCase("relu", ops.relu, lambda x: np.maximum(x, 0), [SPREAD]),
    OpCase("sigmoid", ops.sigmoid, _sigmoid, [A]),
    OpCase("tanh", ops.tanh, np.tanh, [A]),
    OpCase("softmax", ops.softmax, _softmax, [A]),
    OpCase("softmax_axis0", lambda x: ops.softmax(x, axis=0), lambda x: _softmax(x, 0), [A]),
    OpCase("log_softmax", ops.log_softmax, lambda x: np.log(_softmax(x)), [A]),
    OpCase("softmax_cross_entropy", lambda t, z: ops.softmax_cross_entropy(t, z),
           lambda t, z: -(t * np.log(_softmax(z))).sum(-1), [ONE_HOT, A], wrt=[1]),
    OpCase("sparse_softmax_cross_entropy",
           lambda t, z: ops.softmax_cross_entropy(t, z, sparse=True),
           lambda t, z: -np.log(_softmax(z))[np.arange(3), t], [LABELS, A], wrt=[1]),
    OpCase("sigmoid_cross_entropy", ops.sigmoid_cross_entropy,
           lambda t, z: -(t * np.log(_sigmoid(z)) + (1 - t) * np.log(1 - _sigmoid(z))),
           [(B > 0).astype(np.float64), A], wrt=[1]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op(case):
    check_op_case(case)


def test_table_covers_every_differentiable_foundation_op():
    names = {c.name.split("_")[0] for c in CASES} | {c.name for c in CASES}
    required = ["add", "subtract", "multiply", "divide", "negative", "power", "square", "sqrt",
                "exp", "log", "abs", "maximum", "minimum", "where", "clip", "matmul", "dot", "sum",
                "mean", "max", "min", "reshape", "transpose", "expand_dims", "squeeze",
                "concatenate", "stack", "take", "one_hot", "cast", "relu", "sigmoid", "tanh",
                "softmax", "log_softmax", "logsumexp"]
    assert [n for n in required if n not in names] == []


def test_cast_between_floats_passes_gradient_back_in_the_source_dtype():
    from kerasx import GradientTape, Variable

    v = Variable(np.ones((2, 2), np.float32))
    with GradientTape() as tape:
        y = ops.sum(ops.cast(v, "float64") * 3.0)
    g = tape.gradient(y, v)
    assert g.dtype == v.value.dtype
    np.testing.assert_allclose(np.asarray(ops.convert_to_numpy(g)), np.full((2, 2), 3.0))


def test_cast_to_a_variables_own_dtype_keeps_its_gradient():
    import kerasx

    v = kerasx.Variable(np.array([1.0, 2.0], dtype="float32"))
    with kerasx.GradientTape() as tape:
        loss = ops.sum(ops.cast(v, "float32") * 3.0)
    np.testing.assert_array_equal(ops.convert_to_numpy(tape.gradient(loss, v)), [3.0, 3.0])


def test_dense_adds_a_bias_of_another_dtype_by_promotion():
    x, w, b = A.astype(np.float32), M.astype(np.float32), rng.standard_normal(5)
    backend = current()
    for relu in (False, True):
        out = ops.dense(backend.asarray(x), backend.asarray(w), backend.asarray(b), relu=relu)
        got = backend.to_numpy(out.value)
        expected = x.astype(np.float64) @ w.astype(np.float64) + b
        assert got.dtype == np.float64
        np.testing.assert_allclose(got, np.maximum(expected, 0.0) if relu else expected,
                                   rtol=1e-5, atol=1e-5)


def test_repeat_zero_times_gives_an_empty_axis_and_a_zero_gradient():
    from kerasx import GradientTape, Variable

    v = Variable(np.ones((2, 3), np.float32))
    with GradientTape() as tape:
        out = ops.repeat(v, 0, axis=1)
        total = ops.sum(out)
    assert tuple(out.shape) == (2, 0)
    np.testing.assert_array_equal(ops.convert_to_numpy(tape.gradient(total, v)), np.zeros((2, 3)))


@pytest.mark.parametrize("repeats, axis, error", [(2.0, 0, TypeError), (-1, 0, TypeError),
                                                  ([1, 2], 0, ValueError), (2, 2, ValueError),
                                                  (2, -3, ValueError)])
def test_repeat_rejects_bad_counts_and_axes(repeats, axis, error):
    with pytest.raises(error, match="repeat"):
        ops.repeat(current().asarray(A), repeats, axis=axis)


@pytest.mark.parametrize("exponent", [1, 2, 3, 4, -1, -2, -3, -4, 3.0, -2.0, 2.5, 5])
def test_power_by_a_python_number_matches_numpy_and_finite_differences(exponent):
    """Small whole exponents run as products (as JAX's integer power), others as `**`."""
    from kerasx.testing import check_gradients

    x = rng.uniform(0.5, 2.0, (3, 4)) * np.where(rng.random((3, 4)) < 0.5, -1, 1)
    base = x if float(exponent).is_integer() else np.abs(x)
    backend = current()
    got = ops.convert_to_numpy(ops.power(backend.asarray(base.astype(np.float32)), exponent))
    np.testing.assert_allclose(got, base.astype(np.float32).astype(np.float64) ** exponent,
                               rtol=1e-6)
    check_gradients(lambda v: ops.power(v, exponent), [base])
