"""NumPy scalars in arithmetic promote as the Python numbers they are, as in Keras 3
(`ops.multiply(x, np.log(2 * np.pi))` stays float32), on every backend."""

import numpy as np
import pytest

from kerasx import ops
from tests.conftest import to_numpy


@pytest.mark.parametrize("scalar, dtype, expected", [
    (np.float64(np.log(2 * np.pi)), "float32", "float32"),
    (np.float32(0.5), "float32", "float32"),
    (np.int64(3), "int32", "int32"),
    (np.float64(1.5), "int32", "float32"),
])
def test_a_numpy_scalar_promotes_as_a_python_number(scalar, dtype, expected):
    x = ops.ones((3,), dtype=dtype)
    for out in (x * scalar, scalar * x, ops.add(x, scalar), ops.subtract(scalar, x)):
        assert str(out.dtype) == expected
    np.testing.assert_allclose(to_numpy(ops.multiply(x, scalar)),
                               np.full(3, float(scalar)), rtol=1e-6)



@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_python_bools_promote_as_weak_numbers_as_in_keras(dtype):
    """`x * True` keeps the array's type (the array API alone promotes Python bools with
    bool arrays only)."""
    x = ops.full((2,), 3, dtype=dtype)
    for out, expected in ((x * True, 3), (False + x, 3), (x - True, 2), (True * x, 3)):
        assert str(out.dtype) == dtype
        np.testing.assert_array_equal(to_numpy(out), np.full(2, expected))


def test_python_bools_with_bool_arrays_stay_bool():
    mask = ops.ones((2,), dtype="bool")
    assert str((mask & True).dtype) == "bool" and str((mask == False).dtype) == "bool"  # noqa: E712
