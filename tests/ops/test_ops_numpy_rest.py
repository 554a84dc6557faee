"""The NumPy-family ops of `kerasx.ops.numpy` beyond the op table: accuracy of the
special functions, values at the edges (NaN, infinities, zeros), the integer and
host-side ops against NumPy, result dtypes as Keras gives them, symbolic use in a
functional model, and clear errors for bad arguments."""

import warnings

import numpy as np
import pytest
import scipy.special

import kerasx
import kerasx.testing
from kerasx import GradientTape, Variable, ops
from kerasx.backends import current
from tests.conftest import to_numpy

rng = np.random.default_rng(29)
A = rng.standard_normal((3, 4))
INTS = np.array([[1, 2], [3, 4]], np.int32)
FLAGS = np.array([[True, False], [True, True]])
WITH_NAN = np.array([[1.5, np.nan, -2.0, 0.5], [np.nan, np.nan, np.nan, np.nan],
                     [3.0, -1.0, np.nan, 2.0]])


def _on_backend(x):
    return current().asarray(x)


def _np(x):
    return to_numpy(x)


def _gradient(fn, x):
    with kerasx.testing.float64():
        v = Variable(np.asarray(x, np.float64))
        with GradientTape() as tape:
            total = ops.sum(fn(v))
        return _np(tape.gradient(total, v))


def test_erfc_is_accurate_in_the_tails_where_one_minus_erf_is_not():
    x = np.concatenate([np.linspace(-6.0, 26.0, 321), [0.0, 1.5, -1.5]])
    expected = scipy.special.erfc(x)
    with kerasx.testing.float64():
        got = _np(ops.erfc(_on_backend(x)))
    np.testing.assert_allclose(got, expected, rtol=1e-13, atol=0)
    got32 = _np(ops.erfc(_on_backend(x.astype(np.float32))))
    assert got32.dtype == np.float32
    finite = expected > 1e-37  # float32's normal range
    np.testing.assert_allclose(got32[finite], scipy.special.erfc(x.astype(np.float32))[finite],
                               rtol=2e-6)
    np.testing.assert_array_equal(_np(ops.erfc(_on_backend(np.array([np.inf, -np.inf, np.nan])))),
                                  [0.0, 2.0, np.nan])


def test_erfinv_inverts_erf_to_rounding_near_and_far_from_one_with_the_exact_gradient():
    y = np.concatenate([np.linspace(-0.999, 0.999, 201), 1.0 - np.logspace(-15, -1, 15),
                        -1.0 + np.logspace(-15, -1, 15), [1e-300, 0.0]])
    with kerasx.testing.float64():
        got = _np(ops.erfinv(_on_backend(y)))
    np.testing.assert_allclose(got, scipy.special.erfinv(y), rtol=1e-13, atol=1e-300)
    edges = _np(ops.erfinv(_on_backend(np.array([1.0, -1.0, 1.5, -2.0, np.nan]))))
    np.testing.assert_array_equal(edges, [np.inf, -np.inf, np.nan, np.nan, np.nan])
    inner = y[:201]
    slope = _gradient(ops.erfinv, inner)
    exact = np.sqrt(np.pi) / 2 * np.exp(scipy.special.erfinv(inner) ** 2)
    np.testing.assert_allclose(slope, exact, rtol=1e-12)
    got32 = _np(ops.erfinv(_on_backend(inner.astype(np.float32))))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, scipy.special.erfinv(inner.astype(np.float32)), rtol=1e-6)


def test_i0_and_the_windows_match_numpy():
    x = np.concatenate([np.linspace(-40.0, 40.0, 801), [19.999, 20.0, 20.001, 700.0]])
    with kerasx.testing.float64():
        got = _np(ops.i0(_on_backend(x)))
    np.testing.assert_allclose(got, np.i0(x), rtol=1e-13)
    np.testing.assert_allclose(_gradient(ops.i0, x[::20]), scipy.special.i1(x[::20]), rtol=1e-13)
    for m in (0, 1, 2, 7, 16):
        for name in ("bartlett", "blackman", "hamming", "hanning"):
            window = getattr(ops, name)(m)
            assert window.dtype == "float32" and tuple(window.shape) == (m,)
            np.testing.assert_allclose(_np(window), getattr(np, name)(m), atol=1e-7)
        for beta in (0.0, 5.0, 14.0):
            np.testing.assert_allclose(_np(ops.kaiser(m, beta)), np.kaiser(m, beta), rtol=1e-6,
                                       atol=1e-7)


