"""Golden values of the `image` family: `keras.ops.image` functions (with JAX gradients
of `sum(y * proj)` for the differentiable ones) and the image augmentation layers with
a given transformation.

Run from this folder (see README.md)::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_image.py
"""

import math
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from make_golden import Golden, f32, keras, np, to_np  # noqa: E402


def _op_cases(rng):
    img = f32(rng.normal(0, 1, (2, 5, 7, 3)))
    unit = f32(rng.uniform(0, 1, (2, 4, 5, 3)))
    unit[0, 0, 0] = 0.5  # a grey pixel: hue 0
    unit[0, 0, 1] = 0.0  # black: saturation 0
    unit[1, 2, 3] = [0.2, 0.7, 0.7]  # ties between channels
    hsv = f32(np.stack([rng.uniform(-0.5, 1.5, (2, 4, 5)), rng.uniform(0, 1, (2, 4, 5)),
                        rng.uniform(0, 1, (2, 4, 5))], axis=-1))
    u8 = rng.integers(0, 256, (2, 5, 7, 3)).astype(np.uint8)
    cf = np.ascontiguousarray(img.transpose(0, 3, 1, 2))
    big = f32(rng.uniform(0, 1, (2, 12, 13, 3)))
    noisy = f32(np.clip(big + rng.normal(0, 0.1, big.shape), 0, 1))
    vol = f32(rng.normal(0, 1, (2, 4, 5, 6, 2)))
    angle = math.radians(30.0)
    c, s = math.cos(angle), math.sin(angle)
    transforms = f32([[c, -s, 1.5, s, c, -0.75, 0.0, 0.0],
                      [1.2, 0.3, -1.0, -0.2, 0.9, 0.6, 0.0, 0.0]])
    plane = f32(rng.normal(0, 1, (5, 6)))
    coords = f32(rng.uniform(-3.0, 8.5, (2, 4, 7)))
    coords[:, 0, :3] = [[1.5, -0.5, 2.5], [2.0, 3.5, -1.5]]  # halves: rounding ties
    cube = f32(rng.normal(0, 1, (3, 4, 5)))
    coords3 = f32(rng.uniform(-1.5, 5.5, (3, 6)))
    start = f32([[0, 0], [0, 5], [7, 0], [7, 5]])
    ends = f32([[[0.5, 0.2], [0.1, 4.6], [6.8, -0.4], [7.3, 5.2]],
                [[-0.6, 0.3], [0.4, 5.5], [6.2, 0.8], [6.9, 4.1]]])
    starts = np.stack([start, start])

    cases = []  # (name, function, positional arrays, kwargs, with gradient)

    def add(name, fn, arrays, kwargs=None, grad=False):
        cases.append((name, fn, arrays, kwargs or {}, grad))

    add("resize_bilinear_down", "resize", {"images": img}, {"size": (3, 4)}, True)
    add("resize_bilinear_up", "resize", {"images": img}, {"size": (8, 9)}, True)
    add("resize_nearest_down", "resize", {"images": img},
        {"size": (3, 4), "interpolation": "nearest"})
    add("resize_nearest_up", "resize", {"images": img},
        {"size": (8, 11), "interpolation": "nearest"})
    add("resize_bicubic", "resize", {"images": img},
        {"size": (6, 5), "interpolation": "bicubic"}, True)
    add("resize_lanczos3", "resize", {"images": img},
        {"size": (4, 9), "interpolation": "lanczos3"})
    add("resize_lanczos5", "resize", {"images": img},
        {"size": (8, 3), "interpolation": "lanczos5"})
    add("resize_bilinear_antialias", "resize", {"images": img},
        {"size": (2, 3), "antialias": True}, True)
    add("resize_bicubic_antialias", "resize", {"images": img},
        {"size": (3, 5), "interpolation": "bicubic", "antialias": True})
    add("resize_crop_to_aspect_ratio", "resize", {"images": img},
        {"size": (4, 4), "crop_to_aspect_ratio": True})
    add("resize_pad_to_aspect_ratio", "resize", {"images": img},
        {"size": (6, 3), "pad_to_aspect_ratio": True, "fill_value": 0.5}, True)
    add("resize_pad_width", "resize", {"images": img},
        {"size": (3, 8), "pad_to_aspect_ratio": True})
    add("resize_channels_first", "resize", {"images": cf},
        {"size": (3, 9), "data_format": "channels_first"})
    add("resize_unbatched", "resize", {"images": img[0]}, {"size": (4, 3)})
    add("resize_uint8", "resize", {"images": u8}, {"size": (3, 4)})
    add("resize_uint8_bicubic", "resize", {"images": u8},
        {"size": (8, 9), "interpolation": "bicubic"})

    add("rgb_to_grayscale", "rgb_to_grayscale", {"images": unit}, {}, True)
    add("rgb_to_grayscale_channels_first", "rgb_to_grayscale",
        {"images": np.ascontiguousarray(unit.transpose(0, 3, 1, 2))},
        {"data_format": "channels_first"})
    add("rgb_to_grayscale_uint8", "rgb_to_grayscale", {"images": u8[0]})
    add("rgb_to_hsv", "rgb_to_hsv", {"images": unit}, {}, True)
    add("rgb_to_hsv_channels_first", "rgb_to_hsv",
        {"images": np.ascontiguousarray(unit[0].transpose(2, 0, 1))},
        {"data_format": "channels_first"})
    add("hsv_to_rgb", "hsv_to_rgb", {"images": hsv}, {}, True)
    add("hsv_to_rgb_channels_first", "hsv_to_rgb",
        {"images": np.ascontiguousarray(hsv.transpose(0, 3, 1, 2))},
        {"data_format": "channels_first"})

    add("crop_images", "crop_images", {"images": img},
        {"top_cropping": 1, "left_cropping": 2, "target_height": 3, "target_width": 4}, True)
    add("crop_images_bottom_right", "crop_images", {"images": img[0]},
        {"bottom_cropping": 1, "right_cropping": 2, "target_height": 3, "target_width": 4})
    add("crop_images_channels_first", "crop_images", {"images": cf},
        {"top_cropping": 1, "bottom_cropping": 2, "left_cropping": 0, "right_cropping": 3,
         "data_format": "channels_first"})
    add("pad_images", "pad_images", {"images": img},
        {"top_padding": 1, "left_padding": 2, "target_height": 8, "target_width": 10}, True)
    add("pad_images_bottom_right", "pad_images", {"images": img[0]},
        {"bottom_padding": 2, "right_padding": 1, "target_height": 9, "target_width": 8})
    add("pad_images_channels_first", "pad_images", {"images": cf},
        {"top_padding": 1, "bottom_padding": 0, "left_padding": 3, "right_padding": 2,
         "data_format": "channels_first"})

    add("extract_patches", "extract_patches", {"images": img}, {"size": (2, 3)}, True)
    add("extract_patches_same_stride1", "extract_patches", {"images": img},
        {"size": 2, "strides": 1, "padding": "same"})
    add("extract_patches_dilated", "extract_patches", {"images": img},
        {"size": (2, 2), "strides": 1, "dilation_rate": 2})
    add("extract_patches_channels_first", "extract_patches", {"images": cf},
        {"size": (2, 2), "strides": (1, 2), "data_format": "channels_first"})
    add("extract_patches_unbatched", "extract_patches", {"images": img[1]},
        {"size": (3, 3), "strides": (2, 2)})
    add("extract_patches_3d", "extract_patches", {"images": vol}, {"size": (2, 2, 3)})
    add("extract_patches_3d_unbatched", "extract_patches_3d", {"volumes": vol[0]},
        {"size": 2, "strides": 1})

    for mode in ("constant", "nearest", "wrap", "mirror", "reflect"):
        for interp in ("bilinear", "nearest"):
            add(f"affine_transform_{interp}_{mode}", "affine_transform",
                {"images": img, "transform": transforms},
                {"interpolation": interp, "fill_mode": mode}, interp == "bilinear")
    add("affine_transform_fill_value", "affine_transform",
        {"images": img, "transform": transforms}, {"fill_value": 0.5})
    add("affine_transform_channels_first", "affine_transform",
        {"images": cf, "transform": transforms},
        {"fill_mode": "reflect", "data_format": "channels_first"})
    add("affine_transform_unbatched", "affine_transform",
        {"images": img[0], "transform": transforms[0]}, {"fill_mode": "wrap"})
    add("affine_transform_uint8", "affine_transform",
        {"images": u8, "transform": transforms}, {})

    for mode in ("constant", "nearest", "wrap", "mirror", "reflect"):
        for order in (0, 1):
            add(f"map_coordinates_order{order}_{mode}", "map_coordinates",
                {"inputs": plane, "coordinates": coords},
                {"order": order, "fill_mode": mode}, order == 1)
    add("map_coordinates_fill_value", "map_coordinates",
        {"inputs": plane, "coordinates": coords}, {"order": 1, "fill_value": -2.0})
    add("map_coordinates_3d", "map_coordinates", {"inputs": cube, "coordinates": coords3},
        {"order": 1, "fill_mode": "mirror"})

    # Keras's eager gaussian_blur reads data_format=None as channels_first on JAX (and
    # as channels_last on NumPy): the cases name it
    last = {"data_format": "channels_last"}
    add("gaussian_blur", "gaussian_blur", {"images": img}, last, True)
    add("gaussian_blur_uneven", "gaussian_blur", {"images": img},
        {"kernel_size": (5, 3), "sigma": (2.0, 0.7), **last})
    add("gaussian_blur_channels_first", "gaussian_blur", {"images": cf},
        {"kernel_size": (3, 5), "sigma": (0.8, 1.5), "data_format": "channels_first"})
    add("gaussian_blur_unbatched", "gaussian_blur", {"images": img[0]},
        {"kernel_size": (4, 4), "sigma": (1.2, 1.2), **last})
    add("sobel_edges", "sobel_edges", {"images": img})
    add("sobel_edges_channels_first", "sobel_edges", {"images": cf},
        {"data_format": "channels_first"})
    add("ssim", "ssim", {"image1": big, "image2": noisy}, {}, True)
    add("ssim_small_filter", "ssim", {"image1": big, "image2": noisy},
        {"filter_size": 3, "filter_sigma": 0.8, "max_val": 2.0})
    add("ssim_unbatched_channels_first", "ssim",
        {"image1": np.ascontiguousarray(big[0].transpose(2, 0, 1)),
         "image2": np.ascontiguousarray(noisy[0].transpose(2, 0, 1))},
        {"filter_size": 5, "data_format": "channels_first"})

    add("perspective_transform", "perspective_transform",
        {"images": img, "start_points": starts, "end_points": ends}, {}, True)
    add("perspective_transform_nearest", "perspective_transform",
        {"images": img, "start_points": starts, "end_points": ends},
        {"interpolation": "nearest", "fill_value": 0.5})
    add("perspective_transform_channels_first", "perspective_transform",
        {"images": cf, "start_points": starts, "end_points": ends},
        {"data_format": "channels_first"})
    add("perspective_transform_unbatched", "perspective_transform",
        {"images": img[0], "start_points": start, "end_points": ends[0]})

    for method in ("linear", "cubic", "lanczos3", "lanczos5"):
        for antialias in (True, False):
            add(f"scale_and_translate_{method}_{'aa' if antialias else 'plain'}",
                "scale_and_translate", {"images": img},
                {"output_shape": (2, 7, 4, 3), "scale": [1.3, 0.6],
                 "translation": [0.4, -0.7], "spatial_dims": (1, 2), "method": method,
                 "antialias": antialias}, method == "linear")
    return cases


