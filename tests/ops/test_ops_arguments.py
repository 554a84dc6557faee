"""Ops called with Keras's less common arguments: `pad` in every mode, `norm` of every
order, `max` / `min` with `initial`, `prod` with `dtype` (and its gradient), `round`
with `decimals`, `moveaxis` of several axes, and Keras's argument names. Values against
Keras 3 golden values and float64 NumPy, gradients against finite differences."""

import math

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.backends import current
from kerasx.testing import OpCase, check_op_case
from tests.golden.loader import load_cases

rng = np.random.default_rng(29)
GOLDEN = load_cases("ops_arguments")


def to_numpy(x):
    return current().to_numpy(getattr(x, "value", x))


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_matches_keras(case):
    kwargs = {k: tuple(v) if k == "axis" and isinstance(v, list) else v
              for k, v in case["config"].items()}
    got = to_numpy(getattr(ops, case["op"])(current().asarray(case["arrays"]["x"]), **kwargs))
    expected = case["arrays"]["y"]
    assert str(got.dtype) == case["dtype"]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=2e-5, atol=2e-5)


PAD_WIDTHS = ((1, 3), (4, 0))  # wider than the axis on the first: reflections repeat


def _pad_case(mode):
    return OpCase(f"pad_{mode}", lambda x: ops.pad(x, PAD_WIDTHS, mode=mode),
                  lambda x: np.pad(x, PAD_WIDTHS, mode=mode), [rng.normal(size=(2, 3))])


def _norm_case(order, axis, shape=(3, 4, 2)):
    return OpCase(f"norm_{order}_{axis}", lambda x: ops.norm(x, ord=order, axis=axis),
                  lambda x: np.linalg.norm(x, ord=order, axis=axis),
                  [rng.normal(size=shape)], grad_rtol=1e-4)


ZERO_AT = np.array([[False, True, False], [False, False, False]])
CASES = [_pad_case(mode) for mode in ("constant", "edge", "linear_ramp", "maximum",
                                      "mean", "median", "minimum", "reflect",
                                      "symmetric", "wrap")]
CASES += [_norm_case(order, axis) for order, axis in [
    (None, None), (2, 1), (1, 0), (math.inf, -1), (-math.inf, 1), (3, 1), (0.5, 0),
    ("fro", (0, 1)), ("nuc", (0, 1)), (math.inf, (1, 0)), (-math.inf, (0, 1)), (1, (0, 2)),
    (-1, (2, 0)), (2, (0, 1)), (-2, (1, 2))]]
CASES += [
    OpCase("prod_with_a_zero", lambda x: ops.prod(ops.where(ZERO_AT, 0.0, x), axis=1),
           lambda x: np.prod(np.where(ZERO_AT, 0.0, x), axis=1), [rng.normal(size=(2, 3))]),
    OpCase("prod_two_axes_keepdims", lambda x: ops.prod(x, axis=(0, 2), keepdims=True),
           lambda x: np.prod(x, axis=(0, 2), keepdims=True), [rng.normal(size=(2, 3, 2))]),
    OpCase("max_initial", lambda x: ops.max(x, axis=0, initial=0.1),
           lambda x: np.max(x, axis=0, initial=0.1), [rng.normal(size=(3, 5))]),
    OpCase("min_initial", lambda x: ops.min(x, axis=1, initial=-0.1),
           lambda x: np.min(x, axis=1, initial=-0.1), [rng.normal(size=(3, 5))]),
    OpCase("moveaxis_two", lambda x: ops.moveaxis(x, (0, 2), (2, 1)),
           lambda x: np.moveaxis(x, (0, 2), (2, 1)), [rng.normal(size=(2, 3, 4))]),
    OpCase("rearrange_space_to_depth",
           lambda x: ops.rearrange(x, "b (h h1) (w w1) c -> b h w (c h1 w1)", h1=2, w1=2),
           lambda x: x.reshape(2, 2, 2, 3, 2, 3).transpose(0, 1, 3, 5, 2, 4).reshape(2, 2, 3, 12),
           [rng.normal(size=(2, 4, 6, 3))]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op_table(case):
    check_op_case(case)


def test_pad_width_forms_follow_numpy():
    x = np.arange(6.0).reshape(2, 3)
    for width in (2, (1,), (1, 2), ((1, 2),), ((1,), (2,)), ((0, 1), (2, 0)),
                  np.array([[1, 0], [0, 2]])):
        np.testing.assert_array_equal(to_numpy(ops.pad(x, width)), np.pad(x, width))
    np.testing.assert_array_equal(to_numpy(ops.pad(np.arange(3.0), (5, 4), mode="circular")),
                                  np.pad(np.arange(3.0), (5, 4), mode="wrap"))


def test_pad_inside_a_functional_model_round_trips_its_config():
    inputs = kerasx.Input((4, 3))
    model = kerasx.Model(inputs, ops.norm(ops.pad(inputs, ((0, 0), (2, 2), (0, 0)),
                                                  mode="reflect"), ord=1, axis=-1))
    again = kerasx.Model.from_config(model.get_config())
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    expected = np.abs(np.pad(x, ((0, 0), (2, 2), (0, 0)), mode="reflect")).sum(-1)
    np.testing.assert_allclose(again.predict(x, verbose=0), expected, rtol=1e-6)


def test_keras_argument_names():
    a, b = np.array([1.0, 2.0]), np.array([3.0, 5.0])
    np.testing.assert_array_equal(to_numpy(ops.add(x1=a, x2=b)), a + b)
    np.testing.assert_array_equal(to_numpy(ops.matmul(x1=a, x2=b)), a @ b)
    np.testing.assert_array_equal(to_numpy(ops.power(x1=a, x2=b)), a ** b)
    np.testing.assert_array_equal(to_numpy(ops.greater(x1=a, x2=b)), a > b)
    np.testing.assert_array_equal(to_numpy(ops.stack(x=[a, b], axis=1)), np.stack([a, b], 1))
    np.testing.assert_array_equal(to_numpy(ops.stop_gradient(variable=a)), a)


def test_prod_gradient_and_dtypes():
    x = kerasx.Variable(np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 4.0]]))
    with kerasx.GradientTape() as tape:
        y = ops.sum(ops.prod(x, axis=1))
    # each factor's gradient is the product of the others, zeros included
    np.testing.assert_array_equal(to_numpy(tape.gradient(y, x)),
                                  [[0.0, 6.0, 0.0], [0.0, 0.0, 0.0]])
    assert ops.prod(np.array([True, True])).dtype == "int32"
    assert ops.prod(np.array([2, 3], np.uint16)).dtype == "uint32"
    assert ops.prod(np.array([2, 3], np.int64)).dtype == "int64"
    assert ops.prod(np.array([2, 3], np.int32), dtype="float32").dtype == "float32"


