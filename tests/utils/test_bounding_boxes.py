"""`keras.utils.bounding_boxes`: golden values from Keras 3 for every pair of formats,
IoU, CIoU, deltas, clipping, cropping, padding and affine transforms; dtypes,
gradients and errors."""

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.testing import check_gradients
from kerasx.utils import bounding_boxes as bb
from tests.golden.loader import case_ids, load_cases

FUNCTION_CASES = [c for c in load_cases("bounding_boxes") if c["kind"] == "function"]
INPUTS = {"convert_format": ("x",), "compute_iou": ("boxes1", "boxes2"),
          "compute_ciou": ("boxes1", "boxes2"), "encode_box_to_deltas": ("anchors", "boxes"),
          "decode_deltas_to_boxes": ("anchors", "boxes_delta"), "crop": ("boxes",),
          "pad": ("boxes",), "affine_transform": ("boxes", "angle", "translate_x", "translate_y",
                                                  "scale", "shear_x", "shear_y")}


def numpy(x):
    return ops.convert_to_numpy(x)


@pytest.mark.parametrize("case", FUNCTION_CASES, ids=case_ids(FUNCTION_CASES))
def test_matches_keras_golden(case):
    a, config, name = case["arrays"], dict(case["config"]), case["class"]
    fn = getattr(bb, name)
    if "image_shape" in config:
        config["image_shape"] = tuple(config["image_shape"])
    if name == "clip_to_image_size":
        out = fn({"boxes": a["boxes"], "labels": a["labels"]}, **config)
        np.testing.assert_allclose(numpy(out["boxes"]), a["y_boxes"], rtol=1e-6, atol=1e-6)
        np.testing.assert_array_equal(numpy(out["labels"]), a["y_labels"])
        return
    y = numpy(fn(*(a[key] for key in INPUTS[name]), **config))
    assert y.dtype == a["y"].dtype and y.shape == a["y"].shape
    # relative formats divide and multiply by the image size in float32
    np.testing.assert_allclose(y, a["y"], rtol=2e-5, atol=2e-5)


def test_every_format_pair_is_covered():
    pairs = {(c["config"]["source"], c["config"]["target"]) for c in FUNCTION_CASES
             if c["class"] == "convert_format"}
    assert len({p for p in pairs if p[0].islower()}) == len(bb.converters.SUPPORTED_FORMATS) ** 2


def test_convert_format_round_trips_dicts_and_dtypes():
    boxes = np.array([[[10, 20, 30, 40], [50, 60, 70, 80]]], "int32")
    out = bb.convert_format({"boxes": boxes, "labels": np.array([[1, 2]])}, "xyxy", "xywh")
    np.testing.assert_array_equal(numpy(out["boxes"]), [[[10, 20, 20, 20], [50, 60, 20, 20]]])
    assert numpy(out["boxes"]).dtype == np.float32
    assert numpy(out["labels"]).tolist() == [[1, 2]]
    same = bb.convert_format(boxes, "xyxy", "XYXY", dtype="float64")
    assert numpy(same).dtype == np.float64
    rel = bb.convert_format(boxes[0], "xyxy", "rel_center_xywh", height=100, width=200,
                            dtype="float64")
    back = bb.convert_format(rel, "rel_center_xywh", "yxyx", height=100, width=200,
                             dtype="float64")
    np.testing.assert_allclose(numpy(back), boxes[0][:, [1, 0, 3, 2]], rtol=1e-12)


@pytest.mark.parametrize("call, match", [
    (lambda: bb.convert_format(np.zeros((2, 3)), "xyxy", "xywh"), "last dimension of 4"),
    (lambda: bb.convert_format(np.zeros((2, 4)), "xyxy", "corners"), "corners"),
    (lambda: bb.convert_format(np.zeros((2, 4)), 3, "xyxy"), "source"),
    (lambda: bb.convert_format(np.zeros((2, 4)), "xyxy", "rel_xyxy"), "height` and `width"),
    (lambda: bb.convert_format({"labels": np.zeros(2)}, "xyxy", "xywh"), "'boxes'"),
    (lambda: bb.compute_iou(np.zeros((1, 1, 2, 4)), np.zeros((2, 4)), "xyxy"), "boxes1"),
    (lambda: bb.compute_iou(np.zeros((2, 4)), np.zeros(4), "xyxy"), "boxes2"),
    (lambda: bb.compute_iou(np.zeros((2, 4)), np.zeros((2, 4)), "rel_xyxy"), "image_shape"),
    (lambda: bb.compute_ciou(np.zeros((2, 4)), np.zeros((2, 4)), "rel_xyxy"), "relative"),
    (lambda: bb.encode_box_to_deltas(np.ones((2, 4)), np.ones((2, 4)), "xyxy", "xyxy",
                                     variance=[1, 1]), "variance"),
    (lambda: bb.encode_box_to_deltas(np.ones((2, 4)), np.ones((2, 4)), "xyxy", "xyxy",
                                     encoding_format="xyxy"), "encoding_format"),
    (lambda: bb.decode_deltas_to_boxes(np.ones((2, 4)), np.ones((2, 4)), "xyxy", "xyxy",
                                       encoded_format="yxyx"), "encoded_format"),
    (lambda: bb.clip_to_image_size(np.zeros((2, 4)), 5, 5), "dict"),
    (lambda: bb.clip_to_image_size({"boxes": np.zeros((2, 4))}), "height"),
    (lambda: bb.affine_transform(np.zeros(4), 1.0, 0, 0, 1, 0, 0, 5, 5), "num_boxes"),
])
def test_bad_arguments_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_unimplemented_formats_say_how_to_convert():
    with pytest.raises(NotImplementedError, match="convert_format"):
        bb.crop(np.zeros((2, 4)), 0, 0, 4, 4, bounding_box_format="xywh")
    with pytest.raises(NotImplementedError, match="xyxy"):
        bb.clip_to_image_size({"boxes": np.zeros((2, 4))}, 4, 4, bounding_box_format="yxyx")