def test_elementwise_edges_match_numpy():
    x = np.array([-27.0, -1e-6, -0.0, 0.0, 8.0, 1e300, np.inf, -np.inf, np.nan])
    with kerasx.testing.float64():
        np.testing.assert_allclose(_np(ops.cbrt(_on_backend(x))), np.cbrt(x), rtol=1e-15)
    np.testing.assert_allclose(_np(ops.sinc(_on_backend(np.array([0.0, 1.0, -2.0, 0.5])))),
                               np.sinc([0.0, 1.0, -2.0, 0.5]), rtol=1e-15, atol=1e-16)
    steps = np.array([-1.5, 0.0, 2.0, np.nan, -np.inf])
    np.testing.assert_array_equal(_np(ops.heaviside(_on_backend(steps), 0.25)),
                                  np.heaviside(steps, 0.25))
    np.testing.assert_array_equal(_np(ops.heaviside(0.25 * _on_backend(steps),
                                                    _on_backend(steps))),
                                  np.heaviside(0.25 * steps, steps))
    np.testing.assert_array_equal(_np(ops.heaviside(_on_backend(FLAGS), _on_backend(~FLAGS))),
                                  FLAGS | ~FLAGS)
    a = np.array([1.0, np.nan, np.nan, -np.inf, 2.0])
    b = np.array([np.nan, 2.0, np.nan, 1.0, 2.0])
    np.testing.assert_array_equal(_np(ops.fmax(_on_backend(a), _on_backend(b))), np.fmax(a, b))
    np.testing.assert_array_equal(_np(ops.fmin(_on_backend(a), _on_backend(b))), np.fmin(a, b))
    big = np.array([1.0, -np.inf, np.inf, np.inf, 1000.0])
    other = np.array([1.0, -np.inf, 3.0, np.inf, -1000.0])
    np.testing.assert_array_equal(_np(ops.logaddexp2(_on_backend(big), _on_backend(other))),
                                  np.logaddexp2(big, other))
    for dtype in (np.float32, np.float64):
        start = np.array([1.0, 0.0, -2.5, np.inf], dtype)
        toward = np.array([2.0, -1.0, -3.0, 0.0], dtype)
        got = _np(ops.nextafter(_on_backend(start), _on_backend(toward)))
        assert got.dtype == dtype
        np.testing.assert_array_equal(got, np.nextafter(start, toward))
    scaled = ops.ldexp(_on_backend(np.array([1.5, -3.0], np.float32)), 3)
    assert scaled.dtype == "float32"
    np.testing.assert_array_equal(_np(scaled), [12.0, -24.0])


def test_divide_no_nan_gives_zero_and_a_zero_gradient_where_the_divisor_is_zero():
    a, b = np.array([1.0, -2.0, 3.0]), np.array([0.0, 4.0, 0.0])
    np.testing.assert_array_equal(_np(ops.divide_no_nan(_on_backend(a), _on_backend(b))),
                                  [0.0, -0.5, 0.0])
    with kerasx.testing.float64():
        va, vb = Variable(a), Variable(b)
        with GradientTape() as tape:
            total = ops.sum(ops.divide_no_nan(va, vb))
        ga, gb = tape.gradient(total, [va, vb])
    np.testing.assert_array_equal(_np(ga), [0.0, 0.25, 0.0])
    np.testing.assert_array_equal(_np(gb), [0.0, 2.0 / 16.0, 0.0])


def _numpy_quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)


