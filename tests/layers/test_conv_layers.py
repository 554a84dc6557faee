"""Convolution layers (Conv1D/2D/3D, their transposes, depthwise and separable): Keras
goldens, every configuration class against float64 loop references with gradients by
finite differences, shapes, configs, bad-input errors and a small convnet on digits."""

import json

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.testing import float64
from tests.golden.loader import case_ids, load_cases
from tests.ops.conv_reference import conv_ref, conv_transpose_ref, depthwise_ref
from tests.sampled_gradcheck import check_gradients

CONV_CLASSES = ("Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
                "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
                "SeparableConv2D")
GOLDEN = [c for c in load_cases("layers") if c["class"] in CONV_CLASSES]
rng = np.random.default_rng(3)


def _json(value):
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    layer = getattr(layers, case["class"])(**case["config"])
    x = case["arrays"]["x"]
    layer.build(x.shape)
    assert [w.name for w in layer.weights] == [n.split("/")[-1] for n in case["weight_names"]]
    weights = [case["arrays"][f"w{i}"] for i in range(case["n_weights"])]
    assert [w.shape for w in layer.weights] == [w.shape for w in weights]
    layer.set_weights(weights)
    y = layer(x)
    np.testing.assert_allclose(ops.convert_to_numpy(y), case["arrays"]["y"], rtol=1e-4, atol=1e-4)
    assert layer.compute_output_shape(x.shape) == case["arrays"]["y"].shape
    config, keras_config = _json(layer.get_config()), case["keras_config"]
    assert set(config) == set(keras_config)
    for key in set(keras_config) - {"name"}:
        assert config[key] == keras_config[key], key


# -- every configuration class against the loop reference, with gradients -----------------
def conv_reference(layer, x, weights):
    kernel, bias = weights[0], weights[1] if layer.use_bias else None
    args = (layer.strides, layer.padding, layer.dilation_rate, layer.data_format)
    if isinstance(layer, layers.SeparableConv1D) or isinstance(layer, layers.SeparableConv2D):
        mid = depthwise_ref(x, kernel, *args)
        return conv_ref(mid, weights[1], data_format=layer.data_format,
                        bias=weights[2] if layer.use_bias else None)
    if "Depthwise" in type(layer).__name__:
        return depthwise_ref(x, kernel, *args, bias=bias)
    if "Transpose" in type(layer).__name__:
        return conv_transpose_ref(x, kernel, layer.strides, layer.padding, layer.output_padding,
                                  layer.dilation_rate, layer.data_format, bias)
    return conv_ref(x, kernel, *args, bias=bias)


TABLE = [
    ("Conv1D", dict(filters=3, kernel_size=3), (2, 6, 2)),
    ("Conv1D", dict(filters=2, kernel_size=2, strides=2, padding="same"), (2, 7, 2)),
    ("Conv1D", dict(filters=2, kernel_size=2, padding="causal", dilation_rate=2), (2, 6, 3)),
    ("Conv1D", dict(filters=4, kernel_size=2, groups=2, use_bias=False), (1, 5, 4)),
    ("Conv1D", dict(filters=2, kernel_size=3, data_format="channels_first"), (2, 3, 6)),
    ("Conv2D", dict(filters=2, kernel_size=(3, 2)), (1, 5, 4, 2)),
    ("Conv2D", dict(filters=2, kernel_size=3, padding="same", activation="tanh"), (1, 4, 4, 2)),
    ("Conv2D", dict(filters=2, kernel_size=2, strides=(2, 3), padding="same"), (1, 5, 7, 2)),
    ("Conv2D", dict(filters=2, kernel_size=2, dilation_rate=2), (1, 5, 5, 2)),
    ("Conv2D", dict(filters=4, kernel_size=2, groups=2), (1, 4, 3, 4)),
    ("Conv2D", dict(filters=2, kernel_size=2, strides=2, padding="same",
                    data_format="channels_first"), (1, 3, 5, 4)),
    ("Conv3D", dict(filters=2, kernel_size=2), (1, 3, 4, 3, 2)),
    ("Conv3D", dict(filters=2, kernel_size=(2, 3, 2), strides=2, padding="same"), (1, 4, 3, 5, 1)),
    ("Conv3D", dict(filters=2, kernel_size=2, data_format="channels_first", groups=2),
     (1, 2, 3, 3, 3)),
    ("Conv1DTranspose", dict(filters=2, kernel_size=3, strides=2), (2, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, padding="same"), (1, 3, 2, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=1), (1, 2, 3, 2)),
    ("Conv2DTranspose", dict(filters=2, kernel_size=2, dilation_rate=2,
                             data_format="channels_first"), (1, 2, 3, 3)),
    ("Conv3DTranspose", dict(filters=1, kernel_size=2, strides=2), (1, 2, 2, 2, 2)),
    ("DepthwiseConv1D", dict(kernel_size=3, depth_multiplier=2, padding="same"), (2, 5, 2)),
    ("DepthwiseConv2D", dict(kernel_size=2, strides=2), (1, 4, 5, 3)),
    ("DepthwiseConv2D", dict(kernel_size=3, dilation_rate=2, data_format="channels_first"),
     (1, 2, 5, 5)),
    ("SeparableConv1D", dict(filters=3, kernel_size=2, strides=2), (2, 5, 2)),
    ("SeparableConv2D", dict(filters=2, kernel_size=2, depth_multiplier=2, padding="same"),
     (1, 3, 4, 2)),
]


