"""`cdist`, `view_as_complex`, `view_as_real`: op-table cases (forward against float64
NumPy, float32, gradients against finite differences), Keras golden values, dtypes,
symbolic use and errors."""

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.backends import current
from kerasx.testing import OpCase, check_op_case
from tests.golden.loader import case_ids, load_cases

rng = np.random.default_rng(17)


def to_numpy(x):
    return current().to_numpy(getattr(x, "value", x))


def cdist_reference(x, y):
    return np.sqrt(((x[..., :, None, :] - y[..., None, :, :]) ** 2).sum(-1))


def round_trip(x):
    """A real function through a complex tensor: parts scaled, summed and split again."""
    z = ops.view_as_complex(x)
    return ops.multiply(ops.view_as_real(ops.add(z, z)), 1.5)


CASES = [
    OpCase("cdist_2d", ops.cdist, cdist_reference, [rng.normal(size=(3, 4)),
                                                     rng.normal(size=(5, 4))]),
    OpCase("cdist_batch_broadcast", ops.cdist, cdist_reference,
           [rng.normal(size=(2, 1, 3, 2)), rng.normal(size=(4, 5, 2))]),
    OpCase("cdist_one_feature", ops.cdist, cdist_reference,
           [rng.normal(size=(2, 3, 1)), rng.normal(size=(2, 2, 1))]),
    OpCase("view_as_complex_real_round_trip", round_trip, lambda x: 3.0 * x,
           [rng.normal(size=(3, 4, 2))]),
    OpCase("view_as_real_of_real", ops.view_as_real,
           lambda x: np.stack([x, np.zeros_like(x)], -1), [rng.normal(size=(2, 3))]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op_table(case):
    check_op_case(case)


GOLDEN = [c for c in load_cases("layers_more") if c["kind"] == "op"]


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    a = case["arrays"]
    backend = current()
    args = [backend.asarray(a["x"])] + ([backend.asarray(a["y"])] if "y" in a else [])
    out = to_numpy(getattr(ops, case["class"])(*args))
    assert out.dtype == a["out"].dtype
    np.testing.assert_allclose(out, a["out"], rtol=1e-6, atol=1e-6)
    if "proj" in a:
        variables = [kerasx.Variable(v) for v in args]
        with kerasx.GradientTape() as tape:
            loss = ops.sum(getattr(ops, case["class"])(*variables) * backend.asarray(a["proj"]))
        for g, key in zip(tape.gradient(loss, variables), ("dx", "dy")):
            np.testing.assert_allclose(to_numpy(g), a[key], rtol=1e-5, atol=1e-6)


def test_cdist_dtypes_and_zero_distance_gradient():
    backend = current()
    ints = backend.asarray(np.array([[0, 0], [3, 4]], np.int32))
    assert ops.cdist(ints, ints).dtype == "float32"
    wide = ops.cdist(backend.asarray(np.ones((2, 2), np.float32)),
                     backend.asarray(np.ones((3, 2), np.float64)))
    assert wide.dtype == "float64"
    x = kerasx.Variable(backend.asarray(np.array([[1.0, 2.0], [0.0, 0.0]], np.float32)))
    with kerasx.GradientTape() as tape:
        loss = ops.sum(ops.cdist(x, x))
    grad = to_numpy(tape.gradient(loss, x))
    assert np.isfinite(grad).all()
    # d/dx_i of sum_ij |x_i - x_j| = 2 * sum_j (x_i - x_j) / |x_i - x_j| (the i == j term 0)
    unit = np.array([1.0, 2.0]) / np.sqrt(5.0)
    np.testing.assert_allclose(grad, [2 * unit, -2 * unit], rtol=1e-6)


def test_view_dtypes_and_values():
    backend = current()
    pairs = np.array([[1.0, 2.0], [3.0, -4.0]])
    z = ops.view_as_complex(backend.asarray(pairs.astype(np.float32)))
    assert z.dtype == "complex64"
    np.testing.assert_array_equal(to_numpy(z), [1 + 2j, 3 - 4j])
    assert ops.view_as_complex(backend.asarray(pairs)).dtype == "complex128"
    back = ops.view_as_real(z)
    assert back.dtype == "float32"
    np.testing.assert_array_equal(to_numpy(back), pairs)
    ints = ops.view_as_real(backend.asarray(np.array([1, 2], np.int32)))
    assert ints.dtype == "int32"


def test_cdist_in_a_functional_model_and_its_config():
    x, y = kerasx.Input((3, 4)), kerasx.Input((5, 4))
    model = kerasx.Model([x, y], ops.cdist(x, y))
    entry = model.get_config()["layers"][2]
    assert (entry["class_name"], entry["module"]) == ("CDist", "keras.src.ops.math")
    again = kerasx.Model.from_config(model.get_config())
    a = rng.normal(size=(2, 3, 4)).astype("float32")
    b = rng.normal(size=(2, 5, 4)).astype("float32")
    np.testing.assert_allclose(again.predict([a, b], verbose=0), cdist_reference(a, b),
                               rtol=1e-5, atol=1e-6)


def test_complex_tensors_flow_through_a_functional_model():
    inputs = kerasx.Input((4, 2))
    z = ops.view_as_complex(inputs)
    assert z.dtype == "complex64"
    model = kerasx.Model(inputs, [ops.real(z), ops.imag(z), ops.abs(z)])
    pairs = rng.normal(size=(3, 4, 2)).astype("float32")
    real, imag, magnitude = model.predict(pairs, verbose=0)
    np.testing.assert_array_equal(real, pairs[..., 0])
    np.testing.assert_array_equal(imag, pairs[..., 1])
    np.testing.assert_allclose(magnitude, np.hypot(pairs[..., 0], pairs[..., 1]), rtol=1e-6)


def test_errors():
    backend = current()
    with pytest.raises(ValueError, match=r"last dimensions of `x` and `y` must match.*"
                                         r"\(2, 3\).*\(2, 4\)"):
        ops.cdist(backend.asarray(np.ones((2, 3))), backend.asarray(np.ones((2, 4))))
    with pytest.raises(ValueError, match=r"`x` of rank 2 or more"):
        ops.cdist(backend.asarray(np.ones(3)), backend.asarray(np.ones((2, 3))))
    with pytest.raises(ValueError, match=r"leading \(batch\) dimensions.*must broadcast"):
        ops.cdist(backend.asarray(np.ones((2, 3, 4))), backend.asarray(np.ones((3, 3, 4))))
    with pytest.raises(ValueError, match=r"last dimension is 2.*\(2, 3\)"):
        ops.view_as_complex(backend.asarray(np.ones((2, 3))))
    with pytest.raises(TypeError, match=r"expects a real tensor, received a complex one"):
        ops.view_as_complex(ops.view_as_complex(backend.asarray(np.ones((2, 2)))))
