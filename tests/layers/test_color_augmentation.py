"""Colour augmentation layers (RandomColorDegeneration, RandomSaturation, RandomHue,
RandomSharpness, RandomPosterization, Equalization, RandomGaussianBlur,
RandomColorJitter, ContrastLimitedAdaptiveHistogramEqualization) and Pipeline: Keras goldens for fixed factors and given
transformations, the ranges and repeatability of their draws, inference behaviour,
layouts, errors, configs and training."""

import json
import os

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.backends import current
from tests.golden.loader import GOLDEN_DIR, case_ids, load_case, load_cases

CASES = [c for c in load_cases("color_augment") if c["kind"] == "layer"]
COLOR = ["RandomColorDegeneration", "RandomSaturation", "RandomHue", "RandomSharpness",
         "RandomPosterization", "RandomGaussianBlur", "RandomColorJitter"]
ALL = COLOR + ["Equalization"]
CLAHE = "ContrastLimitedAdaptiveHistogramEqualization"
rng = np.random.default_rng(5)
IMAGES = rng.uniform(0, 255, (4, 6, 7, 3)).astype("float32")


def numpy(x):
    return ops.convert_to_numpy(x)


def _from_ref(ref):
    return getattr(layers, ref["__class__"])(**ref["config"])


def _golden_output(case):
    a = case["arrays"]
    if case["class"] == "Pipeline":
        layer = layers.Pipeline([_from_ref(r) for r in case["config"]["layers"]])
    else:
        layer = getattr(layers, case["class"])(**case["config"])
    if case["method"] == "call":
        return layer, layer(a["x"])
    if case["class"] == "RandomHue":
        return layer, layer.shift_hue(a["x"], a["shifts"])
    if case["class"] == "RandomPosterization":
        return layer, layer.posterize(a["x"], a["bits"])
    return layer, layer.blur(a["x"], a["apply"], a["sigma"])


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_matches_keras_golden(case):
    layer, y = _golden_output(case)
    y = numpy(y)
    assert y.dtype == np.dtype(case["y_dtype"])
    expected = case["arrays"]["y"]
    assert y.shape == expected.shape
    if y.dtype.kind in "iu":  # truncated floats: a value a hair from an integer may go either way
        off = np.abs(y.astype(np.int64) - expected.astype(np.int64))
        assert off.max() <= 1 and (off == 0).mean() > 0.95
    else:
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=3e-4)
    assert set(layer.get_config()) == set(case["keras_config"])


def test_every_class_has_a_golden_case():
    assert set(ALL + ["Pipeline", CLAHE]) <= {c["class"] for c in CASES}


# -- draws ------------------------------------------------------------------------------------
def _captured(layer, method):
    """`layer` whose transformation method records its arguments before applying them."""
    calls = []
    original = getattr(layer, method)

    def record(images, *args):
        calls.append([np.asarray(current().to_numpy(current().asarray(v))) for v in args])
        return original(images, *args)

    setattr(layer, method, record)
    return layer, calls


def _saturation_scale(f):
    return f / (1.0 - f + 1e-7)


DRAWS = [
    (lambda: layers.RandomColorDegeneration((0.2, 0.7), seed=1), "degenerate", [(0.2, 0.7)]),
    (lambda: layers.RandomColorDegeneration(0.4, seed=1), "degenerate", [(-0.4, 0.4)]),
    (lambda: layers.RandomSaturation((0.1, 0.8), seed=2), "saturate",
     [(_saturation_scale(0.1), _saturation_scale(0.8))]),
    (lambda: layers.RandomSharpness((0.3, 0.9), seed=3), "sharpen", [(0.3, 0.9)]),
    (lambda: layers.RandomSharpness(0.6, seed=3), "sharpen", [(0.0, 0.6)]),
]


@pytest.mark.parametrize("make, method, bounds", DRAWS, ids=[f"{d[1]}{i}" for i, d in
                                                               enumerate(DRAWS)])
