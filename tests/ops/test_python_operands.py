"""Python numbers and lists given to ops are read with Keras's dtypes (floats as floatx,
integers as int32, booleans as bool, complex numbers as complex64), and the results
match Keras's values.

The expected dtypes and values below come from Keras 3.15.1 (JAX backend, floatx
float32), computed with the same calls.
"""

import math

import numpy as np
import pytest

import kerasx
from kerasx import layers, metrics, ops
from kerasx.backends import current

F32_MAX = float(np.finfo(np.float32).max)

# (call, Keras dtype, Keras value), from Keras 3.15.1
CASES = [
    ("nan_to_num(2.5)", lambda: ops.nan_to_num(2.5), "float32", 2.5),
    ("nan_to_num(3)", lambda: ops.nan_to_num(3), "int32", 3),
    ("nan_to_num(True)", lambda: ops.nan_to_num(True), "bool", True),
    ("nan_to_num(nan)", lambda: ops.nan_to_num(float("nan")), "float32", 0.0),
    ("nan_to_num(inf)", lambda: ops.nan_to_num(float("inf")), "float32", F32_MAX),
    ("nan_to_num(-inf)", lambda: ops.nan_to_num(float("-inf")), "float32", -F32_MAX),
    ("nanmean(2.5)", lambda: ops.nanmean(2.5), "float32", 2.5),
    ("nanmean(3)", lambda: ops.nanmean(3), "float32", 3.0),
    ("nanmean(True)", lambda: ops.nanmean(True), "float32", 1.0),
    ("nansum(2.5)", lambda: ops.nansum(2.5), "float32", 2.5),
    ("nansum(3)", lambda: ops.nansum(3), "int32", 3),
    ("nansum(True)", lambda: ops.nansum(True), "int32", 1),
    ("nanmax(3)", lambda: ops.nanmax(3), "int32", 3),
    ("nanmax(True)", lambda: ops.nanmax(True), "bool", True),
    ("nanmin(2.5)", lambda: ops.nanmin(2.5), "float32", 2.5),
    ("nanprod(2.5)", lambda: ops.nanprod(2.5), "float32", 2.5),
    ("nanprod(True)", lambda: ops.nanprod(True), "int32", 1),
    ("nanstd(3)", lambda: ops.nanstd(3), "float32", 0.0),
    ("nanvar(2.5)", lambda: ops.nanvar(2.5), "float32", 0.0),
    ("nanmedian(2.5)", lambda: ops.nanmedian(2.5), "float32", 2.5),
    ("nanmedian(3)", lambda: ops.nanmedian(3), "float32", 3.0),
    ("nancumsum(2.5)", lambda: ops.nancumsum(2.5), "float32", [2.5]),
    ("nancumsum(3)", lambda: ops.nancumsum(3), "int32", [3]),
    ("median(2.5)", lambda: ops.median(2.5), "float32", 2.5),
    ("median(True)", lambda: ops.median(True), "float32", 1.0),
    ("round(2.5)", lambda: ops.round(2.5), "float32", 2.0),
    ("round(3)", lambda: ops.round(3), "int32", 3),
    ("round(2.567, 1)", lambda: ops.round(2.567, 1), "float32", 2.6000001430511475),
    ("round(3, 1)", lambda: ops.round(3, 1), "int32", 3),
    ("round(37, -1)", lambda: ops.round(37, -1), "int32", 40),
    ("trunc(2.5)", lambda: ops.trunc(2.5), "float32", 2.0),
    ("trunc(-2.5)", lambda: ops.trunc(-2.5), "float32", -2.0),
    ("trunc(3)", lambda: ops.trunc(3), "int32", 3),
    ("trunc(True)", lambda: ops.trunc(True), "bool", True),
    ("real(2.5)", lambda: ops.real(2.5), "float32", 2.5),
    ("real(3)", lambda: ops.real(3), "int32", 3),
    ("real(1+2j)", lambda: ops.real(1 + 2j), "float32", 1.0),
    ("imag(2.5)", lambda: ops.imag(2.5), "float32", 0.0),
    ("imag(True)", lambda: ops.imag(True), "bool", False),
    ("imag(1+2j)", lambda: ops.imag(1 + 2j), "float32", 2.0),
    ("conj(2.5)", lambda: ops.conj(2.5), "float32", 2.5),
    ("conjugate(3)", lambda: ops.conjugate(3), "int32", 3),
    ("conj(1+2j)", lambda: ops.conj(1 + 2j), "complex64", 1 - 2j),
    ("angle(3)", lambda: ops.angle(3), "float32", 0.0),
    ("angle(1+1j)", lambda: ops.angle(1 + 1j), "float32", 0.7853981852531433),
    ("unique(2.5)", lambda: ops.unique(2.5), "float32", [2.5]),
    ("unique(3)", lambda: ops.unique(3), "int32", [3]),
    ("unique(True)", lambda: ops.unique(True), "bool", [True]),
    ("zeros_like(2.5)", lambda: ops.zeros_like(2.5), "float32", 0.0),
    ("zeros_like(3)", lambda: ops.zeros_like(3), "int32", 0),
    ("ones_like(2.5)", lambda: ops.ones_like(2.5), "float32", 1.0),
    ("ones_like(True)", lambda: ops.ones_like(True), "bool", True),
    ("full_like(2.5, 7)", lambda: ops.full_like(2.5, 7), "float32", 7.0),
    ("full_like(3, 7.5)", lambda: ops.full_like(3, 7.5), "int32", 7),
    ("full_like(True, 7)", lambda: ops.full_like(True, 7), "bool", True),
    ("argsort(2.5)", lambda: ops.argsort(2.5), "int32", [0]),
    ("argsort(True)", lambda: ops.argsort(True), "int32", [0]),
    ("flip(2.5)", lambda: ops.flip(2.5), "float32", 2.5),
    ("flip(3)", lambda: ops.flip(3), "int32", 3),
    ("signbit(-2.5)", lambda: ops.signbit(-2.5), "bool", True),
    ("signbit(-3)", lambda: ops.signbit(-3), "bool", True),
    ("signbit(True)", lambda: ops.signbit(True), "bool", False),
    ("corrcoef(2.5)", lambda: ops.corrcoef(2.5), "float32", math.nan),
    ("corrcoef(3)", lambda: ops.corrcoef(3), "float32", math.nan),
    ("square(True)", lambda: ops.square(True), "int32", 1),
    ("tile(2.5, 3)", lambda: ops.tile(2.5, 3), "float32", [2.5, 2.5, 2.5]),
    ("hstack([1, 2, 3])", lambda: ops.hstack([1, 2, 3]), "int32", [1, 2, 3]),
    ("hstack([1.0, 2.0])", lambda: ops.hstack([1.0, 2.0]), "float32", [1.0, 2.0]),
    ("hstack([1, 2.5])", lambda: ops.hstack([1, 2.5]), "float32", [1.0, 2.5]),
    ("hstack((1, 2))", lambda: ops.hstack((1, 2)), "int32", [1, 2]),
    ("hstack([True, False])", lambda: ops.hstack([True, False]), "bool", [True, False]),
    ("hstack([np.float32(1), 2])", lambda: ops.hstack([np.float32(1), 2]), "float32",
     [1.0, 2.0]),
    ("vstack([1, 2, 3])", lambda: ops.vstack([1, 2, 3]), "int32", [[1], [2], [3]]),
    ("vstack([1.0, 2.0])", lambda: ops.vstack([1.0, 2.0]), "float32", [[1.0], [2.0]]),
    ("vstack([True, 1])", lambda: ops.vstack([True, 1]), "int32", [[1], [1]]),
    ("stop_gradient(2.5)", lambda: ops.stop_gradient(2.5), "float32", 2.5),
    # two numbers given to a two-operand op
    ("add(1.5, 1.5)", lambda: ops.add(1.5, 1.5), "float32", 3.0),
    ("multiply(2, 3)", lambda: ops.multiply(2, 3), "int32", 6),
    ("subtract(1.5, 1)", lambda: ops.subtract(1.5, 1), "float32", 0.5),
    ("subtract(7, 2)", lambda: ops.subtract(7, 2), "int32", 5),
    ("multiply(2, 2.5)", lambda: ops.multiply(2, 2.5), "float32", 5.0),
    ("maximum(1.0, 2.0)", lambda: ops.maximum(1.0, 2.0), "float32", 2.0),
    ("minimum(3, 2.5)", lambda: ops.minimum(3, 2.5), "float32", 2.5),
    ("power(2.0, 3)", lambda: ops.power(2.0, 3), "float32", 8.0),
    ("add(True, 2)", lambda: ops.add(True, 2), "int32", 3),
    ("maximum(True, 0)", lambda: ops.maximum(True, 0), "int32", 1),
    ("floor_divide(2.5, 2)", lambda: ops.floor_divide(2.5, 2), "float32", 1.0),
    ("mod(3, 2)", lambda: ops.mod(3, 2), "int32", 1),
    ("mod(2.5, 2)", lambda: ops.mod(2.5, 2), "float32", 0.5),
    ("greater(2.5, 2)", lambda: ops.greater(2.5, 2), "bool", True),
    ("less_equal(3, 2)", lambda: ops.less_equal(3, 2), "bool", False),
    ("equal(1.5, 0.5)", lambda: ops.equal(1.5, 0.5), "bool", False),
    ("isclose(2.5, 2)", lambda: ops.isclose(2.5, 2), "bool", False),
    ("logical_and(3, 2)", lambda: ops.logical_and(3, 2), "bool", True),
    ("logical_or(0, 2.5)", lambda: ops.logical_or(0, 2.5), "bool", True),
    ("logical_xor(3, 2)", lambda: ops.logical_xor(3, 2), "bool", False),
    ("logical_not(2)", lambda: ops.logical_not(2), "bool", False),
    ("bitwise_and(3, 2)", lambda: ops.bitwise_and(3, 2), "int32", 2),
    ("left_shift(3, 2)", lambda: ops.left_shift(3, 2), "int32", 12),
    ("gcd(3, 2)", lambda: ops.gcd(3, 2), "int32", 1),
    ("lcm(3, 2)", lambda: ops.lcm(3, 2), "int32", 6),
    ("matmul([[1, 2]], [[3], [4]])", lambda: ops.matmul([[1, 2]], [[3], [4]]), "int32", [[11]]),
    ("greater(int32, float32)", lambda: ops.greater(np.array([1, 3], "int32"),
                                                    np.array([1.5, 2.5], "float32")),
     "bool", [False, True]),
]


