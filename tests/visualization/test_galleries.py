"""`plot_image_gallery`, `plot_bounding_box_gallery` and `plot_segmentation_mask_gallery`:
matplotlib figures with one cell per image, and their errors."""

import sys

import numpy as np
import pytest

from kerasx.visualization import (draw_bounding_boxes, draw_segmentation_masks,
                                  plot_bounding_box_gallery, plot_image_gallery,
                                  plot_segmentation_mask_gallery)


@pytest.fixture(autouse=True)
def pyplot():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def _images(batch, height=8, width=10, channels=3, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (batch, height, width, channels))


def _shown(figure):
    """The image array drawn in each cell that has one, row by row."""
    return [axis.images[0].get_array() for axis in figure.axes if axis.images]


@pytest.mark.parametrize("batch, rows, cols, cells, drawn", [
    (4, None, None, 4, 4), (5, None, None, 6, 5), (1, None, None, 1, 1), (7, None, 2, 8, 7),
    (7, 3, None, 9, 7), (3, None, 5, 5, 3),
    (6, 2, None, 6, 6), (6, 1, 3, 3, 3), (2, 2, 2, 4, 2),
])
def test_one_cell_per_image_in_the_grid(batch, rows, cols, cells, drawn):
    figure = plot_image_gallery(_images(batch), value_range=(0, 1), rows=rows, cols=cols,
                                show=False)
    assert len(figure.axes) == cells
    assert len(_shown(figure)) == drawn


def test_images_are_mapped_from_the_value_range_and_titled(pyplot):
    images = _images(3)
    figure = plot_image_gallery(images, y_true=np.array([0, 1, 5]), y_pred=[1, 1, 0],
                                label_map={0: "cat", 1: "dog"}, value_range=(0, 1), show=False)
    shown = _shown(figure)
    for image, expected in zip(shown, images):
        np.testing.assert_array_equal(np.asarray(image), (expected * 255).astype(np.uint8))
    titles = [axis.get_title() for axis in figure.axes if axis.images]
    assert titles == ["Label: cat  Pred: dog", "Label: dog  Pred: dog",
                      "Label: Unknown  Pred: cat"]


def test_channels_first_and_grey_images():
    images = _images(2, channels=1) * 255
    figure = plot_image_gallery(images.transpose(0, 3, 1, 2), data_format="channels_first",
                                show=False)
    shown = _shown(figure)
    assert len(shown) == 2 and np.asarray(shown[1]).shape == (8, 10)
    np.testing.assert_array_equal(np.asarray(shown[1]), images[1, ..., 0].astype(np.uint8))


def test_saving_to_a_path_writes_a_png_and_closes_the_figure(pyplot, tmp_path):
    path = tmp_path / "gallery.png"
    assert plot_image_gallery(_images(3), value_range=(0, 1), path=str(path)) is None
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert pyplot.get_fignums() == []


def test_image_gallery_errors(monkeypatch):
    with pytest.raises(ValueError, match=r"either `path` to be set, or `show`"):
        plot_image_gallery(_images(2), path="x.png", show=True)
    with pytest.raises(ValueError, match=r"a `label_map` must also be provided"):
        plot_image_gallery(_images(2), y_true=[0, 1], show=False)
    with pytest.raises(ValueError, match=r"batched 4D tensor.*\(8, 10, 3\)"):
        plot_image_gallery(_images(2)[0], show=False)
    with pytest.raises(ValueError, match=r"`value_range` must be a pair.*\(1, 0\)"):
        plot_image_gallery(_images(2), value_range=(1, 0), show=False)
    with pytest.raises(ValueError, match=r"`rows` must be a positive integer.*0"):
        plot_image_gallery(_images(2), rows=0, show=False)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"plot_image_gallery\(\) needs the matplotlib package"
                                          r".*pip install matplotlib"):
        plot_image_gallery(_images(2), show=False)
    with pytest.raises(ImportError, match=r"plot_bounding_box_gallery\(\) needs the matplotlib"):
        plot_bounding_box_gallery(_images(2), "xyxy", show=False)
    with pytest.raises(ImportError, match=r"plot_segmentation_mask_gallery\(\) needs the matpl"):
        plot_segmentation_mask_gallery(_images(2), 3, show=False)


