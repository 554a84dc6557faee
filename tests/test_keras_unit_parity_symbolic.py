"""Cases from Keras 3.15.1's unit tests of symbolic tensors, variables and the symbolic
shapes of ops (keras/src/backend/common/keras_tensor_test.py, variables_test.py, the
`*ShapeTest` classes of keras/src/ops/*_test.py) and the conv / cropping layers' argument
errors, where kerasx differed. Expected shapes are Keras 3.15.1's (JAX backend)."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops

KT = keras.KerasTensor


# -- KerasTensor ----------------------------------------------------------------------
def test_keras_tensor_shape_is_read_only_as_keras():
    x = KT((None, 3))
    with pytest.raises(AttributeError, match="The `shape` attribute of KerasTensor is "
                                             "immutable. One should create a new instance"):
        x.shape = (2, 3)
    assert x.shape == (None, 3)


def test_value_sized_ops_still_give_unknown_sizes():
    # a guard: kerasx writes these sizes itself, the public attribute being read-only
    x = KT((None, 4))
    assert ops.nonzero(x)[0].shape == (None,)
    assert ops.unique(KT((5,)), size=None).shape == (None,)


@pytest.mark.parametrize("shape", [(3, -1), (3, 2.0), ("a", "b"), "ab"])
def test_keras_tensor_refuses_invalid_shapes(shape):
    with pytest.raises(ValueError, match="Cannot convert"):
        KT(shape)


def test_keras_tensor_conversions_raise_keras_error_types():
    x = KT((3,))
    with pytest.raises(ValueError, match="symbolic"):  # Keras: ValueError
        np.array(x)
    with pytest.raises(NotImplementedError):  # Keras: NotImplementedError
        iter(x)
    with pytest.raises(TypeError):  # still the TypeError kerasx raised before
        iter(x)


def test_keras_tensor_div_and_rdiv():
    x, y = KT((3, 4)), KT((3, 4))
    assert x.__div__(y).shape == (3, 4)
    assert x.__rdiv__(y).shape == (3, 4)


# -- symbolic shapes with unknown sizes ---------------------------------------------------
# (op, argument shapes, other arguments, Keras 3.15.1's output shape)
_BROADCAST_CASES = [
    ("add", ((None, 3), (2, None)), (2, 3)),
    ("subtract", ((None, 3), (2, None)), (2, 3)),
    ("multiply", ((None, 3), (2, None)), (2, 3)),
    ("divide", ((None, 3), (2, None)), (2, 3)),
    ("power", ((None, 3), (2, None)), (2, 3)),
    ("maximum", ((None, 3), (2, None)), (2, 3)),
    ("greater", ((None, 3), (2, None)), (2, 3)),
    ("not_equal", ((None, 3), (2, None)), (2, 3)),
    ("arctan2", ((None, 3), (2, None)), (2, 3)),
    ("isclose", ((None, 3), (2, None)), (2, 3)),
    ("matmul", ((None, 3, 4), (3, None, 4, 5)), (3, None, 3, 5)),
    ("matmul", ((None, 3), (None, 5)), (None, 5)),
    ("matmul", ((None, None), (1, 5)), (None, 5)),
]


@pytest.mark.parametrize("op, shapes, expected", _BROADCAST_CASES)
def test_unknown_sizes_take_the_known_size_they_broadcast_with(op, shapes, expected):
    out = getattr(ops, op)(*(KT(s) for s in shapes))
    assert out.shape == expected


def test_where_and_broadcast_to_with_unknown_sizes():
    condition = KT((2, None, 1), "bool")
    assert ops.where(condition, KT((None, 1)), KT((None, 3))).shape == (2, None, 3)
    assert ops.broadcast_to(KT((None, 3)), (2, 3, 3)).shape == (2, 3, 3)
    assert ops.select([KT((None, 3), "bool")], [KT((2, None))]).shape == (2, 3)
    assert ops.logical_and(KT((None, 3), "bool"), KT((2, None), "bool")).shape == (2, 3)


def test_contractions_with_unknown_sizes():
    assert ops.dot(KT((None, 3)), KT((None, None, 2))).shape == (None, None, 2)
    assert ops.inner(KT((None,)), KT((3,))).shape == ()
    assert ops.tensordot(KT((None, 3, 4)), KT((3, 4)), axes=[[0, 1], [1, 0]]).shape == (4,)
    assert ops.einsum("ij,jk->ik", KT((None, 3)), KT((None, 4))).shape == (None, 4)
    # `...` axes broadcast
    assert ops.einsum("...,...j->...j", KT((None, 3, 4)), KT((None, 4, 5))).shape == \
        (None, 3, 4, 5)
    assert ops.einsum("...ij,...jk->...ik", KT((None, 2, 3, 4)), KT((7, 1, None, 5))).shape == \
        (7, 2, 3, 5)


def test_joins_with_unknown_sizes():
    assert ops.vstack([KT((None, 3)), KT((None, None))]).shape == (None, 3)
    assert ops.dstack([KT((None, 3)), KT((None, None))]).shape == (None, 3, 2)
    assert ops.concatenate([KT((None, 3)), KT((2, None))], axis=0).shape == (None, 3)


def test_squeeze_keeps_an_unknown_axis():
    assert ops.squeeze(KT((None, 1))).shape == (None,)
    assert ops.squeeze(KT((None, 1)), axis=1).shape == (None,)
    assert ops.squeeze(KT((1, None, 1))).shape == (None,)


def test_sizes_the_two_short_probes_miss_are_unknown():
    # 1 and 2 rows gave 0 rows for both (or one row for both): not the size of every batch
    assert ops.diff(KT((None, 3)), n=2, axis=0).shape == (None, 3)
    assert [t.shape for t in ops.array_split(KT((None, 4)), 2)] == [(None, 4), (None, 4)]
    assert [t.shape for t in ops.array_split(KT((None, 4)), 3)] == [(None, 4)] * 3


def test_splits_of_an_unknown_axis():
    assert [t.shape for t in ops.split(KT((None, 4)), 2)] == [(None, 4), (None, 4)]
    assert [t.shape for t in ops.split(KT((None, 4)), [1, 3])] == [(1, 4), (2, 4), (None, 4)]
    assert ops.hsplit(KT((3, None, 3)), 2)[0].shape == (3, None, 3)
    assert ops.vsplit(KT((None, 3, 3)), 2)[0].shape == (None, 3, 3)
    assert ops.dsplit(KT((3, 3, None)), 2)[0].shape == (3, 3, None)


def test_integer_index_and_slice_of_an_unknown_axis():
    x = KT((None, 5, 16))
    assert x[5].shape == (5, 16)
    assert x[-3].shape == (5, 16)
    assert KT((None, None))[None, 9].shape == (1, None)
    assert ops.slice(KT((None, 3)), (0, 0), (2, 2)).shape == (2, 2)
    assert ops.slice(KT((None, 3)), (1, 1), (-1, -1)).shape == (None, 2)
    # the rest of an axis from a start known only when the model runs
    assert ops.slice(KT((3, 3)), KT((2,), "int32"), (2, -1)).shape == (2, None)


def test_unstack_of_an_unknown_axis():
    out = ops.unstack(KT((2, None, None)), num=3, axis=1)
    assert [t.shape for t in out] == [(2, None)] * 3
    with pytest.raises(ValueError, match="Cannot infer argument `num`"):
        ops.unstack(KT((2, None, None)), axis=1)


def test_convolutions_of_inputs_with_unknown_channels():
    # Keras 3.15.1 gives these shapes; the kernel's input channels are the inputs'
    assert ops.conv(KT((2, 10, None)), KT((3, 5, 4))).shape == (2, 8, 4)
    assert ops.depthwise_conv(KT((2, 10, None)), KT((3, 5, 1))).shape == (2, 8, 5)
    assert ops.separable_conv(KT((2, 10, None)), KT((3, 5, 1)), KT((1, 5, 4))).shape == (2, 8, 4)
    assert ops.conv_transpose(KT((2, 10, None)), KT((3, 4, 5))).shape == (2, 12, 4)
    with pytest.raises(ValueError, match="input channels must match the kernel"):
        ops.conv(KT((2, 10, 3)), KT((3, 5, 4)))


def test_perspective_transform_on_keras_tensors_and_degenerate_points():
    # zero-filled probes give all-equal points: Keras 3.15.1 gives NaN there, not an error
    out = ops.image.perspective_transform(KT((None, 20, 20, 3)), KT((None, 4, 2)),
                                          KT((None, 4, 2)))
    assert out.shape == (None, 20, 20, 3)
    square = np.array([[[0, 0], [3, 0], [0, 3], [3, 3]]], "float32")
    points = np.concatenate([square, np.ones((1, 4, 2), "float32")])
    images = np.random.default_rng(0).random((2, 4, 4, 1)).astype("float32")
    with np.errstate(invalid="ignore"):
        result = ops.convert_to_numpy(ops.image.perspective_transform(images, points, points))
    np.testing.assert_allclose(result[0], images[0], atol=1e-5)  # the identity
    assert np.isnan(result[1]).all()


def test_repeat_with_one_count_per_entry_of_an_unknown_axis():
    # Keras 3.15.1 gives (None, 3); kerasx knows the input has as many rows as counts
    assert ops.repeat(KT((None, 3)), [1, 2], axis=0).shape == (3, 3)
    assert ops.repeat(KT((None, 3)), 2, axis=0).shape == (None, 3)


def test_a_broadcast_one_leaves_an_unknown_batch_unknown():
    # a guard: a known 1 next to an unknown size broadcasts, it does not fix that size
    assert ops.matmul(KT((None, 3, 4)), KT((1, 4, 5))).shape == (None, 3, 5)
    assert ops.add(KT((None, 3)), KT((1, 3))).shape == (None, 3)


def test_incompatible_known_sizes_are_still_refused():
    # a guard: aligning unknown sizes must not hide a real mismatch
    with pytest.raises(ValueError, match="broadcast"):
        ops.add(KT((2, 3)), KT((4, 3)))
    with pytest.raises(ValueError):
        ops.matmul(KT((None, 3)), KT((4, 5)))


def test_a_model_with_broadcast_unknown_sizes_runs():
    a, b = keras.Input(batch_shape=(None, 3)), keras.Input(batch_shape=(2, None))
    out = a + b
    assert out.shape == (2, 3)
    model = keras.Model([a, b], out)
    xa, xb = np.ones((1, 3), "float32"), np.full((2, 1), 2.0, "float32")
    np.testing.assert_allclose(ops.convert_to_numpy(model([xa, xb])), xa + xb)


# -- axes out of range ------------------------------------------------------------------
@pytest.mark.parametrize("fn", [ops.sum, ops.mean, ops.max, ops.softmax, ops.log_softmax,
                                ops.sparsemax, ops.logsumexp, ops.flip, ops.expand_dims])
def test_an_axis_out_of_range_is_refused(fn):
    # Keras 3.15.1: "axis 5 is out of bounds for array of dimension 2" (sum silently
    # reduced axis 1 before)
    with pytest.raises(ValueError, match="axis 5 is out of bounds"):
        fn(np.ones((2, 3), "float32"), 5)


def test_log_softmax_axis_out_of_range_on_a_keras_tensor():
    with pytest.raises(ValueError, match="out of bounds"):
        ops.log_softmax(KT((None, 2, 3)), axis=3)


def test_swapaxes_axis_out_of_range_names_it():
    with pytest.raises(ValueError, match="axis 5 is out of bounds"):
        ops.swapaxes(np.ones((3, 4)), 5, 0)
    with pytest.raises(ValueError, match="axis 5 is out of bounds"):
        ops.moveaxis(np.ones((3, 4)), 5, 0)


@pytest.mark.parametrize("fn", [lambda a: ops.stack([a, a], axis=10),
                                lambda a: ops.split(a, 2, axis=10),
                                lambda a: ops.diff(a, axis=10)])
def test_joins_splits_and_differences_refuse_an_axis_out_of_range(fn):
    # Keras 3.15.1: "axis 10 is out of bounds" (stack joined along another axis before)
    with pytest.raises(ValueError, match="axis 10 is out of bounds"):
        fn(np.ones((3, 4), "float32"))


def test_slice_with_minus_one_takes_the_rest():
    x = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(ops.convert_to_numpy(ops.slice(x, (1, 1), (-1, -1))),
                                  x[1:, 1:])
    with pytest.raises(ValueError, match="dimensions in `inputs` must match the number of "
                                         "dimensions in `shape`"):
        ops.slice(x, (1, 1), (2,))
    with pytest.raises(ValueError, match="dimensions in `start_indices` must match"):
        ops.slice(x, (1, 1, 1), (2, 2))


# -- Variable --------------------------------------------------------------------------
def test_assign_returns_the_new_value_not_the_variable():
    v = keras.Variable(np.array([1.0, 2.0, 3.0], "float32"))
    r = v.assign(np.array([4.0, 5.0, 6.0], "float32"))
    assert r is not v
    v.assign(np.zeros(3, "float32"))
    as_numpy = ops.convert_to_numpy
    np.testing.assert_array_equal(as_numpy(r), [4.0, 5.0, 6.0])  # a value, not an alias
    np.testing.assert_array_equal(as_numpy(v.assign_add(np.ones(3, "float32"))), [1.0] * 3)
    np.testing.assert_array_equal(as_numpy(v.assign_sub(np.ones(3, "float32"))), [0.0] * 3)


def test_assign_of_another_shape_says_what_must_match():
    v = keras.Variable(np.zeros(3, "float32"), name="v")
    with pytest.raises(ValueError, match=r"must match. variable.shape=\(3,\), Received: "
                                         r"value.shape=\(2,\)"):
        v.assign([1.0, 2.0])


def test_variable_aggregation_defaults_to_none():
    assert keras.Variable(1.0).aggregation == "none"
    dense = layers.Dense(2)
    dense.build((None, 3))
    assert dense.kernel.aggregation == "none"


def test_variable_conversions_of_non_scalars_raise_keras_type_errors():
    v = keras.Variable(np.ones((2, 2), "float32"))
    with pytest.raises(TypeError, match="A Keras Variable cannot be used as a boolean"):
        bool(v)
    with pytest.raises(TypeError, match="Only scalar arrays can be converted to Python "
                                        "scalars"):
        int(v)
    with pytest.raises(TypeError, match="Only scalar arrays can be converted"):
        float(v)
    assert int(keras.Variable(3.7)) == 3


def test_round_of_a_variable():
    v = keras.Variable(np.array([1.1, 2.2, 3.3], "float32"))
    np.testing.assert_allclose(ops.convert_to_numpy(round(v)), [1.0, 2.0, 3.0])
    np.testing.assert_allclose(ops.convert_to_numpy(round(v, 1)), [1.1, 2.2, 3.3], rtol=1e-6)


# -- conv / cropping argument errors (Keras 3.15.1's wording) -------------------------------
@pytest.mark.parametrize("make, message", [
    (lambda: layers.Conv1D(filters=0, kernel_size=1),
     "Invalid value for argument `filters`. Expected a strictly positive value. "
     "Received filters=0."),
    (lambda: layers.Conv2D(filters=2, kernel_size=(1, 0)),
     r"The `kernel_size` argument must be a tuple of 2 integers. Received "
     r"kernel_size=\(1, 0\), including values \{0\} that do not satisfy `value > 0`"),
    (lambda: layers.Conv2D(filters=2, kernel_size=1, strides=(1, 0)),
     r"The `strides` argument must be a tuple of 2 integers. Received strides=\(1, 0\)"),
    (lambda: layers.Conv2D(filters=2, kernel_size=1, strides=2, dilation_rate=(2, 1)),
     "`strides > 1` not supported in conjunction with `dilation_rate > 1`"),
    (lambda: layers.Conv2D(filters=2, kernel_size=1, groups=0),
     "The number of groups must be a positive integer. Received: groups=0."),
    (lambda: layers.Conv2D(filters=5, kernel_size=1, groups=2),
     "The number of filters must be evenly divisible by the number of groups. "
     "Received: groups=2, filters=5."),
    (lambda: layers.Conv1DTranspose(filters=2, kernel_size=2, strides=2, output_padding=2),
     "`output_padding` must be strictly less than `strides`"),
    (lambda: layers.DepthwiseConv1D(kernel_size=1, depth_multiplier=0),
     "Invalid value for argument `depth_multiplier`. Expected a strictly positive value."),
])
def test_conv_argument_errors_use_keras_wording(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_conv_output_too_small_and_excessive_cropping_use_keras_wording():
    with pytest.raises(ValueError, match="Computed output size would be zero or negative"):
        layers.Conv1D(2, kernel_size=11)(KT((None, 5, 3)))
    with pytest.raises(ValueError, match="`cropping` parameter of `Cropping1D` layer must be "
                                         "smaller than the input length"):
        layers.Cropping1D((3, 3))(np.ones((3, 5, 7), "float32"))
    with pytest.raises(ValueError, match="Values in `cropping` argument should be smaller than "
                                         "the corresponding spatial dimension of the input"):
        layers.Cropping2D(((3, 3), (0, 0)))(np.ones((1, 5, 5, 2), "float32"))
