"""Golden values of the `preprocessing_api` family: Keras's public methods of the
image preprocessing layers (`transform_*`, their `transform_single_*` forms, with
`training` True or False) for deterministic layers or a given transformation, and
the streaming adapt methods of `Discretization` (`reset_state`, `update_state`,
`finalize_state`).

Run from this folder (see README.md)::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_preprocessing_api.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from make_golden import Golden, f32, keras, np, to_np  # noqa: E402


def make_preprocessing_api():
    g = Golden(
        "preprocessing_api",
        seed=31,
        description=(
            "kind 'method': layer = keras.layers.<class>(**config); for each entry "
            "[method, input array, output array] of 'calls', "
            "out = layer.<method>(input, transformation, training=training), where the "
            "transformation is layer.get_random_transformation(arrays['data_images']) "
            "for deterministic layers or is built from the arrays named in "
            "'transformation' (see family_preprocessing_api.py); a bounding-box input "
            "is the dict {'boxes': <input>_boxes, 'labels': <input>_labels} and so is "
            "its output.  kind 'streaming': Discretization(**config); reset_state(), "
            "update_state(batch_i) for each array batch_i, finalize_state(); "
            "'boundaries' = layer.bin_boundaries; y = layer(x)."
        ),
    )
    rng = np.random.default_rng(31)
    images = f32(rng.uniform(0, 255, (2, 6, 8, 3)))
    masks = rng.integers(0, 4, (2, 6, 8, 1)).astype("int32")
    boxes = f32([[[1.0, 1.0, 5.0, 4.0], [0.0, 2.0, 7.5, 6.0]],
                 [[2.0, 0.5, 3.0, 5.0], [4.0, 1.0, 8.0, 3.0]]])
    box_labels = np.array([[1, 2], [3, 0]], "int32")
    labels = f32(np.eye(3)[[0, 2]])

    def add(name, cls, config, transformation_arrays, calls, arrays, training=True):
        g.add(name, cls, "keras.layers", config,
              {**arrays, **transformation_arrays}, kind="method", calls=calls,
              transformation=list(transformation_arrays), training=training)

    def run(layer, method, x, transformation, training):
        out = getattr(layer, method)(x, transformation, training=training)
        if isinstance(out, dict):
            return {"boxes": to_np(out["boxes"]), "labels": to_np(out["labels"])}
        return to_np(out)

    def deterministic(name, cls, config, training=True):
        keras.backend.clear_session()
        layer = getattr(keras.layers, cls)(**config)
        arrays = {"data_images": images}
        calls = []
        single_t = layer.get_random_transformation(images[0], training=training)
        batch_t = layer.get_random_transformation(images, training=training)
        plan = [("transform_images", "images", images, batch_t),
                ("transform_single_image", "image", images[0], single_t),
                ("transform_segmentation_masks", "masks", masks, batch_t),
                ("transform_single_segmentation_mask", "mask", masks[0], single_t),
                ("transform_labels", "labels", labels, batch_t),
                ("transform_single_label", "label", labels[0], single_t)]
        if config.get("bounding_box_format"):
            plan += [("transform_bounding_boxes", "boxes_dict",
                      {"boxes": boxes, "labels": box_labels}, batch_t),
                     ("transform_single_bounding_box", "box_dict",
                      {"boxes": boxes[0], "labels": box_labels[0]}, single_t)]
        for method, key, x, t in plan:
            out = run(layer, method, dict(x) if isinstance(x, dict) else x, t, training)
            if isinstance(x, dict):
                arrays.update({f"{key}_boxes": x["boxes"], f"{key}_labels": x["labels"],
                               f"{key}_out_boxes": out["boxes"],
                               f"{key}_out_labels": out["labels"]})
            else:
                arrays.update({key: x, f"{key}_out": out})
            calls.append([method, key, f"{key}_out"])
        add(name, cls, config, {}, calls, arrays, training)

    deterministic("Resizing", "Resizing", {"height": 4, "width": 5,
                                           "bounding_box_format": "xyxy"})
    deterministic("Resizing_training_false_nearest", "Resizing",
                  {"height": 3, "width": 10, "interpolation": "nearest",
                   "bounding_box_format": "rel_xyxy"}, training=False)
    deterministic("CenterCrop", "CenterCrop", {"height": 4, "width": 4,
                                               "bounding_box_format": "xyxy"})
    deterministic("AutoContrast", "AutoContrast", {"value_range": (0, 255)})

    # RandomFlip with given flips: Keras's transformation {"flips", "input_shape"}
    keras.backend.clear_session()
    flip = keras.layers.RandomFlip("horizontal", bounding_box_format="xyxy")
    flips = np.array([True, False])
    batch_t = {"flips": flips.reshape(2, 1, 1, 1), "input_shape": images.shape}
    single_t = {"flips": flips[:1].reshape(1, 1, 1), "input_shape": images[0].shape}
    arrays = {"data_images": images, "images": images, "image": images[0],
              "boxes_dict_boxes": boxes, "boxes_dict_labels": box_labels,
              "box_dict_boxes": boxes[0], "box_dict_labels": box_labels[0],
              "masks": masks, "mask": masks[0]}
    arrays["images_out"] = run(flip, "transform_images", images, batch_t, True)
    arrays["image_out"] = run(flip, "transform_single_image", images[0], single_t, True)
    arrays["masks_out"] = run(flip, "transform_segmentation_masks", masks, batch_t, True)
    arrays["mask_out"] = run(flip, "transform_single_segmentation_mask", masks[0], single_t,
                             True)
    out = run(flip, "transform_bounding_boxes", {"boxes": boxes, "labels": box_labels},
              batch_t, True)
    arrays.update(boxes_dict_out_boxes=out["boxes"], boxes_dict_out_labels=out["labels"])
    out = run(flip, "transform_single_bounding_box",
              {"boxes": boxes[0], "labels": box_labels[0]}, single_t, True)
    arrays.update(box_dict_out_boxes=out["boxes"], box_dict_out_labels=out["labels"])
    add("RandomFlip_given_flips", "RandomFlip",
        {"mode": "horizontal", "bounding_box_format": "xyxy"}, {"flips": flips},
        [["transform_images", "images", "images_out"],
         ["transform_single_image", "image", "image_out"],
         ["transform_segmentation_masks", "masks", "masks_out"],
         ["transform_single_segmentation_mask", "mask", "mask_out"],
         ["transform_bounding_boxes", "boxes_dict", "boxes_dict_out"],
         ["transform_single_bounding_box", "box_dict", "box_dict_out"]], arrays)

    # the mixing layers' labels for a given transformation
    batch_labels = f32(np.eye(3)[[0, 2, 1, 1]])
    weights = f32([0.9, 0.25, 0.5, 0.6])
    order = np.array([2, 0, 3, 1], "int64")
    for cls in ("MixUp", "CutMix"):
        keras.backend.clear_session()
        layer = getattr(keras.layers, cls)()
        t = {"mix_weight": weights, "permutation_order": order}
        arrays = {"labels": batch_labels,
                  "labels_out": run(layer, "transform_labels", batch_labels, t, True),
                  "labels_inference_out": run(layer, "transform_labels", batch_labels, t,
                                              False)}
        add(f"{cls}_labels", cls, {}, {"mix_weight": weights, "permutation_order": order},
            [["transform_labels", "labels", "labels_out"]], arrays)

    # MaxNumBoundingBoxes: padded and cut boxes
    keras.backend.clear_session()
    layer = keras.layers.MaxNumBoundingBoxes(max_number=3, fill_value=-1,
                                             bounding_box_format="xyxy")
    arrays = {"data_images": images}
    for key, x in (("boxes_dict", {"boxes": boxes, "labels": box_labels}),):
        out = run(layer, "transform_bounding_boxes", dict(x), None, True)
        arrays.update({f"{key}_boxes": x["boxes"], f"{key}_labels": x["labels"],
                       f"{key}_out_boxes": out["boxes"], f"{key}_out_labels": out["labels"]})
    add("MaxNumBoundingBoxes", "MaxNumBoundingBoxes",
        {"max_number": 3, "fill_value": -1, "bounding_box_format": "xyxy"}, {},
        [["transform_bounding_boxes", "boxes_dict", "boxes_dict_out"]], arrays)

    # Discretization: reset_state, update_state per batch, finalize_state
    for name, config, batches in (
            ("Discretization_two_batches", {"num_bins": 3},
             [f32([[1.0, 2.0], [3.0, 4.0]]), f32([5.0])]),
            ("Discretization_four_bins", {"num_bins": 4, "output_mode": "one_hot"},
             [f32(rng.normal(0, 1, (6,))), f32(rng.normal(2, 1, (3, 2))),
              f32(rng.normal(-1, 1, (4,)))]),
            ("Discretization_no_data", {"num_bins": 3}, [])):
        keras.backend.clear_session()
        layer = keras.layers.Discretization(**config)
        layer.reset_state()
        for batch in batches:
            layer.update_state(batch)
        layer.finalize_state()
        x = f32([-1.0, 0.0, 1.5, 2.5, 4.0, 6.0])
        arrays = {f"batch_{i}": b for i, b in enumerate(batches)}
        arrays.update(boundaries=f32(layer.bin_boundaries), x=x, y=to_np(layer(x)))
        g.add(name, "Discretization", "keras.layers", config, arrays, kind="streaming",
              batches=[f"batch_{i}" for i in range(len(batches))],
              output_dtype=layer.output_dtype)
    g.write()


if __name__ == "__main__":
    make_preprocessing_api()