def _table_id(row):
    cls, config, _ = row
    return cls + "-" + "-".join(f"{k}={v}" for k, v in config.items())


@pytest.mark.parametrize("row", TABLE, ids=[_table_id(r) for r in TABLE])
def test_layer_forward_and_gradients(row):
    cls, config, shape = row
    x = rng.standard_normal(shape)
    with float64():
        layer = getattr(layers, cls)(**config)
        y = ops.convert_to_numpy(layer(x))
        weights = [w.numpy() for w in layer.weights]
        if "bias" in [w.name for w in layer.weights]:
            bias_index = [w.name for w in layer.weights].index("bias")
            weights[bias_index] = rng.standard_normal(weights[bias_index].shape)
            layer.set_weights(weights)
            y = ops.convert_to_numpy(layer(x))
    expected = conv_reference(layer, x, weights)
    if layer.activation is kerasx.activations.get("tanh"):
        expected = np.tanh(expected)
    np.testing.assert_allclose(y, expected, rtol=1e-10, atol=1e-12)
    assert y.shape == layer.compute_output_shape(shape)
    names = [w.name for w in layer.weights]
    attributes = {"kernel": "kernel", "bias": "bias", "depthwise_kernel": "depthwise_kernel",
                  "pointwise_kernel": "pointwise_kernel"}

    def fn(x, *ws):
        for name, w in zip(names, ws):
            layer._set_untracked(attributes[name], w)
        return layer(x)

    check_gradients(fn, [x] + weights, rtol=1e-5, atol=1e-7)


def test_float32_layer_matches_float64_reference():
    x = rng.standard_normal((2, 6, 5, 3)).astype(np.float32)
    layer = layers.Conv2D(4, 3, padding="same", activation="relu", bias_initializer="ones")
    y = ops.convert_to_numpy(layer(x))
    assert y.dtype == np.float32
    kernel, bias = layer.get_weights()
    expected = np.maximum(conv_ref(x, kernel.astype(np.float64), padding="same",
                                   bias=bias.astype(np.float64)), 0)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


# -- shapes, configs, regularizers ---------------------------------------------------------
def test_weight_shapes_follow_keras_layout():
    assert layers.Conv2D(8, (3, 2), groups=2)(np.zeros((1, 5, 5, 4))).shape == (1, 3, 4, 8)
    conv = layers.Conv2D(8, (3, 2), groups=2)
    conv.build((None, 5, 5, 4))
    assert [w.shape for w in conv.weights] == [(3, 2, 2, 8), (8,)]
    transpose = layers.Conv2DTranspose(6, 3, data_format="channels_first")
    transpose.build((None, 4, 5, 5))
    assert [w.shape for w in transpose.weights] == [(3, 3, 6, 4), (6,)]
    depthwise = layers.DepthwiseConv2D(3, depth_multiplier=2, use_bias=False)
    depthwise.build((None, 5, 5, 4))
    assert [w.shape for w in depthwise.weights] == [(3, 3, 4, 2)]
    separable = layers.SeparableConv1D(7, 3, depth_multiplier=2)
    separable.build((None, 9, 4))
    assert [w.shape for w in separable.weights] == [(3, 4, 2), (1, 8, 7), (7,)]