# array_api_strict's max and argsort take no booleans, whatever the operand
BOOLEAN_ORDERING = {"nanmax(True)", "unique(True)", "argsort(True)"}


@pytest.mark.filterwarnings("ignore:invalid value encountered")  # corrcoef of one value
@pytest.mark.parametrize("name, call, dtype, expected", CASES, ids=[c[0] for c in CASES])
def test_python_operand_matches_keras(name, call, dtype, expected):
    if name in BOOLEAN_ORDERING and current().name == "array_api_strict":
        pytest.skip("array_api_strict orders no booleans")
    out = ops.convert_to_numpy(call())
    assert str(out.dtype) == dtype
    # rounding may differ by one float32 step (`round(2.567, 1)`)
    np.testing.assert_allclose(out, np.asarray(expected, dtype=dtype), rtol=1e-6)


def test_list_operands_keep_keras_dtypes():
    # from Keras 3.15.1: lists read as float32 / int32 / bool, as Python numbers are
    nan_list = [1.5, float("nan"), 2.0]
    for out, dtype, expected in [
            (ops.nansum(nan_list), "float32", 3.5),
            (ops.nanmean(nan_list), "float32", 1.75),
            (ops.nan_to_num(nan_list), "float32", [1.5, 0.0, 2.0]),
            (ops.unique([3, 1, 3]), "int32", [1, 3]),
            (ops.argsort([3.0, 1.0]), "int32", [1, 0]),
            (ops.signbit([-1, 2]), "bool", [True, False]),
            (ops.real([1.0, 2.0]), "float32", [1.0, 2.0])]:
        out = ops.convert_to_numpy(out)
        assert str(out.dtype) == dtype
        np.testing.assert_array_equal(out, np.asarray(expected, dtype=dtype))


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_corrcoef_of_one_value_is_nan_and_rank_3_is_refused():
    one = ops.convert_to_numpy(ops.corrcoef(np.array([2.5], dtype="float32")))
    assert one.shape == () and np.isnan(one)
    with pytest.raises(ValueError, match=r"0-D, 1-D or 2-D input, received shape \(1, 1, 2\)"):
        ops.corrcoef(np.zeros((1, 1, 2), dtype="float32"))


