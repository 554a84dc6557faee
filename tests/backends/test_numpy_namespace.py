"""The NumPy backend's namespace: `maximum` / `minimum` against a Python number by rows
(NumPy's values), the arguments left to the compat functions, and the ReLU kernel written
with `clip`."""

import numpy as np
import pytest

from kerasx.backends import current

pytestmark = pytest.mark.skipif("current().name != 'numpy'", reason="NumPy backend")
rng = np.random.default_rng(37)


def _values(shape, dtype):
    """Normal values with NaN, infinities and zeros of both signs among them."""
    x = rng.standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    specials = [np.nan, np.inf, -np.inf, 0.0, -0.0]
    for i, p in enumerate(rng.choice(flat.size, 50, replace=False)):
        flat[p] = specials[i % len(specials)]
    return x


def _same_bits(got, expected):
    assert got.dtype == expected.dtype and got.shape == expected.shape
    ints = {4: np.int32, 8: np.int64}[expected.dtype.itemsize]
    return np.array_equal(got.view(ints), expected.view(ints))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(64, 16, 16, 8), (33, 1000), (50_001,)],
                         ids=["rows", "remainder", "1d_remainder"])
@pytest.mark.parametrize("number", [0.0, -0.0, 1.5, -2, float("nan")])
def test_extrema_against_a_number_are_numpys(shape, dtype, number):
    from kerasx.backends import numpy_namespace

    xp = current().xp
    x = _values(shape, dtype)
    assert numpy_namespace._takes(x, number)
    # where +0.0 meets -0.0 NumPy's loops differ among themselves on which zero they
    # return (an array against a number or an array, the vector body or its tail): the
    # values are equal everywhere, the bits everywhere else
    exact = ~((x == 0) & (number == 0))
    for name in ("maximum", "minimum"):
        ufunc = getattr(np, name)
        for got in (getattr(xp, name)(x, number), getattr(xp, name)(number, x)):
            expected = ufunc(x, number)
            np.testing.assert_array_equal(got, expected)
            assert _same_bits(got[exact], expected[exact]), name
    inplace = x.copy()
    numpy_namespace.extremum_with_number(np.maximum, inplace, number, out=inplace)
    expected = np.maximum(x, number)
    np.testing.assert_array_equal(inplace, expected)
    assert _same_bits(inplace[exact], expected[exact])


@pytest.mark.parametrize("args", [
    lambda: (rng.standard_normal(1000).astype(np.float32), 0.0),                 # small
    lambda: (rng.integers(-5, 5, 40_000), 0),                                    # integers
    lambda: (rng.standard_normal((400, 200)).astype(np.float32).T, 0.0),         # transposed
    lambda: (rng.standard_normal(40_000).astype(np.float32), np.float32(0.0)),   # NumPy scalar
    lambda: (rng.standard_normal(40_000), rng.standard_normal(40_000)),          # two arrays
    lambda: (rng.standard_normal(40_000).astype(np.float32), True),              # a bool
], ids=["small", "integers", "transposed", "numpy_scalar", "two_arrays", "bool"])
def test_other_arguments_go_to_the_compat_functions(args):
    from kerasx.backends import numpy_namespace

    x1, x2 = args()
    assert not numpy_namespace._takes(x1, x2)
    for name in ("maximum", "minimum"):
        got, expected = getattr(current().xp, name)(x1, x2), getattr(np, name)(x1, x2)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)


def test_the_namespace_keeps_every_other_name():
    import array_api_compat.numpy as compat

    xp = current().xp
    assert xp.maximum is not compat.maximum and xp.maximum.__doc__ == compat.maximum.__doc__
    assert xp.exp is compat.exp and xp.float64 is compat.float64


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32])
@pytest.mark.parametrize("bounds", [(0.1, 0.9), (None, 0.3), (-0.5, None), (0, 1)])
def test_clip_gives_the_compat_results(dtype, bounds):
    import array_api_compat.numpy as compat

    x = np.array([-1.0, 0.05, 0.5, 0.95, 2.0, np.nan if dtype != np.int32 else 3], dtype)
    got, expected = current().xp.clip(x, *bounds), compat.clip(x, *bounds)
    assert got.dtype == expected.dtype == dtype
    np.testing.assert_array_equal(got, expected)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_kernel_is_maximum_with_zero_up_to_the_sign_of_zero(dtype):
    from kerasx.backends.numpy_conv import relu_inplace

    x = _values((32, 12, 12, 16), dtype)
    y = x.copy()
    assert relu_inplace(np, y) is y
    expected = np.maximum(x, 0.0)
    np.testing.assert_array_equal(y, expected)  # NaN kept; -0.0 == 0.0
    differ = y.view({4: np.int32, 8: np.int64}[y.itemsize]) != expected.view(
        {4: np.int32, 8: np.int64}[y.itemsize])
    assert (x[differ] == 0).all() and np.signbit(x[differ]).all()  # only where x was -0.0
    ints = rng.integers(-3, 3, (10, 10))
    np.testing.assert_array_equal(relu_inplace(np, ints.copy()), np.maximum(ints, 0))