def test_nan_reductions_give_nan_or_minus_one_for_an_all_nan_row_and_skip_nan_gradients():
    x = _on_backend(WITH_NAN)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # NumPy's own, for the all-NaN row
        for name in ("nansum", "nanmean", "nanmax", "nanmin", "nanprod", "nanvar", "nanstd",
                     "nanmedian"):
            expected = _numpy_quiet(getattr(np, name), WITH_NAN, axis=1)
            np.testing.assert_allclose(_np(getattr(ops, name)(x, axis=1)), expected,
                                       rtol=1e-6, err_msg=name)
        np.testing.assert_array_equal(_np(ops.nanargmax(x, axis=1)), [0, -1, 0])
        np.testing.assert_array_equal(_np(ops.nanargmin(x, axis=1)), [2, -1, 1])
        assert ops.nanargmax(x, axis=1).dtype == "int32"
        assert int(_np(ops.nanargmax(x))) == 8
        np.testing.assert_allclose(_np(ops.nanquantile(x, [0.25, 1.0], axis=1)),
                                   _numpy_quiet(np.nanquantile, WITH_NAN, [0.25, 1.0], axis=1),
                                   rtol=1e-6)
    rows = WITH_NAN[[0, 2]]
    numbers = ~np.isnan(rows)
    for name in ("nansum", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanprod",
                 "nanmedian", "nancumsum", "nancumprod"):
        grad = _gradient(lambda v, n=name: getattr(ops, n)(v, axis=1), rows)
        assert np.all(np.isfinite(grad)), name
        np.testing.assert_array_equal(grad[~numbers], 0.0, err_msg=name)
        assert np.any(grad[numbers] != 0.0), name


def test_integer_bit_ops_gcd_and_lcm_match_numpy():
    a = np.array([[12, -18, 0, 7, 0, 255], [5, -1, 64, -64, 9, 100]], np.int32)
    b = np.array([8, 12, 5, 0, 0, 3], np.int32)
    pairs = [("bitwise_and", np.bitwise_and), ("bitwise_or", np.bitwise_or),
             ("bitwise_xor", np.bitwise_xor), ("gcd", np.gcd), ("lcm", np.lcm)]
    for name, reference in pairs:
        got = getattr(ops, name)(_on_backend(a), _on_backend(b))
        assert got.dtype == "int32", name
        np.testing.assert_array_equal(_np(got), reference(a, b), err_msg=name)
        np.testing.assert_array_equal(_np(getattr(ops, name)(_on_backend(a), 6)), reference(a, 6),
                                      err_msg=name)
    for name in ("bitwise_not", "bitwise_invert"):
        np.testing.assert_array_equal(_np(getattr(ops, name)(_on_backend(a))), np.invert(a))
    shifts = np.array([0, 1, 2, 3, 1, 4], np.int32)
    for name in ("left_shift", "bitwise_left_shift"):
        np.testing.assert_array_equal(_np(getattr(ops, name)(_on_backend(a), _on_backend(shifts))),
                                      np.left_shift(a, shifts))
    for name in ("right_shift", "bitwise_right_shift"):
        np.testing.assert_array_equal(_np(getattr(ops, name)(_on_backend(a), 2)),
                                      np.right_shift(a, 2))
    np.testing.assert_array_equal(_np(ops.bitwise_and(_on_backend(FLAGS), _on_backend(~FLAGS))),
                                  np.zeros((2, 2), bool))
    mixed = ops.bitwise_or(_on_backend(np.array([1, 2], np.uint8)),
                           _on_backend(np.array([-1, 4], np.int8)))
    assert mixed.dtype == "int16"
    np.testing.assert_array_equal(_np(mixed), [-1, 6])
    assert ops.left_shift(_on_backend(FLAGS), 1).dtype == "int8"


