"""`keras.visualization.draw_segmentation_masks` against Keras's outputs, and its errors."""

import numpy as np
import pytest

from kerasx import ops
from kerasx.backends import current
from kerasx.visualization import draw_segmentation_masks
from tests.golden.loader import case_ids, load_cases

CASES = load_cases("visualization")


def _config(case):
    config = dict(case["config"])
    if "color_mapping" in config:  # JSON turned the class ids into strings
        config["color_mapping"] = {int(k): tuple(v) for k, v in config["color_mapping"].items()}
    return config


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_matches_keras(case):
    arrays, config = case["arrays"], _config(case)
    images = current().asarray(arrays["images"])  # a backend array, as a user would pass
    y = draw_segmentation_masks(images, ops.convert_to_tensor(arrays["masks"]), **config)
    assert isinstance(y, np.ndarray)
    expected = arrays["y"]
    if config.get("data_format") == "channels_first":  # kerasx keeps the input's layout
        expected = expected.transpose(0, 3, 1, 2)
    assert y.dtype == np.dtype(case["y_dtype"])
    np.testing.assert_array_equal(y, expected)


def _inputs():
    rng = np.random.default_rng(4)
    images = rng.uniform(0, 255, (2, 5, 6, 3)).astype(np.float32)
    masks = rng.integers(0, 4, (2, 5, 6)).astype(np.int64)
    return images, masks


def test_masks_without_a_channel_axis_give_the_same_drawing():
    images, masks = _inputs()
    np.testing.assert_array_equal(draw_segmentation_masks(images, masks, num_classes=4),
                                  draw_segmentation_masks(images, masks[..., None], num_classes=4))


def test_channels_first_is_the_channels_last_drawing_transposed():
    images, masks = _inputs()
    last = draw_segmentation_masks(images, masks, num_classes=4, data_format="channels_last")
    first = draw_segmentation_masks(images.transpose(0, 3, 1, 2), masks[:, None], num_classes=4,
                                    data_format="channels_first")
    np.testing.assert_array_equal(first, last.transpose(0, 3, 1, 2))


def test_each_class_is_painted_in_its_colour_and_the_rest_is_left_alone():
    images = np.full((1, 2, 3, 3), 100.0, np.float32)
    masks = np.array([[[0, 1, 2], [-1, 5, 1]]])
    colors = {0: (0, 0, 0), 1: (255, 0, 0), 2: (0, 255, 0)}
    y = draw_segmentation_masks(images, masks, num_classes=3, color_mapping=colors, alpha=1.0)
    np.testing.assert_array_equal(y[0, 0], [[0, 0, 0], [255, 0, 0], [0, 255, 0]])
    np.testing.assert_array_equal(y[0, 1], [[100, 100, 100], [100, 100, 100], [255, 0, 0]])
    unblended = draw_segmentation_masks(images, masks, num_classes=3, color_mapping=colors,
                                        blend=False, ignore_index=1)
    assert unblended.dtype == np.float32
    np.testing.assert_array_equal(unblended[0, 0, 1], [100, 100, 100])  # class 1 is ignored
    np.testing.assert_array_equal(unblended[0, 0, 2], [0, 255, 0])


def test_the_input_is_not_changed():
    images, masks = _inputs()
    before = images.copy()
    draw_segmentation_masks(images, masks, num_classes=4, blend=False)
    np.testing.assert_array_equal(images, before)


def test_bad_input_is_reported():
    images, masks = _inputs()
    with pytest.raises(ValueError, match=r"batched 4D tensor.*images.shape=\(5, 6, 3\)"):
        draw_segmentation_masks(images[0], masks)
    with pytest.raises(TypeError, match=r"integer dtype.*float32.*cast"):
        draw_segmentation_masks(images, masks.astype(np.float32))
    with pytest.raises(ValueError, match=r"shape \(batch, height, width\) = \(2, 5, 6\).*"
                                         r"\(2, 6, 5\)"):
        draw_segmentation_masks(images, masks.transpose(0, 2, 1))
    with pytest.raises(ValueError, match=r"classes \[2, 3\] have none"):
        draw_segmentation_masks(images, masks, num_classes=4,
                                color_mapping={0: (1, 2, 3), 1: (4, 5, 6)})
    with pytest.raises(ValueError, match=r"color_mapping\[1\].*RGB tuple"):
        draw_segmentation_masks(images, masks, num_classes=2,
                                color_mapping={0: (1, 2, 3), 1: (300, 0, 0)})
    with pytest.raises(ValueError, match=r"`alpha` must be a number in \[0, 1\].*1.5"):
        draw_segmentation_masks(images, masks, alpha=1.5)
    with pytest.raises(ValueError, match=r"data_format.*'channels_middle'"):
        draw_segmentation_masks(images, masks, data_format="channels_middle")
    with pytest.raises(ValueError, match=r"`num_classes` must be an integer.*2.5"):
        draw_segmentation_masks(images, masks, num_classes=2.5)


def test_grey_images_take_the_first_colour_component_and_default_classes_stop_at_the_max():
    images = np.zeros((1, 2, 2, 1), np.uint8)
    masks = np.array([[[0, 1], [2, -1]]], np.int32)
    colors = [(10, 0, 0), (20, 0, 0), (30, 0, 0)]
    y = draw_segmentation_masks(images, masks, color_mapping=colors, alpha=1.0)
    np.testing.assert_array_equal(y[0, ..., 0], [[10, 20], [0, 0]])  # class 2 = the max: unpainted
    nothing = draw_segmentation_masks(images, -np.ones((1, 2, 2), np.int32))
    np.testing.assert_array_equal(nothing, images)
