"""`kerasx.array_api`: kerasx tensors carry an array API namespace whose functions are
kerasx's differentiable ops; checked against NumPy's array-API namespace
(array-api-compat), with finite-difference gradients through array-API code."""

import numpy as np
import pytest

import array_api_compat
import array_api_compat.numpy as ref

import kerasx
import kerasx.array_api as xp
from kerasx import ops
from kerasx.testing import check_gradients
from tests.conftest import to_numpy

rng = np.random.default_rng(0)
A = rng.standard_normal((3, 4)).astype("float32")
B = rng.standard_normal((3, 4)).astype("float32")
P = (np.abs(A) + 0.5).astype("float32")
I = np.array([[3, 1, 2, 1], [0, 5, 5, 2], [7, 7, 1, 0]], dtype="int32")
V = np.array([2.0, -1.0, 2.0, 0.5, -1.0], dtype="float32")
S = np.sort(V)
M = (rng.standard_normal((3, 3)) + 3 * np.eye(3)).astype("float32")

# (function, positional arguments, keyword arguments): the same call on kerasx tensors and
# on NumPy arrays through array-api-compat's NumPy namespace
CASES = [
    ("abs", [A], {}), ("acos", [np.tanh(A)], {}), ("acosh", [P + 1], {}), ("add", [A, B], {}),
    ("asin", [np.tanh(A)], {}), ("asinh", [A], {}), ("atan", [A], {}), ("atan2", [A, B], {}),
    ("atanh", [np.tanh(A) * 0.9], {}), ("bitwise_and", [I, I[::-1]], {}),
    ("bitwise_or", [I, I[::-1]], {}), ("bitwise_xor", [I, I[::-1]], {}),
    ("bitwise_invert", [I], {}), ("bitwise_left_shift", [I, I % 3], {}),
    ("bitwise_right_shift", [I, I % 3], {}), ("ceil", [A], {}), ("clip", [A], {"min": -0.5}),
    ("clip", [A], {"min": -0.5, "max": 0.25}), ("copysign", [A, B], {}), ("cos", [A], {}),
    ("cosh", [A], {}), ("divide", [A, P], {}), ("equal", [I, I[::-1]], {}), ("exp", [A], {}),
    ("expm1", [A], {}), ("floor", [A], {}), ("floor_divide", [A, P], {}),
    ("greater", [A, B], {}), ("greater_equal", [A, B], {}), ("hypot", [A, B], {}),
    ("isfinite", [A], {}), ("isinf", [A], {}), ("isnan", [A], {}), ("less", [A, B], {}),
    ("less_equal", [A, B], {}), ("log", [P], {}), ("log1p", [P], {}), ("log2", [P], {}),
    ("log10", [P], {}), ("logaddexp", [A, B], {}), ("logical_and", [A > 0, B > 0], {}),
    ("logical_not", [A > 0], {}), ("logical_or", [A > 0, B > 0], {}),
    ("logical_xor", [A > 0, B > 0], {}), ("maximum", [A, B], {}), ("minimum", [A, B], {}),
    ("multiply", [A, B], {}), ("negative", [A], {}), ("not_equal", [I, I[::-1]], {}),
    ("positive", [A], {}), ("pow", [P, B], {}), ("reciprocal", [P], {}),
    ("remainder", [A, P], {}), ("round", [A * 3], {}), ("sign", [A], {}),
    ("signbit", [A], {}), ("sin", [A], {}), ("sinh", [A], {}), ("sqrt", [P], {}),
    ("square", [A], {}), ("subtract", [A, B], {}), ("tan", [A], {}), ("tanh", [A], {}),
    ("trunc", [A * 3], {}),
    # creation
    ("arange", [2, 9, 3], {}), ("eye", [3, 4], {"k": 1}), ("full", [(2, 3), 1.5], {}),
    ("full_like", [A, 2.0], {}), ("linspace", [0.0, 1.0], {"num": 5}),
    ("linspace", [0.0, 1.0], {"num": 4, "endpoint": False}), ("ones", [(2, 2)], {}),
    ("ones_like", [I], {}), ("zeros", [(3,)], {"dtype": "int32"}), ("zeros_like", [A], {}),
    ("tril", [A], {"k": -1}), ("triu", [A], {"k": 1}),
    # manipulation
    ("broadcast_to", [V[:3, None]], {"shape": (3, 4)}), ("concat", [[A, B]], {"axis": 1}),
    ("concat", [[A, B]], {"axis": None}), ("expand_dims", [A], {"axis": 1}),
    ("flip", [A], {"axis": 0}), ("moveaxis", [A[None], 0, 2], {}),
    ("permute_dims", [A, (1, 0)], {}), ("repeat", [A, 2], {"axis": 1}),
    ("reshape", [A, (4, 3)], {}), ("roll", [A, 1], {"axis": 1}),
    ("squeeze", [A[:, None]], {"axis": 1}), ("stack", [[A, B]], {"axis": 2}),
    ("tile", [A, (2, 1)], {}), ("matrix_transpose", [A[None]], {}),
    # linear algebra, searching, sorting, statistics
    ("matmul", [A, B.T], {}), ("tensordot", [A, B], {"axes": ([1], [1])}),
    ("vecdot", [A, B], {}), ("argmax", [A], {"axis": 1}),
    ("argmin", [A], {"axis": 0, "keepdims": True}), ("where", [A > 0, A, B], {}),
    ("searchsorted", [S, V], {"side": "right"}),
    ("searchsorted", [V, S], {"sorter": np.argsort(V, kind="stable")}),
    ("sort", [V], {"descending": True}), ("argsort", [V], {}),
    ("argsort", [V], {"descending": True}), ("sum", [A], {"axis": 1}),
    ("sum", [I], {"dtype": "float32"}), ("prod", [P], {"axis": 0, "keepdims": True}),
    ("max", [A], {"axis": (0, 1)}), ("min", [A], {}), ("mean", [A], {"axis": 0}),
    ("var", [A], {"axis": 1, "correction": 1}), ("std", [A], {"correction": 1.5}),
    ("cumulative_sum", [A], {"axis": 1, "include_initial": True}),
    ("cumulative_prod", [V], {}), ("all", [A > -3], {"axis": 0}), ("any", [A > 1], {}),
    ("diff", [A], {"axis": 1, "prepend": np.zeros((3, 1), "float32")}), ("diff", [V], {"n": 2}),
    ("count_nonzero", [I], {"axis": 1}), ("take", [A, np.array([2, 0])], {"axis": 1}),
    ("take_along_axis", [A, np.argsort(A, axis=1)], {"axis": 1}),
]
# kerasx's default integer dtype is int32 (Keras's, for indices, counts and Python integers),
# NumPy's int64
_DEFAULT_INTEGER = {"argmax", "argmin", "argsort", "searchsorted", "count_nonzero", "arange"}
# and its default float dtype is floatx() (float32), NumPy's float64
_DEFAULT_FLOAT = {"eye", "full", "linspace", "ones", "zeros"}


