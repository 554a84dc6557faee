"""`keras.visualization.draw_bounding_boxes`: outlines at the right pixels, in every box
format and data format, labels with Pillow, and the errors."""

import sys

import numpy as np
import pytest

from kerasx import ops
from kerasx.backends import current
from kerasx.visualization import draw_bounding_boxes

HEIGHT, WIDTH = 16, 32  # powers of two: relative coordinates are exact in float32
RED = (255, 0, 0)
X1, Y1, X2, Y2 = 5, 3, 20, 12

# the box (X1, Y1, X2, Y2) written in each format
BOX_IN_FORMAT = {
    "xyxy": (X1, Y1, X2, Y2),
    "yxyx": (Y1, X1, Y2, X2),
    "xywh": (X1, Y1, X2 - X1, Y2 - Y1),
    "center_xywh": ((X1 + X2) / 2, (Y1 + Y2) / 2, X2 - X1, Y2 - Y1),
    "center_yxhw": ((Y1 + Y2) / 2, (X1 + X2) / 2, Y2 - Y1, X2 - X1),
    "rel_xyxy": (X1 / WIDTH, Y1 / HEIGHT, X2 / WIDTH, Y2 / HEIGHT),
    "rel_yxyx": (Y1 / HEIGHT, X1 / WIDTH, Y2 / HEIGHT, X2 / WIDTH),
    "rel_xywh": (X1 / WIDTH, Y1 / HEIGHT, (X2 - X1) / WIDTH, (Y2 - Y1) / HEIGHT),
    "rel_center_xywh": ((X1 + X2) / 2 / WIDTH, (Y1 + Y2) / 2 / HEIGHT, (X2 - X1) / WIDTH,
                        (Y2 - Y1) / HEIGHT),
}


def _outline(x1, y1, x2, y2, thickness, height=HEIGHT, width=WIDTH):
    """The pixels of the documented outline: within `thickness // 2` outside the edges and
    `(thickness - 1) // 2` inside them."""
    rows, cols = np.mgrid[0:height, 0:width]
    outer, inner = thickness // 2, (thickness - 1) // 2
    within = ((rows >= y1 - outer) & (rows <= y2 + outer)
              & (cols >= x1 - outer) & (cols <= x2 + outer))
    hollow = (rows > y1 + inner) & (rows < y2 - inner) & (cols > x1 + inner) & (cols < x2 - inner)
    return within & ~hollow


def _one_box(box, label=0):
    return {"boxes": np.array([[box]], np.float32), "labels": np.array([[label]])}


def _blank(batch=1, value=0):
    return np.full((batch, HEIGHT, WIDTH, 3), value, np.uint8)


def _painted(image, color):
    return np.all(image == np.array(color, np.uint8), axis=-1)


@pytest.mark.parametrize("thickness", [1, 2, 3, 4])
def test_the_outline_covers_exactly_the_edges_with_the_thickness(thickness):
    y = draw_bounding_boxes(_blank(value=7), _one_box(BOX_IN_FORMAT["xyxy"]), "xyxy",
                            color=RED, line_thickness=thickness)
    expected = _outline(X1, Y1, X2, Y2, thickness)
    np.testing.assert_array_equal(_painted(y[0], RED), expected)
    np.testing.assert_array_equal(y[0][~expected], 7)
    middle_row = _painted(y[0], RED)[(Y1 + Y2) // 2]
    assert middle_row.sum() == 2 * thickness


def test_one_pixel_outline_by_hand():
    y = draw_bounding_boxes(_blank(), _one_box((1, 2, 4, 5)), "xyxy", color=(9, 8, 7),
                            line_thickness=1)
    painted = _painted(y[0], (9, 8, 7))
    assert painted[2, 1:5].all() and painted[5, 1:5].all()
    assert painted[2:6, 1].all() and painted[2:6, 4].all()
    assert painted.sum() == 12
    assert y.dtype == np.uint8 and y.shape == (1, HEIGHT, WIDTH, 3)


@pytest.mark.parametrize("fmt", sorted(BOX_IN_FORMAT))
def test_every_format_draws_the_same_box(fmt):
    expected = draw_bounding_boxes(_blank(), _one_box(BOX_IN_FORMAT["xyxy"]), "xyxy", color=RED)
    y = draw_bounding_boxes(_blank(), _one_box(BOX_IN_FORMAT[fmt]), fmt.upper(), color=RED)
    assert _painted(expected[0], RED).sum() > 0
    np.testing.assert_array_equal(y, expected)


def test_channels_first_draws_the_same_pixels_and_keeps_the_layout():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (2, HEIGHT, WIDTH, 3)).astype(np.uint8)
    boxes = {"boxes": np.array([[[1, 1, 9, 9]], [[4, 2, 30, 15]]], np.float32),
             "labels": np.array([[3], [0]])}
    last = draw_bounding_boxes(images, boxes, "xyxy", color=RED, data_format="channels_last")
    first = draw_bounding_boxes(images.transpose(0, 3, 1, 2), boxes, "xyxy", color=RED,
                                data_format="channels_first")
    assert first.shape == (2, 3, HEIGHT, WIDTH)
    np.testing.assert_array_equal(first, last.transpose(0, 3, 1, 2))
    rel = {"boxes": np.array([[[0.5, 0.25, 0.75, 0.5]]], np.float32), "labels": np.array([[1]])}
    y = draw_bounding_boxes(_blank().transpose(0, 3, 1, 2), rel, "rel_xyxy", color=RED,
                            line_thickness=1, data_format="channels_first")
    np.testing.assert_array_equal(_painted(y.transpose(0, 2, 3, 1)[0], RED),
                                  _outline(16, 4, 24, 8, 1))  # the image's size, not (3, 16)


