"""The ops beyond the foundation that the op table cannot hold: values at the edges
(zeros, infinities, ties), the non-differentiable ops and creation functions against
NumPy, result dtypes of integer inputs as Keras gives them, and use on symbolic
tensors in a functional model."""

import math

import numpy as np
import pytest

import kerasx
from kerasx import GradientTape, Variable, ops
from kerasx.backends import current
from kerasx.testing import check_gradients
from tests.conftest import to_numpy

rng = np.random.default_rng(11)
A = rng.standard_normal((3, 4))
INTS = np.array([[1, 2], [3, 4]], np.int32)
FLAGS = np.array([[True, False], [True, True]])


def _on_backend(x):
    return current().asarray(x)


def _gradient(fn, x):
    v = Variable(np.asarray(x, np.float64))
    with GradientTape() as tape:
        total = ops.sum(fn(v))
    return to_numpy(tape.gradient(total, v))


def test_erf_matches_the_exact_function_to_its_stated_accuracy_and_has_the_exact_gradient():
    x = np.linspace(-4.0, 4.0, 81)
    expected = np.array([math.erf(v) for v in x])
    with kerasx.testing.float64():
        got = to_numpy(ops.erf(_on_backend(x)))
    bound = 1.2e-7 * np.array([math.erfc(abs(v)) for v in x]) + 1e-15
    assert np.all(np.abs(got - expected) <= bound)
    assert np.max(np.abs(got - expected)) > 0  # the approximation, not an exact function
    # away from 0, where the approximation's sign switch is a step far below the
    # finite-difference resolution
    check_gradients(ops.erf, [x[::4] + 0.05], rtol=2e-6, atol=1e-8)
    with kerasx.testing.float64():
        slope = _gradient(ops.erf, x)
    np.testing.assert_allclose(slope, 2 / np.sqrt(np.pi) * np.exp(-x * x), rtol=1e-12)


def test_hypot_has_a_zero_gradient_at_the_origin():
    with kerasx.testing.float64():
        a, b = Variable(np.zeros(3)), Variable(np.array([0.0, 3.0, -4.0]))
        with GradientTape() as tape:
            total = ops.sum(ops.hypot(a, b))
        ga, gb = tape.gradient(total, [a, b])
    np.testing.assert_array_equal(to_numpy(ga), np.zeros(3))
    np.testing.assert_array_equal(to_numpy(gb), [0.0, 1.0, -1.0])


def test_nan_to_num_replaces_nan_and_infinities_and_stops_their_gradient():
    x = np.array([1.5, np.nan, np.inf, -np.inf, -2.0], np.float32)
    np.testing.assert_array_equal(to_numpy(ops.nan_to_num(_on_backend(x))), np.nan_to_num(x))
    np.testing.assert_array_equal(
        to_numpy(ops.nan_to_num(_on_backend(x), nan=-1.0, posinf=9.0, neginf=-9.0)),
        [1.5, -1.0, 9.0, -9.0, -2.0])
    np.testing.assert_array_equal(_gradient(ops.nan_to_num, x), [1.0, 0.0, 0.0, 0.0, 1.0])
    np.testing.assert_array_equal(to_numpy(ops.nan_to_num(_on_backend(INTS))), INTS)


def test_cumprod_gradient_with_zeros_matches_the_product_of_the_other_factors():
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    expected = np.zeros_like(x)
    for k in range(len(x)):  # d sum_i prod_{j<=i} x_j / d x_k, term by term
        for i in range(k, len(x)):
            expected[k] += np.prod([x[j] for j in range(i + 1) if j != k])
    with kerasx.testing.float64():
        np.testing.assert_allclose(_gradient(ops.cumprod, x), expected, rtol=1e-12)


def test_cumsum_and_cumprod_cast_to_the_requested_dtype():
    out = ops.cumsum(_on_backend(INTS), axis=0, dtype="float32")
    assert out.dtype == "float32"
    np.testing.assert_array_equal(to_numpy(out), np.cumsum(INTS, axis=0))
    np.testing.assert_array_equal(to_numpy(ops.cumprod(_on_backend(INTS))), np.cumprod(INTS))


