"""Bounding boxes and segmentation masks in the dict inputs of the image layers:
Keras 3 golden values for a given transformation, whole calls of the deterministic
layers, the same draws for images and boxes, inference, one image, and errors."""

import json

import numpy as np
import pytest

from kerasx import layers, ops
from kerasx.backends import current
from tests.golden.loader import case_ids, load_cases

CASES = load_cases("bounding_boxes")
TRANSFORM_CASES = [c for c in CASES if c["kind"] == "transform"]
CALL_CASES = [c for c in CASES if c["kind"] == "call"]
rng = np.random.default_rng(5)
IMAGES = rng.uniform(0, 1, (2, 12, 12, 3)).astype("float32")


def numpy(x):
    return ops.convert_to_numpy(x)


def _kerasx_transformation(name, a):
    """The transformation of the layer `name` made of the golden arrays `a`."""
    backend = current()
    f64 = [backend.asarray(np.asarray(a[k], "float64")) for k in
           {"RandomTranslation": ("dy", "dx"), "RandomRotation": ("angles",),
            "RandomZoom": ("height_zoom", "width_zoom"),
            "RandomShear": ("shear_x", "shear_y")}.get(name, ())]
    if name == "RandomFlip":
        return backend.asarray(a["flips"])
    if name == "RandomPerspective":
        return backend.asarray(np.asarray(a["displacements"], "float64")), \
            backend.asarray(a["apply"])
    return f64[0] if name == "RandomRotation" else tuple(f64)


def _with_fixed_transformation(layer, case):
    a = case["arrays"]
    if case["class"] == "RandomCrop":
        window = (int(a["top"]), int(a["left"]), layer.height, layer.width)
        layer._draw_window = lambda rows, cols: window
    else:
        transformation = _kerasx_transformation(case["class"], a)
        layer.get_random_transformation = lambda images, count: transformation
    return layer


@pytest.mark.parametrize("case", TRANSFORM_CASES, ids=case_ids(TRANSFORM_CASES))
def test_boxes_and_masks_match_keras_for_a_given_transformation(case):
    a = case["arrays"]
    layer = _with_fixed_transformation(getattr(layers, case["class"])(**case["config"]), case)
    data = {"images": IMAGES, "bounding_boxes": {"boxes": a["boxes"], "labels": a["labels"]}}
    if "masks" in a:
        data["segmentation_masks"] = a["masks"]
    out = layer(data)
    boxes = numpy(out["bounding_boxes"]["boxes"])
    assert boxes.dtype == np.float32
    np.testing.assert_allclose(boxes, a["y_boxes"], rtol=1e-5, atol=2e-5)
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["labels"]), a["y_labels"])
    if "masks" in a:
        masks = numpy(out["segmentation_masks"])
        assert masks.dtype == a["y_masks"].dtype
        np.testing.assert_array_equal(masks, a["y_masks"])


@pytest.mark.parametrize("case", CALL_CASES, ids=case_ids(CALL_CASES))
def test_deterministic_layers_match_a_keras_call(case):
    a = case["arrays"]
    layer = getattr(layers, case["class"])(**case["config"])
    out = layer({"images": a["images"], "segmentation_masks": a["masks"],
                 "bounding_boxes": {"boxes": a["boxes"], "labels": a["labels"]}})
    np.testing.assert_allclose(numpy(out["images"]), a["y_images"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(numpy(out["segmentation_masks"]), a["y_masks"], atol=1e-5)
    np.testing.assert_allclose(numpy(out["bounding_boxes"]["boxes"]), a["y_boxes"], rtol=1e-5,
                               atol=2e-5)
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["labels"]), a["y_labels"])


def _dict(batch=2, boxes=None):
    boxes = np.array([[1, 2, 5, 9], [6, 0, 11, 4]], "float32") if boxes is None else boxes
    return {"images": IMAGES[:batch], "labels": np.eye(2, dtype="float32")[:batch],
            "bounding_boxes": {"boxes": np.stack([boxes] * batch),
                               "labels": np.array([[3, 4]] * batch)},
            "segmentation_masks": (IMAGES[:batch, :, :, :1] > 0.5).astype("int32")}