def test_unique_matches_numpy_with_its_flags_axis_and_size():
    x = np.array([[3, 1, 3], [2, 1, 1]], np.int32)
    values, index, inverse, counts = ops.unique(_on_backend(x), return_index=True,
                                                return_inverse=True, return_counts=True)
    expected = np.unique(x, return_index=True, return_inverse=True, return_counts=True)
    for got, want in zip((values, index, inverse, counts), expected):
        np.testing.assert_array_equal(_np(got), want.reshape(_np(got).shape))
    assert tuple(inverse.shape) == x.shape
    assert index.dtype == inverse.dtype == counts.dtype == "int32" and values.dtype == "int32"
    rows = rng.integers(0, 2, (3, 5, 2))
    for axis in (0, 1, -1):
        got, inverse = ops.unique(_on_backend(rows), axis=axis, return_inverse=True)
        want, want_inverse = np.unique(rows, axis=axis, return_inverse=True)
        np.testing.assert_array_equal(_np(got), want)
        np.testing.assert_array_equal(_np(inverse), want_inverse.reshape(-1))
    padded, counts = ops.unique(_on_backend(np.array([3.0, 1.0, 3.0])), size=4, fill_value=-1.0,
                                return_counts=True)
    np.testing.assert_array_equal(_np(padded), [1.0, 3.0, -1.0, -1.0])
    np.testing.assert_array_equal(_np(counts), [1, 2, 0, 0])
    np.testing.assert_array_equal(_np(ops.unique(_on_backend(np.array([5, 4, 5, 1])), size=2)),
                                  [1, 4])
    with_nan = _on_backend(np.array([2.0, np.nan, 2.0, np.nan]))
    np.testing.assert_array_equal(_np(ops.unique(with_nan)), [2.0, np.nan, np.nan])


def test_histogram_matches_numpy():
    data = rng.standard_normal(300)
    for bins, span in ((10, None), (7, (-1.0, 1.0)), (1, None), (3, (0.5, 0.5))):
        counts, edges = ops.histogram(_on_backend(data), bins=bins, range=span)
        want_counts, want_edges = np.histogram(data, bins=bins, range=span)
        np.testing.assert_array_equal(_np(counts), want_counts)
        np.testing.assert_allclose(_np(edges), want_edges, rtol=1e-12)
        assert counts.dtype == edges.dtype  # counted in floats, as Keras's JAX backend
    integers = np.array([0, 1, 1, 4, 4, 4, 9])
    counts, edges = ops.histogram(_on_backend(integers), bins=3)
    np.testing.assert_array_equal(_np(counts), np.histogram(integers, bins=3)[0])
    assert edges.dtype == "float32"


def test_index_ops_match_numpy():
    x = np.array([[0.0, 1.5, 0.0], [-2.0, 0.0, 3.0]])
    found = ops.nonzero(_on_backend(x))
    assert all(f.dtype == "int32" for f in found)
    for got, want in zip(found, np.nonzero(x)):
        np.testing.assert_array_equal(_np(got), want)
    flat = np.array([0, 5, 11, 7], np.int32)
    coords = ops.unravel_index(_on_backend(flat), (3, 4))
    for got, want in zip(coords, np.unravel_index(flat, (3, 4))):
        np.testing.assert_array_equal(_np(got), want)
        assert got.dtype == "int32"
    values = np.array([[1.0, 2.0, np.nan], [4.0, 5.0, 1.0]])
    table = np.array([5.0, 1.0, np.nan, 9.0])
    for invert in (False, True):
        got = ops.isin(_on_backend(values), _on_backend(table), invert=invert)
        np.testing.assert_array_equal(_np(got), np.isin(values, table, invert=invert))
    np.testing.assert_array_equal(_np(ops.isin(_on_backend(INTS), _on_backend(np.zeros(0)))),
                                  np.zeros((2, 2), bool))
    data = rng.permutation(20).astype(np.float32).reshape(2, 10)
    for kth in (0, 3, 9, -1):
        order = _np(ops.argpartition(_on_backend(data), kth))
        assert order.dtype == np.int32
        parted = np.take_along_axis(data, order, axis=-1)
        k = kth % 10
        np.testing.assert_array_equal(parted[:, k], np.sort(data, axis=-1)[:, k])
        pivot = parted[:, k:k + 1]
        assert np.all(parted[:, :k] <= pivot) and np.all(parted[:, k:] >= pivot)


