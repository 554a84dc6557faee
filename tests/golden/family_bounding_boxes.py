"""Golden values of the `bounding_boxes` family: the `keras.utils.bounding_boxes`
functions (every pair of formats of `convert_format`, IoU, CIoU, box deltas,
clipping, cropping, padding, affine transforms) and the image layers' boxes and
segmentation masks for a given transformation.

Layer cases of kind "transform" store the transformation's parameters (named in
'transformation') and Keras's `transform_bounding_boxes` /
`transform_segmentation_masks` outputs for it; cases of kind "call" store a
whole call of a deterministic layer (CenterCrop, Resizing) on a dict.

Run from this folder (see README.md)::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_bounding_boxes.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from make_golden import Golden, f32, keras, np, to_np  # noqa: E402

FORMATS = ("xyxy", "yxyx", "xywh", "center_xywh", "center_yxhw", "rel_xyxy", "rel_yxyx",
           "rel_xywh", "rel_center_xywh")
HEIGHT, WIDTH = 20, 30


def _xyxy_boxes(rng, shape, height, width):
    """Random corner boxes of `shape[:-1]` boxes inside (mostly) a `height` x `width`
    image."""
    x = np.sort(rng.uniform(-2, width + 2, shape[:-1] + (2,)), axis=-1)
    y = np.sort(rng.uniform(-2, height + 2, shape[:-1] + (2,)), axis=-1)
    return f32(np.stack([x[..., 0], y[..., 0], x[..., 1], y[..., 1]], axis=-1))


def make_utils(g, rng):
    bb = keras.utils.bounding_boxes
    boxes = _xyxy_boxes(rng, (2, 3, 4), HEIGHT, WIDTH)

    def add(name, fn, config, arrays, y):
        g.add(name, fn, "keras.utils.bounding_boxes", config, {**arrays, "y": to_np(y)},
              kind="function")

    for source in FORMATS:
        x = to_np(bb.convert_format(boxes, "xyxy", source, height=HEIGHT, width=WIDTH))
        for target in FORMATS:
            config = {"source": source, "target": target, "height": HEIGHT, "width": WIDTH}
            add(f"convert_{source}_to_{target}", "convert_format", config, {"x": x},
                bb.convert_format(x, **config))
    one = boxes[0, 0]
    add("convert_one_box_center_xywh", "convert_format",
        {"source": "XYXY", "target": "center_xywh"}, {"x": one},
        bb.convert_format(one, "XYXY", "center_xywh"))

    boxes2 = _xyxy_boxes(rng, (2, 4, 4), HEIGHT, WIDTH)
    for fmt in ("xyxy", "yxyx", "center_xywh", "rel_xyxy"):
        b1 = to_np(bb.convert_format(boxes, "xyxy", fmt, height=HEIGHT, width=WIDTH))
        b2 = to_np(bb.convert_format(boxes2, "xyxy", fmt, height=HEIGHT, width=WIDTH))
        config = {"bounding_box_format": fmt}
        if fmt.startswith("rel"):
            config["image_shape"] = (HEIGHT, WIDTH, 3)
        add(f"iou_{fmt}_batched", "compute_iou", config, {"boxes1": b1, "boxes2": b2},
            bb.compute_iou(b1, b2, **config))
        add(f"iou_{fmt}_unbatched", "compute_iou", config,
            {"boxes1": b1[0], "boxes2": b2[1]}, bb.compute_iou(b1[0], b2[1], **config))
    mixed = {"bounding_box_format": "xyxy"}
    add("iou_batched_with_unbatched", "compute_iou", mixed,
        {"boxes1": boxes, "boxes2": boxes2[0]}, bb.compute_iou(boxes, boxes2[0], **mixed))
    add("iou_unbatched_with_batched", "compute_iou", mixed,
        {"boxes1": boxes[0], "boxes2": boxes2}, bb.compute_iou(boxes[0], boxes2, **mixed))
    padded = boxes.copy()
    padded[0, 1] = -1.0
    padded2 = boxes2.copy()
    padded2[1, 2] = -1.0
    masked = {"bounding_box_format": "xyxy", "use_masking": True, "mask_val": -3}
    add("iou_masked", "compute_iou", masked, {"boxes1": padded, "boxes2": padded2},
        bb.compute_iou(padded, padded2, **masked))

    pair1 = _xyxy_boxes(rng, (2, 5, 4), HEIGHT, WIDTH)
    pair2 = _xyxy_boxes(rng, (2, 5, 4), HEIGHT, WIDTH)
    pair2[0, 0] = pair1[0, 0]
    for fmt in ("xyxy", "center_xywh", "yxyx"):
        b1 = to_np(bb.convert_format(pair1, "xyxy", fmt))
        b2 = to_np(bb.convert_format(pair2, "xyxy", fmt))
        add(f"ciou_{fmt}", "compute_ciou", {"bounding_box_format": fmt},
            {"boxes1": b1, "boxes2": b2}, bb.compute_ciou(b1, b2, fmt))

    anchors = _xyxy_boxes(rng, (5, 4), HEIGHT, WIDTH) + f32([0, 0, 1, 1])
    targets = _xyxy_boxes(rng, (2, 5, 4), HEIGHT, WIDTH) + f32([0, 0, 1, 1])
    for name, config in (
            ("plain", {"anchor_format": "xyxy", "box_format": "xyxy"}),
            ("xywh_center_xywh_variance", {
                "anchor_format": "xyxy", "box_format": "xywh", "encoding_format": "center_xywh",
                "variance": [0.1, 0.1, 0.2, 0.2]}),
            ("relative", {"anchor_format": "xyxy", "box_format": "rel_xyxy",
                          "image_shape": (HEIGHT, WIDTH, 3), "variance": [0.5, 0.5, 1, 1]})):
        t = to_np(bb.convert_format(targets, "xyxy", config["box_format"], height=HEIGHT,
                                    width=WIDTH))
        deltas = to_np(bb.encode_box_to_deltas(anchors, t, **config))
        add(f"encode_{name}", "encode_box_to_deltas", config, {"anchors": anchors, "boxes": t},
            deltas)
        decode_config = dict(config)
        decode_config["encoded_format"] = decode_config.pop("encoding_format", "center_yxhw")
        add(f"decode_{name}", "decode_deltas_to_boxes", decode_config,
            {"anchors": anchors, "boxes_delta": deltas},
            bb.decode_deltas_to_boxes(anchors, deltas, **decode_config))
    add("encode_unbatched", "encode_box_to_deltas", {"anchor_format": "xyxy",
                                                     "box_format": "xyxy"},
        {"anchors": anchors, "boxes": targets[0]},
        bb.encode_box_to_deltas(anchors, targets[0], "xyxy", "xyxy"))

    wide = f32([[[-10, -20, 150, 160], [50, 40, 70, 80], [5, 5, 5, 9]],
                [[1, 2, 3, 4], [-5, -5, -1, -1], [25, 15, 40, 30]]])
    labels = np.array([[0, 1, 2], [3, 4, 5]], np.int32)
    clipped = bb.clip_to_image_size({"boxes": wide, "labels": labels}, height=HEIGHT,
                                    width=WIDTH)
    g.add("clip_xyxy", "clip_to_image_size", "keras.utils.bounding_boxes",
          {"height": HEIGHT, "width": WIDTH, "bounding_box_format": "xyxy"},
          {"boxes": wide, "labels": labels, "y_boxes": to_np(clipped["boxes"]),
           "y_labels": to_np(clipped["labels"])}, kind="function")
    rel = f32(wide / 100.0)
    clipped = bb.clip_to_image_size({"boxes": rel, "labels": labels},
                                    bounding_box_format="rel_xyxy")
    g.add("clip_rel_xyxy", "clip_to_image_size", "keras.utils.bounding_boxes",
          {"bounding_box_format": "rel_xyxy"},
          {"boxes": rel, "labels": labels, "y_boxes": to_np(clipped["boxes"]),
           "y_labels": to_np(clipped["labels"])}, kind="function")
    crop = {"top": 3, "left": 5, "height": 10, "width": 12}
    add("crop", "crop", crop, {"boxes": wide}, bb.crop(wide, **crop))
    add("crop_unbatched", "crop", crop, {"boxes": wide[0]}, bb.crop(wide[0], **crop))
    pad = {"top": 4, "left": 7}
    add("pad", "pad", pad, {"boxes": wide}, bb.pad(wide, **pad))

    params = {"angle": f32([30.0, -75.0]), "translate_x": f32([0.1, -0.2]),
              "translate_y": f32([0.0, 0.15]), "scale": f32([1.0, 1.3]),
              "shear_x": f32([0.0, 10.0]), "shear_y": f32([5.0, -8.0])}
    for name, extra in (("affine", {}), ("affine_off_center", {"center_x": 0.3,
                                                               "center_y": 0.6})):
        config = {"height": HEIGHT, "width": WIDTH, **extra}
        add(name, "affine_transform", config, {"boxes": boxes, **params},
            bb.affine_transform(boxes, **params, **config))


def make_layers(g, rng):
    images = f32(rng.uniform(0, 1, (2, 12, 12, 3)))
    masks = rng.integers(0, 4, (2, 12, 12, 1)).astype(np.int32)
    boxes = _xyxy_boxes(rng, (2, 3, 4), 12, 12)
    boxes[0, 2] = [1.0, 2.0, 4.0, 3.0]  # stays inside under small moves
    labels = np.array([[1, 2, 3], [4, 5, 6]], np.int32)

    def add(name, cls, config, stored, transformation, fmt="xyxy", boxes_xyxy=boxes):
        keras.backend.clear_session()
        layer = getattr(keras.layers, cls)(**config, bounding_box_format=fmt)
        x = to_np(keras.utils.bounding_boxes.convert_format(boxes_xyxy, "xyxy", fmt,
                                                             height=12, width=12))
        out = layer.transform_bounding_boxes({"boxes": x, "labels": labels},
                                             transformation, training=True)
        arrays = {"boxes": x, "labels": labels, **stored, "y_boxes": to_np(out["boxes"]),
                  "y_labels": to_np(out["labels"])}
        arrays["masks"] = masks
        arrays["y_masks"] = to_np(layer.transform_segmentation_masks(
            masks, transformation, training=True))
        g.add(name, cls, "keras.layers", {**config, "bounding_box_format": fmt}, arrays,
              kind="transform", transformation=list(stored))

    shape = images.shape
    flips = np.array([True, False])
    # Keras clips flipped relative boxes to [0, width] (in relative units): boxes that
    # start inside the image, where that is a clip to the image
    inside = np.clip(boxes, 0, 12)
    for mode in ("horizontal", "vertical", "horizontal_and_vertical"):
        for fmt in ("xyxy", "center_xywh"):
            add(f"RandomFlip_{mode}_{fmt}", "RandomFlip", {"mode": mode}, {"flips": flips},
                {"flips": flips.reshape(2, 1, 1, 1), "input_shape": shape}, fmt,
                boxes_xyxy=inside)

    dy, dx = f32([2.5, -4.0]), f32([-3.0, 1.25])
    for fmt in ("xyxy", "rel_xywh"):
        add(f"RandomTranslation_{fmt}", "RandomTranslation",
            {"height_factor": 0.4, "width_factor": 0.4, "interpolation": "nearest"},
            {"dy": dy, "dx": dx},
            {"translations": np.stack([dx, dy], axis=1), "input_shape": shape}, fmt)

    angles = f32([25.0, -140.0])
    keras.backend.clear_session()
    rotation = keras.layers.RandomRotation(0.5)
    zeros, ones = np.zeros(2, np.float32), np.ones(2, np.float32)
    matrix = rotation._compute_affine_matrix(0.5, 0.5, angles, zeros, zeros, ones, zeros,
                                             zeros, 12, 12)
    add("RandomRotation_xyxy", "RandomRotation", {"factor": 0.5, "fill_mode": "constant"},
        {"angles": angles},
        {"angle": angles, "rotation_matrix": matrix, "image_height": 12, "image_width": 12,
         "batch_size": 2})

    height_zoom, width_zoom = f32([0.7, 1.2]), f32([0.8, 1.3])
    for fmt in ("xyxy", "yxyx"):
        add(f"RandomZoom_{fmt}", "RandomZoom",
            {"height_factor": 0.4, "width_factor": 0.4, "fill_mode": "constant"},
            {"height_zoom": height_zoom, "width_zoom": width_zoom},
            {"height_zoom": height_zoom[:, None], "width_zoom": width_zoom[:, None],
             "input_shape": shape}, fmt)

    shear_x, shear_y = f32([0.2, -0.3]), f32([-0.1, 0.25])
    for fmt in ("xyxy", "rel_xyxy"):
        add(f"RandomShear_{fmt}", "RandomShear",
            {"x_factor": 0.5, "y_factor": 0.5, "fill_mode": "constant"},
            {"shear_x": shear_x, "shear_y": shear_y},
            {"shear_factor": np.stack([shear_x, shear_y], axis=1), "input_shape": shape}, fmt)

    displacements = f32(rng.uniform(-0.2, 0.2, (2, 4, 2)))
    apply = np.array([True, False])
    corners = f32([[0, 0], [11, 0], [0, 11], [11, 11]])[None].repeat(2, axis=0)
    add("RandomPerspective_xyxy", "RandomPerspective", {"scale": 0.4},
        {"displacements": displacements, "apply": apply},
        {"apply_perspective": apply, "start_points": corners,
         "end_points": corners + corners * displacements, "input_shape": shape})

    # Keras's RandomCrop moves x by the row offset: equal offsets, boxes in the window
    keras.backend.clear_session()
    inside = f32([[[3, 4, 6, 7], [2, 2, 9, 9]], [[5, 3, 8, 4], [2.5, 6, 4, 9.5]]])
    layer = keras.layers.RandomCrop(8, 8, bounding_box_format="xyxy")
    out = layer.transform_bounding_boxes({"boxes": inside, "labels": labels[:, :2]}, (2, 2),
                                         training=True)
    g.add("RandomCrop_xyxy", "RandomCrop", "keras.layers",
          {"height": 8, "width": 8, "bounding_box_format": "xyxy"},
          {"boxes": inside, "labels": labels[:, :2], "top": np.int32(2), "left": np.int32(2),
           "y_boxes": to_np(out["boxes"]), "y_labels": to_np(out["labels"])},
          kind="transform", transformation=["top", "left"])

    def call(name, cls, config, x_images, x_masks, fmt="xyxy"):
        keras.backend.clear_session()
        layer = getattr(keras.layers, cls)(**config, bounding_box_format=fmt)
        size = x_images.shape[-3:-1]
        x = to_np(keras.utils.bounding_boxes.convert_format(
            _xyxy_boxes(rng, x_images.shape[:-3] + (3, 4), *size), "xyxy", fmt,
            height=size[0], width=size[1]))
        if x_images.ndim == 4:
            x[0, 2] = -1.0  # a padding box
        box_labels = labels if x_images.ndim == 4 else labels[0]
        out = layer({"images": x_images, "segmentation_masks": x_masks,
                     "bounding_boxes": {"boxes": x, "labels": box_labels}})
        g.add(name, cls, "keras.layers", {**config, "bounding_box_format": fmt},
              {"images": x_images, "masks": x_masks, "boxes": x, "labels": box_labels,
               "y_images": to_np(out["images"]), "y_masks": to_np(out["segmentation_masks"]),
               "y_boxes": to_np(out["bounding_boxes"]["boxes"]),
               "y_labels": to_np(out["bounding_boxes"]["labels"])}, kind="call")

    tall = f32(rng.uniform(0, 1, (2, 14, 9, 3)))
    tall_masks = rng.integers(0, 4, (2, 14, 9, 1)).astype(np.int32)
    call("CenterCrop_crop", "CenterCrop", {"height": 8, "width": 6}, tall, tall_masks)
    call("CenterCrop_resize", "CenterCrop", {"height": 16, "width": 8}, tall, tall_masks,
         "center_xywh")
    call("CenterCrop_one_image", "CenterCrop", {"height": 8, "width": 6}, tall[0],
         tall_masks[0], "rel_xyxy")
    call("Resizing_stretch", "Resizing", {"height": 7, "width": 12}, tall, tall_masks)
    call("Resizing_crop", "Resizing", {"height": 6, "width": 10, "crop_to_aspect_ratio": True},
         tall, tall_masks, "xywh")
    call("Resizing_pad", "Resizing", {"height": 8, "width": 12, "pad_to_aspect_ratio": True},
         tall, tall_masks)
    call("Resizing_one_image", "Resizing", {"height": 7, "width": 5}, tall[1],
         tall_masks[1], "rel_center_xywh")


def make_bounding_boxes():
    g = Golden(
        "bounding_boxes",
        seed=41,
        description=(
            "keras.utils.bounding_boxes functions (kind 'function': y = fn(inputs, "
            "**config)); layers' transform_bounding_boxes / transform_segmentation_masks "
            "for the transformation of the arrays named in 'transformation' (kind "
            "'transform'); whole dict calls of CenterCrop and Resizing (kind 'call')."
        ),
    )
    rng = np.random.default_rng(41)
    make_utils(g, rng)
    make_layers(g, rng)
    g.write()


if __name__ == "__main__":
    make_bounding_boxes()