def test_empty_reductions_give_initial():
    empty = np.zeros((0, 3), np.float32)
    np.testing.assert_array_equal(to_numpy(ops.max(empty, axis=0, initial=2.0)), [2.0] * 3)
    assert ops.min(empty, axis=0, keepdims=True, initial=1.0).shape == (1, 3)


def test_round_decimals_on_integers_and_floats():
    np.testing.assert_array_equal(to_numpy(ops.round(np.array([15, 25, -35]), decimals=-1)),
                                  [20, 20, -40])
    np.testing.assert_array_equal(to_numpy(ops.round(np.array([15, 25]), decimals=2)),
                                  [15, 25])
    np.testing.assert_allclose(to_numpy(ops.round(np.array([1.2345, -2.5]), decimals=2)),
                               [1.23, -2.5])


def test_errors():
    x = np.ones((2, 3))
    with pytest.raises(ValueError, match="constant_values.*only be provided.*'reflect'"):
        ops.pad(x, 1, mode="reflect", constant_values=2.0)
    with pytest.raises(ValueError, match="unknown mode 'mirror'"):
        ops.pad(x, 1, mode="mirror")
    with pytest.raises(ValueError, match="non-negative integer.*received"):
        ops.pad(x, ((1, 2, 3),))
    with pytest.raises(ValueError, match="non-negative integer"):
        ops.pad(x, -1)
    with pytest.raises(ValueError, match="cannot pad axis 0, which is empty"):
        ops.pad(np.ones((0, 2)), 1, mode="edge")
    with pytest.raises(ValueError, match="invalid order 'fro' for vector norms"):
        ops.norm(x, ord="fro", axis=0)
    with pytest.raises(ValueError, match="invalid order 3 for matrix norms"):
        ops.norm(x, ord=3)
    with pytest.raises(ValueError, match="1-D or 2-D input"):
        ops.norm(np.ones((2, 2, 2)), ord=1)
    with pytest.raises(ValueError, match="axis must be one int or a pair"):
        ops.norm(x, axis=(0, 0))
    with pytest.raises(ValueError, match="moveaxis: source and destination"):
        ops.moveaxis(x, (0, 1), (1,))
    with pytest.raises(ValueError, match="sparse=True is not supported"):
        ops.one_hot(np.array([0, 1]), 2, sparse=True)


@pytest.mark.parametrize("pattern, lengths, match", [
    ("a b c", {}, "one '->'"),
    ("a b -> a b", {}, "names 2 input axes, the tensor has 3"),
    ("a b c -> a b", {}, "only in the input: \\['c'\\]"),
    ("a a c -> a c", {}, "appears twice"),
    ("a (b1 b2) c -> a b1 b2 c", {}, "cannot infer the sizes of \\['b1', 'b2'\\]"),
    ("a (b1 b2) c -> a b1 b2 c", {"b1": 4}, "cannot be split"),
    ("a (b1 b2) c -> a b1 b2 c", {"b1": 2, "b2": 2}, "does not match the axis of size 6"),
    ("a b c -> a c b", {"z": 2}, "does not have: \\['z'\\]"),
    ("a b c -> a c b!", {}, "unexpected '!'"),
])
def test_rearrange_errors(pattern, lengths, match):
    with pytest.raises(ValueError, match=match):
        ops.rearrange(np.ones((2, 6, 3)), pattern, **lengths)


def test_rearrange_in_a_functional_model_writes_keras_einops_node():
    inputs = kerasx.Input((4, 6, 3))
    model = kerasx.Model(inputs, ops.rearrange(inputs, "b (h h1) w c -> b h (w h1 c)", h1=2))
    entry = model.get_config()["layers"][1]
    assert (entry["class_name"], entry["module"]) == ("Rearrange", "keras.src.ops.einops")
    assert entry["config"]["h1"] == 2
    x = rng.normal(size=(2, 4, 6, 3)).astype("float32")
    again = kerasx.Model.from_config(model.get_config())
    np.testing.assert_array_equal(again.predict(x, verbose=0),
                                  x.reshape(2, 2, 2, 6, 3).transpose(0, 1, 3, 2, 4).reshape(2, 2, 36))
