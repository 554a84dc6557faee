"""Labels, bounding boxes and segmentation masks in the dict inputs of MixUp, CutMix,
RandAugment, AugMix and RandomElasticTransform: Keras 3 golden values for a given
transformation, the same draws for the images of a dict and of a call on images,
masks moved and mixed as their images, inference, one image, and errors."""

import json

import numpy as np
import pytest

from kerasx import layers, ops
from kerasx.backends import current
from kerasx.layers.preprocessing.cut_mix import cut_transformation
from kerasx.layers.preprocessing.rand_augment import GEOMETRIC
from tests.golden.loader import case_ids, load_cases

CASES = load_cases("bounding_boxes_more")
rng = np.random.default_rng(9)
IMAGES = rng.uniform(0, 255, (4, 10, 11, 3)).astype("float32")
INT_IMAGES = np.round(rng.uniform(0, 255, (4, 32, 33, 3))).astype("float32")
LABELS = np.eye(4, dtype="float32")[[0, 1, 2, 3]]
BOXES = np.array([[1, 2, 5, 9], [6, 0, 11, 4]], "float32")


def numpy(x):
    return ops.convert_to_numpy(x)


def _case(name):
    return next(c for c in CASES if c["name"] == name)


def _f64(values):
    return current().asarray(np.asarray(values, "float64"))


def _step(name, a):
    """kerasx's draws of the geometric step `name` made of the golden arrays `a`."""
    if name == "random_rotation":
        return name, _f64(a["angles"])
    if name == "random_translation":
        return name, (_f64(a["dy"]), _f64(a["dx"]))
    return name, (_f64(a["shear_x"]), _f64(a["shear_y"]))


def _fixed(layer, transformation):
    layer.get_random_transformation = lambda images, count: transformation
    return layer


def _dict(batch=4, masks=None, fmt_boxes=BOXES):
    data = {"images": IMAGES[:batch], "labels": LABELS[:batch],
            "bounding_boxes": {"boxes": np.stack([fmt_boxes] * batch),
                               "labels": np.array([[3, 4]] * batch, "int32")}}
    if masks is not None:
        data["segmentation_masks"] = masks[:batch]
    return data