def make_image():
    import jax
    import jax.numpy as jnp

    g = Golden(
        "image",
        seed=23,
        description=(
            "kind 'op': y = keras.ops.image.<class>(*arrays named in 'args', **config); "
            "with 'proj': dx<i> = JAX gradient of sum(y * proj) with respect to the i-th "
            "of 'args' (float inputs only).  kind 'layer': y = layer.transform_images(x, "
            "transformation, training=True) for the transformation stored in the arrays "
            "named in 'transformation' (see README.md)."
        ),
    )
    rng = np.random.default_rng(23)
    for name, fn, arrays, kwargs, grad in _op_cases(rng):
        op = getattr(keras.ops.image, fn)
        args = list(arrays)
        y = to_np(op(*arrays.values(), **kwargs))
        out = dict(arrays)
        out["y"] = y
        if grad:
            proj = f32(rng.normal(0, 1, y.shape))
            first = jnp.asarray(list(arrays.values())[0])
            rest = [jnp.asarray(v) for v in list(arrays.values())[1:]]

            def total(x):
                return jnp.sum(op(x, *rest, **kwargs) * proj)

            out["proj"] = proj
            out["dx0"] = np.asarray(jax.grad(total)(first))
        g.add(name, fn, "keras.ops.image", kwargs, out, kind="op", args=args,
              y_dtype=str(y.dtype))
    _layer_cases(g, rng)
    g.write()


