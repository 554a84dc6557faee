"""Keras's public methods of the image preprocessing layers: the single-sample forms
equal the batched ones on one sample, `transform_labels` as Keras, a `seed` for the
draws, inference, subclasses written with Keras's parameter names, and
`convert_weight`."""

import numpy as np
import pytest

from kerasx import layers, ops
from kerasx.backends import current, use_backend
from tests.conftest import to_numpy

rng = np.random.default_rng(11)
IMAGES = rng.uniform(0, 255, (3, 8, 10, 3)).astype("float32")
MASKS = rng.integers(0, 4, (3, 8, 10, 1)).astype("int32")
BOXES = np.array([[[1.0, 1.0, 6.0, 5.0], [2.0, 0.0, 9.0, 7.5]]] * 3, "float32")
BOX_LABELS = np.array([[1, 2]] * 3, "int32")
LABELS = np.eye(3, dtype="float32")

# (class, constructor arguments, moves boxes): every image layer with Keras's methods
LAYERS = [
    ("RandomFlip", {"seed": 1}, True),
    ("RandomRotation", {"factor": 0.2, "seed": 1}, True),
    ("RandomTranslation", {"height_factor": 0.2, "width_factor": 0.2, "seed": 1}, True),
    ("RandomZoom", {"height_factor": 0.3, "seed": 1}, True),
    ("RandomShear", {"x_factor": 0.3, "y_factor": 0.3, "seed": 1}, True),
    ("RandomPerspective", {"factor": 1.0, "scale": 0.5, "seed": 1}, True),
    ("RandomCrop", {"height": 5, "width": 6, "seed": 1}, True),
    ("RandAugment", {"num_ops": 3, "seed": 1}, True),
    ("RandomElasticTransform", {"factor": 1.0, "scale": 0.5, "seed": 1}, None),
    ("AugMix", {"seed": 1}, False),
    ("MixUp", {"seed": 1}, None),
    ("CutMix", {"seed": 1}, None),
    ("RandomBrightness", {"factor": 0.3, "seed": 1}, False),
    ("RandomContrast", {"factor": 0.4, "seed": 1}, False),
    ("RandomColorDegeneration", {"factor": 0.5, "seed": 1}, False),
    ("RandomColorJitter", {"brightness_factor": 0.2, "contrast_factor": 0.3,
                           "saturation_factor": 0.4, "hue_factor": 0.2, "seed": 1}, False),
    ("RandomSaturation", {"factor": 0.5, "seed": 1}, False),
    ("RandomHue", {"factor": 0.5, "seed": 1}, False),
    ("RandomSharpness", {"factor": 0.5, "seed": 1}, False),
    ("RandomPosterization", {"factor": 3, "seed": 1}, False),
    ("RandomGaussianBlur", {"factor": 1.0, "seed": 1}, False),
    ("RandomGrayscale", {"factor": 1.0, "seed": 1}, False),
    ("RandomInvert", {"factor": 1.0, "seed": 1}, False),
    ("RandomErasing", {"factor": 1.0, "seed": 1}, False),
    ("Solarization", {"addition_factor": 0.3, "threshold_factor": 0.5, "seed": 1}, False),
    ("Equalization", {}, False),
    ("AutoContrast", {}, False),
    ("ContrastLimitedAdaptiveHistogramEqualization", {"tile_grid_size": (2, 2)}, None),
    ("Resizing", {"height": 5, "width": 4}, True),
    ("CenterCrop", {"height": 6, "width": 6}, True),
]
IDS = [name for name, _, _ in LAYERS]


def make(name, config, **extra):
    return getattr(layers, name)(**config, **extra)


