"""Patterns from the keras.io layer guides (subclassing, masking and padding, RNNs,
transfer learning, ...) that once behaved differently from Keras 3."""

import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.conftest import to_numpy

PADDED = np.array([[3, 5, 0, 0], [7, 0, 0, 0], [1, 2, 4, 6]])


# -- printing tensors and variables -------------------------------------------------------
def test_printed_tensors_and_variables_show_their_values():
    text = repr(ops.convert_to_tensor(np.array([[1.5, -2.0]], dtype="float32")))
    assert "shape=(1, 2), dtype=float32, value=" in text and "1.5" in text and "-2." in text
    dense = layers.Dense(2)
    dense.build((None, 1))
    dense.kernel.assign(np.array([[0.25, 4.0]], dtype="float32"))
    text = repr(dense.kernel)
    assert "<Variable path=dense/kernel, shape=(1, 2), dtype=float32, value=" in text
    assert "0.25" in text and "4." in text


# -- masks --------------------------------------------------------------------------------
class HalvesInTime(layers.Layer):
    """Splits a sequence into two halves along time, and its mask the same way."""

    def call(self, inputs):
        return ops.split(inputs, 2, axis=1)

    def compute_mask(self, inputs, mask=None):
        return None if mask is None else ops.split(mask, 2, axis=1)


def test_a_layer_with_several_outputs_gives_each_its_own_mask():
    embedded = layers.Embedding(10, 3, mask_zero=True)(PADDED)
    first, second = HalvesInTime()(embedded)
    np.testing.assert_array_equal(to_numpy(first._keras_mask), PADDED[:, :2] != 0)
    np.testing.assert_array_equal(to_numpy(second._keras_mask), PADDED[:, 2:] != 0)


def test_defining_compute_mask_means_supporting_masking():
    assert HalvesInTime().supports_masking
    assert not layers.Layer().supports_masking
    assert not layers.RMSNormalization().supports_masking  # as Keras


class MaskedTimeSoftmax(layers.Layer):
    """A softmax over time that ignores masked steps; it needs the mask."""

    def call(self, inputs, mask=None):
        if mask is None:
            raise ValueError("no mask reached the layer")
        keep = ops.expand_dims(ops.cast(mask, "float32"), -1)
        e = ops.exp(inputs) * keep
        return e / ops.sum(e, axis=1, keepdims=True)


@pytest.mark.filterwarnings("ignore:.*does not support masking")
def test_a_mask_consuming_layer_gets_the_mask_when_building_a_functional_model():
    inputs = keras.Input((None,), dtype="int32")
    x = layers.Embedding(10, 4, mask_zero=True)(inputs)
    assert tuple(x._keras_mask.shape) == (None, None)
    assert x._keras_mask.dtype == "bool"
    x = layers.Dense(1)(x)
    outputs = MaskedTimeSoftmax()(x)
    model = keras.Model(inputs, outputs)
    probs = to_numpy(model(PADDED))[..., 0]
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(probs[PADDED == 0], 0.0)


def test_symbolic_outputs_of_mask_dropping_layers_have_no_mask():
    inputs = keras.Input((4,), dtype="int32")
    x = layers.Embedding(10, 4, mask_zero=True)(inputs)
    assert getattr(layers.GlobalAveragePooling1D()(x), "_keras_mask", None) is None
    assert getattr(layers.LSTM(2)(x), "_keras_mask", None) is None
    assert getattr(layers.LSTM(2, return_sequences=True)(x), "_keras_mask", None) is not None


def test_a_list_of_masked_inputs_reaches_call_as_a_list_of_masks():
    seen = {}

    class FirstOfTwo(layers.Layer):
        def call(self, inputs, mask=None):
            seen["mask"] = mask
            return inputs[0]

    masked = layers.Embedding(10, 3, mask_zero=True)(PADDED)
    plain = ops.ones((3, 4, 3))
    FirstOfTwo()([masked, plain])
    assert isinstance(seen["mask"], list) and seen["mask"][1] is None
    np.testing.assert_array_equal(to_numpy(seen["mask"][0]), PADDED != 0)


def test_a_layer_without_mask_support_warns_that_it_drops_the_mask():
    masked = layers.Embedding(10, 3, mask_zero=True)(PADDED)
    with pytest.warns(UserWarning, match="does not support masking"):
        out = layers.Flatten()(masked)
    assert out._keras_mask is None
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        layers.Dense(2)(masked)  # passes the mask on: no warning
        layers.Flatten()(ops.ones((2, 3, 4)))  # no mask: no warning


