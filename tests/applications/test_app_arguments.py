"""The builders' arguments: Keras's checks and errors, `input_tensor`, `weights=<path>`,
`name`, `pooling`, and the data-format rules. Only small models are built."""

import numpy as np
import pytest

import kerasx
from kerasx import applications, layers
from tests.conftest import to_numpy

SMALL = (32, 32, 3)
ALL_BUILDERS = [name for name in applications.__all__ if name[0].isupper()]


@pytest.mark.parametrize("builder", ALL_BUILDERS)
def test_every_builder_checks_weights_and_classes_first(builder):
    build = getattr(applications, builder)
    with pytest.raises(ValueError, match="The `weights` argument should be either"):
        build(weights="/no/such/file.h5")
    with pytest.raises(ValueError, match=r"`classes` should be 1000.*Received classes=10"):
        build(weights="imagenet", classes=10)


@pytest.mark.parametrize("kwargs,match", [
    ({"weights": "imagenet", "input_shape": (64, 64, 3)}, r"should be \(224, 224, 3\)"),
    ({"weights": None, "include_top": False, "input_shape": (16, 64, 3)}, "at least 32x32"),
    ({"weights": "imagenet", "include_top": False, "input_shape": (64, 64, 1)},
     "must have 3 channels"),
    ({"weights": None, "include_top": False, "input_shape": (64, 64)}, "three integers"),
    ({"weights": None, "input_shape": (None, None, 3)}, "static `input_shape`"),
])
def test_input_shape_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        applications.ResNet50(**kwargs)


def test_classifier_activation_with_pretrained_weights(weight_requests):
    with pytest.raises(ValueError, match="Only `None` and `softmax`"):
        applications.MobileNet(weights="imagenet", alpha=0.25, input_shape=(128, 128, 3),
                               classifier_activation="relu")
    model = applications.MobileNet(weights=None, alpha=0.25, input_shape=SMALL, classes=4,
                                   classifier_activation="sigmoid")
    out = model.predict(np.random.default_rng(0).uniform(size=(2,) + SMALL), verbose=0)
    assert out.shape == (2, 4) and np.all((out > 0) & (out < 1))


def test_mobilenet_imagenet_arguments(weight_requests):
    with pytest.raises(ValueError, match="depth multiplier must be 1"):
        applications.MobileNet(weights="imagenet", depth_multiplier=2)
    with pytest.raises(ValueError, match="alpha can be one of"):
        applications.MobileNet(weights="imagenet", alpha=0.3)
    with pytest.raises(ValueError, match="alpha must be one of"):
        applications.MobileNetV2(weights="imagenet", alpha=0.3)
    with pytest.warns(UserWarning, match="Weights for input shape \\(224, 224\\)"):
        model = applications.MobileNetV2(weights="imagenet", include_top=False, alpha=0.35,
                                         input_shape=(40, 48, 3))
    assert model.name == "mobilenetv2_0.35_224"
    assert weight_requests[-1]["fname"] == \
        "mobilenet_v2_weights_tf_dim_ordering_tf_kernels_0.35_224_no_top.h5"


def test_mobilenet_v2_input_tensor_checks():
    with pytest.raises(ValueError, match="input_tensor is not a Keras tensor"):
        applications.MobileNetV2(weights=None, input_shape=SMALL, input_tensor=np.zeros(SMALL))
    with pytest.raises(ValueError, match=r"input_tensor.shape\[2\] must equal input_shape\[1\]"):
        applications.MobileNetV2(weights=None, input_shape=(32, 32, 3),
                                 input_tensor=kerasx.Input((32, 40, 3)))


def test_input_tensor_keeps_preceding_layers():
    inputs = kerasx.Input(SMALL)
    scaled = layers.Rescaling(1.0 / 255, name="scale")(inputs)
    model = applications.MobileNetV2(weights=None, alpha=0.35, include_top=False,
                                     input_tensor=scaled, pooling="avg", name="backbone")
    assert model.inputs[0] is inputs and model.name == "backbone"
    assert model.layers[1].name == "scale" and model.output.shape == (None, 1280)
    x = np.random.default_rng(1).uniform(0, 255, size=(2,) + SMALL).astype("float32")
    assert model.predict(x, verbose=0).shape == (2, 1280)


def test_pooling_and_non_tensor_input():
    assert applications.VGG16(weights=None, include_top=False, input_shape=SMALL,
                              pooling="max").output.shape == (None, 512)
    assert applications.VGG16(weights=None, include_top=False, input_shape=SMALL,
                              pooling=None).output.shape == (None, 1, 1, 512)
    with pytest.raises(ValueError, match=r"must be a KerasTensor.*an array of shape \(1, 32, 32, 3\)"):
        applications.VGG16(weights=None, include_top=False, input_shape=SMALL,
                           input_tensor=np.zeros((1,) + SMALL, "float32"))


def test_weights_path_loads_a_saved_model(tmp_path):
    def build(weights):
        return applications.MobileNetV2(weights=weights, alpha=0.35, include_top=False,
                                        input_shape=SMALL, pooling="avg")

    source = build(None)
    path = str(tmp_path / "backbone.weights.h5")
    source.save_weights(path)
    kerasx.utils.clear_session(free_memory=False)
    loaded = build(path)
    for a, b in zip(source.weights, loaded.weights):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))