def _layer_cases(g, rng):
    """Augmentation layers: `call` cases run `layer(x)` where Keras draws nothing random
    (fixed factors, or a crop that is not random); `transform` cases give Keras's
    `transform_images` the transformation stored in the case's arrays."""
    img = f32(rng.uniform(0, 255, (2, 5, 7, 3)))
    unit = f32(rng.uniform(-1, 1, (2, 5, 7, 3)))
    cf = np.ascontiguousarray(img.transpose(0, 3, 1, 2))
    img[0, 1, 2] = [10.0, 200.0, 128.0]  # the solarization thresholds fall between

    def add_call(name, cls, config, x):
        keras.backend.clear_session()
        layer = getattr(keras.layers, cls)(**config)
        y = to_np(layer(x))
        g.add(name, cls, "keras.layers", config, {"x": x, "y": y}, kind="layer",
              method="call", transformation=[], y_dtype=str(y.dtype),
              keras_config=layer.get_config())

    def add_transform(name, cls, config, x, stored, transformation):
        keras.backend.clear_session()
        layer = getattr(keras.layers, cls)(**config)
        y = to_np(layer.transform_images(x, transformation, training=True))
        g.add(name, cls, "keras.layers", config, {"x": x, **stored, "y": y}, kind="layer",
              method="transform", transformation=list(stored), y_dtype=str(y.dtype),
              keras_config=layer.get_config())

    add_call("RandomRotation_quarter_turn", "RandomRotation", {"factor": (0.25, 0.25)}, img)
    add_call("RandomRotation_constant", "RandomRotation",
             {"factor": (-0.1, -0.1), "fill_mode": "constant", "fill_value": 3.0}, img)
    add_call("RandomRotation_nearest_wrap", "RandomRotation",
             {"factor": (0.05, 0.05), "fill_mode": "wrap", "interpolation": "nearest"}, img)
    add_call("RandomRotation_channels_first", "RandomRotation",
             {"factor": (0.15, 0.15), "data_format": "channels_first"}, cf)
    add_call("RandomRotation_unbatched", "RandomRotation",
             {"factor": (0.3, 0.3), "fill_mode": "nearest"}, img[0])
    angles = f32([30.0, -75.0])
    for mode in ("reflect", "constant"):
        keras.backend.clear_session()
        layer = keras.layers.RandomRotation(0.5, fill_mode=mode)
        zeros = keras.ops.zeros((2,))
        matrix = layer._compute_affine_matrix(0.5, 0.5, keras.ops.convert_to_tensor(angles),
                                              zeros, zeros, keras.ops.ones((2,)), zeros,
                                              zeros, 5, 7)
        add_transform(f"RandomRotation_angles_{mode}", "RandomRotation",
                      {"factor": 0.5, "fill_mode": mode}, img, {"angles": angles},
                      {"rotation_matrix": matrix})

    add_call("RandomZoom_out", "RandomZoom", {"height_factor": (0.5, 0.5)}, img)
    add_call("RandomZoom_in_and_out", "RandomZoom",
             {"height_factor": (-0.4, -0.4), "width_factor": (0.3, 0.3),
              "fill_mode": "constant", "fill_value": 1.0}, img)
    add_call("RandomZoom_nearest_channels_first", "RandomZoom",
             {"height_factor": (0.25, 0.25), "interpolation": "nearest",
              "fill_mode": "nearest", "data_format": "channels_first"}, cf)
    zooms = {"height_zoom": f32([[1.3], [0.7]]), "width_zoom": f32([[0.8], [1.5]])}
    add_transform("RandomZoom_given", "RandomZoom",
                  {"height_factor": 0.5, "width_factor": 0.5, "fill_mode": "wrap"}, img,
                  zooms, dict(zooms))

    add_call("RandomCrop_full_height", "RandomCrop", {"height": 5, "width": 4}, img)
    add_call("RandomCrop_smaller_image", "RandomCrop", {"height": 6, "width": 4}, img)
    add_call("RandomCrop_channels_first_unbatched", "RandomCrop",
             {"height": 8, "width": 3, "data_format": "channels_first"}, cf[0])
    add_transform("RandomCrop_window", "RandomCrop", {"height": 3, "width": 4}, img,
                  {"top_left": np.array([2, 1], np.int32)}, (2, 1))

    factors = f32([0.4, 1.7]).reshape(2, 1, 1, 1)
    add_transform("RandomContrast", "RandomContrast", {"factor": 0.5}, img,
                  {"factors": factors.ravel()}, {"contrast_factor": factors})
    add_transform("RandomContrast_unit_range_channels_first", "RandomContrast",
                  {"factor": (0.2, 0.9), "value_range": (-1, 1),
                   "data_format": "channels_first"},
                  np.ascontiguousarray(unit.transpose(0, 3, 1, 2)),
                  {"factors": factors.ravel()}, {"contrast_factor": factors})
    add_call("RandomContrast_fixed", "RandomContrast", {"factor": (-0.5, 0.5)}, img)

    deltas = f32([60.0, -90.0]).reshape(2, 1, 1, 1)
    add_transform("RandomBrightness", "RandomBrightness", {"factor": 0.5}, img,
                  {"deltas": deltas.ravel()}, {"rgb_delta": deltas})
    add_transform("RandomBrightness_unit_range", "RandomBrightness",
                  {"factor": (-0.2, 0.4), "value_range": (1, -1)}, unit,
                  {"deltas": f32([0.3, -0.5])},
                  {"rgb_delta": f32([0.3, -0.5]).reshape(2, 1, 1, 1)})
    add_call("RandomBrightness_fixed", "RandomBrightness", {"factor": (0.25, 0.25)}, img)

    apply = np.array([True, False])
    add_transform("RandomGrayscale", "RandomGrayscale", {"factor": 0.5}, img,
                  {"apply": apply}, apply.reshape(2, 1, 1, 1))
    add_transform("RandomGrayscale_channels_first", "RandomGrayscale",
                  {"factor": 0.5, "data_format": "channels_first"}, cf,
                  {"apply": apply[::-1].copy()}, apply[::-1].reshape(2, 1, 1, 1))
    add_call("RandomGrayscale_always", "RandomGrayscale", {"factor": 1.0}, img)

    add_transform("RandomInvert", "RandomInvert", {}, img, {"apply": apply},
                  {"apply_inversion": apply})
    add_transform("RandomInvert_unit_range", "RandomInvert", {"value_range": (-1, 1)}, unit,
                  {"apply": apply[::-1].copy()}, {"apply_inversion": apply[::-1].copy()})

    additions = f32([0.0, 40.0]).reshape(2, 1, 1, 1)
    thresholds = f32([128.0, 200.0]).reshape(2, 1, 1, 1)
    add_transform("Solarization", "Solarization",
                  {"addition_factor": 0.5, "threshold_factor": 0.8}, img,
                  {"additions": additions.ravel(), "thresholds": thresholds.ravel()},
                  {"additions": additions, "thresholds": thresholds})
    add_transform("Solarization_unit_range", "Solarization",
                  {"addition_factor": (0.1, 0.2), "value_range": (-1, 1)}, unit,
                  {"additions": additions.ravel(), "thresholds": thresholds.ravel()},
                  {"additions": additions, "thresholds": thresholds})
    add_call("Solarization_defaults", "Solarization", {}, img)

    add_call("AutoContrast", "AutoContrast", {}, img)
    flat = img.copy()
    flat[1, :, :, 2] = 7.0  # a constant channel is left alone
    add_call("AutoContrast_constant_channel_unit_range", "AutoContrast",
             {"value_range": (0, 1)}, flat / 255.0)
    add_call("AutoContrast_unbatched", "AutoContrast", {}, img[1])


if __name__ == "__main__":
    make_image()