def test_decode_inverts_encode_and_takes_levels():
    rng = np.random.default_rng(3)
    corners = rng.uniform(0, 50, (6, 2))
    anchors = np.concatenate([corners, corners + rng.uniform(5, 10, (6, 2))], axis=-1)
    boxes = anchors + rng.uniform(-2, 2, (2, 6, 4))
    deltas = bb.encode_box_to_deltas(anchors, boxes, "xyxy", "xyxy", variance=[.1, .1, .2, .2])
    assert numpy(deltas).dtype == np.float64
    levels = bb.decode_deltas_to_boxes({"P3": anchors}, {"P3": deltas}, "xyxy", "xyxy",
                                       variance=[.1, .1, .2, .2])
    np.testing.assert_allclose(numpy(levels["P3"]), boxes, rtol=1e-10, atol=1e-10)
    with pytest.raises(ValueError, match="levels"):
        bb.decode_deltas_to_boxes({"P3": anchors}, {"P4": deltas}, "xyxy", "xyxy")


def test_iou_of_one_box_with_itself_and_disjoint_ones():
    boxes = np.array([[0, 0, 4, 4], [10, 10, 12, 13]], "float32")
    iou = numpy(bb.compute_iou(boxes, boxes, "xyxy"))
    np.testing.assert_allclose(np.diag(iou), 1.0, rtol=1e-6)
    assert iou[0, 1] == 0 and iou[1, 0] == 0


def test_affine_transform_of_unbatched_boxes_and_scalars():
    boxes = np.array([[2, 3, 8, 9], [0, 0, 4, 4]], "float32")
    one = bb.affine_transform(boxes, 30.0, 0.1, 0.0, 1.2, 5.0, 0.0, 16, 20)
    batch = bb.affine_transform(boxes[None], np.float32([30]), np.float32([.1]),
                                np.float32([0]), np.float32([1.2]), np.float32([5]),
                                np.float32([0]), 16, 20)
    np.testing.assert_allclose(numpy(one), numpy(batch)[0], rtol=1e-6, atol=1e-5)
    identity = bb.affine_transform(boxes, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 16, 20)
    np.testing.assert_allclose(numpy(identity), boxes, atol=1e-5)


def test_clip_keeps_one_hot_labels_shape():
    boxes = np.array([[0, 0, 4, 4], [5, 5, 5, 9]], "float32")
    out = bb.clip_to_image_size({"boxes": boxes, "labels": np.eye(2, dtype="float32")}, 8, 8)
    np.testing.assert_array_equal(numpy(out["labels"]), [[1, 0], [-1, -1]])


rng = np.random.default_rng(9)
BOXES1 = np.concatenate([rng.uniform(0, 5, (2, 3, 2)), rng.uniform(6, 10, (2, 3, 2))], -1)
BOXES2 = np.concatenate([rng.uniform(1, 4, (2, 3, 2)), rng.uniform(5, 9, (2, 3, 2))], -1)


@pytest.mark.parametrize("fn", [
    lambda x: bb.convert_format(x, "center_xywh", "rel_yxyx", height=12, width=9,
                                dtype="float64"),
    lambda x: bb.compute_ciou(x, BOXES2, "xyxy"),
    lambda x: bb.compute_iou(x, BOXES2, "xyxy"),
    lambda x: bb.encode_box_to_deltas(BOXES2[0], x, "xyxy", "xywh", variance=[1, 1, 2, 2]),
    lambda x: bb.decode_deltas_to_boxes(BOXES2[0], x / 10.0, "xyxy", "center_xywh"),
    lambda x: bb.affine_transform(x, np.float64([20, -10]), np.float64([0.1, 0]),
                                  np.float64([0, 0.2]), np.float64([1, 1.1]),
                                  np.float64([0, 4]), np.float64([3, 0]), 10, 12),
], ids=["convert", "ciou", "iou", "encode", "decode", "affine"])
def test_gradients_match_finite_differences(fn):
    check_gradients(fn, [BOXES1], rtol=1e-5, atol=1e-7)


def test_keras_utils_exposes_the_module():
    assert kerasx.utils.bounding_boxes.convert_format is bb.convert_format
    assert set(bb.__all__) >= {"convert_format", "clip_to_image_size", "affine_transform",
                               "crop", "pad", "encode_box_to_deltas", "decode_deltas_to_boxes",
                               "compute_iou", "compute_ciou"}
