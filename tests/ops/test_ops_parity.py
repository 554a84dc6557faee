"""Keras 3 parity of `kerasx.ops`: `scatter_update` with every reduction (values and
gradients against JAX's, ties split evenly; float64 finite differences), the result
dtypes of every op over a sweep of input dtypes against Keras on JAX, `array` /
`convert_to_tensor` of Python data, `argmax` / `argmin` ranking -0.0 below 0.0 only
where an extremum is zero, and the symbolic shapes of ops whose output size depends
on the values."""

import numpy as np
import pytest

import kerasx
from kerasx import GradientTape, Variable, ops
from kerasx.backends import current
from kerasx.testing import OpCase, check_op_case
from tests.conftest import to_numpy
from tests.golden.loader import load_cases
from tests.ops.ops_parity_sweep import differences

rng = np.random.default_rng(57)
GOLDEN = load_cases("ops_parity")


def _kind(kind):
    cases = [c for c in GOLDEN if c.get("kind") == kind]
    return pytest.mark.parametrize("case", cases, ids=[c["name"] for c in cases])


# ---------------------------------------------------------------- scatter_update

@_kind("scatter")
def test_scatter_update_matches_keras(case):
    a = case["arrays"]
    backend = current()
    inputs, updates = a["inputs"], a["updates"]
    reduction = case["reduction"]
    out = ops.scatter_update(backend.asarray(inputs), backend.asarray(a["indices"]),
                             backend.asarray(updates), reduction=reduction)
    assert str(to_numpy(out).dtype) == case["dtype"]
    np.testing.assert_allclose(to_numpy(out), a["y"], rtol=1e-6, atol=1e-6)
    if "proj" not in a:
        return
    x, u = Variable(inputs), Variable(updates)
    with GradientTape() as tape:
        y = ops.sum(ops.scatter_update(x, a["indices"], u, reduction=reduction) * a["proj"])
    d_inputs, d_updates = tape.gradient(y, [x, u])
    np.testing.assert_allclose(to_numpy(d_inputs), a["d_inputs"], rtol=1e-6, atol=1e-6)
    if "d_updates" in a:
        np.testing.assert_allclose(to_numpy(d_updates), a["d_updates"], rtol=1e-5, atol=1e-6)


def _scatter_reference(kind):
    combine = {"max": np.maximum, "min": np.minimum, "mul": np.multiply}[kind]

    def reference(x, indices, u):
        out = x.copy()
        combine.at(out, tuple(np.asarray(indices).T), u)
        return out

    return reference


ROWS = np.array([[2], [0], [2], [3]])
ENTRIES = np.array([[1, 0], [2, 3], [1, 0]])
CASES = []
for _kind_name in ("max", "min", "mul"):
    _ref = _scatter_reference(_kind_name)
    CASES += [
        OpCase(f"scatter_update_{_kind_name}_rows",
               lambda x, u, r=_kind_name: ops.scatter_update(x, ROWS, u, reduction=r),
               lambda x, u, f=_ref: f(x, ROWS, u),
               [rng.normal(size=(4, 3)), rng.normal(size=(4, 3))]),
        OpCase(f"scatter_update_{_kind_name}_entries",
               lambda x, u, r=_kind_name: ops.scatter_update(x, ENTRIES, u, reduction=r),
               lambda x, u, f=_ref: f(x, ENTRIES, u),
               [rng.normal(size=(3, 4)), rng.normal(size=(3,))]),
        OpCase(f"scatter_update_{_kind_name}_broadcast_slices",
               lambda x, u, r=_kind_name: ops.scatter_update(x, ROWS[:3], u, reduction=r),
               lambda x, u, f=_ref: f(x, ROWS[:3], np.broadcast_to(u, (3, 2, 2))),
               [rng.normal(size=(4, 2, 2)), rng.normal(size=(2,))]),
    ]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_scatter_update_reductions_and_gradients(case):
    check_op_case(case)


def test_scatter_update_ties_share_the_gradient():
    x = Variable(np.array([[1.0, 4.0]], "float32"))
    u = Variable(np.array([[1.0, 2.0], [1.0, 4.0], [0.0, 4.0]], "float32"))
    with GradientTape() as tape:
        y = ops.sum(ops.scatter_update(x, [[0], [0], [0]], u, reduction="max"))
    dx, du = tape.gradient(y, [x, u])
    # column 0: the entry and two updates tie at 1; column 1: the entry and two at 4
    np.testing.assert_allclose(to_numpy(dx), [[1 / 3, 1 / 3]])
    np.testing.assert_allclose(to_numpy(du), [[1 / 3, 0.0], [1 / 3, 1 / 3], [0.0, 1 / 3]])


