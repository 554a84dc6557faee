"""Segment reductions and `scatter`: values against NumPy's `ufunc.at` on the valid ids,
gradients against finite differences, the values of empty segments, dropped ids, ties,
dtypes and bad arguments."""

import numpy as np
import pytest

import kerasx
from kerasx import GradientTape, Variable, ops
from kerasx.testing import OpCase, check_op_case, float64
from tests.conftest import to_numpy

rng = np.random.default_rng(17)
IDS = np.array([2, 0, 2, -1, 1, 2, 0, 5])
# distinct values far apart against the finite-difference step, so maxima are unique
DATA = rng.permutation(np.arange(24.0)).reshape(8, 3) * 0.37 - 4.0
WITH_ZEROS = np.array([[1.5, 0.0], [0.7, 2.0], [0.0, -1.2], [0.9, 0.0], [-0.8, 1.1],
                       [0.0, 0.0], [1.3, 0.6], [2.0, 0.5]])


def _reference(ufunc, identity):
    def reduce(data, ids=IDS, num_segments=4):
        out = np.full((num_segments,) + data.shape[1:], identity, dtype=data.dtype)
        keep = (ids >= 0) & (ids < num_segments)
        ufunc.at(out, ids[keep], data[keep])
        return out

    return reduce


def _case(name, op, ufunc, identity, data, ids=IDS, num_segments=4):
    return OpCase(name, lambda d: op(d, ids, num_segments=num_segments),
                  lambda d: _reference(ufunc, identity)(d, ids, num_segments), [data])


CASES = [
    _case("segment_sum", ops.segment_sum, np.add, 0.0, DATA),
    _case("segment_max", ops.segment_max, np.maximum, -np.inf, DATA[:, :2], num_segments=3),
    _case("segment_min", ops.segment_min, np.minimum, np.inf, DATA, num_segments=3),
    _case("segment_prod", ops.segment_prod, np.multiply, 1.0, rng.uniform(0.5, 1.5, (8, 2))),
    # one zero in a segment, two in another: the partials are products of the others
    _case("segment_prod_zeros", ops.segment_prod, np.multiply, 1.0, WITH_ZEROS),
    _case("segment_sum_3d", ops.segment_sum, np.add, 0.0, rng.standard_normal((8, 2, 3))),
    _case("segment_max_1d", ops.segment_max, np.maximum, -np.inf, DATA[:, 0], num_segments=3),
    OpCase("scatter", lambda v: ops.scatter(np.array([[0, 1], [2, 0], [0, 1]]), v, (3, 2)),
           lambda v: np.array([[0.0, v[0] + v[2]], [0.0, 0.0], [v[1], 0.0]]),
           [rng.standard_normal(3)]),
    OpCase("scatter_rows", lambda v: ops.scatter(np.array([[1], [0], [1]]), v, (3, 4)),
           lambda v: np.stack([v[1], v[0] + v[2], np.zeros(4)]), [rng.standard_normal((3, 4))]),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_segment_case(case):
    check_op_case(case)


def test_ids_outside_the_segments_are_dropped_and_empty_segments_hold_the_identity():
    data = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]], np.float32)
    ids = np.array([0, 2, 2, -1])
    expected = {
        ops.segment_sum: [[1, 2], [0, 0], [8, 10], [0, 0]],
        ops.segment_max: [[1, 2], [-np.inf, -np.inf], [5, 6], [-np.inf, -np.inf]],
        ops.segment_min: [[1, 2], [np.inf, np.inf], [3, 4], [np.inf, np.inf]],
        ops.segment_prod: [[1, 2], [1, 1], [15, 24], [1, 1]],
    }
    for op, values in expected.items():
        out = op(data, ids, num_segments=4)
        assert out.dtype == "float32"
        np.testing.assert_array_equal(to_numpy(out), values)
    # an id past the last segment is dropped too (as Keras's JAX backend does)
    np.testing.assert_array_equal(
        to_numpy(ops.segment_sum(data, np.array([0, 5, 1, 1]), num_segments=3)),
        [[1, 2], [12, 14], [0, 0]])


def test_the_number_of_segments_defaults_to_the_largest_id_plus_one():
    out = ops.segment_sum(np.arange(5.0), np.array([0, 3, 3, 1, 0]))
    np.testing.assert_array_equal(to_numpy(out), [4.0, 3.0, 0.0, 3.0])


