"""The differentiable NumPy-family ops added with `kerasx.ops.numpy`: each one forward
against a float64 NumPy (or SciPy) reference, in float32, and with gradients against
central finite differences, on the active backend."""

import numpy as np
import pytest
import scipy.special

from kerasx import ops
from kerasx.testing import OpCase, check_op_case

rng = np.random.default_rng(23)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((3, 4))
ROW = rng.standard_normal((4,))
BATCH = rng.standard_normal((2, 3, 4))
UNIT = rng.uniform(-0.95, 0.95, (3, 4))
POS = rng.uniform(0.5, 2.0, (3, 4))
# distinct values, far apart against the finite-difference step
SPACED = rng.permutation(np.arange(24.0)).reshape(2, 3, 4) * 0.37 - 4.0
WITH_ZEROS = np.array([[0.7, 0.0, 1.3, -0.8], [0.0, 1.1, -0.6, 0.9], [1.5, -0.7, 0.0, 1.1]])
# NaN entries, at least one number in every row and column
WITH_NAN = SPACED.copy()
WITH_NAN[0, 1, 2] = WITH_NAN[1, 0, 0] = WITH_NAN[1, 2, 3] = WITH_NAN[0, 0, 1] = np.nan
NAN_2D = WITH_NAN[0]
EXPONENTS = np.array([[2, -1, 0, 3], [1, 1, -2, 0], [0, 4, 1, -3]], np.int32)
VEC3 = rng.standard_normal((5, 3))
VEC2 = rng.standard_normal((5, 2))


def _nanquantile(x, q, axis=None, method="linear", keepdims=False):
    return np.nanquantile(x, q, axis=axis, method=method, keepdims=keepdims)


def _divide_no_nan(a, b):
    return np.where(b == 0, 0.0, a / np.where(b == 0, 1.0, b))


def _sum_pairs(a, b):
    return np.sum(a * b)