def _tensors(args):
    return [[ops.convert_to_tensor(a) for a in x] if isinstance(x, list)
            else ops.convert_to_tensor(x) if isinstance(x, np.ndarray) else x for x in args]


@pytest.mark.parametrize("name, args, kwargs", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_function_matches_numpys_array_api(name, args, kwargs):
    expected = getattr(ref, name)(*args, **kwargs)
    got = getattr(xp, name)(*_tensors(args), **kwargs)
    want_dtype = str(expected.dtype)
    if name in _DEFAULT_INTEGER:
        want_dtype = want_dtype.replace("int64", "int32")
    if name in _DEFAULT_FLOAT:
        want_dtype = want_dtype.replace("float64", kerasx.config.floatx())
    assert got.dtype == want_dtype
    np.testing.assert_allclose(to_numpy(got), np.asarray(expected), rtol=2e-6, atol=2e-6)


def test_tensors_carry_the_namespace_and_array_attributes():
    t = ops.convert_to_tensor(A)
    assert t.__array_namespace__() is xp and array_api_compat.array_namespace(t) is xp
    assert kerasx.Variable(A).__array_namespace__() is xp
    assert t.size == 12 and t.mT.shape == (4, 3) and t.device == xp.asarray(1.0).device
    assert t.to_device(t.device) is t
    with pytest.raises(ValueError, match="device"):
        t.to_device("another")
    assert t.dtype == xp.float32 and xp.isdtype(t.dtype, "real floating")
    assert not xp.isdtype(t.dtype, ("integral", "bool"))
    assert [8, 9][ops.convert_to_tensor(np.int32(1))] == 9  # __index__
    with pytest.raises(ValueError, match="2024.12"):
        t.__array_namespace__(api_version="2099.01")


def test_dlpack_round_trip_keeps_the_values():
    t = ops.convert_to_tensor(A)
    np.testing.assert_array_equal(np.from_dlpack(to_numpy(t)), A)
    if kerasx.backends.current().name == "numpy":
        np.testing.assert_array_equal(np.from_dlpack(t), A)
        np.testing.assert_array_equal(to_numpy(xp.from_dlpack(np.asarray(A))), A)


def test_dtype_functions():
    assert xp.finfo(xp.float32).eps == np.finfo(np.float32).eps
    assert xp.finfo(ops.convert_to_tensor(A)).bits == 32
    assert xp.iinfo("int8").max == 127 and xp.iinfo(xp.uint16).min == 0
    assert xp.result_type(xp.int8, xp.uint8) == "int16"
    assert xp.result_type(ops.convert_to_tensor(A), 1.0) == "float32"
    assert xp.can_cast(xp.int8, xp.int32) and not xp.can_cast(xp.float64, xp.float32)
    assert xp.astype(ops.convert_to_tensor(I), xp.float32).dtype == "float32"
    with pytest.raises(ValueError, match="unknown kind"):
        xp.isdtype(xp.float32, "real number")
    info = xp.__array_namespace_info__()
    assert info.default_dtypes()["indexing"] == "int32"
    assert "float64" in info.dtypes() and set(info.dtypes(kind="bool")) == {"bool"}


def test_sets_and_nonzero():
    t = ops.convert_to_tensor(I)
    values, indices, inverse, counts = xp.unique_all(t)
    np.testing.assert_array_equal(to_numpy(values), np.unique(I))
    np.testing.assert_array_equal(to_numpy(values)[to_numpy(inverse)], I)
    np.testing.assert_array_equal(I.reshape(-1)[to_numpy(indices)], np.unique(I))
    np.testing.assert_array_equal(to_numpy(counts), np.unique(I, return_counts=True)[1])
    np.testing.assert_array_equal(to_numpy(xp.unique_values(t)), np.unique(I))
    rows, cols = xp.nonzero(ops.convert_to_tensor(I > 4))
    np.testing.assert_array_equal(to_numpy(rows), np.nonzero(I > 4)[0])
    np.testing.assert_array_equal(to_numpy(cols), np.nonzero(I > 4)[1])


def test_linalg_extension():
    m = ops.convert_to_tensor(M)
    np.testing.assert_allclose(to_numpy(xp.linalg.inv(m)), np.linalg.inv(M), rtol=1e-5,
                               atol=1e-5)
    np.testing.assert_allclose(to_numpy(xp.linalg.matrix_power(m, 3)),
                               np.linalg.matrix_power(M, 3), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(xp.linalg.vector_norm(m)), np.linalg.norm(M),
                               rtol=1e-6)
    np.testing.assert_allclose(to_numpy(xp.linalg.trace(m)), np.trace(M), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(xp.linalg.diagonal(m, offset=1)),
                               np.diagonal(M, 1), rtol=1e-6)


def test_gradients_flow_through_array_api_code():
    def fn(a, b):
        x = xp.concat([xp.reshape(a, (4, 3)), xp.permute_dims(b, (1, 0))], axis=1)
        y = xp.std(x, axis=0, correction=1) + xp.sum(xp.sort(x, axis=1, descending=True)[:, 0])
        z = xp.cumulative_sum(xp.vecdot(a, b), include_initial=True)
        return xp.sum(y) + xp.sum(z ** 2) + xp.sum(xp.clip(a, min=-0.2, max=0.3))

    check_gradients(fn, [A.astype("float64"), B.astype("float64")])


def test_symbolic_tensors_build_functional_models():
    inputs = kerasx.Input((4,))
    outputs = xp.sum(xp.reshape(inputs, (-1, 2, 2)) ** 2, axis=2)
    model = kerasx.Model(inputs, outputs)
    np.testing.assert_allclose(model.predict(A, verbose=0),
                               (A.reshape(3, 2, 2) ** 2).sum(2), rtol=1e-6)


def test_einops_array_api_on_tensors_with_gradients():
    einops_array_api = pytest.importorskip("einops.array_api")
    w = kerasx.Variable(A)
    with kerasx.GradientTape() as tape:
        y = einops_array_api.rearrange(w, "a (b c) -> (a b) c", c=2)
        loss = xp.sum(einops_array_api.reduce(y, "n c -> n", "max"))
    assert y.shape == (6, 2)
    grad = to_numpy(tape.gradient(loss, w))
    expected = np.zeros_like(A)
    pairs = A.reshape(3, 2, 2)
    for i in range(3):
        for j in range(2):
            expected[i, 2 * j + pairs[i, j].argmax()] = 1.0
    np.testing.assert_array_equal(grad, expected)


def test_eager_bit_and_reflected_operators_are_the_arrays():
    i = ops.convert_to_tensor(np.array([6, 3], "int32"))
    b = ops.convert_to_tensor(np.array([True, False]))
    n = np.array([6, 3], "int32")
    for got, want in [(i & 3, n & 3), (3 | i, 3 | n), (i ^ 5, n ^ 5), (~i, ~n), (i << 1, n << 1),
                      (1 << i, 1 << n), (i >> 1, n >> 1), (2 // i, 2 // n), (7 % i, 7 % n),
                      (b & ~b, np.zeros(2, bool)), (True ^ b, np.array([False, True]))]:
        np.testing.assert_array_equal(to_numpy(got), want)
    assert (i & 3).dtype == "int32" and (b | b).dtype == "bool"