def test_padding_boxes_are_skipped_and_each_image_gets_its_own_boxes():
    boxes = {"boxes": np.array([[[1, 1, 5, 5], [10, 1, 15, 5]], [[2, 8, 6, 14], [0, 0, 3, 3]]]),
             "labels": np.array([[-1, 2], [0, -1]])}
    y = draw_bounding_boxes(_blank(batch=2), boxes, "xyxy", color=RED, line_thickness=1)
    np.testing.assert_array_equal(_painted(y[0], RED), _outline(10, 1, 15, 5, 1))
    np.testing.assert_array_equal(_painted(y[1], RED), _outline(2, 8, 6, 14, 1))


def test_boxes_past_the_border_are_clipped_and_fractions_truncated():
    y = draw_bounding_boxes(_blank(), _one_box((-4.0, 10.7, 40.0, 30.0)), "xyxy", color=RED,
                            line_thickness=1)
    np.testing.assert_array_equal(_painted(y[0], RED), _outline(-4, 10, 40, 30, 1))
    assert _painted(y[0], RED)[10].all()  # the top edge spans the whole width


def test_a_negative_thickness_fills_the_box():
    y = draw_bounding_boxes(_blank(), _one_box((2, 3, 6, 8)), "xyxy", color=RED,
                            line_thickness=-1)
    expected = np.zeros((HEIGHT, WIDTH), bool)
    expected[3:9, 2:7] = True
    np.testing.assert_array_equal(_painted(y[0], RED), expected)


def test_float_images_are_scaled_to_uint8_and_the_input_is_kept():
    unit = np.full((1, HEIGHT, WIDTH, 3), 0.5, np.float32)
    before = unit.copy()
    y = draw_bounding_boxes(unit, _one_box((1, 1, 4, 4)), "xyxy", color=RED)
    np.testing.assert_array_equal(unit, before)
    assert y.dtype == np.uint8 and y[0, 10, 10, 0] == 127
    wide = np.full((1, HEIGHT, WIDTH, 3), 300.0, np.float32)
    wide[0, 0, 0] = -5.0
    y = draw_bounding_boxes(wide, _one_box((8, 8, 9, 9)), "xyxy", color=RED)
    assert y[0, 12, 20, 0] == 255 and y[0, 0, 0, 0] == 0


def test_grey_and_rgba_images_take_the_colour():
    grey = np.zeros((1, HEIGHT, WIDTH, 1), np.uint8)
    y = draw_bounding_boxes(grey, _one_box((1, 1, 4, 4)), "xyxy", color=(200, 10, 10),
                            line_thickness=1)
    np.testing.assert_array_equal(y[0, ..., 0] == 200, _outline(1, 1, 4, 4, 1))
    rgba = np.zeros((1, HEIGHT, WIDTH, 4), np.uint8)
    y = draw_bounding_boxes(rgba, _one_box((1, 1, 4, 4)), "xyxy", color=RED, line_thickness=1)
    np.testing.assert_array_equal(y[0, 1, 1], [255, 0, 0, 255])