def test_real_number_parts_and_infinity_tests_follow_numpy():
    x = np.array([-1.0, -0.0, 0.0, 2.0, np.inf, -np.inf, np.nan])
    with kerasx.testing.float64():
        np.testing.assert_array_equal(_np(ops.angle(_on_backend(x))), np.angle(x))
    np.testing.assert_array_equal(_np(ops.isposinf(_on_backend(x))), np.isposinf(x))
    np.testing.assert_array_equal(_np(ops.isneginf(_on_backend(x))), np.isneginf(x))
    np.testing.assert_array_equal(_np(ops.isreal(_on_backend(x))), np.ones(7, bool))
    np.testing.assert_array_equal(_np(ops.isposinf(_on_backend(INTS))), np.zeros((2, 2), bool))
    assert ops.imag(_on_backend(INTS)).dtype == "int32"
    np.testing.assert_array_equal(_np(ops.imag(_on_backend(A))), np.zeros_like(A))
    z = np.array([1.0 + 2.0j, -1.0j, -3.0 + 0.0j])
    np.testing.assert_allclose(_np(ops.angle(_on_backend(z))), np.angle(z))
    np.testing.assert_array_equal(_np(ops.real(_on_backend(z))), z.real)
    np.testing.assert_array_equal(_np(ops.imag(_on_backend(z))), z.imag)
    np.testing.assert_array_equal(_np(ops.conj(_on_backend(z))), np.conj(z))
    np.testing.assert_array_equal(_np(ops.isreal(_on_backend(z))), np.isreal(z))


def test_sequences_on_a_log_scale_match_numpy():
    checks = [
        (ops.logspace(0.0, 3.0, 4), np.logspace(0.0, 3.0, 4)),
        (ops.logspace(1.0, 2.0, 5, endpoint=False, base=2.0),
         np.logspace(1.0, 2.0, 5, endpoint=False, base=2.0)),
        (ops.logspace(np.array([0.0, 1.0], np.float32), 3.0, 4, axis=1),
         np.logspace(np.array([0.0, 1.0]), 3.0, 4, axis=1)),
        (ops.geomspace(1.0, 1000.0, 4), np.geomspace(1.0, 1000.0, 4)),
        (ops.geomspace(-2.0, -32.0, 5), np.geomspace(-2.0, -32.0, 5)),
        (ops.geomspace(2.0, 100.0, 7, endpoint=False),
         np.geomspace(2.0, 100.0, 7, endpoint=False)),
        (ops.geomspace(np.array([1.0, 2.0], np.float32), np.array([16.0, 32.0], np.float32), 5,
                       axis=-1),
         np.geomspace(np.array([1.0, 2.0]), np.array([16.0, 32.0]), 5, axis=-1)),
    ]
    for got, expected in checks:
        assert got.dtype == "float32"
        np.testing.assert_allclose(_np(got), expected, rtol=1e-6)
    assert ops.logspace(np.array([0.0, 1.0]), 2.0, 3).dtype == "float64"
    exact = _np(ops.geomspace(3.0, 7.0, 9, dtype="float64"))
    assert exact[0] == 3.0 and exact[-1] == 7.0
    np.testing.assert_array_equal(_np(ops.geomspace(1, 1000, 4, dtype="int32")),
                                  [1, 10, 100, 1000])


