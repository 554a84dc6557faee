"""Golden values of the `bounding_boxes_more` family: labels, bounding boxes and
segmentation masks of the mixing and policy layers (MixUp, CutMix, RandAugment,
AugMix) for a given transformation.

Each case stores the transformation's parameters (named in 'transformation') and
Keras's `transform_images` / `transform_labels` / `transform_bounding_boxes` /
`transform_segmentation_masks` outputs for it (kind "transform"). Where Keras 3
errs (MixUp's box labels and masks, RandAugment's boxes under several geometric
operations), the case stores only what Keras gets right, or composes Keras's
correct single steps ("steps" lists them in order).

Run from this folder (see README.md)::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_bounding_boxes_more.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from make_golden import Golden, f32, keras, np, to_np  # noqa: E402

SIZE = 12


def _xyxy_boxes(rng, shape):
    """Random corner boxes of `shape[:-1]` boxes inside a `SIZE` x `SIZE` image."""
    x = np.sort(rng.uniform(0.5, SIZE - 0.5, shape[:-1] + (2,)), axis=-1)
    y = np.sort(rng.uniform(0.5, SIZE - 0.5, shape[:-1] + (2,)), axis=-1)
    return f32(np.stack([x[..., 0], y[..., 0], x[..., 1], y[..., 1]], axis=-1))


def make_mix_up(g, rng):
    images = f32(rng.uniform(0, 1, (3, 5, 6, 3)))
    labels = f32(np.eye(4)[[0, 2, 3]])
    boxes = _xyxy_boxes(rng, (3, 2, 4))
    box_labels = np.array([[1, 2], [3, -1], [0, 4]], np.int32)
    weights, order = f32([0.3, 0.85, 0.5]), np.array([2, 0, 1], np.int64)
    keras.backend.clear_session()
    layer = keras.layers.MixUp(alpha=0.4, bounding_box_format="xyxy")
    t = {"mix_weight": weights, "permutation_order": order}
    out = layer.transform_bounding_boxes({"boxes": boxes, "labels": box_labels}, t)
    # Keras joins the box labels along the batch axis (a bug): only its boxes are kept
    g.add("MixUp", "MixUp", "keras.layers", {"alpha": 0.4, "bounding_box_format": "xyxy"},
          {"images": images, "labels": labels, "boxes": boxes, "box_labels": box_labels,
           "weights": weights, "order": order,
           "y_images": to_np(layer.transform_images(images, t)),
           "y_labels": to_np(layer.transform_labels(labels, t)),
           "y_boxes": to_np(out["boxes"])},
          kind="transform", transformation=["weights", "order"])


def make_cut_mix(g, rng):
    for data_format in ("channels_last", "channels_first"):
        shape = (3, 8, 9, 3) if data_format == "channels_last" else (3, 3, 8, 9)
        mask_shape = shape[:3] + (1,) if data_format == "channels_last" else \
            (3, 1) + shape[2:]
        images = f32(rng.uniform(0, 1, shape))
        masks = f32(rng.integers(0, 5, mask_shape))
        labels = f32(np.eye(3)[[0, 1, 2]])
        x0, x1 = f32([1.5, 0.0, 3.2]), f32([6.5, 4.0, 8.9])
        y0, y1 = f32([2.0, 0.4, 1.1]), f32([5.0, 7.9, 3.3])
        order = np.array([1, 2, 0], np.int32)
        keras.backend.clear_session()
        layer = keras.layers.CutMix(data_format=data_format)

        def transformation(x_shape):
            batch_masks, mix_weight = layer._generate_batch_mask(x_shape, (x0, x1, y0, y1))
            return {"permutation_order": order, "batch_masks": batch_masks,
                    "mix_weight": mix_weight}

        # Keras repeats its box mask to the images' channels: masks get their own
        t_masks = transformation(masks.shape)
        t = transformation(images.shape)
        g.add(f"CutMix_{data_format}", "CutMix", "keras.layers", {"data_format": data_format},
              {"images": images, "labels": labels, "masks": masks, "x0": x0, "x1": x1,
               "y0": y0, "y1": y1, "order": order,
               "y_images": to_np(layer.transform_images(images, t)),
               "y_labels": to_np(layer.transform_labels(labels, t)),
               "y_masks": to_np(layer.transform_segmentation_masks(masks, t_masks))},
              kind="transform", transformation=["x0", "x1", "y0", "y1", "order"])


def _keras_steps(shape):
    """Keras's transformations of the geometric layers for batches of `shape` (channels
    last), and the arrays that name them."""
    batch = shape[0]
    dy, dx = f32([2.5, -3.0]), f32([-1.75, 1.25])
    angles = f32([20.0, -35.0])
    shear_x, shear_y = f32([0.2, -0.3]), f32([-0.1, 0.25])
    keras.backend.clear_session()
    rotation = keras.layers.RandomRotation(0.5)
    zeros, ones = np.zeros(batch, np.float32), np.ones(batch, np.float32)
    matrix = rotation._compute_affine_matrix(0.5, 0.5, angles, zeros, zeros, ones, zeros,
                                             zeros, shape[1], shape[2])
    return {
        "random_translation": ({"translations": np.stack([dx, dy], axis=1),
                                "input_shape": shape}, {"dy": dy, "dx": dx}),
        "random_rotation": ({"angle": angles, "rotation_matrix": matrix,
                             "image_height": shape[1], "image_width": shape[2],
                             "batch_size": batch}, {"angles": angles}),
        "random_shear": ({"shear_factor": np.stack([shear_x, shear_y], axis=1),
                          "input_shape": shape}, {"shear_x": shear_x, "shear_y": shear_y}),
    }


def make_rand_augment(g, rng):
    images = f32(rng.uniform(0, 255, (2, SIZE, SIZE, 3)))
    masks = rng.integers(0, 4, (2, SIZE, SIZE, 1)).astype(np.int32)
    boxes = _xyxy_boxes(rng, (2, 3, 4))
    boxes[1, 2] = [0.5, 0.5, 2.0, 1.5]  # near a corner: moved out by some steps
    labels = np.array([[1, 2, 3], [4, 5, 6]], np.int32)
    steps = _keras_steps(images.shape)
    for fmt, names in (("xyxy", ["random_rotation"]), ("rel_xywh", ["random_translation"]),
                       ("center_xywh", ["random_shear"]),
                       ("xyxy", ["random_rotation", "random_translation"]),
                       ("xyxy", ["random_shear", "random_rotation", "random_shear"])):
        keras.backend.clear_session()
        layer = keras.layers.RandAugment(num_ops=1, value_range=(0, 255),
                                         bounding_box_format=fmt)
        x_boxes = to_np(keras.utils.bounding_boxes.convert_format(
            boxes, "xyxy", fmt, height=SIZE, width=SIZE))
        data = {"images": images, "bounding_boxes": {"boxes": x_boxes, "labels": labels}}
        base = layer.get_random_transformation(data, training=True)
        y_images, y_masks = images, masks
        y_boxes = {"boxes": x_boxes, "labels": labels}
        # Keras is right for one operation (rotation in "xyxy" only); several
        # are its single steps in order
        for name in names:
            t = {"layer_idxes": np.array([layer._AUGMENT_LAYERS.index(name)]),
                 "transforms": {**base["transforms"], name: steps[name][0]}}
            y_images = layer.transform_images(y_images, t)
            y_masks = layer.transform_segmentation_masks(y_masks, t)
            y_boxes = layer.transform_bounding_boxes(dict(y_boxes), t)
        arrays = {"images": images, "masks": masks, "boxes": x_boxes, "labels": labels,
                  "y_images": to_np(y_images), "y_masks": to_np(y_masks),
                  "y_boxes": to_np(y_boxes["boxes"]), "y_labels": to_np(y_boxes["labels"])}
        stored = []
        for name in dict.fromkeys(names):
            for key, value in steps[name][1].items():
                arrays[key] = value
                stored.append(key)
        g.add(f"RandAugment_{'_'.join(n[7:] if n.startswith('random_') else n for n in names)}"
              f"_{fmt}", "RandAugment", "keras.layers",
              {"num_ops": len(names), "value_range": [0, 255], "bounding_box_format": fmt},
              arrays, kind="transform", transformation=stored, steps=names)


def make_aug_mix(g, rng):
    images = f32(rng.uniform(0, 1, (2, SIZE, SIZE, 3)))
    masks = f32(rng.integers(0, 4, (2, SIZE, SIZE, 1)))
    boxes = _xyxy_boxes(rng, (2, 3, 4))
    labels = np.array([[1, 2, 3], [4, 5, 6]], np.int32)
    steps = _keras_steps(images.shape)
    chains = [["random_rotation", "auto_contrast"], ["random_translation"],
              ["equalization", "random_shear"]]
    weights, keep = f32([0.2, 0.5, 0.3]), f32(0.35)
    keras.backend.clear_session()
    layer = keras.layers.AugMix(value_range=(0, 1), num_chains=3, chain_depth=2,
                                bounding_box_format="xyxy")
    t = {"chain_mixing_weights": weights, "weight_sample": keep,
         "chain_transforms": [[{"layer_name": name,
                                "transformation": steps[name][0] if name in steps else None}
                               for name in chain] for chain in chains]}
    out = layer.transform_bounding_boxes({"boxes": boxes, "labels": labels}, t)
    arrays = {"images": images, "masks": masks, "boxes": boxes, "labels": labels,
              "weights": weights, "keep": keep,
              "y_images": to_np(layer.transform_images(images, t)),
              "y_masks": to_np(layer.transform_segmentation_masks(masks, t)),
              "y_boxes": to_np(out["boxes"]), "y_labels": to_np(out["labels"])}
    stored = ["weights", "keep"]
    for name in ("random_rotation", "random_translation", "random_shear"):
        for key, value in steps[name][1].items():
            arrays[key] = value
            stored.append(key)
    g.add("AugMix", "AugMix", "keras.layers",
          {"value_range": [0, 1], "num_chains": 3, "chain_depth": 2,
           "bounding_box_format": "xyxy"},
          arrays, kind="transform", transformation=stored, chains=chains)


def make_bounding_boxes_more():
    g = Golden(
        "bounding_boxes_more",
        seed=43,
        description=(
            "MixUp, CutMix, RandAugment and AugMix: images, labels, bounding boxes and "
            "segmentation masks for the transformation of the arrays named in "
            "'transformation' (kind 'transform'); RandAugment's 'steps' and AugMix's "
            "'chains' name the operations in order."
        ),
    )
    rng = np.random.default_rng(43)
    make_mix_up(g, rng)
    make_cut_mix(g, rng)
    make_rand_augment(g, rng)
    make_aug_mix(g, rng)
    g.write()


if __name__ == "__main__":
    make_bounding_boxes_more()