# -- Keras golden values ---------------------------------------------------------------------
def test_mix_up_matches_keras():
    a = _case("MixUp")["arrays"]
    layer = _fixed(layers.MixUp(alpha=0.4, bounding_box_format="xyxy"),
                   (_f64(a["weights"]), current().asarray(a["order"])))
    out = layer({"images": a["images"], "labels": a["labels"],
                 "bounding_boxes": {"boxes": a["boxes"], "labels": a["box_labels"]}})
    np.testing.assert_allclose(numpy(out["images"]), a["y_images"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(numpy(out["labels"]), a["y_labels"], rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(numpy(out["bounding_boxes"]["boxes"]), a["y_boxes"])
    # each image's box labels, then its partner's (Keras joins them on the batch axis)
    order = a["order"]
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["labels"]),
                                  np.concatenate([a["box_labels"], a["box_labels"][order]], 1))


@pytest.mark.parametrize("case", [c for c in CASES if c["class"] == "CutMix"],
                         ids=case_ids([c for c in CASES if c["class"] == "CutMix"]))
def test_cut_mix_matches_keras(case):
    a, data_format = case["arrays"], case["config"]["data_format"]
    height, width = a["images"].shape[1:3] if data_format == "channels_last" else \
        a["images"].shape[2:4]
    bounds = tuple(_f64(a[k]) for k in ("x0", "x1", "y0", "y1"))
    transformation = cut_transformation(bounds, current().asarray(a["order"]), height, width)
    layer = _fixed(layers.CutMix(data_format=data_format), transformation)
    for masks in (a["masks"], a["masks"].astype("int32")):
        out = layer({"images": a["images"], "labels": a["labels"],
                     "segmentation_masks": masks})
        np.testing.assert_array_equal(numpy(out["images"]), a["y_images"])
        np.testing.assert_allclose(numpy(out["labels"]), a["y_labels"], rtol=1e-6, atol=1e-6)
        assert numpy(out["segmentation_masks"]).dtype == masks.dtype
        np.testing.assert_array_equal(numpy(out["segmentation_masks"]), a["y_masks"])


RAND_AUGMENT = [c for c in CASES if c["class"] == "RandAugment"]


@pytest.mark.parametrize("case", RAND_AUGMENT, ids=case_ids(RAND_AUGMENT))
def test_rand_augment_matches_keras(case):
    a = case["arrays"]
    layer = _fixed(layers.RandAugment(**case["config"]), [_step(n, a) for n in case["steps"]])
    out = layer({"images": a["images"], "segmentation_masks": a["masks"],
                 "bounding_boxes": {"boxes": a["boxes"], "labels": a["labels"]}})
    np.testing.assert_allclose(numpy(out["images"]), a["y_images"], rtol=1e-4, atol=2e-3)
    masks = numpy(out["segmentation_masks"])
    assert masks.dtype == np.int32
    np.testing.assert_array_equal(masks, a["y_masks"])
    labels = numpy(out["bounding_boxes"]["labels"])
    np.testing.assert_array_equal(labels, a["y_labels"])
    kept = labels != -1  # an emptied box's coordinates are padding
    np.testing.assert_allclose(numpy(out["bounding_boxes"]["boxes"])[kept],
                               a["y_boxes"][kept], rtol=1e-5, atol=2e-5)


def test_aug_mix_matches_keras():
    case = _case("AugMix")
    a = case["arrays"]
    chains = [[_step(n, a) if n in GEOMETRIC else (n, None) for n in chain]
              for chain in case["chains"]]
    layer = _fixed(layers.AugMix(**case["config"]),
                   ([float(w) for w in a["weights"]], float(a["keep"]), chains))
    out = layer({"images": a["images"], "segmentation_masks": a["masks"],
                 "bounding_boxes": {"boxes": a["boxes"], "labels": a["labels"]}})
    np.testing.assert_allclose(numpy(out["images"]), a["y_images"], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(numpy(out["segmentation_masks"]), a["y_masks"], rtol=1e-6,
                               atol=1e-5)
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["boxes"]), a["y_boxes"])
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["labels"]), a["y_labels"])


# -- dicts take the draws of the images path ---------------------------------------------------
SEEDED = [lambda: layers.MixUp(alpha=0.5, seed=3, bounding_box_format="xyxy"),
          lambda: layers.CutMix(seed=3),
          lambda: layers.RandAugment(num_ops=3, seed=3, bounding_box_format="xyxy"),
          lambda: layers.AugMix(seed=3, bounding_box_format="xyxy"),
          lambda: layers.RandomElasticTransform(seed=3)]
SEEDED_IDS = ["mix_up", "cut_mix", "rand_augment", "aug_mix", "elastic"]


@pytest.mark.parametrize("make", SEEDED, ids=SEEDED_IDS)
def test_dict_images_are_the_images_path_with_the_same_draws(make):
    masks = (IMAGES[..., :1] > 128).astype("int32")
    data = _dict(masks=masks)
    if make().bounding_box_format is None:
        del data["bounding_boxes"]
    layer, reference = make(), make()
    for _ in range(2):  # this call's draws and the next's
        out = layer(data)
        np.testing.assert_allclose(numpy(out["images"]), numpy(reference(IMAGES)), rtol=1e-6,
                                   atol=1e-4)
    assert numpy(out["segmentation_masks"]).shape == masks.shape


def _geometric_only(layer):
    layer.names = list(GEOMETRIC)
    return layer


MASKED = [lambda: layers.MixUp(alpha=0.5, seed=4),
          lambda: layers.CutMix(seed=4),
          lambda: _geometric_only(layers.RandAugment(num_ops=3, interpolation="nearest",
                                                     seed=4)),
          lambda: _geometric_only(layers.AugMix(interpolation="nearest",
                                                value_range=(-1, 256), seed=4)),
          lambda: layers.RandomElasticTransform(interpolation="nearest", seed=4)]


