"""The NumPy backend's `where` (a branch-free select of float bits): bit for bit NumPy's
`where` on every kind of value and broadcast, the arguments it leaves to the portable
`where`, and the backend namespace that carries it."""

import numpy as np
import pytest

from kerasx.backends import current

pytestmark = pytest.mark.skipif("current().name != 'numpy'", reason="NumPy backend")
rng = np.random.default_rng(31)


def _where():
    from kerasx.backends.numpy_where import fast_where

    return fast_where(np.where)


def _special_values(shape, dtype):
    """Normal values sprinkled with NaN, infinities, zeros of both signs and tiny ones."""
    x = rng.standard_normal(shape).astype(dtype)
    flat = x.reshape(-1)
    picks = rng.choice(flat.size, 60, replace=False)
    specials = [np.nan, np.inf, -np.inf, 0.0, -0.0, np.finfo(dtype).tiny / 4]
    for i, p in enumerate(picks):
        flat[p] = specials[i % len(specials)]
    return x


def _assert_same_bits(got, expected):
    assert got.dtype == expected.dtype and got.shape == expected.shape
    ints = {4: np.int32, 8: np.int64}[expected.dtype.itemsize]
    np.testing.assert_array_equal(got.view(ints), expected.view(ints))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("x1,x2", [
    ("a", "b"), ("a", 0.0), (0.0, "b"), ("a", -0.0), (-0.0, "b"), ("a", 2.5), (3, "b"),
    ("a_row", "b"), ("a", "b_row"),
], ids=["arrays", "x2_zero", "x1_zero", "x2_negative_zero", "x1_negative_zero",
        "x2_scalar", "x1_int", "x1_broadcast", "x2_broadcast"])
def test_select_is_numpys_where_bit_for_bit(x1, x2, dtype):
    shape = (40, 16, 12)
    values = {name: _special_values(shape if len(name) == 1 else shape[1:], dtype)
              for name in ("a", "b", "a_row", "b_row")}
    args = [values.get(x, x) if isinstance(x, str) else x for x in (x1, x2)]
    condition = values["a"] > values["b"]  # false at every NaN: both kinds of mask bits
    from kerasx.backends.numpy_where import _select

    got = _select(condition, *args)
    assert got is not None  # the bit select took it
    _assert_same_bits(got, np.where(condition, *args))


def test_select_with_a_broadcast_condition():
    x1, x2 = _special_values((30, 8, 64), np.float32), _special_values((30, 8, 64), np.float32)
    for condition in (rng.random((8, 64)) > 0.5, rng.random((30, 1, 64)) > 0.3):
        _assert_same_bits(_where()(condition, x1, x2), np.where(condition, x1, x2))
        _assert_same_bits(_where()(condition, x1, 0.0), np.where(condition, x1, 0.0))
    # the condition and x1 both smaller than the result
    condition, small = rng.random((8, 64)) > 0.5, x1[0]
    _assert_same_bits(_where()(condition, small, x2), np.where(condition, small, x2))


@pytest.mark.parametrize("args", [
    lambda: (rng.random(100) > 0.5, rng.random(100), 0.0),                       # small
    lambda: (rng.random(9000) > 0.5, rng.integers(0, 9, 9000), 0),               # integers
    lambda: (rng.random(9000) > 0.5, rng.random(9000).astype(np.float32),
             rng.random(9000)),                                                   # mixed
    lambda: (rng.random(9000) > 0.5, rng.random(9000), np.float64(1.0)),         # NumPy scalar
    lambda: (rng.integers(0, 2, 9000), rng.random(9000), 1.0),                    # int condition
    lambda: (rng.random(9000) > 0.5, True, False),                                # no array
], ids=["small", "integers", "mixed_dtypes", "numpy_scalar", "int_condition", "scalars"])
def test_other_arguments_go_to_the_portable_where(args):
    from kerasx.backends.numpy_where import _select

    arrays = args()
    assert _select(*arrays) is None
    got, expected = _where()(*arrays), np.where(*arrays)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_the_backend_namespace_carries_the_fast_where():
    import array_api_compat.numpy as compat

    xp = current().xp
    assert xp.where is not compat.where and xp.where.__doc__ == compat.where.__doc__
    assert xp.matmul is compat.matmul and xp.float32 is compat.float32
    assert xp.linalg.norm(compat.asarray([3.0, 4.0])) == 5.0  # submodules resolve too
    condition = rng.random((64, 128)) > 0.5
    x = rng.standard_normal((64, 128)).astype(np.float32)
    _assert_same_bits(xp.where(condition, x, -x), np.where(condition, x, -x))