def test_draws_cover_their_range_and_repeat_with_a_seed(make, method, bounds):
    images = np.repeat(IMAGES, 50, axis=0)
    layer, calls = _captured(make(), method)
    first = numpy(layer(images))
    for drawn, (low, high) in zip(calls[0], bounds):
        assert drawn.shape == (200,)
        assert drawn.min() >= low and drawn.max() <= high
        # 200 uniform draws of the factor reach close to both ends
        assert drawn.min() < low + 0.05 * (high - low)
        assert np.quantile(drawn, 0.97) > low + 0.8 * (high - low)
    second = numpy(layer(images))
    assert not np.allclose(first, second)  # a new draw at every call
    again, _ = _captured(make(), method)
    np.testing.assert_array_equal(numpy(again(images)), first)  # the same seed repeats


def test_hue_shifts_are_half_the_factor_with_a_random_sign():
    layer, calls = _captured(layers.RandomHue((0.2, 0.6), seed=4), "shift_hue")
    layer(np.repeat(IMAGES, 250, axis=0))
    shifts = calls[0][0]
    assert shifts.shape == (1000,)
    assert np.abs(shifts).min() >= 0.1 and np.abs(shifts).max() <= 0.3
    assert abs((shifts < 0).mean() - 0.5) < 0.05


def test_posterization_draws_whole_bits_below_the_upper_end():
    layer, calls = _captured(layers.RandomPosterization((2, 6), seed=5), "posterize")
    out = numpy(layer(np.repeat(IMAGES, 50, axis=0)))
    bits = calls[0][0]
    assert set(bits.tolist()) == {2, 3, 4, 5}  # Keras never draws the upper end
    steps = 2.0 ** (8 - bits)
    assert np.all(out % steps[:, None, None, None] == 0)


def test_gaussian_blur_applies_with_its_probability_and_one_sigma_pair_per_batch():
    layer, calls = _captured(layers.RandomGaussianBlur((0.2, 0.6), sigma=(0.3, 0.8), seed=6),
                             "blur")
    for _ in range(5):
        layer(np.repeat(IMAGES, 100, axis=0))
    applied = np.concatenate([c[0] for c in calls])
    assert applied.dtype == bool and abs(applied.mean() - 0.4) < 0.04
    sigmas = np.stack([c[1] for c in calls])
    assert sigmas.shape == (5, 2) and sigmas.min() >= 0.3 and sigmas.max() <= 0.8 + 1e-6


def test_color_jitter_steps_draw_from_one_seeded_stream():
    def make():
        return layers.RandomColorJitter(brightness_factor=0.3, contrast_factor=0.3,
                                        saturation_factor=(0.2, 0.8), hue_factor=0.5, seed=7)

    jitter = make()
    brightness, contrast = jitter.random_brightness, jitter.random_contrast
    _, deltas = _captured(brightness, "brighten")
    _, factors = _captured(contrast, "adjust")
    images = np.repeat(IMAGES, 25, axis=0)
    first = numpy(jitter(images))
    # the same seed for every step would draw the same uniforms for both
    unit_deltas = (deltas[0][0] / 255.0 + 0.3) / 0.6
    unit_factors = factors[0][0] - 1.0
    assert np.corrcoef(unit_deltas, unit_factors)[0, 1] < 0.5
    assert not np.allclose(numpy(jitter(images)), first)
    np.testing.assert_array_equal(numpy(make()(images)), first)


def test_color_jitter_applies_its_steps_in_keras_order():
    jitter = layers.RandomColorJitter(value_range=(0, 255), brightness_factor=(0.1, 0.1),
                                      contrast_factor=(-0.5, 0.5),
                                      saturation_factor=(0.3, 0.3), seed=1)
    expected = layers.RandomBrightness((0.1, 0.1))(IMAGES)
    expected = layers.RandomContrast((-0.5, 0.5))(expected)
    expected = layers.RandomSaturation((0.3, 0.3))(expected)
    np.testing.assert_allclose(numpy(jitter(IMAGES)), numpy(expected), rtol=1e-5, atol=1e-3)
    # Keras's attribute names (and weight-file groups); no hue step without its factor
    assert [type(jitter.random_brightness).__name__, type(jitter.random_contrast).__name__,
            type(jitter.random_saturation).__name__] == ["RandomBrightness", "RandomContrast",
                                                        "RandomSaturation"]
    assert not hasattr(jitter, "random_hue")