@pytest.mark.parametrize("make", MASKED, ids=SEEDED_IDS)
def test_masks_are_moved_and_mixed_as_their_images(make):
    """Masks equal to the images' first channel stay equal to it."""
    for masks in (INT_IMAGES[..., :1], INT_IMAGES[..., :1].astype("int32")):
        out = make()({"images": INT_IMAGES, "segmentation_masks": masks})
        moved = numpy(out["images"])[..., :1]
        assert not np.allclose(moved, masks)
        np.testing.assert_allclose(numpy(out["segmentation_masks"]), moved, rtol=1e-5,
                                   atol=1e-3)


def test_mix_up_masks_and_labels_use_the_images_weights():
    layer = layers.MixUp(alpha=0.5, seed=5)
    out = layer({"images": IMAGES, "labels": LABELS, "segmentation_masks": IMAGES[..., :1]})
    images, labels = numpy(out["images"]), numpy(out["labels"])
    # one-hot labels: image i keeps the weight of its own class, its partner the rest
    for i in range(4):
        others = [j for j in range(4) if j != i and labels[i, j] > 0]
        partner, w = (others[0], labels[i, i]) if others else (i, 1.0)
        np.testing.assert_allclose(images[i], w * IMAGES[i] + (1 - w) * IMAGES[partner],
                                   rtol=1e-5, atol=1e-3)
        np.testing.assert_allclose(numpy(out["segmentation_masks"])[i], images[i][..., :1],
                                   rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(labels.sum(axis=1), 1.0, atol=1e-6)


def test_cut_mix_labels_keep_the_share_of_area_outside_the_box():
    out = layers.CutMix(seed=6)({"images": INT_IMAGES, "labels": LABELS})
    images, labels = numpy(out["images"]), numpy(out["labels"])
    for i in range(4):
        # the pixels kept differ from the box's exact area by at most a row and a column
        own = np.all(images[i] == INT_IMAGES[i], axis=-1).mean()
        np.testing.assert_allclose(labels[i, i], own, atol=(32 + 33 + 1) / (32 * 33))
    assert (labels.max(axis=1) < 1).any()


# -- boxes ---------------------------------------------------------------------------------------
def test_mix_up_boxes_are_each_image_s_then_its_partner_s():
    layer = layers.MixUp(seed=7, bounding_box_format="rel_xyxy")
    boxes = np.stack([BOXES / 12 + 0.01 * i for i in range(4)])
    out = layer({"images": IMAGES, "bounding_boxes": {
        "boxes": boxes, "labels": np.arange(8).reshape(4, 2)}})
    result, labels = numpy(out["bounding_boxes"]["boxes"]), numpy(out["bounding_boxes"]["labels"])
    assert result.shape == (4, 4, 4) and labels.shape == (4, 4)
    np.testing.assert_array_equal(result[:, :2], boxes.astype("float32"))
    partners = labels[:, 2] // 2
    assert sorted(partners.tolist()) == [0, 1, 2, 3]
    np.testing.assert_array_equal(result[:, 2:], boxes.astype("float32")[partners])
    np.testing.assert_array_equal(labels[:, 3], labels[:, 2] + 1)


def test_rand_augment_keeps_a_box_emptied_by_one_step_empty():
    a = {"dy": [0.0, 0.0], "dx": [20.0, 3.0]}
    back = {"dy": [0.0, 0.0], "dx": [-20.0, -3.0]}
    layer = _fixed(layers.RandAugment(bounding_box_format="xyxy"),
                   [_step("random_translation", a), _step("random_translation", back)])
    out = layer(_dict(batch=2))
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["labels"]), [[-1, -1], [3, 4]])
    np.testing.assert_allclose(numpy(out["bounding_boxes"]["boxes"])[1],
                               [[1, 2, 5, 9], [6, 0, 8, 4]], atol=1e-5)