def close(a, b):
    np.testing.assert_allclose(to_numpy(a), to_numpy(b), rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("name,config,moves_boxes", LAYERS, ids=IDS)
def test_single_sample_methods_equal_the_batched_ones(name, config, moves_boxes):
    layer = make(name, config, bounding_box_format="xyxy") if moves_boxes is not None \
        else make(name, config)
    batch_t = layer.get_random_transformation(IMAGES[:1], seed=5)
    single_t = layer.get_random_transformation(IMAGES[0], seed=5)
    close(layer.transform_single_image(IMAGES[0], single_t),
          layer.transform_images(IMAGES[:1], batch_t)[0])
    if name != "ContrastLimitedAdaptiveHistogramEqualization":
        close(layer.transform_single_label(LABELS[0], single_t),
              layer.transform_labels(LABELS[:1], batch_t)[0])
    if moves_boxes is not None and name != "ContrastLimitedAdaptiveHistogramEqualization":
        close(layer.transform_single_segmentation_mask(MASKS[0], single_t),
              layer.transform_segmentation_masks(MASKS[:1], batch_t)[0])
    if moves_boxes is not None:
        single = layer.transform_single_bounding_box(
            {"boxes": BOXES[0], "labels": BOX_LABELS[0]}, single_t)
        batched = layer.transform_bounding_boxes(
            {"boxes": BOXES[:1], "labels": BOX_LABELS[:1]}, batch_t)
        close(single["boxes"], batched["boxes"][0])
        close(single["labels"], batched["labels"][0])
        if not moves_boxes:  # boxes pass through, as in Keras
            close(single["boxes"], BOXES[0])


@pytest.mark.parametrize("name,config,moves_boxes", LAYERS, ids=IDS)
def test_a_seed_repeats_the_draws_and_leaves_the_layer_stream_alone(name, config,
                                                                    moves_boxes):
    layer, twin = make(name, config), make(name, config)
    first = layer.transform_images(IMAGES, layer.get_random_transformation(IMAGES, seed=[3, 4]))
    again = layer.transform_images(IMAGES, layer.get_random_transformation(IMAGES, seed=[3, 4]))
    close(first, again)
    close(layer(IMAGES), twin(IMAGES))  # the layer's own draws did not move


@pytest.mark.parametrize("name,config,moves_boxes", LAYERS, ids=IDS)
def test_transform_labels_returns_what_keras_returns(name, config, moves_boxes):
    layer = make(name, config)
    transformation = layer.get_random_transformation(IMAGES)
    if name == "ContrastLimitedAdaptiveHistogramEqualization":
        with pytest.raises(NotImplementedError, match="does not transform labels"):
            layer.transform_labels(LABELS, transformation)
        return
    out = layer.transform_labels(LABELS, transformation)
    if name in ("MixUp", "CutMix"):  # labels mixed like the images, rows still sum to 1
        np.testing.assert_allclose(to_numpy(out).sum(axis=1), 1.0, rtol=1e-6)
        assert not np.allclose(to_numpy(out), LABELS)
    else:
        np.testing.assert_array_equal(to_numpy(out), LABELS)
    assert layer.transform_labels(LABELS, None, training=False) is LABELS


RANDOM = [(n, c) for n, c, _ in LAYERS if n not in (
    "Equalization", "AutoContrast", "ContrastLimitedAdaptiveHistogramEqualization",
    "Resizing", "CenterCrop", "RandomCrop")]


@pytest.mark.parametrize("name,config", RANDOM, ids=[n for n, _ in RANDOM])
def test_inference_draws_nothing_and_changes_nothing(name, config):
    layer = make(name, config)
    assert layer.get_random_transformation(IMAGES, training=False) is None
    out = layer.transform_images(IMAGES.astype("int32"), None, training=False)
    assert to_numpy(out).dtype == np.float32
    np.testing.assert_array_equal(to_numpy(out), IMAGES.astype("int32"))


def test_not_random_layers_transform_in_inference_too():
    resizing = layers.Resizing(4, 5)
    out = resizing.transform_images(IMAGES, None, training=False)
    assert tuple(out.shape) == (3, 4, 5, 3)
    close(out, resizing(IMAGES))
    crop = layers.RandomCrop(4, 5)
    t = crop.get_random_transformation(IMAGES, training=False)
    close(crop.transform_images(IMAGES, t, training=False), crop(IMAGES, training=False))


def test_the_transformation_records_the_input_shape():
    t = layers.RandomFlip(seed=1).get_random_transformation({"images": IMAGES[0]})
    assert t["input_shape"] == IMAGES[0].shape
    assert tuple(to_numpy(t["draws"]).shape) == (1,)


def test_a_dict_call_moves_images_boxes_and_masks_with_the_same_draws():
    layer = layers.RandomFlip("horizontal", seed=3, bounding_box_format="xyxy")
    twin = layers.RandomFlip("horizontal", seed=3, bounding_box_format="xyxy")
    out = layer({"images": IMAGES, "segmentation_masks": MASKS, "labels": LABELS,
                 "bounding_boxes": {"boxes": BOXES, "labels": BOX_LABELS}})
    t = twin.get_random_transformation(IMAGES)
    close(out["images"], twin.transform_images(IMAGES, t))
    close(out["segmentation_masks"], twin.transform_segmentation_masks(MASKS, t))
    close(out["bounding_boxes"]["boxes"], twin.transform_bounding_boxes(
        {"boxes": BOXES, "labels": BOX_LABELS}, t)["boxes"])
    np.testing.assert_array_equal(to_numpy(out["labels"]), LABELS)


def test_bounding_boxes_need_the_transformation_of_get_random_transformation():
    layer = layers.RandomFlip(bounding_box_format="xyxy")
    with pytest.raises(ValueError, match="pass the transformation returned by "
                                         "get_random_transformation"):
        layer.transform_bounding_boxes({"boxes": BOXES, "labels": BOX_LABELS}, [True] * 3)


def test_max_num_bounding_boxes_single_and_batched():
    layer = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
    batched = layer.transform_bounding_boxes({"boxes": BOXES, "labels": BOX_LABELS}, None)
    single = layer.transform_single_bounding_box({"boxes": BOXES[0], "labels": BOX_LABELS[0]},
                                                 None)
    assert tuple(batched["boxes"].shape) == (3, 3, 4)
    close(single["boxes"], batched["boxes"][0])
    np.testing.assert_array_equal(to_numpy(single["labels"]), [1, 2, -1])
    assert layer.transform_images(IMAGES, None) is not None
    with pytest.raises(ValueError, match="takes batched boxes"):
        layer.transform_bounding_boxes({"boxes": BOXES[0], "labels": BOX_LABELS[0]}, None)


def test_auto_contrast_takes_a_dict_and_passes_boxes_and_masks_through():
    layer = layers.AutoContrast(bounding_box_format="xyxy")
    out = layer({"images": IMAGES, "segmentation_masks": MASKS, "labels": LABELS,
                 "bounding_boxes": {"boxes": BOXES, "labels": BOX_LABELS}})
    close(out["images"], layer(IMAGES))
    np.testing.assert_array_equal(to_numpy(out["segmentation_masks"]), MASKS)
    np.testing.assert_array_equal(to_numpy(out["bounding_boxes"]["boxes"]), BOXES)
    assert layer.compute_output_shape({"images": (3, 8, 10, 3)}) == {"images": (3, 8, 10, 3)}
    assert layers.AutoContrast.from_config(layer.get_config()).bounding_box_format == "xyxy"


def test_clahe_refuses_labels_as_keras_does():
    layer = layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2))
    close(layer({"images": IMAGES})["images"], layer(IMAGES))
    with pytest.raises(NotImplementedError):
        layer({"images": IMAGES, "labels": LABELS})