def test_dtype_saturate_cast_array_empty_like_and_view():
    assert ops.dtype(_on_backend(INTS)) == "int32" and ops.dtype(kerasx.Input((3,))) == "float32"
    assert ops.dtype(2.0) == "float32" and ops.dtype(3) == "int32" and ops.dtype(True) == "bool"
    values = np.array([-1.5, 300.0, 3e10, -np.inf, np.inf, 7.7], np.float32)
    np.testing.assert_array_equal(_np(ops.saturate_cast(_on_backend(values), "uint8")),
                                  [0, 255, 255, 0, 255, 7])
    to_int32 = _np(ops.saturate_cast(_on_backend(values), "int32"))
    assert to_int32.dtype == np.int32 and to_int32[2] > 2 ** 30 and to_int32[3] == -2 ** 31
    np.testing.assert_array_equal(
        _np(ops.saturate_cast(_on_backend(np.array([-1, 300, 70000], np.int32)), "int16")),
        [-1, 300, 32767])
    flags = ops.saturate_cast(_on_backend(np.array([0.0, -0.5, 2.0])), "bool")
    np.testing.assert_array_equal(_np(flags), [False, True, True])
    np.testing.assert_array_equal(_np(ops.saturate_cast(_on_backend(FLAGS), "uint8")), FLAGS)
    assert ops.array([[1, 2]], dtype="float32").dtype == "float32"
    np.testing.assert_array_equal(_np(ops.array([1.0, 2.0])), [1.0, 2.0])
    empty = ops.empty_like(_on_backend(INTS), dtype="float32")
    assert tuple(empty.shape) == (2, 2) and empty.dtype == "float32"
    assert ops.empty_like(_on_backend(INTS)).dtype == "int32"
    ones = _on_backend(np.array([1.0, -2.0], np.float32))
    if current().name == "array_api_strict":
        with pytest.raises(NotImplementedError, match="cannot reinterpret"):
            ops.view(ones, "int32")
    else:
        np.testing.assert_array_equal(_np(ops.view(ones, "int32")),
                                      np.array([1.0, -2.0], np.float32).view(np.int32))
        assert tuple(ops.view(_on_backend(np.zeros(4, np.int16)), "int32").shape) == (2,)


@pytest.mark.parametrize("name, expected", [
    ("cbrt", "float32"), ("fabs", "float32"), ("deg2rad", "float32"), ("rad2deg", "float32"),
    ("sinc", "float32"), ("erfc", "float32"), ("erfinv", "float32"), ("i0", "float32"),
    ("angle", "float32"), ("trapezoid", "float32"), ("nanmean", "float32"),
    ("nanvar", "float32"), ("nanstd", "float32"), ("nanmedian", "float32"),
    ("corrcoef", "float32"), ("amax", "int32"), ("amin", "int32"), ("ptp", "int32"),
    ("diff", "int32"), ("vander", "int32"), ("diagflat", "int32"), ("fliplr", "int32"),
    ("flipud", "int32"), ("rot90", "int32"), ("real", "int32"), ("conj", "int32"),
    ("nansum", "int32"), ("nanprod", "int32"), ("nanmax", "int32"), ("nancumsum", "int32"),
    ("nanargmax", "int32"), ("isneginf", "bool"), ("isreal", "bool"),
])
def test_integer_input_gives_the_keras_dtype(name, expected):
    source = INTS[0] if name == "vander" else INTS
    assert getattr(ops, name)(_on_backend(source)).dtype == expected


@pytest.mark.parametrize("name, expected", [
    ("nansum", "int32"), ("nanprod", "int32"), ("nancumsum", "int32"), ("nanmean", "float32"),
    ("cbrt", "float32"), ("amax", "bool"), ("diff", "bool"),
])
def test_small_integer_and_boolean_inputs_give_the_keras_dtype(name, expected):
    source = FLAGS if expected in ("bool", "int32") and name != "nansum" else INTS.astype(np.int8)
    if name in ("nancumsum",):
        source = FLAGS
    assert getattr(ops, name)(_on_backend(source)).dtype == expected
    assert ops.nansum(_on_backend(INTS.astype(np.uint8))).dtype == "uint32"


@pytest.mark.parametrize("name, expected, with_float", [
    ("heaviside", "float32", "float32"), ("fmax", "int32", "float32"),
    ("fmin", "int32", "float32"), ("logaddexp2", "float32", "float32"),
    ("divide_no_nan", "float32", "float32"), ("nextafter", "float32", "float32"),
    ("kron", "int32", "float32"), ("append", "int32", "float32"),
    ("isin", "bool", "bool"),
])
def test_two_integer_inputs_give_the_keras_dtype(name, expected, with_float):
    fn = getattr(ops, name)
    assert fn(_on_backend(INTS), _on_backend(INTS)).dtype == expected
    assert fn(_on_backend(INTS), _on_backend(INTS.astype(np.float32))).dtype == with_float