def test_rand_augment_boxes_follow_the_geometric_steps_in_order():
    rotation = _step("random_rotation", {"angles": [90.0, 90.0]})
    shift = _step("random_translation", {"dy": [0.0, 0.0], "dx": [2.0, 2.0]})
    square = np.array([[1, 2, 4, 3]], "float32")
    results = []
    for steps in ([rotation, shift], [shift, rotation]):
        layer = _fixed(layers.RandAugment(bounding_box_format="xyxy"), steps)
        out = layer({"images": IMAGES[:2, :, :10], "bounding_boxes": {
            "boxes": np.stack([square] * 2), "labels": np.ones((2, 1), "int32")}})
        results.append(numpy(out["bounding_boxes"]["boxes"])[0, 0])
    # a quarter turn about the central pixel (4.5, 4.5) maps x -> y and y -> 9 - x
    np.testing.assert_allclose(results[0], [2 + 2, 9 - 4, 3 + 2, 9 - 1], atol=1e-4)
    np.testing.assert_allclose(results[1], [2, 9 - 6, 3, 9 - 3], atol=1e-4)


def test_aug_mix_passes_boxes_through_unclipped():
    boxes = np.array([[[-3, 2, 5, 40], [1, 1, 2, 2]]] * 4, "float32")
    out = layers.AugMix(seed=1, bounding_box_format="xyxy")(
        {"images": IMAGES, "bounding_boxes": {"boxes": boxes, "labels": np.ones((4, 2))}})
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["boxes"]), boxes)


def test_rand_augment_boxes_stay_in_the_image_and_inference_leaves_them():
    data = _dict()
    out = layers.RandAugment(num_ops=4, factor=0.9, seed=2, bounding_box_format="xyxy")(data)
    boxes = numpy(out["bounding_boxes"]["boxes"])
    assert boxes.shape == (4, 2, 4) and boxes.min() >= 0
    assert (boxes[..., [0, 2]] <= 11).all() and (boxes[..., [1, 3]] <= 10).all()
    for layer in (layers.RandAugment(bounding_box_format="xyxy"),
                  layers.MixUp(bounding_box_format="xyxy"), layers.CutMix(),
                  layers.AugMix(bounding_box_format="xyxy")):
        given = dict(data) if layer.bounding_box_format else \
            {k: v for k, v in data.items() if k != "bounding_boxes"}
        out = layer(given, training=False)
        np.testing.assert_array_equal(numpy(out["images"]), IMAGES)
        np.testing.assert_array_equal(numpy(out["labels"]), LABELS)
        if "bounding_boxes" in given:
            np.testing.assert_array_equal(numpy(out["bounding_boxes"]["boxes"]),
                                          data["bounding_boxes"]["boxes"])


# -- one image, pipelines, configs ---------------------------------------------------------------
def test_one_image_mixes_with_itself():
    masks = (IMAGES[0, ..., :1] > 100).astype("int32")
    data = {"images": IMAGES[0], "labels": LABELS[0], "segmentation_masks": masks,
            "bounding_boxes": {"boxes": BOXES, "labels": np.array([3, 4])}}
    out = layers.MixUp(seed=1, bounding_box_format="xyxy")(data)
    np.testing.assert_allclose(numpy(out["images"]), IMAGES[0], rtol=1e-6)
    np.testing.assert_allclose(numpy(out["labels"]), LABELS[0], rtol=1e-6)
    np.testing.assert_allclose(numpy(out["segmentation_masks"]), masks)
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["boxes"]),
                                  np.concatenate([BOXES, BOXES]))
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["labels"]), [3, 4, 3, 4])
    out = layers.CutMix(seed=1)({k: v for k, v in data.items() if k != "bounding_boxes"})
    np.testing.assert_array_equal(numpy(out["segmentation_masks"]), masks)
    for make in (lambda: layers.RandAugment(seed=1, bounding_box_format="xyxy"),
                 lambda: layers.AugMix(seed=1, bounding_box_format="xyxy")):
        one, batch = make()(data), make()({
            "images": IMAGES[:1], "labels": LABELS[:1], "segmentation_masks": masks[None],
            "bounding_boxes": {"boxes": BOXES[None], "labels": np.array([[3, 4]])}})
        for key in ("images", "segmentation_masks"):
            np.testing.assert_allclose(numpy(one[key]), numpy(batch[key])[0], atol=1e-4)
        np.testing.assert_allclose(numpy(one["bounding_boxes"]["boxes"]),
                                   numpy(batch["bounding_boxes"]["boxes"])[0], atol=1e-5)