# -- subclasses written with Keras's parameter names ---------------------------------------
class ShiftedFlip(layers.RandomFlip):
    """Flips as its base, then adds a random offset per image drawn here."""

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        images = data["images"] if isinstance(data, dict) else data
        count = images.shape[0] if len(images.shape) == 4 else 1
        base = super().get_random_transformation(data, training=training, seed=seed)
        return {"base": base, "offsets": np.arange(1, count + 1, dtype="float32")}

    def transform_images(self, images, transformation, training=True):
        images = super().transform_images(images, transformation["base"], training=training)
        offsets = ops.reshape(ops.convert_to_tensor(transformation["offsets"]), (-1, 1, 1, 1))
        return ops.add(images, offsets)

    def transform_segmentation_masks(self, segmentation_masks, transformation,
                                     training=True):
        return super().transform_segmentation_masks(segmentation_masks,
                                                    transformation["base"], training)


def test_a_subclass_with_keras_parameter_names_works_in_call():
    layer, twin = ShiftedFlip(seed=2), layers.RandomFlip(seed=2)
    out = layer(IMAGES)
    close(out, ops.add(twin(IMAGES), np.arange(1, 4, dtype="float32").reshape(-1, 1, 1, 1)))
    one = layer(IMAGES[0])
    assert tuple(one.shape) == IMAGES[0].shape
    close(one, ops.add(twin(IMAGES[0]), 1.0))
    out = layer({"images": IMAGES, "labels": LABELS, "segmentation_masks": MASKS})
    expected = twin({"images": IMAGES, "labels": LABELS, "segmentation_masks": MASKS})
    close(out["images"], ops.add(expected["images"],
                                 np.arange(1, 4, dtype="float32").reshape(-1, 1, 1, 1)))
    close(out["segmentation_masks"], expected["segmentation_masks"])
    np.testing.assert_array_equal(to_numpy(layer(IMAGES, training=False)), IMAGES)