@pytest.mark.parametrize("k", [0, 1, -1])
def test_diag_of_a_vector_keeps_nan_on_its_diagonal_only(k):
    # Keras 3.15.1 gives [[1.5, 0, 0], [0, nan, 0], [0, 0, 2]] for k=0 (NumPy's np.diag)
    x = np.array([1.5, np.nan, 2.0], dtype="float32")
    out = ops.convert_to_numpy(ops.diag(x, k))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.diag(x, k))


def test_diag_gradient_reaches_the_vector():
    x = kerasx.Variable(np.array([1.0, 2.0, 3.0], dtype="float32"))
    weights = np.arange(16, dtype="float32").reshape(4, 4)
    with kerasx.GradientTape() as tape:
        loss = ops.sum(ops.diag(x, 1) * weights)
    np.testing.assert_allclose(ops.convert_to_numpy(tape.gradient(loss, x)), np.diag(weights, 1))


def test_stop_gradient_of_a_function_is_a_clear_type_error():
    # Keras 3.15.1 (JAX) raises TypeError: "... of type <class 'function'> is not a valid
    # JAX type"
    def scores(x):
        return x

    with pytest.raises(TypeError, match=r"received 'scores' of type function.*callable.*"
                                        r"ops.stop_gradient\(scores\(...\)\)"):
        ops.stop_gradient(scores)
    if current().name == "numpy":  # the other backends hold no strings
        strings = ops.convert_to_numpy(ops.stop_gradient(np.array(["a", "b"])))
        assert strings.tolist() == ["a", "b"]
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.stop_gradient([1.0, 2.0])),
                                  np.array([1.0, 2.0], dtype="float32"))