def test_sort_and_argsort_keep_equal_values_in_order():
    x = np.array([[3, 1, 3, 2, 1], [0, 0, 0, 1, 0]], np.int32)
    np.testing.assert_array_equal(to_numpy(ops.sort(_on_backend(x))), np.sort(x))
    np.testing.assert_array_equal(to_numpy(ops.argsort(_on_backend(x))),
                                  np.argsort(x, kind="stable"))
    np.testing.assert_array_equal(to_numpy(ops.argsort(_on_backend(x), axis=None)),
                                  np.argsort(x, axis=None, kind="stable"))
    np.testing.assert_array_equal(to_numpy(ops.sort(_on_backend(x), axis=0)), np.sort(x, axis=0))


def test_top_k_gives_the_largest_values_first_and_the_lower_index_among_ties():
    x = np.array([[1.0, 5.0, 3.0, 5.0, 2.0], [0.5, -1.0, 0.5, 4.0, 0.5]], np.float32)
    values, indices = ops.top_k(_on_backend(x), 3)
    np.testing.assert_array_equal(to_numpy(values), [[5, 5, 3], [4, 0.5, 0.5]])
    np.testing.assert_array_equal(to_numpy(indices), [[1, 3, 2], [3, 0, 2]])
    assert indices.dtype == "int32"
    unsorted_values, _ = ops.top_k(_on_backend(x), 2, sorted=False)
    np.testing.assert_array_equal(np.sort(to_numpy(unsorted_values), axis=-1), [[5, 5], [0.5, 4]])
    np.testing.assert_array_equal(
        _gradient(lambda v: ops.top_k(v, 2)[0], x), [[0, 1, 0, 1, 0], [1, 0, 0, 1, 0]])


def test_in_top_k_counts_a_tie_with_the_kth_value_as_in():
    predictions = np.array([[0.1, 0.9, 0.5], [0.4, 0.4, 0.2], [0.3, 0.2, 0.1]], np.float32)
    targets = np.array([2, 1, 2])
    np.testing.assert_array_equal(to_numpy(ops.in_top_k(targets, _on_backend(predictions), 1)),
                                  [False, True, False])
    np.testing.assert_array_equal(to_numpy(ops.in_top_k(targets, _on_backend(predictions), 2)),
                                  [True, True, False])


def test_searchsorted_and_digitize_match_numpy():
    edges = np.array([0.0, 1.0, 1.0, 2.5, 4.0])
    values = np.array([-1.0, 0.0, 1.0, 1.7, 4.0, 9.0])
    for side in ("left", "right"):
        got = ops.searchsorted(_on_backend(edges), _on_backend(values), side=side)
        np.testing.assert_array_equal(to_numpy(got), np.searchsorted(edges, values, side=side))
        assert got.dtype == "int32"
    np.testing.assert_array_equal(to_numpy(ops.digitize(_on_backend(values), _on_backend(edges))),
                                  np.digitize(values, edges))
    falling = edges[::-1].copy()
    np.testing.assert_array_equal(to_numpy(ops.digitize(values, falling)),
                                  np.digitize(values, falling))


def test_bincount_counts_and_sums_weights():
    x = np.array([1, 3, 1, 0, 3, 3])
    np.testing.assert_array_equal(to_numpy(ops.bincount(x)), np.bincount(x))
    np.testing.assert_array_equal(to_numpy(ops.bincount(x, minlength=6)), np.bincount(x, minlength=6))
    w = np.array([0.5, 1.0, 2.0, 0.25, -1.0, 3.0], np.float32)
    sums = ops.bincount(x, weights=w)
    assert sums.dtype == "float32"
    np.testing.assert_allclose(to_numpy(sums), np.bincount(x, weights=w))
    rows = np.array([[0, 1, 1], [2, 2, 2]])
    np.testing.assert_array_equal(to_numpy(ops.bincount(rows)), [[1, 2, 0], [0, 0, 3]])
    assert ops.bincount(x).dtype == "int32"