def test_imagenet_weights_go_through_the_keras_cache(monkeypatch, tmp_path):
    """`weights="imagenet"` takes the file from the Keras cache (no download when it is
    there and its hash matches) and loads the legacy layout."""
    from kerasx.applications import _builder
    from kerasx.utils import file_download

    requested, loaded = [], []
    real_get_file = file_download.get_file

    def offline_get_file(fname, origin, **kwargs):
        requested.append(origin)
        return real_get_file(fname, origin, cache_dir=str(tmp_path), **kwargs)

    monkeypatch.setattr(_builder, "get_file", offline_get_file)
    monkeypatch.setattr(_builder, "load_weights", lambda model, path: loaded.append(path))
    cached = tmp_path / "models" / "mobilenet_2_5_128_tf_no_top.h5"
    cached.parent.mkdir()
    cached.write_bytes(b"cached")
    applications.MobileNet(weights="imagenet", alpha=0.25, include_top=False,
                           input_shape=(128, 128, 3))
    assert loaded == [str(cached)]
    assert requested == ["https://storage.googleapis.com/tensorflow/keras-applications/"
                         "mobilenet/mobilenet_2_5_128_tf_no_top.h5"]


def test_densenet_refuses_channels_first():
    kerasx.config.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="does not support the `channels_first`"):
            applications.DenseNet121(weights=None)
    finally:
        kerasx.config.set_image_data_format("channels_last")


def test_channels_first_model_runs():
    kerasx.config.set_image_data_format("channels_first")
    try:
        model = applications.MobileNetV2(weights=None, alpha=0.35, input_shape=(3, 32, 32),
                                         classes=3)
    finally:
        kerasx.config.set_image_data_format("channels_last")
    assert model.get_layer("bn_Conv1").axis in (1, [1])
    assert model.output.shape == (None, 3)


@pytest.mark.parametrize("builder", ["DenseNet121", "NASNetMobile", "ConvNeXtTiny"])
def test_channels_last_only_families(builder):
    kerasx.config.set_image_data_format("channels_first")
    try:
        with pytest.raises(ValueError, match="does not support the `channels_first`"):
            getattr(applications, builder)(weights=None)
    finally:
        kerasx.config.set_image_data_format("channels_last")


def test_family_specific_checks(weight_requests):
    with pytest.raises(ValueError, match="must be static"):
        applications.NASNetMobile(weights="imagenet", include_top=False,
                                  input_shape=(None, None, 3))
    with pytest.raises(ValueError, match="at least 32x32"):
        applications.MobileNetV3Small(weights=None, input_shape=(16, 64, 3))
    with pytest.raises(ValueError, match="alpha can be one of `0.75`, `1.0`"):
        applications.MobileNetV3Small(weights="imagenet", alpha=0.5)
    with pytest.raises(ValueError, match="must be > 0"):
        applications.efficientnet.EfficientNet(
            1.0, 1.0, 224, weights=None, include_top=False, input_shape=SMALL,
            blocks_args=[dict(applications.efficientnet.DEFAULT_BLOCKS_ARGS[0], repeats=0)])
    with pytest.raises(ValueError, match='does not match weights variant "convnext_tiny"'):
        applications.ConvNeXtTiny(weights="imagenet", include_top=False, input_shape=SMALL,
                                  name="backbone")
    assert weight_requests == []  # refused before asking for the file


def test_models_that_preprocess_themselves():
    x = np.random.default_rng(2).uniform(0, 255, size=(1,) + SMALL).astype("float32")
    for module in ("efficientnet", "efficientnet_v2", "mobilenet_v3", "convnext"):
        assert getattr(applications, module).preprocess_input(x) is x
    model = applications.MobileNetV3Small(weights=None, include_top=False, input_shape=SMALL,
                                          pooling="avg")
    assert type(model.layers[1]).__name__ == "Rescaling"
    assert np.all(np.isfinite(model.predict(x, verbose=0)))


def test_custom_layers_of_the_applications():
    from kerasx.applications.convnext import LayerScale, StochasticDepth
    from kerasx.applications.inception_resnet_v2 import CustomScaleLayer

    x = np.arange(12, dtype="float32").reshape(2, 2, 3)
    scale = LayerScale(0.5, 3)
    np.testing.assert_allclose(to_numpy(scale(x)), x * 0.5)
    assert scale.get_config()["projection_dim"] == 3 and len(scale.trainable_weights) == 1
    np.testing.assert_allclose(to_numpy(CustomScaleLayer(0.1)([x, x])), x * 1.1, rtol=1e-6)
    assert CustomScaleLayer(0.1).get_config()["scale"] == 0.1
    drop = StochasticDepth(0.5)
    np.testing.assert_array_equal(to_numpy(drop(x)), x)  # identity at inference
    ones = np.ones((400, 2, 2), "float32")
    out = to_numpy(drop(ones, training=True))
    per_sample = out.reshape(400, -1)
    assert set(np.unique(per_sample)) <= {0.0, 2.0}  # whole samples kept (x2) or dropped
    assert np.all(per_sample.min(axis=1) == per_sample.max(axis=1))
    assert 0.35 < np.mean(per_sample[:, 0] == 0.0) < 0.65