MOVING = [lambda: layers.RandomFlip(seed=3, bounding_box_format="xyxy"),
          lambda: layers.RandomTranslation(0.3, 0.3, seed=3, bounding_box_format="xyxy"),
          lambda: layers.RandomRotation(0.3, seed=3, bounding_box_format="xyxy"),
          lambda: layers.RandomZoom(0.3, seed=3, bounding_box_format="xyxy"),
          lambda: layers.RandomShear(0.3, 0.3, seed=3, bounding_box_format="xyxy"),
          lambda: layers.RandomPerspective(scale=0.3, seed=3, bounding_box_format="xyxy"),
          lambda: layers.RandomCrop(8, 7, seed=3, bounding_box_format="xyxy"),
          lambda: layers.CenterCrop(8, 7, bounding_box_format="xyxy"),
          lambda: layers.Resizing(8, 7, bounding_box_format="xyxy")]
MOVING_IDS = ["flip", "translation", "rotation", "zoom", "shear", "perspective", "random_crop",
              "center_crop", "resizing"]


@pytest.mark.parametrize("make", MOVING, ids=MOVING_IDS)
def test_dict_images_are_the_images_path_with_the_same_draws(make):
    images = make()(IMAGES)
    out = make()(_dict())
    np.testing.assert_allclose(numpy(out["images"]), numpy(images), rtol=1e-6, atol=1e-6)
    np.testing.assert_array_equal(numpy(out["labels"]), np.eye(2))
    assert numpy(out["segmentation_masks"]).shape[1:3] == numpy(images).shape[1:3]
    boxes = numpy(out["bounding_boxes"]["boxes"])
    height, width = numpy(images).shape[1:3]
    assert boxes.shape == (2, 2, 4) and boxes.min() >= 0
    assert (boxes[..., [0, 2]] <= width).all() and (boxes[..., [1, 3]] <= height).all()


@pytest.mark.parametrize("make", MOVING, ids=MOVING_IDS)
def test_one_image_is_a_batch_of_one(make):
    batch = make()(_dict(batch=1))
    one = make()({key: value[0] if key != "bounding_boxes" else
                  {k: v[0] for k, v in value.items()} for key, value in _dict(batch=1).items()})
    for key in ("images", "segmentation_masks"):
        np.testing.assert_allclose(numpy(one[key]), numpy(batch[key])[0], atol=1e-6)
    for key in ("boxes", "labels"):
        np.testing.assert_allclose(numpy(one["bounding_boxes"][key]),
                                   numpy(batch["bounding_boxes"][key])[0], atol=1e-5)


def test_flipped_boxes_follow_their_flipped_images():
    layer = layers.RandomFlip("horizontal", seed=11, bounding_box_format="xyxy")
    data = _dict()
    data["images"] = IMAGES[:2]
    out = layer(data)
    flipped = [not np.allclose(numpy(out["images"])[i], IMAGES[i]) for i in range(2)]
    boxes = numpy(out["bounding_boxes"]["boxes"])
    for i, flip in enumerate(flipped):
        expected = data["bounding_boxes"]["boxes"][i].copy()
        if flip:
            expected[:, [0, 2]] = 12 - expected[:, [2, 0]]
        np.testing.assert_allclose(boxes[i], expected, atol=1e-6)


def test_boxes_in_relative_format_come_back_relative():
    layer = layers.RandomTranslation((0.25, 0.25), (0.0, 0.0), bounding_box_format="rel_xyxy")
    boxes = np.array([[0.1, 0.1, 0.5, 0.4], [0.2, 0.6, 0.4, 0.9]], "float32")
    out = layer({"images": IMAGES, "bounding_boxes": {"boxes": np.stack([boxes] * 2),
                                                      "labels": np.ones((2, 2), "int32")}})
    expected = boxes + [0, 0.25, 0, 0.25]
    expected[1, 3] = 1.0  # clipped to the image
    np.testing.assert_allclose(numpy(out["bounding_boxes"]["boxes"])[0], expected, atol=1e-6)


def test_boxes_moved_out_of_the_image_lose_their_label():
    layer = layers.RandomTranslation((0.5, 0.5), (0.0, 0.0), bounding_box_format="xyxy")
    out = layer(_dict(boxes=np.array([[1, 7, 5, 9], [6, 0, 11, 4]], "float32")))
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["labels"]), [[-1, 4]] * 2)


