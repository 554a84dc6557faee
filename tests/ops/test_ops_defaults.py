"""Ops with Keras's defaults and argument kinds: `concatenate` joins along axis 0 (or
flattened for None), `argmax` / `argmin` give the int32 flattened index without `axis`,
`tile` takes an int or a short or long `repeats`, `scatter_update` broadcasts its
updates, `take_along_axis` without `axis` indexes the flattened input, `where` with
the condition alone gives the nonzero indices, `reshape` / `zeros` / `ones` take an int
shape, `arange` infers int32 or floatx and `repeat` takes one count per entry. Values against Keras 3 golden values and
float64 NumPy, gradients against finite differences."""

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.backends import current
from kerasx.testing import OpCase, check_op_case
from tests.golden.loader import load_cases

rng = np.random.default_rng(31)
GOLDEN = load_cases("ops_defaults")


def to_numpy(x):
    return current().to_numpy(getattr(x, "value", x))


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_matches_keras(case):
    arrays = case["arrays"]
    inputs = [arrays[f"x{i}"].item() if i in case["python_scalars"] else
              current().asarray(arrays[f"x{i}"]) for i in range(case["n_inputs"])]
    fn = getattr(ops, case["op"])
    out = fn(inputs, **case["config"]) if case["as_list"] else fn(*inputs, **case["config"])
    if case["n_outputs"]:
        assert isinstance(out, tuple) and len(out) == case["n_outputs"]
        pairs = [(to_numpy(o), arrays[f"y{i}"]) for i, o in enumerate(out)]
    else:
        pairs = [(to_numpy(out), arrays["y"])]
    for got, expected in pairs:
        assert str(got.dtype) == case["dtype"]
        assert got.shape == expected.shape
        np.testing.assert_array_equal(got, expected)


def _scatter_reference(inputs, rows, updates, add=False):
    out = inputs.copy()
    for row, update in zip(rows, np.broadcast_to(updates, (len(rows),) + inputs.shape[1:])):
        out[row] = out[row] + update if add else update
    return out


