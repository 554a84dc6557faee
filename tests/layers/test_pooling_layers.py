"""Pooling layers (Max/AveragePooling1D/2D/3D and the global ones): Keras goldens, every
configuration against float64 loop references with gradients by finite differences,
masking, shapes, configs and bad-input errors."""

import json

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.testing import check_gradients, float64
from tests.golden.loader import case_ids, load_cases
from tests.ops.conv_reference import pool_ref

POOL_CLASSES = tuple(f"{kind}Pooling{n}D" for kind in ("Max", "Average", "GlobalMax",
                                                      "GlobalAverage") for n in (1, 2, 3))
GOLDEN = [c for c in load_cases("layers") if c["class"] in POOL_CLASSES]
rng = np.random.default_rng(8)


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    layer = getattr(layers, case["class"])(**case["config"])
    x = case["arrays"]["x"]
    y = layer(x)
    np.testing.assert_allclose(ops.convert_to_numpy(y), case["arrays"]["y"], rtol=1e-4, atol=1e-4)
    assert layer.compute_output_shape(x.shape) == case["arrays"]["y"].shape
    config = json.loads(json.dumps(layer.get_config()))
    assert set(config) == set(case["keras_config"])
    for key in set(config) - {"name"}:
        assert config[key] == case["keras_config"][key], key
    assert layer.weights == []


