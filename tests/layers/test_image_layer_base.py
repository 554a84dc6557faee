"""The base of the image augmentation layers (`_image_layer`): seed and data format
setup, the checks and cast of `call`, inference returning the images untouched, the
number of images handed to `_transform`, and the images-or-dict variant."""

import numpy as np
import pytest

from kerasx import layers, ops
from kerasx.layers.preprocessing._image_layer import (ImageAugmentationLayer,
                                                      LabeledImageAugmentationLayer)

IMAGES = np.random.default_rng(1).uniform(0, 255, (2, 5, 6, 3)).astype("float32")


class Shift(ImageAugmentationLayer):
    """Adds the number of images it was given, and records each call's arguments."""

    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.seen = []
        self._set_seed_and_data_format("Shift", seed, data_format)

    def _transform(self, images, count):
        self.seen.append((tuple(images.shape), count))
        return ops.add(images, float(count))


class RgbShift(Shift):
    _rgb_only = True


class LabeledShift(LabeledImageAugmentationLayer):
    def __init__(self, seed=None, data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.seen = []
        self._set_seed_and_data_format("LabeledShift", seed, data_format)

    def _transform(self, images, count):
        self.seen.append((tuple(images.shape), count))
        return ops.add(images, 1.0)


def numpy(x):
    return ops.convert_to_numpy(x)


def test_setup_sets_seed_stream_and_data_format():
    layer = Shift(seed=7, data_format="channels_first")
    # built by its first call, as Keras 3.15.1's image preprocessing layers
    assert not layer.built and layer.seed == 7 and layer.data_format == "channels_first"
    assert Shift().data_format == "channels_last"
    first, second = layer._seeds.next(), layer._seeds.next()
    assert first is not None and first != second
    with pytest.raises(ValueError, match="Shift: data_format must be 'channels_last' or "
                                         "'channels_first', received data_format='nchw'"):
        Shift(data_format="nchw")


@pytest.mark.parametrize("images, count", [(IMAGES, 2), (IMAGES[0], 1)])
def test_training_hands_the_cast_images_and_their_number_to_transform(images, count):
    layer = Shift(dtype="float64")
    out = layer(images)
    assert layer.seen == [(images.shape, count)]
    assert numpy(out).dtype == np.float64
    np.testing.assert_array_equal(numpy(out), images.astype("float64") + count)


def test_inference_returns_the_cast_images_without_transforming():
    layer = Shift()
    out = layer(IMAGES.astype("int32"), training=False)
    assert layer.seen == []
    assert numpy(out).dtype == np.float32
    np.testing.assert_array_equal(numpy(out), IMAGES.astype("int32").astype("float32"))


def test_call_checks_the_rank_and_rgb_channels():
    with pytest.raises(ValueError, match="expects images of rank 3 .* received input of "
                                         r"shape \(5, 6\)"):
        Shift()(IMAGES[0, ..., 0])
    assert numpy(Shift()(IMAGES[..., :1])).shape == (2, 5, 6, 1)
    with pytest.raises(ValueError, match="expects RGB images with 3 channels"):
        RgbShift()(IMAGES[..., :1])
    with pytest.raises(ValueError, match="expects RGB images with 3 channels"):
        RgbShift()(IMAGES[..., :1], training=False)


def test_transform_must_be_implemented():
    class Bare(ImageAugmentationLayer):
        pass

    with pytest.raises(NotImplementedError, match="Bare must implement _transform"):
        Bare()(IMAGES)


def test_compute_output_shape_keeps_the_shape():
    assert Shift().compute_output_shape([2, 5, 6, 3]) == (2, 5, 6, 3)
    shapes = {"images": (2, 5, 6, 3), "labels": (2, 4)}
    assert LabeledShift().compute_output_shape(shapes) is shapes


def test_labeled_layer_passes_labels_through_and_batches_one_image():
    labels = np.eye(2, dtype="float32")
    layer = LabeledShift()
    out = layer({"images": IMAGES, "labels": labels})
    assert sorted(out) == ["images", "labels"]
    np.testing.assert_array_equal(numpy(out["images"]), IMAGES + 1.0)
    np.testing.assert_array_equal(numpy(out["labels"]), labels)
    single = layer(IMAGES[0])
    assert numpy(single).shape == (5, 6, 3)
    assert layer.seen == [((2, 5, 6, 3), 2), ((1, 5, 6, 3), 1)]
    untouched = layer({"images": IMAGES}, training=False)
    np.testing.assert_array_equal(numpy(untouched["images"]), IMAGES)
    assert len(layer.seen) == 2
    with pytest.raises(ValueError, match="received the keys \\['masks'\\]"):
        layer({"images": IMAGES, "masks": IMAGES})


@pytest.mark.parametrize("name, base", [
    ("RandomBrightness", ImageAugmentationLayer), ("RandomFlip", ImageAugmentationLayer),
    ("Equalization", ImageAugmentationLayer), ("RandomErasing", LabeledImageAugmentationLayer),
    ("MixUp", LabeledImageAugmentationLayer), ("RandAugment", LabeledImageAugmentationLayer)])
def test_augmentation_layers_share_the_base(name, base):
    assert issubclass(getattr(layers, name), base)