def test_inference_and_colour_layers_leave_boxes_and_masks_alone():
    data = _dict()
    for layer, training in ((layers.RandomRotation(0.4, bounding_box_format="xyxy"), False),
                            (layers.RandomBrightness(0.3, bounding_box_format="xyxy"), True),
                            (layers.RandomContrast(0.3, bounding_box_format="xyxy"), None)):
        out = layer(data, training=training)
        np.testing.assert_array_equal(numpy(out["bounding_boxes"]["boxes"]),
                                      data["bounding_boxes"]["boxes"])
        np.testing.assert_array_equal(numpy(out["segmentation_masks"]),
                                      data["segmentation_masks"])
    out = layers.RandomRotation(0.4, bounding_box_format="xyxy")(data, training=False)
    np.testing.assert_array_equal(numpy(out["images"]), IMAGES)


def test_masks_keep_their_values_under_resampling():
    out = layers.RandomRotation(0.2, seed=1, bounding_box_format="xyxy")(_dict())
    masks = numpy(out["segmentation_masks"])
    assert masks.dtype == np.int32 and set(np.unique(masks)) <= {0, 1}


def test_bounding_box_format_is_in_the_config():
    for layer in (layers.RandomZoom(0.2, bounding_box_format="center_xywh"),
                  layers.Resizing(4, 5, bounding_box_format="center_xywh"),
                  layers.CenterCrop(4, 5, bounding_box_format="center_xywh"),
                  layers.RandomBrightness(0.1, bounding_box_format="center_xywh")):
        config = json.loads(json.dumps(layer.get_config()))
        assert config["bounding_box_format"] == "center_xywh"
        assert type(layer).from_config(config).bounding_box_format == "center_xywh"
    assert "bounding_box_format" not in layers.RandomZoom(0.2).get_config()


@pytest.mark.parametrize("call, match", [
    (lambda: layers.RandomFlip()(_dict()), "bounding_box_format"),
    (lambda: layers.RandomFlip(bounding_box_format="corners"), "corners"),
    (lambda: layers.Resizing(4, 4, bounding_box_format="xyxy")(
        {**_dict(), "bounding_boxes": {"boxes": np.zeros((2, 4))}}), "'boxes' and 'labels'"),
    (lambda: layers.RandomZoom(0.1, bounding_box_format="xyxy")(
        {**_dict(), "bounding_boxes": {"boxes": np.zeros((2, 3, 5)),
                                       "labels": np.zeros((2, 3))}}), r"\(batch, n, 4\)"),
    (lambda: layers.CenterCrop(4, 4, bounding_box_format="xyxy")(
        {**_dict(), "bounding_boxes": {"boxes": np.zeros((2, 3, 4)),
                                       "labels": np.zeros((2, 5))}}), "labels"),
    (lambda: layers.RandomRotation(0.1)({**_dict(), "depth": IMAGES}), "unknown keys"),
    (lambda: layers.RandomCrop(4, 4)({"labels": np.zeros(2)}), "'images'"),
])
def test_bad_dict_inputs_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_layers_without_box_support_say_so():
    with pytest.raises(ValueError, match="not supported"):
        layers.RandomElasticTransform(bounding_box_format="xyxy")(_dict())


def test_random_erasing_keeps_boxes_and_masks_and_erases_the_same_images():
    data = _dict()
    out = layers.RandomErasing(factor=1.0, seed=2, bounding_box_format="xyxy")(data)
    images = layers.RandomErasing(factor=1.0, seed=2)(IMAGES[:2])
    np.testing.assert_allclose(numpy(out["images"]), numpy(images), rtol=1e-6)
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["boxes"]),
                                  data["bounding_boxes"]["boxes"])
    np.testing.assert_array_equal(numpy(out["segmentation_masks"]), data["segmentation_masks"])
    one = layers.RandomErasing(factor=1.0, seed=2, bounding_box_format="xyxy")(
        {"images": IMAGES[0], "bounding_boxes": {"boxes": np.zeros((1, 4)),
                                                 "labels": np.zeros(1)}})
    assert numpy(one["images"]).shape == IMAGES[0].shape


def test_max_num_bounding_boxes_gives_float32_boxes():
    layer = layers.MaxNumBoundingBoxes(3, bounding_box_format="xyxy")
    data = _dict()
    data["bounding_boxes"]["boxes"] = data["bounding_boxes"]["boxes"].astype("int32")
    out = layer(data)
    boxes = numpy(out["bounding_boxes"]["boxes"])
    assert boxes.dtype == np.float32 and boxes.shape == (2, 3, 4)
    np.testing.assert_array_equal(boxes[:, 2], -1)
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["labels"]), [[3, 4, -1]] * 2)