CASES = [
    OpCase("amax", ops.amax, np.amax, [SPACED]),
    OpCase("amax_axis", lambda x: ops.amax(x, axis=(0, 2), keepdims=True),
           lambda x: np.amax(x, axis=(0, 2), keepdims=True), [SPACED]),
    OpCase("amin", lambda x: ops.amin(x, axis=1), lambda x: np.amin(x, axis=1), [SPACED]),
    OpCase("ptp", lambda x: ops.ptp(x, axis=-1), lambda x: np.ptp(x, axis=-1), [SPACED]),
    OpCase("ptp_all", ops.ptp, np.ptp, [SPACED]),
    OpCase("cbrt", ops.cbrt, np.cbrt, [A * 4]),
    OpCase("fabs", ops.fabs, np.fabs, [A]),
    OpCase("deg2rad", ops.deg2rad, np.deg2rad, [A * 90]),
    OpCase("rad2deg", ops.rad2deg, np.rad2deg, [A]),
    OpCase("sinc", ops.sinc, np.sinc, [np.concatenate([A * 2, [[0.0, 1.0, -2.0, 0.5]]])]),
    # the step is flat in x1 away from 0; at x1 == 0 the value is x2
    OpCase("heaviside", ops.heaviside, np.heaviside, [WITH_ZEROS, B], wrt=[1]),
    OpCase("heaviside_x1", ops.heaviside, np.heaviside, [A, B]),
    OpCase("fmax", ops.fmax, np.fmax, [A, B]),
    OpCase("fmin", ops.fmin, np.fmin, [A, ROW]),
    OpCase("logaddexp2", ops.logaddexp2, np.logaddexp2, [A * 20, B]),
    OpCase("ldexp", ops.ldexp, np.ldexp, [A, EXPONENTS]),
    OpCase("divide_no_nan", ops.divide_no_nan, _divide_no_nan, [A, POS]),
    OpCase("divide_no_nan_zeros", ops.divide_no_nan, _divide_no_nan, [A, WITH_ZEROS], wrt=[0]),
    OpCase("erfc", ops.erfc, scipy.special.erfc, [A * 3]),
    OpCase("erfc_tail", ops.erfc, scipy.special.erfc, [POS * 3], rtol32=2e-5),
    OpCase("erfinv", ops.erfinv, scipy.special.erfinv, [UNIT], rtol32=2e-5),
    OpCase("diff", ops.diff, np.diff, [A]),
    OpCase("diff_twice", lambda x: ops.diff(x, 2, axis=1), lambda x: np.diff(x, 2, axis=1),
           [BATCH]),
    OpCase("trapezoid", ops.trapezoid, np.trapezoid, [A]),
    OpCase("trapezoid_points", lambda y, x: ops.trapezoid(y, x, axis=0),
           lambda y, x: np.trapezoid(y, x, axis=0), [A, np.cumsum(POS[:, 0])]),
    OpCase("trapezoid_dx", lambda y: ops.trapezoid(y, dx=0.3, axis=1),
           lambda y: np.trapezoid(y, dx=0.3, axis=1), [BATCH]),
    OpCase("cross", ops.cross, np.cross, [VEC3, VEC3[::-1].copy()]),
    OpCase("cross_axes", lambda a, b: ops.cross(a, b, axisa=0, axisb=-1, axisc=0),
           lambda a, b: np.cross(a, b, axisa=0, axisb=-1, axisc=0), [VEC3.T.copy(), VEC3]),
    OpCase("cross_2_and_3", ops.cross, lambda a, b: np.cross(np.pad(a, ((0, 0), (0, 1))), b),
           [VEC2, VEC3]),
    OpCase("kron", ops.kron, np.kron, [A[:2, :3], B[:3, :2]]),
    OpCase("kron_ranks", ops.kron, np.kron, [ROW[:3], BATCH]),
    OpCase("vander", ops.vander, np.vander, [ROW]),
    OpCase("vander_increasing", lambda x: ops.vander(x, 3, increasing=True),
           lambda x: np.vander(x, 3, increasing=True), [ROW]),
    OpCase("diagflat", lambda x: ops.diagflat(x, 1), lambda x: np.diagflat(x, 1), [A[:2, :2]]),
    OpCase("rot90", ops.rot90, np.rot90, [A]),
    OpCase("rot90_k3", lambda x: ops.rot90(x, 3, axes=(2, 0)),
           lambda x: np.rot90(x, 3, axes=(2, 0)), [BATCH]),
    OpCase("fliplr", ops.fliplr, np.fliplr, [BATCH]),
    OpCase("flipud", ops.flipud, np.flipud, [A]),
    OpCase("append", ops.append, np.append, [A, ROW]),
    OpCase("append_axis", lambda a, b: ops.append(a, b, axis=0),
           lambda a, b: np.append(a, b, axis=0), [A, B]),
    OpCase("dstack", lambda a, b: ops.dstack([a, b]), lambda a, b: np.dstack([a, b]), [A, B]),
    OpCase("array_split", lambda x: ops.array_split(x, 3, axis=1)[0],
           lambda x: np.array_split(x, 3, axis=1)[0], [A]),
    OpCase("hsplit", lambda x: ops.hsplit(x, [1, 3])[1], lambda x: np.hsplit(x, [1, 3])[1], [A]),
    OpCase("vsplit", lambda x: ops.vsplit(x, 2)[1], lambda x: np.vsplit(x, 2)[1], [BATCH]),
    OpCase("dsplit", lambda x: ops.dsplit(x, 2)[0], lambda x: np.dsplit(x, 2)[0], [BATCH]),
    OpCase("get_item", lambda x: ops.get_item(x, (1, slice(0, 3))), lambda x: x[1, 0:3], [A]),
    OpCase("real", ops.real, np.real, [A]),
    OpCase("conj", ops.conj, np.conj, [A]),
    OpCase("conjugate", ops.conjugate, np.conjugate, [A]),
    OpCase("nansum", lambda x: ops.nansum(x, axis=1), lambda x: np.nansum(x, axis=1), [WITH_NAN]),
    OpCase("nanmean", lambda x: ops.nanmean(x, axis=(0, 2)),
           lambda x: np.nanmean(x, axis=(0, 2)), [WITH_NAN]),
    OpCase("nanmax", lambda x: ops.nanmax(x, axis=-1), lambda x: np.nanmax(x, axis=-1),
           [WITH_NAN]),
    OpCase("nanmin", ops.nanmin, np.nanmin, [WITH_NAN]),
    OpCase("nanprod", lambda x: ops.nanprod(x, axis=0), lambda x: np.nanprod(x, axis=0),
           [NAN_2D * 0.5]),
    OpCase("nanprod_keepdims", lambda x: ops.nanprod(x, axis=(0, 2), keepdims=True),
           lambda x: np.nanprod(x, axis=(0, 2), keepdims=True), [WITH_NAN * 0.3]),
    OpCase("nanvar", lambda x: ops.nanvar(x, axis=1), lambda x: np.nanvar(x, axis=1),
           [WITH_NAN]),
    OpCase("nanstd", lambda x: ops.nanstd(x, axis=2, keepdims=True),
           lambda x: np.nanstd(x, axis=2, keepdims=True), [WITH_NAN]),
    OpCase("nancumsum", lambda x: ops.nancumsum(x, axis=1), lambda x: np.nancumsum(x, axis=1),
           [WITH_NAN]),
    OpCase("nancumprod", lambda x: ops.nancumprod(x, axis=-1),
           lambda x: np.nancumprod(x, axis=-1), [NAN_2D * 0.4]),
    OpCase("nanmedian", lambda x: ops.nanmedian(x, axis=1), lambda x: np.nanmedian(x, axis=1),
           [WITH_NAN]),
    OpCase("nanquantile", lambda x: ops.nanquantile(x, [0.1, 0.5, 0.8], axis=(0, 2)),
           lambda x: _nanquantile(x, [0.1, 0.5, 0.8], axis=(0, 2)), [WITH_NAN]),
    *[OpCase(f"nanquantile_{m}", lambda x, m=m: ops.nanquantile(x, 0.35, axis=-1, method=m,
                                                                keepdims=True),
             lambda x, m=m: _nanquantile(x, 0.35, -1, m, True), [WITH_NAN])
      for m in ("lower", "higher", "midpoint", "nearest")],
    OpCase("nanpercentile", lambda x: ops.nanpercentile(x, 40.0, axis=0),
           lambda x: np.nanpercentile(x, 40.0, axis=0), [WITH_NAN]),
    OpCase("percentile", lambda x: ops.percentile(x, [25.0, 90.0], axis=1),
           lambda x: np.percentile(x, [25.0, 90.0], axis=1), [SPACED]),
    OpCase("correlate", ops.correlate, np.correlate, [ROW, A[0, :3]]),
    *[OpCase(f"correlate_{mode}", lambda a, v, mode=mode: ops.correlate(a, v, mode=mode),
             lambda a, v, mode=mode: np.correlate(a, v, mode=mode), [A[0, :3], B.reshape(-1)[:5]])
      for mode in ("same", "full")],
    OpCase("corrcoef", ops.corrcoef, np.corrcoef, [A]),
    OpCase("i0", ops.i0, np.i0, [A * 3]),
    # the asymptotic expansion beyond |x| = 20
    OpCase("i0_large", ops.i0, np.i0, [np.concatenate([POS * 5 + 18, -POS * 5 - 18])]),
    OpCase("vectorize", ops.vectorize(lambda a, b: a * b + ops.sin(a)),
           np.vectorize(lambda a, b: a * b + np.sin(a)), [A, ROW]),
    OpCase("vectorize_signature", ops.vectorize(lambda a, b: ops.sum(a * b),
                                                signature="(n),(n)->()"),
           np.vectorize(_sum_pairs, signature="(n),(n)->()"), [A, B]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op(case):
    check_op_case(case)


def test_table_covers_every_differentiable_op_added_here():
    names = {c.name for c in CASES} | {c.name.rsplit("_", 1)[0] for c in CASES}
    required = ["amax", "amin", "ptp", "cbrt", "fabs", "deg2rad", "rad2deg", "sinc", "heaviside",
                "fmax", "fmin", "logaddexp2", "ldexp", "divide_no_nan", "erfc", "erfinv", "diff",
                "trapezoid", "cross", "kron", "vander", "diagflat", "rot90", "fliplr", "flipud",
                "append", "dstack", "array_split", "hsplit", "vsplit", "dsplit", "get_item",
                "real", "conj", "conjugate", "nansum", "nanmean", "nanmax", "nanmin", "nanprod",
                "nanvar", "nanstd", "nancumsum", "nancumprod", "nanmedian", "nanquantile",
                "nanpercentile", "percentile", "correlate", "corrcoef", "i0", "vectorize"]
    assert [n for n in required if n not in names] == []