def test_symbolic_model_shapes_and_unknown_sizes():
    inputs = kerasx.Input(shape=(None, None, 3))
    x = layers.Conv2D(4, 3, strides=2, padding="same")(inputs)
    x = layers.Conv2DTranspose(2, 3, strides=2, padding="same")(x)
    model = kerasx.Model(inputs, x)
    assert tuple(model.output_shape) == (None, None, None, 2)
    assert model.predict(np.zeros((2, 10, 6, 3), np.float32), verbose=0).shape == (2, 10, 6, 2)
    assert layers.Conv1D(3, 3).compute_output_shape((None, None, 2)) == (None, None, 3)
    assert layers.Conv3D(3, 2, strides=2, padding="same").compute_output_shape(
        (4, 5, 6, 7, 1)) == (4, 3, 3, 4, 3)
    assert layers.Conv1DTranspose(2, 4, strides=3).compute_output_shape((1, 5, 2)) == (1, 16, 2)


@pytest.mark.parametrize("cls,args", [
    ("Conv1D", dict(filters=3, kernel_size=2, padding="causal", dilation_rate=2, groups=1,
                    activation="relu", kernel_regularizer="l2", bias_constraint="non_neg")),
    ("Conv2D", dict(filters=4, kernel_size=(3, 1), strides=(2, 1), data_format="channels_first",
                    kernel_initializer="he_normal", use_bias=False)),
    ("Conv3DTranspose", dict(filters=2, kernel_size=3, strides=2, output_padding=1)),
    ("DepthwiseConv2D", dict(kernel_size=3, depth_multiplier=3, depthwise_regularizer="l1")),
    ("SeparableConv2D", dict(filters=5, kernel_size=3, pointwise_constraint="unit_norm")),
])
def test_config_round_trip(cls, args):
    layer = getattr(layers, cls)(**args)
    config = layer.get_config()
    clone = getattr(layers, cls).from_config(config)
    assert _json(clone.get_config()) == _json(config)


def test_regularizers_constraints_and_activity_regularizer():
    layer = layers.Conv2D(2, 2, kernel_regularizer=kerasx.regularizers.L2(0.1),
                          bias_regularizer="l1", activity_regularizer=kerasx.regularizers.L1(0.01),
                          kernel_constraint="non_neg")
    x = rng.standard_normal((2, 3, 3, 1)).astype(np.float32)
    y = layer(x)
    kernel = layer.kernel.numpy()
    losses = [float(ops.convert_to_numpy(v)) for v in layer.losses]
    assert len(losses) == 3
    # Keras's order: the call's (activity) losses, then the weights' penalties
    np.testing.assert_allclose(losses[1], 0.1 * np.sum(kernel ** 2), rtol=1e-5)
    np.testing.assert_allclose(losses[0], 0.01 * np.abs(ops.convert_to_numpy(y)).sum() / 2,
                               rtol=1e-5)
    assert layer.kernel.constraint is not None


def test_aliases():
    assert layers.Convolution2D is layers.Conv2D
    assert layers.Convolution2DTranspose is layers.Conv2DTranspose
    assert layers.SeparableConvolution2D is layers.SeparableConv2D


# -- bad input -----------------------------------------------------------------------------
def test_input_of_wrong_rank():
    with pytest.raises(ValueError, match=r"Conv2D layer 'c' expects inputs of rank 4 "
                                         r"\(batch, height, width, channels\).*\(28, 28, 1\)"):
        layers.Conv2D(4, 3, name="c")(np.zeros((28, 28, 1), np.float32))
    layer = layers.Conv1D(4, 3, name="c1")
    layer(np.zeros((2, 8, 3), np.float32))
    with pytest.raises(ValueError, match=r"rank 3 \(batch, steps, channels\).*\(2, 8, 8, 3\)"):
        layer(np.zeros((2, 8, 8, 3), np.float32))


