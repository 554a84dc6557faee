"""Golden values of the `visualization` family: `keras.visualization.draw_segmentation_masks`
on fixed images and masks.  (`draw_bounding_boxes` needs OpenCV in Keras and is checked
pixel by pixel in tests/visualization instead.)

Run from this folder (see README.md)::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_visualization.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from make_golden import Golden, f32, keras, np, to_np  # noqa: E402


def make_visualization():
    g = Golden(
        "visualization",
        seed=31,
        description=(
            "y = keras.visualization.draw_segmentation_masks(images, masks, **config); "
            "'output_layout' is the layout of y (Keras returns channels_last even for "
            "channels_first input)."
        ),
    )
    rng = np.random.default_rng(31)
    images = f32(rng.uniform(0, 255, (2, 6, 7, 3)))
    masks = rng.integers(-1, 5, (2, 6, 7, 1)).astype(np.int32)
    masks[0, 0, :5, 0] = [-1, 0, 1, 2, 3]  # every class appears
    masks[1, 0, :6, 0] = [0, 1, 2, 3, 4, -1]
    grey = np.full((2, 6, 7, 3), 128, np.uint8)
    colors = {0: (10, 20, 30), 1: (255, 0, 0), 2: (0, 255, 0), 3: (0, 0, 255),
              4: (200, 100, 50)}

    def add(name, x, m, config, output_layout="channels_last"):
        y = to_np(keras.visualization.draw_segmentation_masks(x, m, **config))
        g.add(name, "draw_segmentation_masks", "keras.visualization", config,
              {"images": x, "masks": m, "y": y}, output_layout=output_layout,
              y_dtype=str(y.dtype))

    add("defaults", images, masks, {})
    add("num_classes_5", images, masks, {"num_classes": 5})
    add("num_classes_3", images, masks, {"num_classes": 3})
    add("color_mapping_alpha_0.5", images, masks,
        {"num_classes": 5, "color_mapping": colors, "alpha": 0.5})
    add("ignore_index_0", images, masks, {"num_classes": 5, "ignore_index": 0})
    add("ignore_index_2_alpha_1", images, masks,
        {"num_classes": 5, "ignore_index": 2, "alpha": 1.0})
    add("blend_false", images, masks, {"num_classes": 5, "blend": False})
    add("uint8_images", grey, masks, {"num_classes": 5, "alpha": 0.25})
    add("channels_first", np.ascontiguousarray(images.transpose(0, 3, 1, 2)),
        np.ascontiguousarray(masks.transpose(0, 3, 1, 2)),
        {"num_classes": 5, "data_format": "channels_first"})
    g.write()


if __name__ == "__main__":
    make_visualization()
