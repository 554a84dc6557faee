"""Cases of Keras 3.15.1's own unit tests for the core, reshaping, merging, normalization,
regularization layers and the `Layer` base where kerasx differed; expected values are
Keras's (computed with Keras 3.15.1 on JAX, as each comment says) or independent
float64 NumPy formulas."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.backends import current

HAS_FLOAT16 = hasattr(current().xp, "float16")
needs_float16 = pytest.mark.skipif(
    not HAS_FLOAT16,
    reason="the backend has no float16 (not an array API dtype; array_api_strict lacks it)")


def _np(x):
    return np.asarray(ops.convert_to_numpy(x))


# -- merging layers with masks ------------------------------------------------------------
def _masked_pair():
    masking = layers.Masking()
    x1 = masking(ops.convert_to_tensor(np.array([[[0, 0], [-1, -2], [0, 0], [-3, -4]]],
                                                np.float32)))
    x2 = ops.convert_to_tensor(np.array([[[0, 0], [0, 0], [-1, -2], [-3, -4]]], np.float32))
    return masking, x1, x2


def test_maximum_and_minimum_leave_masked_entries_out():
    masking, x1, x2 = _masked_pair()
    # Keras 3.15.1: only x1 masked: the masked steps of x1 take x2's values, no output mask
    out = layers.Maximum()([x1, x2])
    np.testing.assert_array_equal(_np(out), [[[0, 0], [0, 0], [-1, -2], [-3, -4]]])
    assert getattr(out, "_keras_mask", None) is None
    x2 = masking(x2)
    out = layers.Maximum()([x1, x2])
    # Keras 3.15.1 gives [[0, 0], [-1, -2], [-1, -2], [-3, -4]], mask [F, T, T, T]
    np.testing.assert_array_equal(_np(out), [[[0, 0], [-1, -2], [-1, -2], [-3, -4]]])
    np.testing.assert_array_equal(_np(out._keras_mask), [[False, True, True, True]])
    out = layers.Minimum()([x1, x2])
    np.testing.assert_array_equal(_np(out), [[[0, 0], [-1, -2], [-1, -2], [-3, -4]]])
    positive = [masking(ops.convert_to_tensor(np.array(v, np.float32))) for v in
                ([[[0, 0], [1, 2], [0, 0], [3, 4]]], [[[0, 0], [0, 0], [1, 2], [3, 4]]])]
    # Keras 3.15.1 (its merging_test): [[0, 0], [1, 2], [1, 2], [3, 4]]
    np.testing.assert_array_equal(_np(layers.Minimum()(positive)),
                                  [[[0, 0], [1, 2], [1, 2], [3, 4]]])


def test_multiply_counts_masked_entries_as_one():
    masking, x1, x2 = _masked_pair()
    # Keras 3.15.1: x1's masked steps count as 1 when only x1 has a mask
    np.testing.assert_array_equal(_np(layers.Multiply()([x1, x2])),
                                  [[[0, 0], [0, 0], [-1, -2], [9, 16]]])
    # and steps masked in both are 0 when both have one
    np.testing.assert_array_equal(_np(layers.Multiply()([x1, masking(x2)])),
                                  [[[0, 0], [-1, -2], [-1, -2], [9, 16]]])


def test_masked_merges_in_a_functional_model():
    a = kerasx.Input((4,), dtype="int32")
    b = kerasx.Input((4,), dtype="int32")
    e1 = layers.Embedding(5, 2, mask_zero=True, embeddings_initializer="ones")(a)
    e2 = layers.Embedding(5, 2, mask_zero=True,
                          embeddings_initializer=kerasx.initializers.Constant(-2.0))(b)
    model = kerasx.Model([a, b], [layers.Maximum()([e1, e2]), layers.Minimum()([e1, e2]),
                                  layers.Multiply()([e1, e2])])
    outs = model.predict([np.array([[1, 0, 2, 0]]), np.array([[0, 0, 3, 4]])], verbose=0)
    # Keras 3.15.1, first feature of each step
    expected = [[1.0, 1.0, 1.0, -2.0], [1.0, 1.0, -2.0, -2.0], [1.0, 0.0, -2.0, -2.0]]
    for out, want in zip(outs, expected):
        np.testing.assert_array_equal(np.asarray(out)[0, :, 0], want)


def test_subtract_names_its_input_count_as_keras():
    x = kerasx.Input((4, 5))
    with pytest.raises(ValueError, match="layer should be called on exactly 2 inputs"):
        layers.Subtract()([x, x, x])


# -- dropout arguments -------------------------------------------------------------------
@pytest.mark.parametrize("noise_shape, message", [
    ("Invalid", "Expected a tuple or list of integers"),
    ((20, 1.5, 10), "Expected all elements to be integers or None"),
    ((20, -1, 10), "Expected all dimensions to be positive integers or None"),
    ((20, 0, 10), "Expected all dimensions to be positive integers or None"),
    (5, "Expected an iterable of integers"),
])
def test_dropout_checks_noise_shape(noise_shape, message):
    with pytest.raises(ValueError, match="Invalid value received for argument `noise_shape`. "
                       + message):
        layers.Dropout(0.5, noise_shape=noise_shape)


def test_dropout_noise_shape_is_a_tuple_and_rate_one_drops_everything():
    layer = layers.Dropout(0.5, noise_shape=[20, None, 10])
    assert layer.noise_shape == (20, None, 10) and layer.get_config()["noise_shape"] == (
        20, None, 10)
    # Keras 3.15.1 accepts rate=1 and returns zeros in training
    out = layers.Dropout(1.0)(np.ones((2, 3), np.float32), training=True)
    np.testing.assert_array_equal(_np(out), np.zeros((2, 3)))
    for cls in (layers.Dropout, layers.AlphaDropout, layers.GaussianDropout):
        with pytest.raises(ValueError, match="Invalid value received for argument `rate`. "
                           "Expected a float value between 0 and 1"):
            cls(1.5)


# -- UpSampling2D interpolations ---------------------------------------------------------
# Keras 3.15.1: UpSampling2D((2, 1), interpolation=...) of arange(6).reshape(1, 2, 3, 1)
KERAS_UPSAMPLED = {
    "bicubic": [[-0.264706, 0.735294, 1.735294], [0.621429, 1.621429, 2.621429],
                [2.378572, 3.378572, 4.378572], [3.264706, 4.264706, 5.264706]],
    "lanczos3": [[-0.526433, 0.473567, 1.473567], [0.698612, 1.698612, 2.698612],
                 [2.301388, 3.301388, 4.301388], [3.526433, 4.526433, 5.526433]],
    "lanczos5": [[-0.662136, 0.337864, 1.337864], [0.731495, 1.731495, 2.731495],
                 [2.268504, 3.268504, 4.268504], [3.662136, 4.662136, 5.662135]],
}


@pytest.mark.parametrize("interpolation", sorted(KERAS_UPSAMPLED))
def test_up_sampling_2d_kernel_interpolations(interpolation):
    x = np.arange(6, dtype=np.float32).reshape(1, 2, 3, 1)
    layer = layers.UpSampling2D((2, 1), interpolation=interpolation)
    np.testing.assert_allclose(_np(layer(x))[0, :, :, 0], KERAS_UPSAMPLED[interpolation],
                               atol=1e-5)
    assert layers.UpSampling2D.from_config(layer.get_config()).interpolation == interpolation


def test_up_sampling_2d_bicubic_channels_first():
    x = np.arange(6, dtype=np.float32).reshape(1, 1, 2, 3)
    out = layers.UpSampling2D((1, 2), data_format="channels_first", interpolation="bicubic")(x)
    # Keras 3.15.1
    expected = [[-0.088235, 0.167883, 0.709924, 1.290076, 1.832117, 2.088235],
                [2.911765, 3.167884, 3.709924, 4.290076, 4.832117, 5.088236]]
    assert tuple(out.shape) == (1, 1, 2, 6)
    np.testing.assert_allclose(_np(out)[0, 0], expected, atol=1e-5)


# -- Layer base ----------------------------------------------------------------------------
def test_activity_regularizer_of_an_empty_batch_is_zero():
    class Identity(layers.Layer):
        def call(self, x):
            return x

    for batch, expected in ((0, 0.0), (5, 0.2)):  # l2 = 0.01 * sum(4 * 5 ones) / 5
        layer = Identity(activity_regularizer="l2")
        layer(ops.ones((batch, 5)) * 2.0)
        assert len(layer.losses) == 1
        np.testing.assert_allclose(_np(layer.losses[0]), expected, rtol=1e-6)


@pytest.mark.parametrize("trainable", ["yes", 1, None])
def test_trainable_must_be_a_boolean(trainable):
    with pytest.raises(ValueError, match="Expected `trainable` to be a boolean"):
        layers.Dense(2, trainable=trainable)


def test_add_weight_refuses_a_positional_name():
    class Legacy(layers.Layer):
        def __init__(self):
            super().__init__()
            self.w = self.add_weight("matrix")

    with pytest.raises(ValueError, match="`name` must be passed as a keyword argument"):
        Legacy()


def test_setting_a_quantized_policy_quantizes_a_built_layer():
    layer = layers.Dense(2)
    layer.build((None, 2))
    layer.dtype_policy = "int8_from_float32"
    # Keras 3.15.1: bias, kernel and kernel_scale
    assert layer.quantization_mode == "int8" and len(layer.variables) == 3
    other = layers.Dense(2)
    other.build((None, 2))
    with pytest.raises(ValueError, match="Implicitly enabling GPTQ quantization"):
        other.dtype_policy = "gptq/4/-1_from_float32"


def test_a_layer_built_without_a_shape_saves_its_build(tmp_path):
    layer = layers.Embedding(10, 16)
    layer.build()
    # Keras 3.15.1 writes the same build config
    assert layer.get_build_config() == {"shapes_dict": {}}
    x = np.random.default_rng(0).integers(0, 9, size=(4, 3))
    layer.quantize("int8")
    model = kerasx.Sequential([layer])
    path = os.path.join(str(tmp_path), "quantized.keras")
    model.save(path)
    loaded = kerasx.saving.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))


# -- InputLayer ----------------------------------------------------------------------------
def test_input_layer_takes_an_input_tensor():
    tensor = kerasx.KerasTensor((2, 3), dtype="float32")
    layer = layers.InputLayer(input_tensor=tensor)
    assert layer.output is tensor and layer.batch_shape == (2, 3)
    assert layer.dtype == "float32" and layer.ragged is False and layer.call() is None
    layers.InputLayer(shape=(3,), batch_size=2, sparse=False, dtype="float32",
                      input_tensor=kerasx.KerasTensor((2, 3), dtype="float32"))
    for kwargs, name in (({"shape": (2, 4)}, "shape"), ({"batch_shape": (2, 4)}, "batch_shape"),
                         ({"batch_size": 5}, "batch_size"), ({"dtype": "float16"}, "dtype"),
                         ({"sparse": True}, "sparse")):
        with pytest.raises(ValueError, match=f"cannot provide an incompatible `{name}`"):
            layers.InputLayer(input_tensor=kerasx.KerasTensor((2, 3)), **kwargs)
    with pytest.raises(ValueError, match="Argument `input_tensor` must be a KerasTensor"):
        layers.InputLayer(input_tensor=np.zeros((2, 3)))


def test_input_layer_argument_errors():
    with pytest.raises(ValueError, match="cannot pass both `shape` and `batch_shape`"):
        layers.InputLayer(shape=(2, 3), batch_shape=(2, 3))
    with pytest.raises(ValueError, match="cannot pass both `batch_size` and `batch_shape`"):
        layers.InputLayer(batch_size=4, batch_shape=(2, 3))
    with pytest.raises(ValueError, match="pass a `shape` argument"):
        layers.InputLayer(shape=None, batch_shape=None)


# -- normalization in half precision --------------------------------------------------------
def _layer_norm_64(x, axis):
    x = x.astype(np.float64)
    mean = x.mean(axis=axis, keepdims=True)
    return (x - mean) / np.sqrt(x.var(axis=axis, keepdims=True) + 1e-3)


@needs_float16
def test_normalization_statistics_of_float16_inputs_are_float32():
    # a variance of inputs around 3000 is past float16's largest value
    x = (np.random.default_rng(0).normal(size=(2, 4, 8)) * 3000).astype(np.float16)
    cases = [
        (layers.LayerNormalization(dtype="mixed_float16"), _layer_norm_64(x, -1)),
        (layers.GroupNormalization(groups=2, dtype="mixed_float16"),
         _layer_norm_64(x.reshape(2, 4, 2, 4), (1, 3)).reshape(2, 4, 8)),
        (layers.RMSNormalization(dtype="mixed_float16"),
         x / np.sqrt((x.astype(np.float64) ** 2).mean(axis=-1, keepdims=True) + 1e-6)),
    ]
    for layer, expected in cases:
        out = _np(layer(x))
        assert out.dtype == np.float16
        np.testing.assert_allclose(out, expected, rtol=2e-3, atol=2e-3)


@needs_float16
def test_mixed_normalization_keeps_float32_inputs_above_float16_range():
    # Keras 3.15.1: no NaN for inputs of 70000 (float16's largest value is 65504)
    x = ops.full((2, 4, 8), 70000.0)
    for layer in (layers.LayerNormalization(dtype="mixed_float16"),
                  layers.GroupNormalization(groups=2, dtype="mixed_float16")):
        out = _np(layer(x))
        assert out.dtype == np.float16 and not np.isnan(out).any()
        np.testing.assert_array_equal(out, np.zeros((2, 4, 8)))


def test_masks_of_a_tuple_argument_come_as_a_tuple():
    seen = {}

    class Pair(layers.Layer):
        def __init__(self):
            super().__init__()
            self.supports_masking = True

        def call(self, x1, x2, x1_mask=None, x2_mask=None):
            seen["x1_mask"], seen["x2_mask"] = x1_mask, x2_mask
            return x1[0] + x1[1] + x2

    def masked(value):
        tensor = ops.ones((4, 4)) * value
        tensor._keras_mask = ops.ones((4,), dtype="bool")
        return tensor

    Pair()((masked(1.0), masked(2.0)), masked(3.0))
    # Keras 3.15.1 passes the masks in the structure of the argument (its layer_test)
    assert isinstance(seen["x1_mask"], tuple) and len(seen["x1_mask"]) == 2
    assert seen["x2_mask"] is not None


def test_output_spec_of_nested_declared_shapes_does_not_run_call():
    class Declared(layers.Layer):
        def call(self, x):
            raise RuntimeError("call runs on no data here")

        def compute_output_shape(self, input_shape):
            return (input_shape, (input_shape, input_shape))

    # Keras 3.15.1 (its layer_test): the spec comes from compute_output_shape alone
    out = Declared().compute_output_spec(kerasx.KerasTensor((2, 3)))
    assert isinstance(out, tuple) and isinstance(out[1], tuple)
    assert [t.shape for t in (out[0],) + out[1]] == [(2, 3)] * 3


def test_lambda_tensor_mask_round_trips_as_a_tensor():
    layer = layers.Lambda(lambda x: x, mask=ops.ones((2, 3)))
    config = layer.get_config()
    revived = layers.Lambda.from_config(config, safe_mode=False)
    # Keras 3.15.1 writes the revived layer's mask as `__tensor__` again
    assert config["mask"]["class_name"] == "__tensor__"
    assert revived.get_config()["mask"] == config["mask"]


def test_lora_errors_use_keras_wording():
    with pytest.raises(ValueError, match="Cannot enable lora on a layer that isn't yet built"):
        layers.Dense(2).enable_lora(2)
    layer = layers.Dense(2)
    layer.build((None, 3))
    layer.enable_lora(2)
    with pytest.raises(ValueError, match="lora is already enabled"):
        layer.enable_lora(2)


def test_build_receives_the_shapes_of_the_arguments_it_names():
    seen = []

    class Masked(layers.Layer):
        def call(self, inputs, attention_mask=None):
            return inputs

        def build(self, inputs_shape, attention_mask_shape=None):
            seen.append((inputs_shape, attention_mask_shape))

    class Pair(layers.Layer):
        def call(self, x, y):
            return x + y

        def build(self, x_shape, y_shape):
            seen.append((x_shape, y_shape))

    x = np.ones((2, 3), np.float32)
    masked = Masked()
    masked(x, attention_mask=np.ones((2, 1), np.float32))
    pair = Pair()
    pair(x, x)
    Pair()(kerasx.Input((3,)), kerasx.Input((3,)))
    assert seen == [((2, 3), (2, 1)), ((2, 3), (2, 3)), ((None, 3), (None, 3))]
    # Keras 3.15.1 writes these build configs
    assert masked.get_build_config() == {
        "shapes_dict": {"inputs_shape": (2, 3), "attention_mask_shape": (2, 1)}}
    assert pair.get_build_config() == {"shapes_dict": {"x_shape": (2, 3), "y_shape": (2, 3)}}
    revived = Pair()
    revived.build_from_config({"shapes_dict": {"x_shape": [2, 3], "y_shape": [2, 3]}})
    assert revived.built and seen[-1] == ((2, 3), (2, 3))
    unmasked = Masked()
    unmasked(x)
    assert unmasked.get_build_config() == {"input_shape": (2, 3)}