def test_counts_and_predicates_match_numpy():
    x = np.array([[0.0, -1.5, np.inf], [-0.0, np.nan, -np.inf]], np.float32)
    np.testing.assert_array_equal(to_numpy(ops.isinf(_on_backend(x))), np.isinf(x))
    np.testing.assert_array_equal(to_numpy(ops.signbit(_on_backend(x))), np.signbit(x))
    np.testing.assert_array_equal(to_numpy(ops.signbit(_on_backend(INTS - 2))), INTS - 2 < 0)
    np.testing.assert_array_equal(to_numpy(ops.isinf(_on_backend(INTS))), np.zeros((2, 2), bool))
    np.testing.assert_array_equal(to_numpy(ops.count_nonzero(_on_backend(x))), 4)
    np.testing.assert_array_equal(to_numpy(ops.count_nonzero(_on_backend(x), axis=1)), [2, 2])
    assert ops.count_nonzero(_on_backend(x)).dtype == "int32"
    np.testing.assert_array_equal(to_numpy(ops.trunc(_on_backend(np.array([-1.7, 2.5, -0.2])))),
                                  [-1.0, 2.0, -0.0])
    np.testing.assert_array_equal(to_numpy(ops.logical_xor(_on_backend(FLAGS), _on_backend(INTS - 1))),
                                  np.logical_xor(FLAGS, INTS - 1))
    np.testing.assert_array_equal(to_numpy(ops.fmod(_on_backend(np.array([-7, 7, -7, 6], np.int32)),
                                                    _on_backend(np.array([3, -3, -3, 3], np.int32)))),
                                  np.fmod([-7, 7, -7, 6], [3, -3, -3, 3]))


def test_isclose_and_allclose_follow_numpy_with_infinities_and_nan():
    a = np.array([1.0, 1.0 + 1e-6, np.inf, -np.inf, np.nan, 1e-9, 2.0])
    b = np.array([1.0, 1.0, np.inf, np.inf, np.nan, 0.0, 2.1])
    for equal_nan in (False, True):
        got = ops.isclose(_on_backend(a), _on_backend(b), equal_nan=equal_nan)
        np.testing.assert_array_equal(to_numpy(got), np.isclose(a, b, equal_nan=equal_nan))
    got = ops.isclose(_on_backend(a), _on_backend(b), rtol=0.1, atol=0.0)
    np.testing.assert_array_equal(to_numpy(got), np.isclose(a, b, rtol=0.1, atol=0.0))
    assert bool(ops.allclose(_on_backend(a[:3]), _on_backend(b[:3])))
    assert not bool(ops.allclose(_on_backend(a), _on_backend(b)))


def test_creation_functions_match_numpy():
    checks = [
        (ops.eye(3), np.eye(3)), (ops.eye(2, 4, k=1), np.eye(2, 4, k=1)),
        (ops.identity(2), np.identity(2)), (ops.tri(3, 4, k=-1), np.tri(3, 4, k=-1)),
        (ops.full((2, 3), 7), np.full((2, 3), 7.0)),
        (ops.full((2, 3), np.array([1.0, 2.0, 3.0])), np.full((2, 3), [1.0, 2.0, 3.0])),
        (ops.full_like(INTS, 5), np.full_like(INTS, 5)),
        (ops.full_like(INTS, 0.5, dtype="float32"), np.full((2, 2), 0.5)),
        (ops.linspace(0.0, 1.0, 5), np.linspace(0.0, 1.0, 5)),
        (ops.linspace(2.0, 3.0, 4, endpoint=False), np.linspace(2.0, 3.0, 4, endpoint=False)),
        (ops.linspace(0, 10, 5, dtype="int32"), np.linspace(0, 10, 5, dtype=np.int32)),
        (ops.linspace(-3, 4, 1), np.linspace(-3, 4, 1)),
        (ops.linspace(np.array([0.0, 1.0]), 2.0, 3, axis=1),
         np.linspace(np.array([0.0, 1.0]), 2.0, 3, axis=1)),
    ]
    for got, expected in checks:
        np.testing.assert_allclose(to_numpy(got), expected, rtol=1e-6)
    values, step = ops.linspace(0.0, 2.0, 5, retstep=True)
    assert float(step) == pytest.approx(0.5)
    assert ops.empty((2, 3)).shape == (2, 3) and ops.empty((2, 3)).dtype == "float32"
    assert ops.eye(2, dtype="int32").dtype == "int32"
    with kerasx.testing.float64():
        assert ops.eye(2).dtype == ops.full((1,), 1).dtype == "float64"