def test_scatter_update_product_gradient_with_repeated_entries_and_zeros():
    x = Variable(np.array([2.0, 3.0], "float64"))
    u = Variable(np.array([4.0, 0.0, 5.0], "float64"))
    with GradientTape() as tape:
        y = ops.sum(ops.scatter_update(x, [[0], [0], [1]], u, reduction="mul"))
    dx, du = tape.gradient(y, [x, u])
    np.testing.assert_allclose(to_numpy(dx), [0.0, 5.0])
    np.testing.assert_allclose(to_numpy(du), [0.0, 8.0, 3.0])


def test_scatter_update_integers_keep_their_dtype():
    x = np.array([3, -1, 8], "int32")
    for reduction, expected in (("max", [5, -1, 8]), ("min", [3, -4, 8]), ("mul", [15, 4, 8]),
                                ("add", [8, -5, 8])):
        out = ops.scatter_update(x, [[0], [1]], np.array([5, -4], "int32"),
                                 reduction=reduction)
        assert to_numpy(out).dtype == np.int32
        np.testing.assert_array_equal(to_numpy(out), expected)


def test_scatter_update_rejects_unknown_reductions():
    x = np.zeros((3, 2))
    for reduction in ("prod", "sum", 1, ""):
        with pytest.raises(ValueError, match="'add', 'max', 'min' or 'mul'"):
            ops.scatter_update(x, [[0]], np.ones((1, 2)), reduction=reduction)


def test_symbolic_scatter_update_with_a_reduction_round_trips():
    inputs = kerasx.Input((4,))
    out = ops.scatter_update(inputs, [[0, 1], [1, 3]], [2.0, 3.0], reduction="max")
    assert out.shape == (None, 4) and out.dtype == "float32"
    model = kerasx.Model(inputs, out)
    again = kerasx.Model.from_config(model.get_config())
    x = np.arange(8, dtype="float32").reshape(2, 4) - 3.0
    expected = x.copy()
    expected[0, 1], expected[1, 3] = max(x[0, 1], 2.0), max(x[1, 3], 3.0)
    np.testing.assert_array_equal(to_numpy(again(x)), expected)


# ---------------------------------------------------------------- dtype sweep

# Where kerasx knowingly gives another dtype than Keras on JAX (or refuses), by op:
# the argument combinations left out of the sweep's check, and why.
KNOWN = {
    # Keras converts the Python float to a float32 tensor before promoting for these ops,
    # but keeps it weak for others (append, kron); kerasx keeps a Python number weak.
    **{op: lambda k: "pyfloat" in k and "float16" in k
       for op in ("arctan2", "logaddexp", "logaddexp2", "append", "kron")},
    # float16 meeting other types in cross-entropies, correlate and solve_triangular:
    # Keras computes in one operand's type; kerasx promotes both first.
    **{op: lambda k: "float16" in k for op in ("binary_crossentropy", "categorical_crossentropy",
                                               "correlate", "solve_triangular", "lstsq",
                                               "solve", "cholesky_inverse", "det")},
    # Keras's two backends disagree: NumPy counts histograms in int64, JAX in floats
    "histogram": lambda k: True,
    # Keras's JAX backend keeps integers through these (a truncated result); kerasx
    # computes in floatx
    **{op: lambda k: k.split(",")[0] in ("bool", "int32", "int64")
       for op in ("layer_normalization", "rms_normalization", "image.sobel_edges")},
    # two booleans: Keras on JAX gives float32, its NumPy backend bool (kerasx)
    "heaviside": lambda k: k == "bool,bool",
    # the template puts a Python number where the op wants a tensor, or arrays where it
    # wants shapes and numbers (percentile's q, roll's shift, unravel_index's shape)
    **{op: lambda k: k.startswith("py") for op in ("roll", "percentile", "nanpercentile")},
    **{op: lambda k: True for op in ("unravel_index", "quantile", "nanquantile")},
    # dstack of one tensor: Keras reads it as the sequence of its rows, kerasx wants a list
    "dstack": lambda k: True,
    # kerasx's convolutions want a kernel of rank >= 3, where Keras also takes the
    # template's (2, 3) kernel; cross products and distances refuse booleans
    **{op: lambda k: True for op in ("conv", "conv_transpose", "depthwise_conv")},
    **{op: lambda k: "bool" in k for op in ("cross", "cdist")},
}
_SWEEP = [c for c in GOLDEN if c.get("kind") == "dtypes"]