TABLE = [
    ("MaxPooling1D", {}, (2, 7, 3)),
    ("MaxPooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 6, 2)),
    ("MaxPooling1D", dict(pool_size=2, data_format="channels_first"), (2, 3, 5)),
    ("MaxPooling2D", {}, (2, 4, 5, 2)),
    ("MaxPooling2D", dict(pool_size=(3, 2), strides=1), (1, 5, 4, 2)),
    ("MaxPooling2D", dict(pool_size=2, padding="same", data_format="channels_first"), (1, 2, 5, 3)),
    ("MaxPooling3D", dict(padding="same"), (1, 3, 4, 5, 2)),
    ("MaxPooling3D", dict(pool_size=(2, 1, 2), strides=(1, 1, 2)), (1, 3, 3, 4, 1)),
    ("AveragePooling1D", dict(pool_size=3, strides=2, padding="same"), (2, 6, 2)),
    ("AveragePooling1D", dict(pool_size=2, data_format="channels_first"), (2, 2, 5)),
    ("AveragePooling2D", {}, (2, 4, 5, 2)),
    ("AveragePooling2D", dict(pool_size=3, strides=1, padding="same"), (1, 4, 5, 2)),
    ("AveragePooling2D", dict(pool_size=(2, 3), strides=(2, 1), data_format="channels_first"),
     (1, 2, 5, 4)),
    ("AveragePooling3D", dict(padding="same"), (1, 3, 4, 5, 2)),
]


def _table_id(row):
    return row[0] + "-" + "-".join(f"{k}={v}" for k, v in row[1].items())


@pytest.mark.parametrize("row", TABLE, ids=[_table_id(r) for r in TABLE])
def test_layer_forward_and_gradients(row):
    cls, config, shape = row
    x = rng.standard_normal(shape)
    with float64():
        layer = getattr(layers, cls)(**config)
        y = ops.convert_to_numpy(layer(x))
    expected = pool_ref(x, layer.pool_size, layer.strides, layer.padding,
                        "max" if cls.startswith("Max") else "average", layer.data_format)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    assert y.shape == layer.compute_output_shape(shape)
    check_gradients(layer, [x])


def test_strides_default_to_pool_size():
    layer = layers.AveragePooling2D(pool_size=(3, 2))
    assert layer.strides == (3, 2)
    assert layer(np.zeros((1, 9, 8, 1), np.float32)).shape == (1, 3, 4, 1)


GLOBAL_TABLE = [
    ("GlobalMaxPooling1D", {}, (2, 5, 3), (1,)),
    ("GlobalAveragePooling1D", dict(data_format="channels_first"), (2, 3, 5), (2,)),
    ("GlobalMaxPooling2D", dict(keepdims=True), (2, 3, 4, 2), (1, 2)),
    ("GlobalAveragePooling2D", {}, (2, 3, 4, 2), (1, 2)),
    ("GlobalMaxPooling3D", dict(data_format="channels_first"), (1, 2, 3, 2, 3), (2, 3, 4)),
    ("GlobalAveragePooling3D", dict(keepdims=True), (1, 3, 2, 3, 2), (1, 2, 3)),
]


@pytest.mark.parametrize("row", GLOBAL_TABLE, ids=[r[0] + str(r[1]) for r in GLOBAL_TABLE])
def test_global_pooling(row):
    cls, config, shape, axes = row
    x = rng.standard_normal(shape)
    with float64():
        layer = getattr(layers, cls)(**config)
        y = ops.convert_to_numpy(layer(x))
    reduce = np.max if "Max" in cls else np.mean
    expected = reduce(x, axis=axes, keepdims=config.get("keepdims", False))
    np.testing.assert_allclose(y, expected, rtol=1e-12)
    assert y.shape == layer.compute_output_shape(shape)
    check_gradients(layer, [x])


def test_global_average_pooling1d_averages_unmasked_steps_only():
    model = kerasx.Sequential([
        layers.Embedding(10, 3, mask_zero=True),
        layers.GlobalAveragePooling1D(),
    ])
    tokens = np.array([[4, 2, 0, 0], [1, 2, 3, 5]])
    out = ops.convert_to_numpy(model(tokens))
    table = model.layers[0].get_weights()[0]
    np.testing.assert_allclose(out[0], table[[4, 2]].mean(axis=0), rtol=1e-6)
    np.testing.assert_allclose(out[1], table[[1, 2, 3, 5]].mean(axis=0), rtol=1e-6)
    layer = layers.GlobalAveragePooling1D(keepdims=True)
    x = rng.standard_normal((2, 4, 3)).astype(np.float32)
    mask = kerasx.ops.convert_to_tensor(np.array([[1, 1, 0, 1], [1, 0, 0, 0]], bool))
    got = ops.convert_to_numpy(layer(x, mask=mask))
    np.testing.assert_allclose(got[0, 0], x[0, [0, 1, 3]].mean(axis=0), rtol=1e-5)
    np.testing.assert_allclose(got[1, 0], x[1, 0], rtol=1e-5)


def test_aliases_and_config_round_trip():
    assert layers.MaxPool2D is layers.MaxPooling2D
    assert layers.AvgPool1D is layers.AveragePooling1D
    assert layers.GlobalAvgPool3D is layers.GlobalAveragePooling3D
    assert layers.GlobalMaxPool1D is layers.GlobalMaxPooling1D
    for layer in (layers.MaxPooling3D((1, 2, 3), strides=2, padding="same",
                                      data_format="channels_first"),
                  layers.GlobalAveragePooling2D(keepdims=True)):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config


def test_pooling_after_convolution_in_a_model():
    inputs = kerasx.Input(shape=(None, None, 2))
    x = layers.Conv2D(3, 3, padding="same")(inputs)
    x = layers.MaxPooling2D()(x)
    outputs = layers.GlobalAveragePooling2D()(x)
    model = kerasx.Model(inputs, outputs)
    assert tuple(model.output_shape) == (None, 3)
    assert model.predict(np.zeros((2, 8, 6, 2), np.float32), verbose=0).shape == (2, 3)


def test_input_of_wrong_rank():
    with pytest.raises(ValueError, match=r"MaxPooling2D layer 'pool' expects inputs of rank 4 "
                                         r"\(batch, \*spatial, channels\) with 2 spatial axes.*"
                                         r"\(8, 8, 3\)"):
        layers.MaxPooling2D(name="pool")(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match=r"GlobalAveragePooling1D layer .* rank 3.*\(2, 4, 4, 1\)"):
        layers.GlobalAveragePooling1D()(np.zeros((2, 4, 4, 1), np.float32))


def test_pool_larger_than_input():
    with pytest.raises(ValueError, match=r"pool size 3 is larger than the input along spatial "
                                         r"axis 1 \(size 2.*padding='same'"):
        layers.AveragePooling2D(3)(np.zeros((1, 6, 2, 1), np.float32))
    assert layers.AveragePooling2D(3, padding="same")(
        np.zeros((1, 6, 2, 1), np.float32)).shape == (1, 2, 1, 1)


@pytest.mark.parametrize("make,match", [
    (lambda: layers.MaxPooling2D(padding="causal"), r"padding.*\['valid', 'same'\]"),
    (lambda: layers.MaxPooling2D(pool_size=0), r"pool_size.*positive"),
    (lambda: layers.AveragePooling1D(strides=(1, 2)), r"strides.*1 entries"),
    (lambda: layers.GlobalMaxPooling2D(data_format="NCHW"), r"data_format.*'NCHW'"),
])
def test_bad_arguments(make, match):
    with pytest.raises(ValueError, match=match):
        make()