def test_static_facts():
    x = _on_backend(np.zeros((2, 3, 4)))
    assert ops.size(x) == 24 and ops.ndim(x) == 3
    assert ops.size(kerasx.Input((5, 2))) is None and ops.ndim(kerasx.Input((5, 2))) == 3
    assert ops.is_tensor(x) and ops.is_tensor(ops.exp(x)) and ops.is_tensor(Variable(A))
    assert not ops.is_tensor([1.0, 2.0]) and not ops.is_tensor(2.0)


@pytest.mark.parametrize("name, expected", [
    ("cumsum", "int32"), ("cumprod", "int32"), ("tan", "float32"), ("arcsinh", "float32"),
    ("log2", "float32"), ("exp2", "float32"), ("rsqrt", "float32"), ("erf", "float32"),
    ("trace", "int32"), ("diagonal", "int32"), ("tril", "int32"), ("roll", "int32"),
    ("ravel", "int32"), ("average", "float32"), ("median", "float32"), ("sort", "int32"),
    ("argsort", "int32"), ("count_nonzero", "int32"), ("trunc", "int32"), ("copy", "int32"),
])
def test_integer_input_gives_the_keras_dtype(name, expected):
    fn = getattr(ops, name)
    out = fn(_on_backend(INTS), 1) if name == "roll" else fn(_on_backend(INTS))
    assert out.dtype == expected


@pytest.mark.parametrize("name, expected", [("cumsum", "int32"), ("trace", "int32"),
                                            ("tan", "float32"), ("count_nonzero", "int32")])
def test_boolean_input_gives_the_keras_dtype(name, expected):
    assert getattr(ops, name)(_on_backend(FLAGS)).dtype == expected


@pytest.mark.parametrize("name, expected, with_float", [
    ("arctan2", "float32", "float32"), ("logaddexp", "float32", "float32"),
    ("hypot", "float32", "float32"), ("true_divide", "float32", "float32"),
    ("outer", "int32", "float32"), ("inner", "int32", "float32"), ("vdot", "int32", "float32"),
    ("tensordot", "int32", "float32"), ("fmod", "int32", "float32"),
])
def test_two_integer_inputs_give_the_keras_dtype(name, expected, with_float):
    fn = getattr(ops, name)
    assert fn(_on_backend(INTS), _on_backend(INTS)).dtype == expected
    assert fn(_on_backend(INTS), _on_backend(INTS.astype(np.float32))).dtype == with_float


def test_einsum_dtypes_follow_keras():
    i8 = _on_backend(INTS.astype(np.int8))
    assert ops.einsum("ij,jk->ik", i8, i8).dtype == "int32"
    assert ops.einsum("ij,jk->ik", _on_backend(INTS), _on_backend(INTS)).dtype == "int32"
    mixed = ops.einsum("ij,jk->ik", _on_backend(INTS), _on_backend(INTS.astype(np.float32)))
    assert mixed.dtype == "float32"
    np.testing.assert_array_equal(to_numpy(mixed), INTS @ INTS)


def test_quantile_of_integers_is_floatx_and_of_float64_stays_float64():
    assert ops.quantile(_on_backend(INTS), 0.5).dtype == "float32"
    assert ops.quantile(_on_backend(A), 0.5).dtype == "float64"
    np.testing.assert_allclose(to_numpy(ops.quantile(_on_backend(INTS), [0.1, 0.5])),
                               np.quantile(INTS, [0.1, 0.5]), rtol=1e-6)


def test_ops_on_symbolic_inputs_build_a_functional_model():
    x = rng.standard_normal((2, 4)).astype(np.float32)
    inp = kerasx.Input((4,))
    model = kerasx.Model(inp, [ops.cumsum(inp, axis=1), ops.einsum("bi,bj->bij", inp, inp),
                               ops.sort(inp), ops.unstack(inp, axis=1)[2],
                               ops.quantile(inp, 0.25, axis=1)])
    cumsum, outer, ordered, column, quarter = [to_numpy(t) for t in model(x)]
    np.testing.assert_allclose(cumsum, np.cumsum(x, axis=1), rtol=1e-6)
    np.testing.assert_allclose(outer, np.einsum("bi,bj->bij", x, x), rtol=1e-6)
    np.testing.assert_allclose(ordered, np.sort(x, axis=1), rtol=1e-6)
    np.testing.assert_array_equal(column, x[:, 2])
    np.testing.assert_allclose(quarter, np.quantile(x, 0.25, axis=1), rtol=1e-6)