def test_float64_inputs_stay_float64():
    x = _on_backend(np.abs(A) / 4)
    for name in ("cbrt", "erfc", "erfinv", "i0", "sinc", "nanmean", "nanmedian", "corrcoef",
                 "trapezoid", "fabs"):
        assert getattr(ops, name)(x).dtype == "float64", name


def test_ops_on_symbolic_inputs_build_a_functional_model():
    x = rng.uniform(-0.9, 0.9, (2, 4)).astype(np.float32)
    x[0, 1] = np.nan
    inp = kerasx.Input((4,))
    squares = ops.reshape(inp, (-1, 2, 2))
    outputs = [ops.cbrt(inp), ops.fmax(inp, 0.1), ops.diff(inp), ops.erfinv(inp),
               ops.nanmean(inp, axis=1), ops.nanquantile(inp, 0.25, axis=1),
               ops.rot90(squares, axes=(1, 2)), ops.cross(squares, squares[:, ::-1]),
               ops.trapezoid(inp), ops.logaddexp2(inp, inp), ops.amax(inp, axis=1),
               ops.heaviside(inp, 0.5), ops.nansum(inp, axis=-1)]
    model = kerasx.Model(inp, outputs)
    got = [_np(t) for t in model(x)]
    eager = [ops.cbrt(x), ops.fmax(x, 0.1), ops.diff(x), ops.erfinv(x), ops.nanmean(x, axis=1),
             ops.nanquantile(x, 0.25, axis=1), ops.rot90(x.reshape(-1, 2, 2), axes=(1, 2)),
             ops.cross(x.reshape(-1, 2, 2), x.reshape(-1, 2, 2)[:, ::-1]), ops.trapezoid(x),
             ops.logaddexp2(x, x), ops.amax(x, axis=1), ops.heaviside(x, 0.5),
             ops.nansum(x, axis=-1)]
    for g, e in zip(got, eager):
        np.testing.assert_allclose(g, _np(e), rtol=1e-6)
    np.testing.assert_allclose(got[4], np.nanmean(x, axis=1), rtol=1e-6)


def test_vectorize_passes_excluded_arguments_and_returns_several_outputs():
    square_plus = ops.vectorize(lambda x, p, shift=0.0: x ** p + shift, excluded={1, "shift"})
    np.testing.assert_allclose(_np(square_plus(_on_backend(A), 2, shift=1.0)), A ** 2 + 1.0,
                               rtol=1e-12)
    split = ops.vectorize(lambda x: (x * 2.0, -x))
    doubled, negated = split(_on_backend(A[0]))
    np.testing.assert_allclose(_np(doubled), A[0] * 2.0)
    np.testing.assert_allclose(_np(negated), -A[0])
    norms = ops.vectorize(lambda v: ops.sqrt(ops.sum(v * v)), signature="(n)->()")
    np.testing.assert_allclose(_np(norms(_on_backend(A))), np.linalg.norm(A, axis=1), rtol=1e-12)


def test_the_numpy_namespace_holds_the_keras_names_as_the_same_functions():
    from kerasx.ops import numpy as knp

    expected = ["amax", "nanquantile", "bitwise_left_shift", "vectorize", "kaiser", "add",
                "matmul", "trapezoid", "get_item", "view", "unique", "dstack", "conjugate"]
    assert [n for n in expected if n not in knp.__all__] == []
    assert len(knp.__all__) >= 200
    for name in knp.__all__:
        assert getattr(knp, name) is getattr(ops, name), name
    assert "erfinv" not in knp.__all__  # keras.ops.math, not keras.ops.numpy


