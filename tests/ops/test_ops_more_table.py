"""The differentiable ops beyond the foundation (trigonometry, logarithms, running
sums and products, contractions, diagonals, sorting, quantiles, rearranging): each
one forward against a float64 NumPy reference, in float32, and with gradients
against central finite differences, on the active backend."""

import numpy as np
import pytest

from kerasx import ops
from kerasx.testing import OpCase, check_op_case

rng = np.random.default_rng(7)
A = rng.standard_normal((3, 4))
B = rng.standard_normal((3, 4))
ROW = rng.standard_normal((4,))
BATCH = rng.standard_normal((2, 3, 4))
SQUARE = rng.standard_normal((4, 4))
UNIT = rng.uniform(-0.9, 0.9, (3, 4))
ABOVE_ONE = rng.uniform(1.2, 3.0, (3, 4))
POS = rng.uniform(0.5, 2.0, (3, 4))
# distinct values, far apart against the finite-difference step
SPACED = rng.permutation(np.arange(24.0)).reshape(2, 3, 4) * 0.37 - 4.0
WITH_ZEROS = np.array([[0.7, 0.0, 1.3, -0.8, 0.0, 2.0],
                       [0.0, 1.1, -0.6, 0.9, 1.4, -1.2],
                       [1.5, -0.7, 0.8, 1.1, -1.3, 0.0],
                       [0.9, 1.2, -0.5, 1.6, 0.6, -1.1]])


def _contract(spec):
    return OpCase(f"einsum_{spec}", lambda *xs: ops.einsum(spec, *xs),
                  lambda *xs: np.einsum(spec, *xs),
                  [rng.standard_normal(s) for s in _EINSUM_SHAPES[spec]])


_EINSUM_SHAPES = {
    "ij,jk->ik": [(2, 3), (3, 4)],
    "ij,jk": [(2, 3), (3, 4)],
    "bij,bjk->bik": [(2, 3, 4), (2, 4, 5)],
    "...ij,...jk": [(1, 2, 3), (4, 3, 2)],
    "...ij,jk->...ik": [(2, 2, 3), (3, 4)],
    "ii->i": [(3, 3)],
    "ii": [(3, 3)],
    "iij->j": [(3, 3, 2)],
    "ii,i->i": [(3, 3), (3,)],
    "ij->": [(2, 3)],
    "ji": [(2, 3)],
    "i,j->ij": [(3,), (4,)],
    "ij,ij->ij": [(1, 3), (2, 3)],
    "ijk,jil->kl": [(2, 3, 4), (3, 2, 5)],
    "ab,bc,cd->ad": [(2, 3), (3, 4), (4, 5)],
    "i...->...": [(2, 3, 4)],
}


def _quantile(x, q, axis=None, method="linear", keepdims=False):
    return np.quantile(x, q, axis=axis, method=method, keepdims=keepdims)