# -- what the fixed transformations do ---------------------------------------------------------
def test_neutral_factors_leave_images_alone():
    for layer in (layers.RandomColorDegeneration((0.0, 0.0)),
                  layers.RandomSaturation((0.5, 0.5)), layers.RandomHue(0.0),
                  layers.RandomSharpness((0.5, 0.5)), layers.RandomPosterization((8, 8))):
        np.testing.assert_allclose(numpy(layer(IMAGES)), np.floor(IMAGES)
                                   if isinstance(layer, layers.RandomPosterization) else IMAGES,
                                   rtol=1e-4, atol=2e-3, err_msg=type(layer).__name__)


def test_full_degeneration_and_zero_saturation_give_grey_images():
    gray = numpy(ops.image.rgb_to_grayscale(IMAGES))
    degenerate = numpy(layers.RandomColorDegeneration((1.0, 1.0))(IMAGES))
    np.testing.assert_allclose(degenerate, np.repeat(gray, 3, axis=-1), rtol=1e-5, atol=1e-3)
    desaturated = numpy(layers.RandomSaturation((0.0, 0.0))(IMAGES))
    np.testing.assert_allclose(desaturated, np.repeat(IMAGES.max(-1, keepdims=True), 3, -1),
                               rtol=1e-5, atol=1e-3)  # value kept, saturation 0


def test_hue_shifts_undo_each_other():
    hue = layers.RandomHue(1.0)
    x = np.clip(IMAGES, 1.0, 254.0)
    there = hue.shift_hue(x, [0.3, -0.2, 0.45, -0.5])
    back = numpy(hue.shift_hue(there, [-0.3, 0.2, -0.45, 0.5]))
    np.testing.assert_allclose(back, x, rtol=1e-4, atol=0.05)


def test_sharpness_extremes_blur_and_sharpen():
    smooth = layers.RandomSharpness((0.0, 0.0), value_range=(-1e9, 1e9))
    sharp = layers.RandomSharpness((1.0, 1.0), value_range=(-1e9, 1e9))
    x = IMAGES[:1, :, :, :1]
    blurred, sharpened = numpy(smooth(x)), numpy(sharp(x))
    inner = (slice(None), slice(1, -1), slice(1, -1))
    assert blurred[inner].std() < x[inner].std() < sharpened[inner].std()
    # the 3x3 kernel 1/13 around 5/13, zero padded
    kernel = np.full((3, 3), 1 / 13)
    kernel[1, 1] = 5 / 13
    padded = np.pad(x[0, :, :, 0], 1)
    smoothed = np.array([[np.sum(padded[i:i + 3, j:j + 3] * kernel) for j in range(7)]
                         for i in range(6)])
    np.testing.assert_allclose(blurred[0, :, :, 0], smoothed, rtol=1e-5, atol=1e-3)
    np.testing.assert_allclose(sharpened[0, :, :, 0], 2 * x[0, :, :, 0] - smoothed,
                               rtol=1e-5, atol=1e-3)


def test_equalization_counts_the_whole_batch_and_spreads_values():
    layer = layers.Equalization()
    dark = IMAGES * 0.3
    batch = numpy(layer(np.concatenate([dark, IMAGES])))
    alone = numpy(layer(dark))
    assert not np.allclose(batch[:4], alone)  # as Keras: one histogram per channel of the batch
    assert alone.min() == 0.0 and alone.max() == 255.0
    # a monotone lookup: the order of values within a channel is kept
    for c in range(3):
        order = np.argsort(dark[..., c], axis=None, kind="stable")
        assert np.all(np.diff(alone[..., c].ravel()[order]) >= 0)
    np.testing.assert_array_equal(numpy(layer(IMAGES[:1] * 0 + 7.0)), IMAGES[:1] * 0 + 7.0)


def _clahe_one_tile(channel):
    """CLAHE with one tile and no clip limit: plain equalization with Keras's table."""
    levels = np.clip(channel.astype(np.int64), 0, 255)
    cdf = np.cumsum(np.bincount(levels.ravel(), minlength=256)).astype(np.float64)
    table = np.clip((cdf - cdf[0]) * 255.0 / max(levels.size - cdf[0], 1.0), 0, 255)
    return table[levels]


