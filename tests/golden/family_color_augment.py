"""Golden values of the `color_augment` family: the colour augmentation layers
(RandomColorDegeneration, RandomSaturation, RandomHue, RandomSharpness,
RandomPosterization, Equalization, RandomGaussianBlur, RandomColorJitter,
ContrastLimitedAdaptiveHistogramEqualization) and Pipeline,
for fixed factors or a given transformation.

Run from this folder (see README.md)::

    KERAS_BACKEND=jax JAX_PLATFORMS=cpu /work/kvenv/bin/python family_color_augment.py
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from make_golden import Golden, f32, keras, np, obj_ref, to_np  # noqa: E402


def make_color_augment():
    g = Golden(
        "color_augment",
        seed=29,
        description=(
            "kind 'layer'. method 'call': y = layer(x) (training) where the layer draws "
            "nothing random (equal ends of every factor range), or a Pipeline of such "
            "layers (its 'layers' config holds obj_ref entries).  method 'transform': "
            "y = layer.transform_images(x, transformation, training=True) for the "
            "transformation built from the arrays named in 'transformation'.  Every case "
            "records keras_config = layer.get_config().  kind 'model': a functional model "
            "with a Pipeline (RandomHue, Flatten, Dense) saved by Keras after one epoch "
            "of fit, in 'file', with its predictions y for x."
        ),
    )
    rng = np.random.default_rng(29)
    img = f32(rng.uniform(0, 255, (2, 5, 7, 3)))
    img[0, 0, :3] = [[40.0, 40.0, 40.0], [0.0, 0.0, 0.0], [255.0, 10.0, 10.0]]  # grey, black
    unit = img / 255.0
    cf = np.ascontiguousarray(img.transpose(0, 3, 1, 2))
    levels = f32(rng.integers(0, 256, (2, 6, 5, 3)))  # integer values: bin boundaries
    few = f32(rng.choice([10.0, 60.0, 61.0, 200.0], (2, 4, 4, 3)))
    few[:, :, :, 2] = 33.0  # one occupied bin: left alone

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

    add_call("RandomColorDegeneration", "RandomColorDegeneration", {"factor": (0.3, 0.3)}, img)
    add_call("RandomColorDegeneration_negative_channels_first", "RandomColorDegeneration",
             {"factor": (-0.4, -0.4), "data_format": "channels_first"}, cf)
    add_call("RandomColorDegeneration_unit_unbatched", "RandomColorDegeneration",
             {"factor": (0.8, 0.8), "value_range": (0, 1)}, unit[1])

    add_call("RandomSaturation_lower", "RandomSaturation", {"factor": (0.3, 0.3)}, img)
    add_call("RandomSaturation_raise_unit", "RandomSaturation",
             {"factor": (0.7, 0.7), "value_range": (0, 1)}, unit)
    add_call("RandomSaturation_raise_past_one", "RandomSaturation", {"factor": (0.8, 0.8)}, img)
    add_call("RandomSaturation_gray_channels_first", "RandomSaturation",
             {"factor": (0.0, 0.0), "data_format": "channels_first"}, cf)
    add_call("RandomSaturation_unbatched", "RandomSaturation",
             {"factor": (0.6, 0.6)}, img[0])

    shifts = f32([0.2, -0.35])
    add_transform("RandomHue", "RandomHue", {"factor": 0.8}, img, {"shifts": shifts},
                  {"factor": shifts})
    add_transform("RandomHue_unit_range_channels_first", "RandomHue",
                  {"factor": 0.8, "value_range": (0, 1), "data_format": "channels_first"},
                  np.ascontiguousarray(unit.transpose(0, 3, 1, 2)),
                  {"shifts": f32([-0.45, 0.1])}, {"factor": f32([-0.45, 0.1])})
    add_call("RandomHue_zero_shift", "RandomHue", {"factor": 0.0}, img)

    add_call("RandomSharpness_blur", "RandomSharpness", {"factor": (0.2, 0.2)}, img)
    add_call("RandomSharpness_sharpen_channels_first", "RandomSharpness",
             {"factor": (0.9, 0.9), "data_format": "channels_first"}, cf)
    add_call("RandomSharpness_unit_unbatched", "RandomSharpness",
             {"factor": (0.75, 0.75), "value_range": (0, 1)}, unit[0])

    add_call("RandomPosterization_3_bits", "RandomPosterization", {"factor": (3, 3)}, img)
    add_call("RandomPosterization_unit_range", "RandomPosterization",
             {"factor": (5, 5), "value_range": (0, 1)}, unit)
    add_call("RandomPosterization_channels_first_unbatched", "RandomPosterization",
             {"factor": (1, 1), "data_format": "channels_first"}, cf[1])
    bits = np.array([2, 7], np.uint8)
    add_transform("RandomPosterization_given_bits", "RandomPosterization", {"factor": (1, 8)},
                  img, {"bits": bits}, {"shift_factor": (8 - bits).astype(np.uint8)})

    add_call("Equalization", "Equalization", {}, img)
    add_call("Equalization_integer_levels", "Equalization", {}, levels)
    add_call("Equalization_few_values", "Equalization", {}, few)
    add_call("Equalization_bins_unit_range", "Equalization",
             {"bins": 32, "value_range": (0, 1)}, unit)
    add_call("Equalization_channels_first", "Equalization",
             {"data_format": "channels_first"}, cf)
    add_call("Equalization_unbatched", "Equalization", {"bins": 64}, levels[1])

    add_call("RandomGaussianBlur_always", "RandomGaussianBlur",
             {"factor": (1.0, 1.0), "sigma": (0.7, 0.7)}, img)
    add_transform("RandomGaussianBlur_given", "RandomGaussianBlur",
                  {"kernel_size": (3, 5), "sigma": 1.0, "value_range": (0, 1)}, unit,
                  {"apply": np.array([True, False]), "sigma": f32([0.8, 0.5])},
                  {"should_apply_blur": np.array([True, False]),
                   "blur_factor": f32([0.8, 0.5])})
    add_call("RandomGaussianBlur_channels_first", "RandomGaussianBlur",
             {"factor": (1.0, 1.0), "kernel_size": 5, "sigma": (0.9, 0.9),
              "data_format": "channels_first"}, cf)

    add_call("RandomColorJitter", "RandomColorJitter",
             {"brightness_factor": (0.1, 0.1), "contrast_factor": (-0.5, 0.5),
              "saturation_factor": (0.6, 0.6), "hue_factor": 0.0}, img)
    add_call("RandomColorJitter_unit_range", "RandomColorJitter",
             {"value_range": (0, 1), "brightness_factor": (-0.2, -0.2),
              "saturation_factor": (0.3, 0.3)}, unit)

    clahe = "ContrastLimitedAdaptiveHistogramEqualization"
    photo = f32(np.clip(rng.normal(90, 40, (2, 13, 18, 3)), 0, 255))
    add_call("CLAHE", clahe, {}, photo)
    add_call("CLAHE_uneven_tiles_unclipped", clahe,
             {"tile_grid_size": (3, 4), "clip_limit": 0.0}, photo)
    add_call("CLAHE_low_limit_channels_first", clahe,
             {"tile_grid_size": (2, 5), "clip_limit": 1.5, "data_format": "channels_first"},
             np.ascontiguousarray(photo.transpose(0, 3, 1, 2)))
    add_call("CLAHE_unit_range_unbatched", clahe,
             {"value_range": (0, 1), "tile_grid_size": (4, 4)}, photo[1] / 255.0)
    add_call("CLAHE_uint8", clahe, {"tile_grid_size": (2, 3)}, photo.astype(np.uint8))
    add_call("CLAHE_small_image", clahe, {}, photo[:, :3, :5])

    keras.backend.clear_session()
    parts = [("RandomColorDegeneration", {"factor": (0.3, 0.3)}),
             ("RandomSharpness", {"factor": (0.8, 0.8)}),
             ("Equalization", {})]
    pipeline = keras.layers.Pipeline([getattr(keras.layers, c)(**k) for c, k in parts])
    y = to_np(pipeline(img))
    g.add("Pipeline", "Pipeline", "keras.layers",
          {"layers": [obj_ref("keras.layers", c, k) for c, k in parts]}, {"x": img, "y": y},
          kind="layer", method="call", transformation=[], y_dtype=str(y.dtype),
          keras_config=pipeline.get_config())

    keras.utils.set_random_seed(29)
    inputs = keras.Input((6, 6, 3))
    augment = keras.layers.Pipeline([keras.layers.RandomHue(0.2), keras.layers.Flatten(),
                                     keras.layers.Dense(4, activation="tanh")])
    model = keras.Model(inputs, keras.layers.Dense(2)(augment(inputs)))
    model.compile(optimizer="adam", loss="mse")
    x = f32(rng.uniform(0, 255, (8, 6, 6, 3)))
    model.fit(x, f32(rng.normal(0, 1, (8, 2))), epochs=1, batch_size=4, verbose=0)
    model.save(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                            "color_augment_pipeline_model.keras"))
    g.add("Pipeline_model", "Pipeline", "keras.layers", {}, {
        "x": x, "y": to_np(model.predict(x, verbose=0))}, kind="model",
        file="color_augment_pipeline_model.keras")
    g.write()


if __name__ == "__main__":
    make_color_augment()