# -- research-style loops -----------------------------------------------------------------
@pytest.mark.parametrize("wrap", [keras.Variable, ops.convert_to_tensor])
def test_gradients_flow_through_stateless_call_to_the_given_values(wrap):
    dense = layers.Dense(2)
    dense.build((None, 3))
    x = np.arange(12, dtype="float32").reshape(4, 3) / 10
    given = [wrap(np.full(v.shape, 0.5, "float32")) for v in dense.trainable_variables]
    with keras.GradientTape() as tape:
        tape.watch(given)
        y, _ = dense.stateless_call(given, [], x)
        loss = ops.sum(ops.square(y))
    kernel_grad, bias_grad = tape.gradient(loss, given)
    y_np = x @ np.full((3, 2), 0.5) + 0.5
    np.testing.assert_allclose(to_numpy(kernel_grad), x.T @ (2 * y_np), rtol=1e-5)
    np.testing.assert_allclose(to_numpy(bias_grad), (2 * y_np).sum(0), rtol=1e-5)
    # outside the scope the layer's own variables take their gradients again
    with keras.GradientTape() as tape:
        loss = ops.sum(dense(x))
    assert all(g is not None for g in tape.gradient(loss, dense.trainable_variables))


def test_a_stateless_training_loop_learns():
    dense = layers.Dense(1)
    dense.build((None, 2))
    optimizer = keras.optimizers.SGD(0.1)
    optimizer.build(dense.trainable_variables)
    x = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], "float32")
    y = np.array([[1.0], [-1.0], [0.0]], "float32")
    values = [v.value for v in dense.trainable_variables]
    opt_values = [v.value for v in optimizer.variables]
    losses = []
    for _ in range(20):
        watched = [ops.convert_to_tensor(v) for v in values]
        with keras.GradientTape() as tape:
            tape.watch(watched)
            pred, _ = dense.stateless_call(watched, [], x)
            loss = ops.mean(ops.square(pred - y))
        grads = tape.gradient(loss, watched)
        values, opt_values = optimizer.stateless_apply(opt_values, grads, values)
        losses.append(float(loss))
    assert losses[-1] < 0.1 * losses[0]


def test_gradients_of_gradients_are_differentiated():
    a = keras.Variable(np.array([1.0, 2.0], "float32"))
    with keras.GradientTape() as outer:
        with keras.GradientTape() as inner:
            y = ops.sum(a ** 3)
        grad = inner.gradient(y, a)
        penalty = ops.sum(ops.square(grad))
    # penalty = sum(9 a^4): its gradient is 36 a^3
    np.testing.assert_allclose(to_numpy(outer.gradient(penalty, a)), [36.0, 288.0], rtol=1e-6)
    # a single tape still returns plain gradients
    with keras.GradientTape() as tape:
        y = ops.sum(a ** 3)
    np.testing.assert_allclose(to_numpy(tape.gradient(y, a)), [3.0, 12.0])


# -- quantization -------------------------------------------------------------------------
def test_weights_added_by_quantize_sit_beside_the_layers_other_weights():
    model = keras.Sequential([keras.Input((4,)), layers.Dense(3), layers.Dense(2)], name="seq")
    model.quantize("int8")
    paths = sorted(w.path for w in model.weights)
    assert paths == ["seq/dense/bias", "seq/dense/kernel", "seq/dense/kernel_scale",
                     "seq/dense_1/bias", "seq/dense_1/kernel", "seq/dense_1/kernel_scale"]


def test_a_scalar_tensor_converts_to_a_python_int():
    kernel = ops.convert_to_tensor(np.array([[-3, 7], [2, -5]], dtype="int8"))
    assert int(ops.max(ops.abs(kernel))) == 7
    assert int(ops.convert_to_tensor(np.float32(2.75))) == 2


def test_optimizer_parameters_appear_in_the_summary_once_the_optimizer_is_built():
    model = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    model.compile(optimizer="adam", loss="mse")
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "Optimizer params" not in text and "Total params: 8 " in text
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
    lines = []
    model.summary(print_fn=lines.append)
    assert "Optimizer params" in "\n".join(lines)