def test_backend_arrays_and_tensors_are_taken():
    backend = current()
    images = backend.asarray(_blank())
    boxes = {"boxes": ops.convert_to_tensor(np.array([[[1.0, 1.0, 4.0, 4.0]]], np.float32)),
             "labels": backend.asarray(np.array([[1]]))}
    y = draw_bounding_boxes(images, boxes, "xyxy", color=RED, line_thickness=1)
    assert isinstance(y, np.ndarray)
    np.testing.assert_array_equal(_painted(y[0], RED), _outline(1, 1, 4, 4, 1))


def _label_pixels(class_mapping, confidences=None):
    pytest.importorskip("PIL")
    boxes = {"boxes": np.array([[[4, 40, 60, 70]]], np.float32), "labels": np.array([[1]])}
    if confidences is not None:
        boxes["confidences"] = np.array([[confidences]], np.float32)
    image = np.zeros((1, 80, 120, 3), np.uint8)
    y = draw_bounding_boxes(image, boxes, "xyxy", class_mapping=class_mapping, color=RED,
                            line_thickness=1, font_scale=0.5)
    painted = _painted(y[0], RED)
    box = _outline(4, 40, 60, 70, 1, height=80, width=120)
    assert (painted & box).sum() == box.sum()
    return painted & ~box


def test_labels_are_written_above_the_box_in_its_colour():
    text = _label_pixels({1: "cat"})
    rows, cols = np.nonzero(text)
    assert len(rows) > 10
    assert rows.max() < 40 - 4 and cols.min() >= 4  # above the top edge, from its left end
    assert not _label_pixels({2: "dog"}).any()  # label 1 has no name: no text
    with_confidence = _label_pixels({1: "cat"}, confidences=0.87)
    assert np.nonzero(with_confidence)[1].max() > cols.max()  # "cat | 0.87" is longer


def test_labels_need_pillow_and_boxes_alone_do_not(monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL", None)  # as if Pillow were not installed
    with pytest.raises(ImportError, match=r"Pillow.*pip install kerasx\[image\]"):
        draw_bounding_boxes(_blank(), _one_box((1, 1, 4, 4), label=1), "xyxy",
                            class_mapping={1: "cat"})
    y = draw_bounding_boxes(_blank(), _one_box((1, 1, 4, 4), label=1), "xyxy", color=RED)
    assert _painted(y[0], RED).any()


def test_bad_input_is_reported():
    box = _one_box((1, 1, 4, 4))
    with pytest.raises(ValueError, match=r"batched 4D tensor.*images.shape=\(16, 32, 3\)"):
        draw_bounding_boxes(_blank()[0], box, "xyxy")
    with pytest.raises(TypeError, match=r"should be a dict.*Received: list"):
        draw_bounding_boxes(_blank(), [box["boxes"]], "xyxy")
    with pytest.raises(ValueError, match=r"'boxes' and 'labels' keys; \['labels'\] missing"):
        draw_bounding_boxes(_blank(), {"boxes": box["boxes"]}, "xyxy")
    with pytest.raises(ValueError, match=r"\(batch, num_boxes, 4\) with batch=1.*\(1, 4\)"):
        draw_bounding_boxes(_blank(), {"boxes": box["boxes"][0], "labels": box["labels"]}, "xyxy")
    with pytest.raises(ValueError, match=r"labels'\] must have shape \(batch, num_boxes\)"):
        draw_bounding_boxes(_blank(), {"boxes": box["boxes"], "labels": np.zeros((1, 2))}, "xyxy")
    with pytest.raises(ValueError, match=r"invalid source='xyzw'"):
        draw_bounding_boxes(_blank(), box, "xyzw")
    with pytest.raises(ValueError, match=r"`color` must be an RGB tuple.*'red'"):
        draw_bounding_boxes(_blank(), box, "xyxy", color="red")
    with pytest.raises(ValueError, match=r"`line_thickness` must be a nonzero integer.*0"):
        draw_bounding_boxes(_blank(), box, "xyxy", line_thickness=0)
    with pytest.raises(ValueError, match=r"`font_scale` must be a positive number.*-1"):
        draw_bounding_boxes(_blank(), box, "xyxy", font_scale=-1)
    with pytest.raises(ValueError, match=r"cannot draw the colour.*2 channels"):
        draw_bounding_boxes(np.zeros((1, 4, 4, 2), np.uint8), box, "xyxy")