@pytest.mark.parametrize("call, message", [
    (lambda: ops.ldexp(A, A), "integer type"),
    (lambda: ops.ptp(FLAGS), "not defined for booleans"),
    (lambda: ops.diff(A, n=-1), "non-negative int"),
    (lambda: ops.diff(A, axis=2), "out of bounds"),
    (lambda: ops.diff(np.float32(1.0)), "rank 1"),
    (lambda: ops.trapezoid(A, np.ones(3)), "does not match axis"),
    (lambda: ops.trapezoid(A, np.ones((2, 3, 4))), "must be 1-D or have the rank"),
    (lambda: ops.cross(A, A), "2 or 3 components"),
    (lambda: ops.cross(FLAGS, FLAGS), "booleans"),
    (lambda: ops.vander(A), "1-D input"),
    (lambda: ops.vander(A[0], N=-1), "non-negative int"),
    (lambda: ops.rot90(A[0]), "rank 2 or more"),
    (lambda: ops.rot90(A, axes=(0, 0)), "two different axes"),
    (lambda: ops.fliplr(A[0]), "rank 2 or more"),
    (lambda: ops.append(A, A[0], axis=0), "same rank"),
    (lambda: ops.array_split(A, 0), "must be positive"),
    (lambda: ops.hsplit(A, 3), "equal parts"),
    (lambda: ops.vsplit(A[0], 1), "rank 2 or more"),
    (lambda: ops.dsplit(A, 2), "rank 3 or more"),
    (lambda: ops.dstack([]), "non-empty list"),
    (lambda: ops.nonzero(np.float32(1.0)), "rank 1 or more"),
    (lambda: ops.unravel_index(np.array([12]), (3, 4)), "must lie in"),
    (lambda: ops.unravel_index(np.array([1.0]), (3, 4)), "integer indices"),
    (lambda: ops.argpartition(A, 4), "out of range"),
    (lambda: ops.unique(A, axis=3), "out of range"),
    (lambda: ops.unique(A, size=-1), "non-negative int"),
    (lambda: ops.nanquantile(A, 1.5), "in \\[0, 1\\]"),
    (lambda: ops.nanquantile(A, 0.5, method="cubic"), "method must be one of"),
    (lambda: ops.percentile(A, 150), "\\[0, 100\\]"),
    (lambda: ops.nanpercentile(A, [[10.0]]), "1-D"),
    (lambda: ops.bitwise_and(A, 1), "integers or booleans"),
    (lambda: ops.gcd(FLAGS, FLAGS), "expects integers"),
    (lambda: ops.left_shift(A, 1), "integers"),
    (lambda: ops.histogram(A[0], bins=0), "positive int"),
    (lambda: ops.histogram(A[0], range=(1.0, 0.0)), "low <= high"),
    (lambda: ops.histogram(np.array([1.0, np.nan])), "explicit finite"),
    (lambda: ops.correlate(A, A[0]), "1-D inputs"),
    (lambda: ops.correlate(A[0], A[0], mode="circular"), "mode must be one of"),
    (lambda: ops.corrcoef(np.ones((2, 2, 2))), "1-D or 2-D"),
    (lambda: ops.geomspace(0.0, 1.0, 3), "nonzero"),
    (lambda: ops.geomspace(-1.0, 1.0, 3), "same sign"),
    (lambda: ops.hanning(2.5), "whole number"),
    (lambda: ops.kaiser(np.ones(3), 1.0), "must be a number"),
    (lambda: ops.vectorize(lambda x: x, signature="(n)->")(A), "signature must look like"),
    (lambda: ops.vectorize(lambda x, y: x, signature="(n),(n)->()")(A, A[:, :2]),
     "core dimension"),
    (lambda: ops.vectorize(lambda x: x)(np.zeros((0,))), "empty loop"),
    (lambda: ops.view(np.ones(3, np.float32), "float64"), "cannot"),
])
def test_bad_arguments_get_a_clear_error(call, message):
    with pytest.raises((ValueError, TypeError, NotImplementedError), match=message):
        call()