def _boxes():
    return {"boxes": np.array([[[1, 1, 6, 5]], [[2, 2, 8, 7]], [[0, 0, 3, 3]]], np.float32),
            "labels": np.array([[0], [1], [-1]])}


def test_bounding_box_gallery_draws_true_and_predicted_boxes():
    images = _images(3)
    predicted = {"boxes": _boxes()["boxes"] + 1, "labels": np.array([[1], [1], [1]])}
    figure = plot_bounding_box_gallery(images, "xyxy", y_true=_boxes(), y_pred=predicted,
                                       value_range=(0, 1), line_thickness=1, legend=True,
                                       show=False)
    assert len(figure.axes) == 4 and len(_shown(figure)) == 3
    expected = draw_bounding_boxes((images * 255).astype(np.uint8), _boxes(), "xyxy",
                                   color=(0, 188, 212), line_thickness=1)
    expected = draw_bounding_boxes(expected, predicted, "xyxy", color=(255, 235, 59),
                                   line_thickness=1)
    for shown, image in zip(_shown(figure), expected):
        np.testing.assert_array_equal(np.asarray(shown), image)
    assert [t.get_text() for t in figure.legends[0].get_texts()] == ["Ground Truth", "Prediction"]


def test_bounding_box_gallery_channels_first_and_errors():
    images = _images(2) * 255
    first = plot_bounding_box_gallery(images.transpose(0, 3, 1, 2), "xyxy",
                                      y_true={k: v[:2] for k, v in _boxes().items()},
                                      data_format="channels_first", show=False)
    last = plot_bounding_box_gallery(images, "xyxy", y_true={k: v[:2] for k, v in _boxes().items()},
                                     show=False)
    for a, b in zip(_shown(first), _shown(last)):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
    with pytest.raises(ValueError, match=r"Only pass `legend` OR `legend_handles`"):
        plot_bounding_box_gallery(images, "xyxy", legend=True, legend_handles=["x"], show=False)


def test_segmentation_mask_gallery_has_a_row_per_image_and_a_column_per_mask_kind():
    images = _images(2, seed=1)
    masks = np.random.default_rng(2).integers(0, 3, (2, 8, 10, 1))
    figure = plot_segmentation_mask_gallery(images, 3, value_range=(0, 1), y_true=masks,
                                            y_pred=masks[::-1].astype(np.float32), show=False)
    assert len(figure.axes) == 6
    shown = [np.asarray(a) for a in _shown(figure)]
    scaled = (images * 255).astype(np.float32)
    np.testing.assert_array_equal(shown[0], scaled[0].astype(np.uint8))
    np.testing.assert_array_equal(shown[1], draw_segmentation_masks(scaled, masks, 3)[0])
    np.testing.assert_array_equal(shown[5], draw_segmentation_masks(scaled, masks[::-1], 3)[1])
    only_true = plot_segmentation_mask_gallery(images.transpose(0, 3, 1, 2), 3,
                                               value_range=(0, 1),
                                               y_true=masks.transpose(0, 3, 1, 2),
                                               data_format="channels_first", show=False)
    assert len(only_true.axes) == 4
    np.testing.assert_array_equal(np.asarray(_shown(only_true)[3]), shown[4])
    with pytest.raises(ValueError, match=r"`y_true` must have shape \(batch, height, width\) = "
                                         r"\(2, 8, 10\).*y_true.shape=\(2, 4, 4, 1\)"):
        plot_segmentation_mask_gallery(images, 3, y_true=masks[:, :4, :4], show=False)