ROWS = np.array([[2], [0]])
REPEATED_ROWS = np.array([[1], [1], [3]])
CASES = [
    OpCase("concatenate_default_axis", lambda a, b: ops.concatenate([a, b]),
           lambda a, b: np.concatenate([a, b]), [rng.normal(size=(2, 3)), rng.normal(size=(1, 3))]),
    OpCase("concatenate_axis_none", lambda a, b: ops.concatenate([a, b], axis=None),
           lambda a, b: np.concatenate([a, b], axis=None),
           [rng.normal(size=(2, 3)), rng.normal(size=(4,))]),
    OpCase("tile_int", lambda x: ops.tile(x, 3), lambda x: np.tile(x, 3),
           [rng.normal(size=(2, 3))]),
    OpCase("tile_short_repeats", lambda x: ops.tile(x, (2, 1)), lambda x: np.tile(x, (2, 1)),
           [rng.normal(size=(2, 3, 2))]),
    OpCase("tile_long_repeats", lambda x: ops.tile(x, (2, 1, 3)),
           lambda x: np.tile(x, (2, 1, 3)), [rng.normal(size=(3,))]),
    OpCase("take_along_axis_flat", lambda x: ops.take_along_axis(x, np.array([5, 0, 5, 2])),
           lambda x: np.take_along_axis(x, np.array([5, 0, 5, 2]), axis=None),
           [rng.normal(size=(2, 3))]),
    OpCase("scatter_update_broadcast_row",
           lambda x, u: ops.scatter_update(x, ROWS, u),
           lambda x, u: _scatter_reference(x, ROWS[:, 0], u),
           [rng.normal(size=(4, 3)), rng.normal(size=(3,))]),
    OpCase("scatter_update_broadcast_scalar",
           lambda x, u: ops.scatter_update(x, ROWS, u),
           lambda x, u: _scatter_reference(x, ROWS[:, 0], u),
           [rng.normal(size=(4, 3)), rng.normal(size=())]),
    OpCase("scatter_update_broadcast_leading_one",
           lambda x, u: ops.scatter_update(x, REPEATED_ROWS, u),
           lambda x, u: _scatter_reference(x, REPEATED_ROWS[:, 0], u),
           [rng.normal(size=(4, 3)), rng.normal(size=(1, 3))]),
    OpCase("scatter_update_add_broadcast",
           lambda x, u: ops.scatter_update(x, REPEATED_ROWS, u, reduction="add"),
           lambda x, u: _scatter_reference(x, REPEATED_ROWS[:, 0], u, add=True),
           [rng.normal(size=(4, 3)), rng.normal(size=(3,))]),
    OpCase("repeat_counts", lambda x: ops.repeat(x, [2, 0, 3], axis=1),
           lambda x: np.repeat(x, [2, 0, 3], axis=1), [rng.normal(size=(2, 3))]),
    OpCase("repeat_counts_flat", lambda x: ops.repeat(x, [1, 2, 0, 1, 1, 3]),
           lambda x: np.repeat(x, [1, 2, 0, 1, 1, 3]), [rng.normal(size=(2, 3))]),
    OpCase("repeat_one_count_in_a_list", lambda x: ops.repeat(x, [2], axis=0),
           lambda x: np.repeat(x, [2], axis=0), [rng.normal(size=(2, 3))]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op_table(case):
    check_op_case(case)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_arg_extrema_follow_numpy_with_int32_indices(op):
    x = rng.normal(size=(3, 4, 5))
    fn, reference = getattr(ops, op), getattr(np, op)
    for axis in (None, 0, -1, 2):
        for keepdims in (False, True):
            got = to_numpy(fn(x, axis=axis, keepdims=keepdims))
            assert got.dtype == np.int32
            np.testing.assert_array_equal(got, reference(x, axis=axis, keepdims=keepdims))
    ints = np.array([[3, 1, 3], [0, 0, -2]])
    assert to_numpy(fn(ints)).dtype == np.int32
    np.testing.assert_array_equal(to_numpy(fn(ints, axis=1)), reference(ints, axis=1))


def test_negative_zero_ranks_below_zero():
    zeros = np.array([-0.0, 0.0, -0.0])
    assert int(to_numpy(ops.argmax(zeros))) == 1
    assert int(to_numpy(ops.argmin(-zeros))) == 1
    assert int(to_numpy(ops.argmin(np.array([0.0, -0.0])))) == 1


def test_where_with_the_condition_alone_gives_nonzero_indices():
    condition = np.array([[0, 2, 0], [1, 0, 3]])
    got = ops.where(condition)
    assert isinstance(got, tuple) and len(got) == 2
    for indices, expected in zip(got, np.nonzero(condition)):
        np.testing.assert_array_equal(to_numpy(indices), expected)


def test_int_shapes_and_arange_dtypes():
    assert ops.reshape(np.zeros((2, 3)), 6).shape == (6,)
    assert ops.zeros(3).shape == (3,) and ops.ones(np.int64(2)).shape == (2,)
    assert ops.zeros(3).dtype == kerasx.config.floatx()
    assert [ops.arange(*bounds).dtype for bounds in [(4,), (np.int64(4),), (1, 3.5),
                                                      (0, 2, 0.5), (np.float64(2.0),)]] == \
        ["int32", "int32", "float32", "float32", "float32"]
    assert ops.arange(3, dtype="int64").dtype == "int64"
    np.testing.assert_array_equal(to_numpy(ops.arange(1, 2, 0.25)), np.arange(1, 2, 0.25))


def test_accuracy_still_compares_class_indices():
    metric = kerasx.metrics.CategoricalAccuracy()
    metric.update_state(np.eye(3)[[0, 2, 1]], np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1],
                                                         [0.1, 0.8, 0.1]]))
    assert float(to_numpy(metric.result())) == pytest.approx(2 / 3)


def test_concatenate_default_inside_a_functional_model_round_trips():
    a, b = kerasx.Input((3,)), kerasx.Input((3,))
    model = kerasx.Model([a, b], ops.concatenate([a, b]))
    config = model.get_config()
    assert [layer["config"]["axis"] for layer in config["layers"]
            if layer["class_name"] == "Concatenate"] == [0]
    again = kerasx.Model.from_config(config)
    x, y = rng.normal(size=(2, 3)).astype("float32"), rng.normal(size=(4, 3)).astype("float32")
    np.testing.assert_array_equal(to_numpy(again([x, y])), np.concatenate([x, y]))


def test_bad_arguments_say_what_was_expected():
    x = np.zeros((4, 3))
    with pytest.raises(TypeError, match="repeats"):
        ops.tile(x, 1.5)
    with pytest.raises(TypeError, match="repeats"):
        ops.tile(x, (2, -1))
    with pytest.raises(TypeError, match="repeats"):
        ops.repeat(x, [1.5, 2.0, 1.0], axis=1)
    with pytest.raises(ValueError, match="one count per entry"):
        ops.repeat(x, [1, 2], axis=1)
    with pytest.raises(TypeError, match="axis"):
        ops.argmax(x, axis=(0, 1))
    with pytest.raises(ValueError, match="both"):
        ops.where(x > 0, 1.0)
    with pytest.raises(ValueError, match="1-D"):
        ops.take_along_axis(x, np.zeros((2, 1), "int32"))
    with pytest.raises(ValueError, match="broadcasts"):
        ops.scatter_update(x, [[0], [1]], np.ones((2, 2)))
