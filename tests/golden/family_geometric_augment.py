"""Golden values of the `geometric_augment` family: RandomErasing, RandomShear,
RandomPerspective, RandomElasticTransform, MixUp and CutMix given a fixed
transformation (Keras's `transform_images` / `transform_labels`); MaxNumBoundingBoxes
on boxes; the configs of RandAugment and AugMix.

Run from this folder (see README.md)::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_geometric_augment.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from make_golden import Golden, f32, keras, np, to_np  # noqa: E402


def make_geometric_augment():
    g = Golden(
        "geometric_augment",
        seed=31,
        description=(
            "y = layer.transform_images(x, transformation, training=True) (and, with "
            "'labels', y_labels = layer.transform_labels(labels, ...)) for the "
            "transformation built from the arrays named in 'transformation' (see "
            "family_geometric_augment.py for how each layer's transformation is built)."
        ),
    )
    rng = np.random.default_rng(31)
    img = f32(rng.uniform(0, 255, (3, 6, 7, 3)))
    cf = np.ascontiguousarray(img.transpose(0, 3, 1, 2))
    labels = f32(np.eye(4)[[0, 2, 3]])

    def add(name, cls, config, x, stored, make_transformation, with_labels=False):
        keras.backend.clear_session()
        layer = getattr(keras.layers, cls)(**config)
        transformation = make_transformation(layer)
        y = to_np(layer.transform_images(x, transformation, training=True))
        arrays = {"x": x, **stored, "y": y}
        if with_labels:
            arrays["labels"] = labels
            arrays["y_labels"] = to_np(layer.transform_labels(labels, transformation,
                                                              training=True))
        g.add(name, cls, "keras.layers", config, arrays, kind="layer",
              transformation=list(stored), y_dtype=str(y.dtype),
              keras_config=layer.get_config())

    # RandomErasing: boxes (x0, x1, y0, y1), whether each image is erased, the fill
    boxes = f32([[0.5, 4.2, 1.0, 3.5], [2.0, 6.9, 0.0, 6.0], [3.3, 5.0, 2.7, 5.1]])
    erase = np.array([True, False, True])
    noise = f32(rng.normal(0, 1, img.shape))

    def erasing(data_format, fill=None):
        def make(layer):
            masks = layer._generate_batch_mask(
                (img.shape if data_format == "channels_last" else cf.shape),
                tuple(boxes[:, i] for i in range(4)))
            if fill is None:
                value = keras.ops.clip(noise_in(data_format) * layer.value_range[1],
                                       *layer.value_range)
            elif isinstance(fill, tuple):
                # Keras's JAX full_like refuses a tuple: build the per-channel fill as
                # its other backends do
                value = keras.ops.clip(keras.ops.full_like(img, np.array(fill, np.float32)),
                                       *layer.value_range)
            else:
                value = layer._get_fill_value(img, img.shape, None)
            return {"apply_erasing": erase, "batch_masks": masks, "fill_value": value}
        return make

    def noise_in(data_format):
        return noise if data_format == "channels_last" else noise.transpose(0, 3, 1, 2)

    stored = {"boxes": boxes, "apply": erase}
    add("RandomErasing_constant", "RandomErasing", {"fill_value": 40.0}, img, stored,
        erasing("channels_last", 40.0))
    add("RandomErasing_clipped_fill", "RandomErasing",
        {"fill_value": 300.0, "value_range": (0, 255)}, img, stored,
        erasing("channels_last", 300.0))
    add("RandomErasing_per_channel_fill", "RandomErasing",
        {"fill_value": (10.0, -5.0, 99.0), "factor": (0.2, 0.7), "scale": 0.5}, img, stored,
        erasing("channels_last", (10.0, -5.0, 99.0)))
    add("RandomErasing_noise", "RandomErasing", {}, img, {**stored, "noise": noise},
        erasing("channels_last"))
    add("RandomErasing_noise_channels_first", "RandomErasing",
        {"data_format": "channels_first", "value_range": (0, 100)}, cf,
        {**stored, "noise": noise_in("channels_first")}, erasing("channels_first"))

    # RandomShear: one signed (x, y) factor per image
    shear = f32([[0.3, 0.0], [-0.2, 0.45], [0.0, -0.6]])
    for mode in ("reflect", "constant", "nearest", "wrap"):
        add(f"RandomShear_{mode}", "RandomShear",
            {"x_factor": 0.5, "y_factor": 0.5, "fill_mode": mode, "fill_value": 7.0}, img,
            {"shear": shear}, lambda layer: {"shear_factor": shear, "input_shape": img.shape})
    add("RandomShear_nearest_interpolation_channels_first", "RandomShear",
        {"x_factor": (0.1, 0.4), "interpolation": "nearest", "data_format": "channels_first"},
        cf, {"shear": shear}, lambda layer: {"shear_factor": shear, "input_shape": cf.shape})

    # RandomPerspective: corner displacements (batch, 4, 2) and whether each image warps
    displacements = f32(rng.uniform(-0.3, 0.3, (3, 4, 2)))
    warp = np.array([True, True, False])

    def perspective(shape, data_format):
        height, width = (shape[1], shape[2]) if data_format == "channels_last" \
            else (shape[2], shape[3])
        start = f32([[0, 0], [width - 1, 0], [0, height - 1], [width - 1, height - 1]])
        start = np.repeat(start[None], 3, axis=0)
        end = start + start * displacements
        return lambda layer: {"apply_perspective": warp, "start_points": start,
                              "end_points": end, "input_shape": shape}

    stored = {"displacements": displacements, "apply": warp}
    add("RandomPerspective", "RandomPerspective", {"scale": 0.6}, img, stored,
        perspective(img.shape, "channels_last"))
    add("RandomPerspective_nearest_fill", "RandomPerspective",
        {"factor": (0.5, 1.0), "interpolation": "nearest", "fill_value": 12.5}, img, stored,
        perspective(img.shape, "channels_last"))
    add("RandomPerspective_channels_first", "RandomPerspective",
        {"scale": 0.3, "data_format": "channels_first"}, cf, stored,
        perspective(cf.shape, "channels_first"))

    # RandomElasticTransform: images left undistorted are still clipped to value_range;
    # the field parameters for a drawn strength
    wide = f32(rng.uniform(-60, 320, img.shape))
    keep = np.array([False, False, False])
    add("RandomElasticTransform_clips_kept_images", "RandomElasticTransform",
        {"value_range": (0, 255)}, wide, {"apply": keep, "strength": f32(0.4)},
        lambda layer: {"apply_transform": keep, "distortion_factor": f32(0.4), "seed": 3})
    add("RandomElasticTransform_clips_unit_range", "RandomElasticTransform",
        {"value_range": (-1, 1), "data_format": "channels_first"},
        np.ascontiguousarray(wide.transpose(0, 3, 1, 2)) / 100.0,
        {"apply": keep, "strength": f32(0.9)},
        lambda layer: {"apply_transform": keep, "distortion_factor": f32(0.9), "seed": 3})
    keras.backend.clear_session()
    layer = keras.layers.RandomElasticTransform()
    sizes = np.array([[6, 7], [32, 20], [100, 150]], np.int32)
    strengths = f32([0.25, 0.5, 1.0])
    params = np.array([layer.get_elastic_transform_params(int(h), int(w), float(s))
                       for (h, w), s in zip(sizes, strengths)], np.float64)
    g.add("RandomElasticTransform_parameters", "RandomElasticTransform", "keras.layers", {},
          {"sizes": sizes, "strengths": strengths, "y": params}, kind="parameters",
          transformation=[], y_dtype="float32", keras_config=layer.get_config())

    # MixUp: weights and a permutation; labels mixed too
    weights = f32([0.8, 0.35, 0.5])
    order = np.array([2, 0, 1], np.int64)
    add("MixUp", "MixUp", {"alpha": 0.4}, img, {"weights": weights, "order": order},
        lambda layer: {"mix_weight": weights, "permutation_order": order}, with_labels=True)
    add("MixUp_channels_first", "MixUp", {"data_format": "channels_first"}, cf,
        {"weights": weights, "order": order[::-1].copy()},
        lambda layer: {"mix_weight": weights, "permutation_order": order[::-1].copy()},
        with_labels=True)

    # CutMix: boxes (x0, x1, y0, y1) and a permutation; labels weighted by area
    def cut_mix(shape):
        def make(layer):
            masks, kept = layer._generate_batch_mask(shape, tuple(boxes[:, i] for i in range(4)))
            return {"permutation_order": order.astype(np.int32), "batch_masks": masks,
                    "mix_weight": kept}
        return make

    add("CutMix", "CutMix", {"factor": 0.8}, img, {"boxes": boxes, "order": order},
        cut_mix(img.shape), with_labels=True)
    add("CutMix_channels_first", "CutMix", {"data_format": "channels_first"}, cf,
        {"boxes": boxes, "order": order}, cut_mix(cf.shape), with_labels=True)

    # MaxNumBoundingBoxes: boxes cut or padded (batched, and one image's boxes)
    boxes_in = f32(rng.uniform(0, 6, (2, 4, 4)))
    box_labels = np.array([[1, 2, 3, 4], [5, 6, 7, 8]], np.int32)
    for name, config, single in (("MaxNumBoundingBoxes_cut", {"max_number": 3}, False),
                                 ("MaxNumBoundingBoxes_pad", {"max_number": 6,
                                                              "fill_value": -2}, False),
                                 ("MaxNumBoundingBoxes_one_image", {"max_number": 5}, True)):
        keras.backend.clear_session()
        config = {**config, "bounding_box_format": "xyxy"}
        layer = keras.layers.MaxNumBoundingBoxes(**config)
        boxes_x = boxes_in[0] if single else boxes_in
        labels_x = box_labels[0] if single else box_labels
        out = layer({"images": img[0] if single else img[:2],
                     "bounding_boxes": {"boxes": boxes_x, "labels": labels_x}})
        g.add(name, "MaxNumBoundingBoxes", "keras.layers", config,
              {"boxes": boxes_x, "labels": labels_x,
               "y_boxes": to_np(out["bounding_boxes"]["boxes"]),
               "y_labels": to_np(out["bounding_boxes"]["labels"])}, kind="boxes",
              keras_config=layer.get_config())

    # RandAugment and AugMix draw everything at random: their configs only
    for cls, config in (("RandAugment", {"num_ops": 3, "factor": 0.4, "value_range": (0, 1)}),
                        ("AugMix", {"num_chains": 2, "all_ops": False, "alpha": 0.5})):
        keras.backend.clear_session()
        layer = getattr(keras.layers, cls)(**config)
        g.add(f"{cls}_config", cls, "keras.layers", config, {}, kind="config",
              keras_config=layer.get_config())
    g.write()


if __name__ == "__main__":
    make_geometric_augment()