def test_integer_data_keeps_its_type_and_empty_extrema_are_its_limits():
    data = np.array([1, 2, 3], np.int32)
    ids = np.array([0, 0, 2])
    assert ops.segment_sum(data, ids, 3).dtype == "int32"
    np.testing.assert_array_equal(to_numpy(ops.segment_sum(data, ids, 3)), [3, 0, 3])
    np.testing.assert_array_equal(to_numpy(ops.segment_max(data, ids, 3)),
                                  [2, np.iinfo(np.int32).min, 3])
    np.testing.assert_array_equal(to_numpy(ops.segment_min(data, ids, 3)),
                                  [1, np.iinfo(np.int32).max, 3])
    np.testing.assert_array_equal(to_numpy(ops.segment_prod(data, ids, 3)), [2, 1, 3])


def test_sorted_ids_give_the_same_result():
    ids = np.array([0, 0, 1, 1, 1, 3])
    data = rng.standard_normal((6, 2))
    for op in (ops.segment_sum, ops.segment_max, ops.segment_min, ops.segment_prod):
        np.testing.assert_allclose(to_numpy(op(data, ids, 4, sorted=True)),
                                   to_numpy(op(data, ids, 4)))


def test_segment_max_splits_the_gradient_between_ties():
    with float64():
        x = Variable(np.array([[2.0], [2.0], [1.0], [2.0], [3.0]]))
        with GradientTape() as tape:
            total = ops.sum(ops.segment_max(x, np.array([0, 0, 0, 1, 1]), 2) *
                            np.array([[6.0], [10.0]]))
        grad = to_numpy(tape.gradient(total, x))
    np.testing.assert_allclose(grad, [[3.0], [3.0], [0.0], [0.0], [10.0]])


@pytest.mark.parametrize("call, message", [
    (lambda: ops.segment_sum(np.ones((4, 2)), np.zeros((4, 1), np.int32)), "1-D"),
    (lambda: ops.segment_max(np.ones((4, 2)), np.zeros(3, np.int32), 2), "one id per row"),
    (lambda: ops.segment_min(np.ones(3), np.zeros(3), 2), "integers"),
    (lambda: ops.segment_prod(np.ones(3), np.zeros(3, np.int32), -1), "non-negative"),
    (lambda: ops.segment_sum(np.ones(3), np.zeros(3, np.int32), 2, sorted="yes"), "boolean"),
])
def test_segment_ops_reject_bad_arguments(call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call()


def test_scatter_sums_duplicates_like_keras():
    out = ops.scatter(np.array([[0, 1], [1, 1], [0, 1]]), np.array([1.0, 2.0, 3.0]), (2, 2))
    np.testing.assert_array_equal(to_numpy(out), [[0.0, 4.0], [0.0, 2.0]])
    batched = ops.scatter(np.array([[[1], [0]], [[1], [2]]]), np.arange(4.0).reshape(2, 2), (3,))
    np.testing.assert_array_equal(to_numpy(batched), [1.0, 2.0, 3.0])
    assert ops.scatter(np.array([[1]]), np.array([2], np.int32), (3,)).dtype == "int32"


@pytest.mark.parametrize("indices, values, shape, message", [
    (np.array([[0, 3]]), np.ones(1), (2, 2), "must lie"),
    (np.array([[0, 1]]), np.ones(2), (2, 2), r"values of shape \(1,\)"),
    (np.array([[0, 1, 0]]), np.ones(1), (2, 2), "k <= 2"),
    (np.array([[0.0, 1.0]]), np.ones(1), (2, 2), "integers"),
    (np.array([[0, 1]]), np.ones(1), "2x2", "sequence of integers"),
])
def test_scatter_rejects_bad_arguments(indices, values, shape, message):
    with pytest.raises(ValueError, match=message):
        ops.scatter(indices, values, shape)


def test_segment_sum_and_scatter_in_a_functional_model():
    inp = kerasx.Input(batch_shape=(4, 3))
    summed = ops.segment_sum(inp, np.array([1, 0, 1, 1]), num_segments=2)
    placed = ops.scatter(np.array([[2], [0]]), inp[:2], (3, 3))
    model = kerasx.Model(inp, [summed, placed])
    x = np.arange(12.0, dtype=np.float32).reshape(4, 3)
    got_sum, got_placed = model(x)
    np.testing.assert_allclose(to_numpy(got_sum), [x[1], x[0] + x[2] + x[3]])
    np.testing.assert_allclose(to_numpy(got_placed), [x[1], np.zeros(3), x[0]])