@pytest.mark.parametrize("call, message", [
    (lambda: ops.einsum("ij,jk->ik", A), "name 2 operand"),
    (lambda: ops.einsum("ijk->i", A), "do not match an operand of shape"),
    (lambda: ops.einsum("ij,ij->i", A, A.T), "has sizes"),
    (lambda: ops.einsum("ij->k", A), "no letter no input has"),
    (lambda: ops.einsum("ij->ii", A), "at most once"),
    (lambda: ops.einsum("i$j", A), "cannot read the subscripts"),
    (lambda: ops.einsum("...i->i", np.ones((2, 3))), "no '...'"),
    (lambda: ops.einsum(3, A), "must be a string"),
    (lambda: ops.top_k(A, 5), "k must be an int between 0 and the size of the last axis"),
    (lambda: ops.top_k(A, -1), "k must be an int"),
    (lambda: ops.tensordot(A, A, axes=3), "axes=3"),
    (lambda: ops.tensordot(A, A, axes=([0], [0, 1])), "equally long"),
    (lambda: ops.quantile(A, 1.5), "in \\[0, 1\\]"),
    (lambda: ops.quantile(A, 0.5, method="cubic"), "method must be one of"),
    (lambda: ops.slice(A, (2, 0), (2, 2)), "does not fit"),
    (lambda: ops.slice(A, (0,), (2, 2)), "one entry per axis"),
    (lambda: ops.slice_update(A, (0, 3), np.ones((1, 2))), "does not fit"),
    (lambda: ops.unstack(A, num=4), "num=4 does not match the size 3"),
    (lambda: ops.average(A, axis=0, weights=np.ones(4)), "weights of shape"),
    (lambda: ops.searchsorted(A, np.ones(2)), "1-D sorted_sequence"),
    (lambda: ops.searchsorted(A[0], np.ones(2), side="middle"), "side must be"),
    (lambda: ops.bincount(np.array([1, -1])), "non-negative"),
    (lambda: ops.bincount(np.array([1.0, 2.0])), "integers"),
    (lambda: ops.meshgrid(A, A[0]), "1-D inputs"),
    (lambda: ops.meshgrid(A[0], indexing="xz"), "indexing must be"),
    (lambda: ops.scatter_update(A, [[0]], np.ones((1, 3))), "updates"),
    (lambda: ops.scatter_update(A, [[0]], np.ones((1, 4)), reduction="prod"), "reduction"),
    (lambda: ops.select([A > 0], [A, A]), "equally long"),
    (lambda: ops.diagonal(A[0]), "rank 2 or more"),
    (lambda: ops.diag(A[None]), "a vector or a matrix"),
    (lambda: ops.tril(A[0]), "rank 2 or more"),
    (lambda: ops.cumsum(A, axis=2), "out of range"),
    (lambda: ops.sort(A, axis=-3), "out of range"),
    (lambda: ops.eye(-1), "non-negative int"),
])
def test_bad_arguments_get_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_adaptive_pool_ops_equal_the_layers_and_refuse_bad_sizes():
    x = np.random.default_rng(3).standard_normal((2, 7, 5, 3)).astype("float32")
    for op, layer in ((ops.adaptive_average_pool, kerasx.layers.AdaptiveAveragePooling2D),
                      (ops.adaptive_max_pool, kerasx.layers.AdaptiveMaxPooling2D)):
        np.testing.assert_array_equal(ops.convert_to_numpy(op(x, (3, 2))),
                                      ops.convert_to_numpy(layer((3, 2))(x)))
        first = op(np.moveaxis(x, -1, 1), 3, data_format="channels_first")
        assert tuple(first.shape) == (2, 3, 3, 3)
        with pytest.raises(ValueError, match="output_size"):
            op(x, (3, 0))
        with pytest.raises(ValueError, match="rank 3, 4 or 5"):
            op(x[0, 0], 2)
    np.testing.assert_allclose(ops.convert_to_numpy(ops.adaptive_average_pool(x, 1))[:, 0, 0],
                               x.mean(axis=(1, 2)), rtol=1e-5)