CASES = [
    OpCase("tan", ops.tan, np.tan, [UNIT]),
    OpCase("arcsin", ops.arcsin, np.arcsin, [UNIT]),
    OpCase("arccos", ops.arccos, np.arccos, [UNIT]),
    OpCase("arctan", ops.arctan, np.arctan, [A]),
    OpCase("sinh", ops.sinh, np.sinh, [A]),
    OpCase("cosh", ops.cosh, np.cosh, [A]),
    OpCase("arcsinh", ops.arcsinh, np.arcsinh, [A]),
    OpCase("arccosh", ops.arccosh, np.arccosh, [ABOVE_ONE]),
    OpCase("arctanh", ops.arctanh, np.arctanh, [UNIT]),
    OpCase("arctan2", ops.arctan2, np.arctan2, [A, B]),
    OpCase("arctan2_broadcast", ops.arctan2, np.arctan2, [A, ROW]),
    OpCase("hypot", ops.hypot, np.hypot, [A, B]),
    OpCase("log2", ops.log2, np.log2, [POS]),
    OpCase("log10", ops.log10, np.log10, [POS]),
    OpCase("exp2", ops.exp2, np.exp2, [A]),
    OpCase("rsqrt", ops.rsqrt, lambda x: 1 / np.sqrt(x), [POS]),
    OpCase("logaddexp", ops.logaddexp, np.logaddexp, [A, B * 30]),
    OpCase("true_divide", ops.true_divide, np.true_divide, [A, POS]),
    OpCase("fmod", ops.fmod, np.fmod, [A * 3, POS], wrt=[0]),
    OpCase("nan_to_num", ops.nan_to_num, np.nan_to_num, [A]),
    OpCase("copy", ops.copy, np.copy, [A]),
    OpCase("cumsum", ops.cumsum, np.cumsum, [A]),
    OpCase("cumsum_axis", lambda x: ops.cumsum(x, axis=1), lambda x: np.cumsum(x, axis=1),
           [BATCH]),
    OpCase("cumprod", ops.cumprod, np.cumprod, [POS]),
    OpCase("cumprod_axis", lambda x: ops.cumprod(x, axis=-1), lambda x: np.cumprod(x, axis=-1),
           [BATCH]),
    # zeros: first, second and last along the axis, and two zeros in one row
    OpCase("cumprod_zeros", lambda x: ops.cumprod(x, axis=1), lambda x: np.cumprod(x, axis=1),
           [WITH_ZEROS]),
    OpCase("cumprod_zeros_axis0", lambda x: ops.cumprod(x, axis=0),
           lambda x: np.cumprod(x, axis=0), [WITH_ZEROS]),
    OpCase("cumprod_zeros_flat", ops.cumprod, np.cumprod, [WITH_ZEROS[:2]]),
    *[_contract(spec) for spec in _EINSUM_SHAPES],
    OpCase("tensordot", ops.tensordot, np.tensordot, [BATCH, rng.standard_normal((3, 4, 2))]),
    OpCase("tensordot_pairs", lambda a, b: ops.tensordot(a, b, axes=([0, 2], [1, 0])),
           lambda a, b: np.tensordot(a, b, axes=([0, 2], [1, 0])),
           [BATCH, rng.standard_normal((4, 2, 5))]),
    OpCase("tensordot_0", lambda a, b: ops.tensordot(a, b, axes=0),
           lambda a, b: np.tensordot(a, b, axes=0), [ROW, A]),
    OpCase("outer", ops.outer, np.outer, [A, ROW]),
    OpCase("inner", ops.inner, np.inner, [A, B]),
    OpCase("inner_vector", ops.inner, np.inner, [ROW, A]),
    OpCase("vdot", ops.vdot, np.vdot, [A, B]),
    OpCase("trace", ops.trace, np.trace, [A]),
    OpCase("trace_offset", lambda x: ops.trace(x, offset=-1, axis1=2, axis2=1),
           lambda x: np.trace(x, offset=-1, axis1=2, axis2=1), [BATCH]),
    OpCase("diagonal", ops.diagonal, np.diagonal, [A]),
    OpCase("diagonal_offset", lambda x: ops.diagonal(x, 1, 0, 2),
           lambda x: np.diagonal(x, 1, 0, 2), [BATCH]),
    OpCase("diag", ops.diag, np.diag, [SQUARE]),
    OpCase("diag_vector", lambda x: ops.diag(x, 1), lambda x: np.diag(x, 1), [ROW]),
    OpCase("diag_vector_below", lambda x: ops.diag(x, -2), lambda x: np.diag(x, -2), [ROW]),
    OpCase("tril", ops.tril, np.tril, [BATCH]),
    OpCase("triu", lambda x: ops.triu(x, -1), lambda x: np.triu(x, -1), [A]),
    OpCase("roll", lambda x: ops.roll(x, 2, axis=1), lambda x: np.roll(x, 2, axis=1), [A]),
    OpCase("roll_flat", lambda x: ops.roll(x, -5), lambda x: np.roll(x, -5), [A]),
    OpCase("unstack", lambda x: ops.unstack(x, axis=1)[2], lambda x: x[:, 2], [BATCH]),
    OpCase("unstack_sum", lambda x: ops.add(*ops.unstack(x, axis=-1)[1:3]),
           lambda x: x[..., 1] + x[..., 2], [A]),
    OpCase("hstack", lambda a, b: ops.hstack([a, b]), lambda a, b: np.hstack([a, b]), [A, B]),
    OpCase("vstack", lambda a, b: ops.vstack([a, b]), lambda a, b: np.vstack([a, b]), [A, ROW]),
    OpCase("ravel", ops.ravel, np.ravel, [BATCH]),
    OpCase("average", lambda x: ops.average(x, axis=1), lambda x: np.average(x, axis=1), [A]),
    OpCase("average_weights", lambda x, w: ops.average(x, axis=0, weights=w),
           lambda x, w: np.average(x, axis=0, weights=w), [A, POS]),
    OpCase("average_weights_1d", lambda x, w: ops.average(x, axis=1, weights=w),
           lambda x, w: np.average(x, axis=1, weights=w), [A, POS[0]]),
    OpCase("sort", ops.sort, np.sort, [SPACED]),
    OpCase("sort_axis0", lambda x: ops.sort(x, axis=0), lambda x: np.sort(x, axis=0), [SPACED]),
    OpCase("top_k", lambda x: ops.top_k(x, 3)[0], lambda x: -np.sort(-x, axis=-1)[..., :3],
           [SPACED]),
    OpCase("select", lambda a, b: ops.select([a > 0.5, b > 0], [a, b], -1.0),
           lambda a, b: np.select([a > 0.5, b > 0], [a, b], -1.0), [A, B]),
    OpCase("slice", lambda x: ops.slice(x, (1, 0, 2), (1, 2, 2)), lambda x: x[1:2, 0:2, 2:4],
           [BATCH]),
    OpCase("slice_update", lambda x, u: ops.slice_update(x, (1, 1), u),
           lambda x, u: np.concatenate([x[:1], np.concatenate([x[1:3, :1], u], 1)]),
           [A, rng.standard_normal((2, 3))]),
    OpCase("scatter_update", lambda x, u: ops.scatter_update(x, [[2], [0], [2]], u),
           lambda x, u: np.stack([u[1], x[1], u[2]]), [A, rng.standard_normal((3, 4))]),
    OpCase("scatter_update_add", lambda x, u: ops.scatter_update(x, [[1, 2], [0, 0], [1, 2]], u,
                                                                 reduction="add"),
           lambda x, u: x + np.eye(3)[[1, 0, 1]].T @ (u[:, None] * np.eye(4)[[2, 0, 2]]),
           [A, rng.standard_normal(3)]),
    OpCase("median", ops.median, np.median, [SPACED]),
    OpCase("median_axis", lambda x: ops.median(x, axis=-1, keepdims=True),
           lambda x: np.median(x, axis=-1, keepdims=True), [SPACED]),
    OpCase("median_axes", lambda x: ops.median(x, axis=(0, 2)),
           lambda x: np.median(x, axis=(0, 2)), [SPACED]),
    OpCase("quantile", lambda x: ops.quantile(x, 0.3, axis=1), lambda x: _quantile(x, 0.3, 1),
           [SPACED]),
    OpCase("quantile_many", lambda x: ops.quantile(x, np.array([0.0, 0.25, 0.9, 1.0]), axis=0),
           lambda x: _quantile(x, np.array([0.0, 0.25, 0.9, 1.0]), 0), [SPACED]),
    *[OpCase(f"quantile_{m}", lambda x, m=m: ops.quantile(x, [0.2, 0.5, 0.75], axis=-1,
                                                          method=m, keepdims=True),
             lambda x, m=m: _quantile(x, [0.2, 0.5, 0.75], -1, m, True), [SPACED])
      for m in ("lower", "higher", "midpoint", "nearest")],
    OpCase("meshgrid", lambda a, b: ops.meshgrid(a, b)[0] * ops.meshgrid(a, b)[1],
           lambda a, b: np.meshgrid(a, b)[0] * np.meshgrid(a, b)[1], [ROW, A[0, :3]]),
    OpCase("meshgrid_ij", lambda a, b, c: ops.meshgrid(a, b, c, indexing="ij")[2],
           lambda a, b, c: np.meshgrid(a, b, c, indexing="ij")[2], [ROW[:2], A[0], B[1, :3]]),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_op(case):
    check_op_case(case)


def test_table_covers_every_differentiable_op_added_here():
    names = {c.name.split("_")[0] for c in CASES} | {c.name for c in CASES}
    required = ["cumsum", "cumprod", "einsum", "tensordot", "outer", "inner", "vdot", "tan",
                "arctan", "arcsin", "arccos", "arctan2", "sinh", "cosh", "arcsinh", "arccosh",
                "arctanh", "log2", "log10", "exp2", "rsqrt", "logaddexp", "hypot",
                "true_divide", "trace", "diagonal", "diag", "tril", "triu", "roll", "unstack",
                "hstack", "vstack", "ravel", "average", "nan_to_num", "copy", "sort", "top_k",
                "select", "slice", "slice_update", "scatter_update", "median", "quantile",
                "fmod", "meshgrid"]
    assert [n for n in required if n not in names] == []
