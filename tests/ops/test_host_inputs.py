"""Ops take NumPy arrays and scalars on every backend, as Keras's do (they are moved to the
backend); an array of another library is a clear error."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current, get_backend


def test_numpy_operands_on_every_backend():
    backend = current()
    t = ops.convert_to_tensor(np.array([1.0, 2.0], "float32"))
    host = np.array([3.0, 4.0], "float32")
    for out, want in [(ops.multiply(t, host), [3.0, 8.0]), (ops.add(host, t), [4.0, 6.0]),
                      (t * host, [3.0, 8.0]), (host - t, [2.0, 2.0]),
                      (t * np.float32(2.0), [2.0, 4.0]), (ops.matmul(host, t), 11.0)]:
        assert backend.is_native(out.value)
        assert out.dtype == "float32"
        np.testing.assert_allclose(ops.convert_to_numpy(out), want)
    np.testing.assert_allclose(ops.convert_to_numpy(ops.sum(host)), 7.0)
    np.testing.assert_allclose(ops.convert_to_numpy(ops.softmax(np.zeros(4, "float32"))), 0.25)


def test_gradients_flow_through_the_tensor_beside_a_numpy_constant():
    v = Variable(current().asarray(np.array([1.0, -2.0, 3.0], "float32")))
    weights = np.array([0.5, 2.0, -1.0], "float32")
    with GradientTape() as tape:
        loss = ops.sum(ops.multiply(v, weights))
    np.testing.assert_allclose(ops.convert_to_numpy(tape.gradient(loss, v)), weights)


def test_an_array_of_another_library_is_a_clear_error():
    if current().name == "array_api_strict":
        pytest.skip("the foreign array here is an array_api_strict one")
    strict = get_backend("array_api_strict").asarray(np.ones(2, "float32"))
    t = ops.convert_to_tensor(np.ones(2, "float32"))
    with pytest.raises(TypeError, match=rf"array_api_strict.*active backend is "
                                        rf"'{current().name}'.*cannot be mixed"):
        ops.multiply(t, strict)