def test_channels_first_data_to_a_channels_last_layer():
    layer = layers.Conv2D(8, 3, name="img")
    layer.build((None, 32, 32, 3))
    with pytest.raises(ValueError, match=r"built for inputs with 3 channels on axis -1 "
                                         r"\(data_format='channels_last'\).*\(2, 3, 32, 32\) "
                                         r"with 32 there.*looks like channels_first.*"
                                         r"data_format='channels_first'"):
        layer(np.zeros((2, 3, 32, 32), np.float32))
    depthwise = layers.DepthwiseConv2D(3)
    depthwise.build((None, 3, 10, 10))  # built from channels_first data by mistake: 10 channels
    with pytest.raises(ValueError, match=r"built for inputs with 10 channels"):
        depthwise(np.zeros((1, 10, 10, 3), np.float32))


def test_kernel_larger_than_input():
    with pytest.raises(ValueError, match=r"kernel \(effective size 5 with dilation\) is larger "
                                         r"than the input along spatial axis 1 \(size 4\)"):
        layers.Conv2D(2, (2, 3), dilation_rate=2)(np.zeros((1, 6, 4, 1), np.float32))
    with pytest.raises(ValueError, match=r"larger than the input.*size 2"):
        layers.Conv1D(2, 3)(np.zeros((1, 2, 1), np.float32))
    layer = layers.Conv2D(2, 3)
    layer(np.zeros((1, 5, 5, 1), np.float32))
    with pytest.raises(ValueError, match=r"larger than the input along spatial axis 0 \(size 2\)"):
        layer(np.zeros((1, 2, 5, 1), np.float32))


@pytest.mark.parametrize("make,match", [
    (lambda: layers.Conv2D(4, 3, padding="causal"), r"padding.*\['valid', 'same'\].*'causal'"),
    (lambda: layers.Conv2D(0, 3), r"filters.*strictly positive value.*filters=0"),
    (lambda: layers.Conv2D(6, 3, groups=4), r"filters must be evenly divisible by the number of groups.*groups=4, filters=6"),
    (lambda: layers.Conv2D(4, (3, 3, 3)), r"kernel_size.*2 entries"),
    (lambda: layers.Conv2D(4, 3, strides=2, dilation_rate=2), r"`strides > 1` not supported in conjunction with `dilation_rate > 1`"),
    (lambda: layers.Conv2DTranspose(4, 3, strides=2, output_padding=2),
     r"output_padding` must be strictly less than `strides`.*axis 0.*2.*stride is 2"),
    (lambda: layers.DepthwiseConv2D(3, depth_multiplier=0), r"depth_multiplier.*positive"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_groups_must_divide_input_channels():
    with pytest.raises(ValueError, match=r"5 channels.*cannot be split into groups=2"):
        layers.Conv2D(4, 3, groups=2)(np.zeros((1, 5, 5, 5), np.float32))


# -- training ------------------------------------------------------------------------------
def test_small_convnet_learns_digits(digits):
    """A reduced form of examples/digits_convnet.py on the raw 8x8 digits."""
    x_train, y_train, x_test, y_test = digits
    x_train, x_test = x_train.reshape(-1, 8, 8, 1), x_test.reshape(-1, 8, 8, 1)
    kerasx.utils.set_random_seed(0)
    model = kerasx.Sequential([
        kerasx.Input(shape=(8, 8, 1)),
        layers.Conv2D(16, 3, activation="relu", padding="same"),
        layers.MaxPooling2D(2),
        layers.Conv2D(16, 3, activation="relu"),
        layers.Flatten(),
        layers.Dense(10, activation="softmax"),
    ])
    model.compile(optimizer=kerasx.optimizers.Adam(3e-3), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=10, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy > 0.95