class Negative(layers.RandomBrightness):
    """A layer whose draws and change are all its own."""

    def get_random_transformation(self, data, training=True, seed=None):
        return {"sign": -1.0} if training else None

    def transform_images(self, images, transformation, training=True):
        images = ops.cast(images, "float32")
        return ops.multiply(images, transformation["sign"]) if training else images


def test_a_subclass_of_a_value_layer_is_called_through_its_methods():
    layer = Negative(0.1, bounding_box_format="xyxy")
    close(layer(IMAGES), -IMAGES)
    close(layer(IMAGES[0]), -IMAGES[0])
    out = layer({"images": IMAGES, "labels": LABELS,
                 "bounding_boxes": {"boxes": BOXES, "labels": BOX_LABELS}})
    close(out["images"], -IMAGES)
    close(out["labels"], LABELS)
    close(layer(IMAGES, training=False), IMAGES)


def test_a_subclass_transform_bounding_boxes_is_used_by_call():
    class Marked(layers.RandomFlip):
        def transform_bounding_boxes(self, bounding_boxes, transformation, training=True):
            out = super().transform_bounding_boxes(bounding_boxes, transformation, training)
            return {**out, "labels": ops.add(out["labels"], 10)}

    layer = Marked(bounding_box_format="xyxy", seed=1)
    out = layer({"images": IMAGES, "bounding_boxes": {"boxes": BOXES, "labels": BOX_LABELS}})
    np.testing.assert_array_equal(to_numpy(out["bounding_boxes"]["labels"]), BOX_LABELS + 10)
    one = layer({"images": IMAGES[0],
                 "bounding_boxes": {"boxes": BOXES[0], "labels": BOX_LABELS[0]}})
    np.testing.assert_array_equal(to_numpy(one["bounding_boxes"]["labels"]), [11, 12])


# -- convert_weight ----------------------------------------------------------------------
def test_convert_weight_keeps_a_weight_of_the_active_backend():
    layer = layers.Normalization(mean=0.0, variance=1.0)
    weight = current().asarray(np.ones(3, "float32"))
    assert layers.RandomFlip().convert_weight(weight) is weight
    tensor = ops.convert_to_tensor(np.ones(2, "float32"))
    assert layer.convert_weight(tensor) is tensor


def test_convert_weight_moves_a_weight_of_another_backend():
    other = "numpy" if current().name != "numpy" else "array_api_strict"
    with use_backend(other):
        from kerasx.backends import current as inner

        weight = inner().asarray(np.arange(3, dtype="float32"))
    out = layers.Rescaling(2.0).convert_weight(weight)
    assert current().is_native(out.value)
    np.testing.assert_array_equal(to_numpy(out), [0.0, 1.0, 2.0])


def test_a_random_layer_needs_a_transformation_in_training():
    with pytest.raises(ValueError, match="received transformation=None in training"):
        layers.RandomRotation(0.2).transform_images(IMAGES, None)
    close(layers.Equalization().transform_images(IMAGES, None),
          layers.Equalization()(IMAGES))  # draws nothing: no transformation needed