@pytest.mark.parametrize("case", _SWEEP, ids=[c["op"] for c in _SWEEP])
def test_result_dtypes_match_keras(case):
    skip = KNOWN.get(case["op"], lambda key: False)
    # array_api_strict refuses float16 and many mixed-type operations the array API
    # leaves undefined (kerasx raises there); what it computes must still match
    strict = current().name == "array_api_strict"
    assert differences(case, skip, refusals=not strict) == {}


# ---------------------------------------------------------------- Python data

@_kind("python_data")
def test_python_data_takes_keras_dtypes(case):
    out = getattr(ops, case["op"])(case["data"])
    got = to_numpy(out)
    assert str(got.dtype) == case["dtype"]
    np.testing.assert_array_equal(got, case["arrays"]["y"])


def test_python_data_keeps_what_does_not_fit_and_numpy_scalars():
    assert ops.array([2 ** 40, 1]).dtype == "int64"
    assert ops.array(np.float64(1.5)).dtype == "float64"
    assert ops.convert_to_tensor([1, 2], dtype="float64").dtype == "float64"


# ---------------------------------------------------------------- argmax / argmin

@_kind("arg_extremum")
def test_arg_extrema_match_keras(case):
    a = case["arrays"]
    got = to_numpy(getattr(ops, case["op"])(current().asarray(a["x"]), **case["config"]))
    assert got.dtype == np.int32
    np.testing.assert_array_equal(got, a["y"])


@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_arg_extrema_rank_negative_zero_below_zero(op):
    for _ in range(40):
        shape = tuple(rng.integers(1, 5, size=rng.integers(1, 4)))
        x = rng.choice([-0.0, 0.0, -1.0, 1.0, -2.0], size=shape)
        ranked = np.where((x == 0) & np.signbit(x), -1e-30, x)
        for axis in [None] + list(range(-len(shape), len(shape))):
            for keepdims in (False, True):
                got = to_numpy(getattr(ops, op)(x, axis=axis, keepdims=keepdims))
                expected = getattr(np, op)(ranked, axis=axis, keepdims=keepdims)
                assert got.dtype == np.int32 and got.shape == expected.shape
                np.testing.assert_array_equal(got, expected)


# ---------------------------------------------------------------- symbolic shapes

def _shapes(out):
    outs = out if isinstance(out, (tuple, list)) else [out]
    return [list(o.shape) for o in outs], [o.dtype for o in outs]


@_kind("symbolic")
def test_value_sized_outputs_are_unknown_symbolically(case):
    x = kerasx.Input((3, 2))
    calls = {"symbolic_nonzero": lambda: ops.nonzero(x),
             "symbolic_unique": lambda: ops.unique(x, return_inverse=True, return_counts=True),
             "symbolic_unique_axis": lambda: ops.unique(x, return_index=True, axis=1)}
    assert _shapes(calls[case["name"]]()) == (case["shapes"], case["dtypes"])


def test_symbolic_where_with_the_condition_alone_is_like_nonzero():
    # Keras's symbolic where(condition) claims one tensor of the condition's shape while
    # its eager call returns a tuple of index arrays; kerasx follows the eager result
    (keras_only,) = [c for c in GOLDEN if c["name"] == "symbolic_where_condition"]
    assert keras_only["shapes"] == [[None, 3, 2]]
    x = kerasx.Input((3, 2))
    assert _shapes(ops.where(x > 0)) == _shapes(ops.nonzero(x)) == \
        ([[None], [None], [None]], ["int32"] * 3)
    model = kerasx.Model(x, ops.where(x > 0))
    again = kerasx.Model.from_config(model.get_config())
    assert [list(t.shape) for t in again.outputs] == [[None]] * 3
    data = np.array([[[1, 0], [0, 2], [3, 0]]], "float32")
    for got, expected in zip(again(data), np.nonzero(data > 0)):
        np.testing.assert_array_equal(to_numpy(got), expected)
    assert list(ops.unique(x, size=4).shape) == [4]