def test_a_pipeline_carries_boxes_and_masks_through_its_layers():
    pipeline = layers.Pipeline([
        layers.RandomFlip(seed=1, bounding_box_format="xyxy"),
        layers.RandomColorJitter(value_range=(0, 255), brightness_factor=0.2, seed=1,
                                 bounding_box_format="xyxy"),
        layers.RandomErasing(seed=1, bounding_box_format="xyxy"),
        layers.RandAugment(seed=1, bounding_box_format="xyxy"),
        layers.MixUp(seed=1, bounding_box_format="xyxy"),
        layers.MaxNumBoundingBoxes(6, bounding_box_format="xyxy")])
    masks = (IMAGES[..., :1] > 128).astype("int32")
    out = pipeline(_dict(masks=masks))
    assert numpy(out["images"]).shape == IMAGES.shape
    assert numpy(out["labels"]).shape == LABELS.shape
    assert numpy(out["segmentation_masks"]).shape == masks.shape
    assert numpy(out["bounding_boxes"]["boxes"]).shape == (4, 6, 4)
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["labels"])[:, 4:], -1)


def test_colour_jitter_leaves_boxes_and_masks_alone():
    masks = (IMAGES[..., :1] > 128).astype("int32")
    data = _dict(masks=masks)
    out = layers.RandomColorJitter(value_range=(0, 255), contrast_factor=0.5, seed=2,
                                   bounding_box_format="xyxy")(data)
    np.testing.assert_array_equal(numpy(out["bounding_boxes"]["boxes"]),
                                  data["bounding_boxes"]["boxes"])
    np.testing.assert_array_equal(numpy(out["segmentation_masks"]), masks)


def test_bounding_box_format_is_in_the_config():
    for layer in (layers.MixUp(bounding_box_format="center_xywh"),
                  layers.RandAugment(bounding_box_format="center_xywh"),
                  layers.AugMix(bounding_box_format="center_xywh")):
        config = json.loads(json.dumps(layer.get_config()))
        assert config["bounding_box_format"] == "center_xywh"
        assert type(layer).from_config(config).bounding_box_format == "center_xywh"
    assert "bounding_box_format" not in layers.MixUp().get_config()


# -- errors --------------------------------------------------------------------------------------
@pytest.mark.parametrize("call, match", [
    (lambda: layers.CutMix(bounding_box_format="xyxy")(_dict()), "not supported by CutMix"),
    (lambda: layers.CutMix()(_dict(), training=False), "not supported by CutMix"),
    (lambda: layers.RandomElasticTransform(bounding_box_format="xyxy")(_dict()),
     "not supported by RandomElasticTransform"),
    (lambda: layers.MixUp()(_dict()), "bounding_box_format"),
    (lambda: layers.RandAugment()(_dict()), "bounding_box_format"),
    (lambda: layers.MixUp(bounding_box_format="xyxy")(
        {**_dict(), "bounding_boxes": {"boxes": np.zeros((4, 2, 4))}}), "'boxes' and 'labels'"),
    (lambda: layers.CutMix(seed=1)({"images": IMAGES, "segmentation_masks": IMAGES[:, :5]}),
     "height and width"),
    (lambda: layers.MixUp()({"images": IMAGES, "depth": IMAGES}), "unknown keys"),
    (lambda: layers.AugMix()({"labels": LABELS}), "'images'"),
])
def test_bad_dict_inputs_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()