IOU_LABELS = np.array([0, 1, 1, 0])
ONE_HOT_TRUE, ONE_HOT_PRED = np.eye(3)[[0, 1, 2]], np.eye(3)[[0, 2, 2]]


@pytest.mark.parametrize("make, y_true, y_pred, expected", [
    # confusion matrices returned by update_state in Keras 3.15.1
    (lambda: metrics.IoU(2, [0, 1]), IOU_LABELS, np.array([0, 1, 0, 0]), [[2, 0], [1, 1]]),
    (lambda: metrics.MeanIoU(2), IOU_LABELS, np.array([0, 1, 0, 0]), [[2, 0], [1, 1]]),
    (lambda: metrics.BinaryIoU([0, 1]), IOU_LABELS, np.array([0.2, 0.8, 0.3, 0.6]),
     [[1, 1], [1, 1]]),
    (lambda: metrics.OneHotIoU(3, [0, 2]), ONE_HOT_TRUE, ONE_HOT_PRED,
     [[1, 0, 0], [0, 0, 1], [0, 0, 1]]),
    (lambda: metrics.OneHotMeanIoU(3), ONE_HOT_TRUE, ONE_HOT_PRED,
     [[1, 0, 0], [0, 0, 1], [0, 0, 1]]),
], ids=["IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU"])
def test_iou_update_state_returns_the_confusion_matrix(make, y_true, y_pred, expected):
    metric = make()
    first = ops.convert_to_numpy(metric.update_state(y_true, y_pred))
    np.testing.assert_array_equal(first, expected)
    second = ops.convert_to_numpy(metric.update_state(y_true, y_pred))
    np.testing.assert_array_equal(second, 2 * np.asarray(expected))
    np.testing.assert_array_equal(first, expected)  # a snapshot, not the live variable


@pytest.mark.parametrize("where", ["inputs", "outputs"])
def test_model_with_a_non_tensor_is_a_value_error(where):
    # Keras 3.15.1 raises ValueError: "All `outputs` values must be KerasTensors. Received:
    # outputs=Ellipsis including invalid value Ellipsis of type <class 'ellipsis'>"
    inputs = kerasx.Input((3,))
    outputs = layers.Dense(2)(inputs)
    kwargs = {"inputs": inputs, "outputs": outputs, where: [..., inputs][::-1]}
    with pytest.raises(ValueError, match=rf"in `{where}`, but received ellipsis: Ellipsis"):
        kerasx.Model(**kwargs)


@pytest.mark.parametrize("value", [2.5, [1.0, 2.0]])
def test_trace_below_rank_2_is_a_clear_value_error(value):
    # Keras 3.15.1 (JAX) raises ValueError ("axis 0 is out of bounds for array of
    # dimension 0")
    with pytest.raises(ValueError, match=r"trace expects an input of rank 2 or more"):
        ops.trace(value)