def test_clahe_with_one_tile_is_plain_equalization_and_applies_in_inference():
    layer = getattr(layers, CLAHE)(tile_grid_size=(1, 1), clip_limit=0.0)
    out = numpy(layer(IMAGES, training=False))
    for b in range(4):
        for c in range(3):
            np.testing.assert_allclose(out[b, :, :, c], _clahe_one_tile(IMAGES[b, :, :, c]),
                                       rtol=1e-5, atol=1e-3)
    np.testing.assert_array_equal(numpy(layer(IMAGES, training=True)), out)


def test_clahe_clip_limit_tempers_the_contrast():
    x = np.concatenate([IMAGES[:, :, :, :1] * 0.1 + 100.0] * 3, axis=-1)  # a narrow range
    strong = numpy(getattr(layers, CLAHE)(tile_grid_size=(2, 2), clip_limit=0.0)(x))
    mild = numpy(getattr(layers, CLAHE)(tile_grid_size=(2, 2), clip_limit=1.0)(x))
    assert x.std() < mild.std() < strong.std()


def test_clahe_keeps_integer_dtypes_layouts_and_configs():
    layer = getattr(layers, CLAHE)(tile_grid_size=(2, 3), data_format="channels_first")
    first = np.ascontiguousarray(IMAGES.transpose(0, 3, 1, 2))
    last = numpy(getattr(layers, CLAHE)(tile_grid_size=(2, 3))(IMAGES))
    np.testing.assert_allclose(numpy(layer(first)), last.transpose(0, 3, 1, 2), rtol=1e-6)
    np.testing.assert_allclose(numpy(layer(first[1])), last[1].transpose(2, 0, 1), rtol=1e-6)
    out = numpy(layer(first.astype("uint8")))
    assert out.dtype == np.uint8 and out.shape == first.shape
    config = json.loads(json.dumps(layer.get_config()))
    assert set(config) >= {"value_range", "clip_limit", "tile_grid_size", "data_format"}
    np.testing.assert_array_equal(numpy(type(layer).from_config(config)(first)),
                                  numpy(layer(first)))
    assert layer.compute_output_shape((None, 3, 6, 7)) == (None, 3, 6, 7)


# -- inference, layouts, dtypes -----------------------------------------------------------------
def _layer(cls, **kwargs):
    arguments = {"RandomColorDegeneration": {"factor": (0.2, 0.9)},
                 "RandomSaturation": {"factor": (0.1, 0.9)}, "RandomHue": {"factor": 0.8},
                 "RandomSharpness": {"factor": (0.0, 1.0)},
                 "RandomPosterization": {"factor": (1, 4)},
                 "RandomGaussianBlur": {"factor": (0.9, 1.0), "sigma": (0.5, 1.0)},
                 "RandomColorJitter": {"brightness_factor": 0.2, "contrast_factor": 0.3,
                                       "saturation_factor": (0.3, 0.7), "hue_factor": 0.3},
                 "Equalization": {}}[cls]
    if cls == "Equalization":
        kwargs.pop("seed", None)
    return getattr(layers, cls)(**arguments, **kwargs)


@pytest.mark.parametrize("cls", ALL)
def test_identities_in_inference_changes_in_training(cls):
    layer = _layer(cls, seed=0)
    np.testing.assert_array_equal(numpy(layer(IMAGES, training=False)), IMAGES)
    assert not np.allclose(numpy(layer(IMAGES, training=True)), IMAGES)


@pytest.mark.parametrize("cls", ALL)
def test_channels_first_matches_channels_last(cls):
    first = np.ascontiguousarray(IMAGES.transpose(0, 3, 1, 2))
    expected = numpy(_layer(cls, seed=3)(IMAGES)).transpose(0, 3, 1, 2)
    out = numpy(_layer(cls, seed=3, data_format="channels_first")(first))
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("cls", ALL)
def test_unbatched_images_take_one_draw(cls):
    out = numpy(_layer(cls, seed=4)(IMAGES[0]))
    assert out.shape == IMAGES[0].shape
    np.testing.assert_allclose(out, numpy(_layer(cls, seed=4)(IMAGES[:1]))[0], rtol=1e-5,
                               atol=1e-3)


