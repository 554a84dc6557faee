"""Eager tensors and arrays mixed with symbolic KerasTensors: the op is recorded in the graph,
with the eager value captured as a constant of its node, whichever side it is on."""

import operator

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.layers.core.keras_tensor import KerasTensor
from tests.conftest import to_numpy

C = np.array([0.5, 1.0, 2.0, 3.0], np.float32)
X = np.array([[1.0, 2.0, 0.5, 3.0], [2.0, 1.5, 4.0, 1.0]], np.float32)

BINARY = {
    "add": operator.add, "sub": operator.sub, "mul": operator.mul,
    "truediv": operator.truediv, "pow": operator.pow, "floordiv": operator.floordiv,
    "mod": operator.mod, "lt": operator.lt, "le": operator.le, "gt": operator.gt,
    "ge": operator.ge, "ne": operator.ne,
}


def _model_values(build):
    inp = kerasx.Input((4,))
    out = build(inp)
    assert isinstance(out, KerasTensor), f"expected a KerasTensor, got {type(out).__name__}"
    assert out.shape == (None, 4)
    return to_numpy(kerasx.Model(inp, out)(X))


@pytest.mark.parametrize("name", sorted(BINARY))
def test_eager_tensor_on_the_left_of_an_operator(name):
    fn = BINARY[name]
    c = ops.convert_to_tensor(C)
    np.testing.assert_allclose(_model_values(lambda inp: fn(c, inp)), fn(C, X), rtol=1e-6)


@pytest.mark.parametrize("name", sorted(BINARY))
def test_eager_tensor_on_the_right_of_an_operator(name):
    fn = BINARY[name]
    c = ops.convert_to_tensor(C)
    np.testing.assert_allclose(_model_values(lambda inp: fn(inp, c)), fn(X, C), rtol=1e-6)


@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "maximum", "power"])
def test_public_ops_with_an_eager_first_argument(name):
    fn = getattr(ops, name)
    reference = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply,
                 "divide": np.divide, "maximum": np.maximum, "power": np.power}[name]
    c = ops.convert_to_tensor(C)
    np.testing.assert_allclose(_model_values(lambda inp: fn(c, inp)), reference(C, X), rtol=1e-6)
    # A host array is captured too (moved to the backend's device once).
    np.testing.assert_allclose(_model_values(lambda inp: fn(C, inp)), reference(C, X), rtol=1e-6)


def test_variable_on_the_left():
    v = kerasx.Variable(C)
    np.testing.assert_allclose(_model_values(lambda inp: v * inp), C * X, rtol=1e-6)


def test_matmul_with_an_eager_left_operand():
    w = np.arange(8, dtype=np.float32).reshape(2, 4) / 4
    inp = kerasx.Input((4, 3))
    out = ops.convert_to_tensor(w) @ inp
    assert isinstance(out, KerasTensor) and out.shape == (None, 2, 3)
    x = np.random.default_rng(1).normal(size=(2, 4, 3)).astype(np.float32)
    np.testing.assert_allclose(to_numpy(kerasx.Model(inp, out)(x)), w @ x, rtol=1e-5)


def test_logical_operators_and_symbolic_index():
    flags = ops.convert_to_tensor(np.array([True, False, True, False]))
    inp = kerasx.Input((4,), dtype="bool")
    both, either = flags & inp, flags | inp
    assert isinstance(both, KerasTensor) and isinstance(either, KerasTensor)
    model = kerasx.Model(inp, [both, either])
    x = np.array([[True, True, False, False]])
    got_and, got_or = model(x)
    np.testing.assert_array_equal(to_numpy(got_and), to_numpy(flags)[None] & x)
    np.testing.assert_array_equal(to_numpy(got_or), to_numpy(flags)[None] | x)

    index = kerasx.Input((), dtype="int32")
    picked = ops.convert_to_tensor(C)[index]
    assert isinstance(picked, KerasTensor)
    out = kerasx.Model(index, picked)(np.array([3, 0], np.int32))
    np.testing.assert_allclose(to_numpy(out), C[[3, 0]])


def test_eager_operators_stay_eager():
    a, b = ops.convert_to_tensor(C), ops.convert_to_tensor(X)
    for name, fn in BINARY.items():
        if name == "ne":  # eager `!=` compares identity, like `==`
            continue
        out = fn(a, b)
        assert not isinstance(out, KerasTensor)
        np.testing.assert_allclose(to_numpy(out), fn(C, X), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(b[:, 1:3]), X[:, 1:3])


def test_gradient_through_a_captured_constant():
    c = ops.convert_to_tensor(C)
    inp = kerasx.Input((4,))
    model = kerasx.Model(inp, c * inp + 1.0)
    x = ops.convert_to_tensor(X)
    with kerasx.GradientTape() as tape:
        tape.watch(x)
        loss = ops.sum(model(x))
    np.testing.assert_allclose(to_numpy(tape.gradient(loss, x)), np.broadcast_to(C, X.shape))


def _captured_model():
    inp = kerasx.Input((4,), name="x")
    hidden = kerasx.layers.Dense(4, name="dense")(ops.convert_to_tensor(C) - inp)
    return kerasx.Model(inp, ops.multiply(C, hidden))


def test_captured_constants_round_trip_through_the_config():
    model = _captured_model()
    config = model.get_config()
    subtract = next(layer for layer in config["layers"] if layer["class_name"] == "Subtract")
    constant = subtract["inbound_nodes"][0]["args"][0]
    assert constant["class_name"] == "__tensor__"
    assert constant["config"]["value"] == C.tolist()
    clone = kerasx.Model.from_config(config)
    clone.set_weights(model.get_weights())
    np.testing.assert_allclose(to_numpy(clone(X)), to_numpy(model(X)), rtol=1e-6)


def test_captured_constants_save_and_load(tmp_path):
    model = _captured_model()
    path = str(tmp_path / "captured.keras")
    model.save(path)
    loaded = kerasx.saving.load_model(path)
    np.testing.assert_allclose(to_numpy(loaded(X)), to_numpy(model(X)), rtol=1e-6)