@pytest.mark.parametrize("cls", ALL)
def test_integer_images_give_floats_and_shapes_are_kept(cls):
    layer = _layer(cls, seed=1)
    assert numpy(layer(IMAGES.astype("uint8"))).dtype == np.float32
    assert layer.compute_output_shape((None, 6, 7, 3)) == (None, 6, 7, 3)


def test_float64_layers_compute_in_float64():
    for cls in ALL:
        out = _layer(cls, seed=2, dtype="float64")(IMAGES)
        assert numpy(out).dtype == np.float64, cls


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, match", [
    (lambda: layers.RandomColorDegeneration(1.5), "factor"),
    (lambda: layers.RandomColorDegeneration(0.2, value_range=(0, 1, 2)), "value_range"),
    (lambda: layers.RandomSaturation("a"), "factor"),
    (lambda: layers.RandomSaturation((0.1, 0.2, 0.3)), "factor"),
    (lambda: layers.RandomHue(-0.2), "factor"),
    (lambda: layers.RandomHue(0.2, value_range=255), "value_range"),
    (lambda: layers.RandomSharpness(1.2), "factor"),
    (lambda: layers.RandomPosterization(0), "factor"),
    (lambda: layers.RandomPosterization((2, 9)), "factor"),
    (lambda: layers.Equalization(bins=1), "bins"),
    (lambda: layers.Equalization(value_range="0-255"), "value_range"),
    (lambda: layers.RandomGaussianBlur(kernel_size=4), "kernel_size"),
    (lambda: layers.RandomGaussianBlur(kernel_size=(3, 5, 7)), "kernel_size"),
    (lambda: layers.RandomGaussianBlur(sigma=2.0), "sigma"),
    (lambda: layers.RandomGaussianBlur(factor=(2.0, 3.0)), "factor"),
    (lambda: layers.RandomColorJitter(brightness_factor=2.0), "brightness_factor"),
    (lambda: layers.RandomColorJitter(hue_factor=(0.1, 0.2, 0.3)), "hue_factor"),
    (lambda: layers.RandomColorJitter(value_range=(1,)), "value_range"),
    (lambda: layers.RandomHue(0.1, data_format="NHWC"), "data_format"),
    (lambda: layers.Pipeline(layers.Identity()), "list"),
    (lambda: getattr(layers, CLAHE)(tile_grid_size=(0, 2)), "tile_grid_size"),
    (lambda: getattr(layers, CLAHE)(tile_grid_size=8), "tile_grid_size"),
    (lambda: getattr(layers, CLAHE)(clip_limit="4"), "clip_limit"),
    (lambda: getattr(layers, CLAHE)(value_range=(0,)), "value_range"),
    (lambda: layers.Pipeline([layers.Identity(), "dense"]), "list"),
])
def test_bad_arguments_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("cls", ALL + [CLAHE])
def test_wrong_rank_is_refused(cls):
    with pytest.raises(ValueError, match="rank 3"):
        (_layer(cls) if cls != CLAHE else getattr(layers, CLAHE)())(IMAGES[0, 0])


@pytest.mark.parametrize("cls", ["RandomColorDegeneration", "RandomSaturation", "RandomHue"])
def test_colour_layers_need_three_channels(cls):
    with pytest.raises(ValueError, match="3 channels"):
        _layer(cls)(IMAGES[..., :2])
    with pytest.raises(ValueError, match="channels_first"):
        _layer(cls, data_format="channels_first")(IMAGES)


# -- configs, pipelines and training -------------------------------------------------------------
@pytest.mark.parametrize("cls", ALL)
def test_config_round_trip(cls):
    layer = _layer(cls, data_format="channels_first", seed=5) if cls != "Equalization" else \
        _layer(cls, data_format="channels_first")
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    assert config["data_format"] == "channels_first"
    first = np.ascontiguousarray(IMAGES.transpose(0, 3, 1, 2))
    np.testing.assert_array_equal(numpy(clone(first)), numpy(layer(first)))


def test_pipeline_applies_layers_in_order_and_round_trips():
    parts = [layers.RandomColorDegeneration((0.5, 0.5)), layers.Rescaling(1 / 255.0),
             layers.RandomPosterization((3, 3), value_range=(0, 1))]
    pipeline = layers.Pipeline(parts, name="augment")
    assert pipeline.layers == parts
    expected = IMAGES
    for layer in parts:
        expected = layer(expected)
    np.testing.assert_allclose(numpy(pipeline(IMAGES)), numpy(expected), rtol=1e-6)
    config = json.loads(json.dumps(kerasx.saving.serialize_keras_object(pipeline)))
    assert set(config["config"]) == {"layers", "name"}
    clone = kerasx.saving.deserialize_keras_object(config)
    assert clone.name == "augment"
    assert [type(layer).__name__ for layer in clone.layers] == [
        "RandomColorDegeneration", "Rescaling", "RandomPosterization"]
    np.testing.assert_allclose(numpy(clone(IMAGES)), numpy(expected), rtol=1e-6)
    assert pipeline.compute_output_shape((None, 6, 7, 3)) == (None, 6, 7, 3)
    with pytest.raises(ValueError, match="'layers'"):
        layers.Pipeline.from_config({"name": "p"})


def test_pipeline_model_saved_by_keras_loads_and_predicts_alike(tmp_path):
    """The weights of a Pipeline's layers live under `layers/` in Keras's files."""
    case = load_case("color_augment", "Pipeline_model")
    model = kerasx.models.load_model(os.path.join(GOLDEN_DIR, case["file"]))
    pipeline = model.layers[1]
    assert type(pipeline) is layers.Pipeline
    assert [type(layer).__name__ for layer in pipeline.layers] == ["RandomHue", "Flatten",
                                                                  "Dense"]
    x, y = case["arrays"]["x"], case["arrays"]["y"]
    np.testing.assert_allclose(model.predict(x, verbose=0), y, rtol=1e-5, atol=1e-5)
    path = str(tmp_path / "again.keras")
    model.save(path)
    again = kerasx.models.load_model(path)
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    entries = kerasx.saving.h5_weights.collect_entries(model)
    assert "layers/pipeline/layers/dense" in {e.path for e in entries}


def test_pipeline_passes_training_on():
    pipeline = layers.Pipeline([layers.RandomHue(0.5, seed=1), layers.Dropout(0.5, seed=1)])
    np.testing.assert_array_equal(numpy(pipeline(IMAGES, training=False)), IMAGES)
    assert not np.allclose(numpy(pipeline(IMAGES, training=True)), IMAGES)


def test_sequential_model_trains_with_colour_augmentation_and_predicts_deterministically():
    kerasx.utils.set_random_seed(0)
    model = kerasx.Sequential([
        kerasx.Input((8, 8, 3)),
        layers.RandomColorDegeneration(0.3),
        layers.RandomSaturation((0.3, 0.7)),
        layers.RandomHue(0.2),
        layers.RandomSharpness(0.8),
        layers.RandomPosterization((4, 8)),
        layers.Equalization(),
        layers.ContrastLimitedAdaptiveHistogramEqualization(tile_grid_size=(2, 2)),
        layers.RandomGaussianBlur(0.5, sigma=(0.2, 1.0)),
        layers.RandomColorJitter(brightness_factor=0.1, contrast_factor=0.2,
                                 saturation_factor=(0.4, 0.6), hue_factor=0.1),
        layers.Pipeline([layers.Rescaling(1 / 255.0), layers.RandomSharpness(0.6,
                                                                             value_range=(0, 1))]),
        layers.Flatten(),
        layers.Dense(2),
    ])
    x = np.random.default_rng(0).uniform(0, 255, (32, 8, 8, 3)).astype("float32")
    y = np.random.default_rng(1).normal(size=(32, 2)).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)
    assert first.shape == (32, 2) and np.all(np.isfinite(first))
    assert np.isfinite(model.evaluate(x, y, verbose=0))


def test_layers_are_exported():
    for cls in ALL + ["Pipeline", CLAHE]:
        assert getattr(kerasx.layers, cls).__module__.startswith(
            "kerasx.layers.preprocessing.")
