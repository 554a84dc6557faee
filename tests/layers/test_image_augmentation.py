"""Image augmentation layers (RandomRotation, RandomZoom, RandomCrop, RandomContrast,
RandomBrightness, RandomGrayscale, RandomInvert, Solarization, AutoContrast): Keras
goldens for fixed factors and given transformations, the ranges and repeatability of
their random draws, inference behaviour, gradients, errors, configs and training."""

import json

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.backends import current
from tests.golden.loader import case_ids, load_cases
from tests.sampled_gradcheck import check_gradients

CASES = [c for c in load_cases("image") if c["kind"] == "layer"]
RANDOM = ["RandomRotation", "RandomZoom", "RandomCrop", "RandomContrast", "RandomBrightness",
          "RandomGrayscale", "RandomInvert", "Solarization"]
rng = np.random.default_rng(8)
IMAGES = rng.uniform(0, 255, (4, 6, 7, 3)).astype("float32")


def numpy(x):
    return ops.convert_to_numpy(x)


def _transform(layer, a):
    """The output of `layer` for the transformation Keras was given."""
    name = type(layer).__name__
    x = a["x"]
    if name == "RandomRotation":
        return layer.rotate(x, a["angles"])
    if name == "RandomZoom":
        return layer.zoom(x, a["height_zoom"][:, 0], a["width_zoom"][:, 0])
    if name == "RandomCrop":
        return layer.crop(x, *a["top_left"])
    if name == "RandomContrast":
        return layer.adjust(x, a["factors"])
    if name == "RandomBrightness":
        return layer.brighten(x, a["deltas"])
    if name == "RandomGrayscale":
        return layer.grayscale(x, a["apply"])
    if name == "RandomInvert":
        return layer.invert(x, a["apply"])
    return layer.solarize(x, a["additions"], a["thresholds"])


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_matches_keras_golden(case):
    a = case["arrays"]
    layer = getattr(layers, case["class"])(**case["config"])
    y = numpy(layer(a["x"]) if case["method"] == "call" else _transform(layer, a))
    assert y.dtype == np.dtype(case["y_dtype"])
    np.testing.assert_allclose(y, a["y"], rtol=1e-5, atol=2e-4)
    assert set(layer.get_config()) == set(case["keras_config"])


def test_every_augmentation_class_has_a_golden_case():
    assert set(RANDOM + ["AutoContrast"]) <= {c["class"] for c in CASES}


# -- draws ----------------------------------------------------------------------------------
def _captured(layer, method):
    """`layer` whose transformation method records its arguments before applying them."""
    calls = []
    original = getattr(layer, method)

    def record(images, *args):
        calls.append([np.asarray(current().to_numpy(current().asarray(v))) for v in args])
        return original(images, *args)

    setattr(layer, method, record)
    return layer, calls


DRAWS = [
    (lambda: layers.RandomRotation((-0.2, 0.1), seed=1), "rotate",
     [(-72.0, 36.0)]),
    (lambda: layers.RandomZoom(0.3, width_factor=(-0.5, -0.1), seed=2), "zoom",
     [(0.7, 1.3), (0.5, 0.9)]),
    (lambda: layers.RandomContrast((0.2, 0.6), seed=3), "adjust", [(0.8, 1.6)]),
    (lambda: layers.RandomBrightness((-0.1, 0.3), value_range=(0, 10), seed=4), "brighten",
     [(-1.0, 3.0)]),
    (lambda: layers.Solarization((0.1, 0.4), (0.2, 0.5), seed=5), "solarize",
     [(0.1, 0.4 * 255), (0.2, 0.5 * 255)]),
]


@pytest.mark.parametrize("make, method, bounds", DRAWS, ids=[d[1] for d in DRAWS])
def test_draws_cover_their_range_and_repeat_with_a_seed(make, method, bounds):
    images = np.repeat(IMAGES, 50, axis=0)
    layer, calls = _captured(make(), method)
    first = numpy(layer(images))
    for drawn, (low, high) in zip(calls[0], bounds):
        assert drawn.shape == (200,)
        assert drawn.min() >= low and drawn.max() <= high
        # 200 uniform draws reach close to both ends
        assert drawn.min() < low + 0.05 * (high - low)
        assert drawn.max() > high - 0.05 * (high - low)
    second = numpy(layer(images))
    assert not np.allclose(first, second)  # a new draw at every call
    again, _ = _captured(make(), method)
    np.testing.assert_array_equal(numpy(again(images)), first)  # the same seed repeats


@pytest.mark.parametrize("make, method, rate", [
    (lambda: layers.RandomGrayscale(0.3, seed=6), "grayscale", 0.3),
    (lambda: layers.RandomInvert((0.2, 0.6), seed=7), "invert", 0.4),
    (lambda: layers.RandomInvert(seed=8), "invert", 0.5),
])
def test_probabilities_of_grayscale_and_invert(make, method, rate):
    layer, calls = _captured(make(), method)
    layer(np.repeat(IMAGES, 500, axis=0))
    applied = calls[0][0]
    assert applied.dtype == bool and applied.shape == (2000,)
    assert abs(applied.mean() - rate) < 0.04


def test_random_crop_draws_one_window_per_batch_within_the_image():
    layer, calls = _captured(layers.RandomCrop(3, 4, seed=9), "crop")
    corners = set()
    for _ in range(200):
        out = numpy(layer(IMAGES))
        top, left = (int(v) for v in calls[-1])
        corners.add((top, left))
        np.testing.assert_array_equal(out, IMAGES[:, top:top + 3, left:left + 4])
    assert corners == {(t, w) for t in range(4) for w in range(4)}


# -- inference --------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", [c for c in RANDOM if c != "RandomCrop"])
def test_random_layers_are_identities_in_inference(cls):
    layer = _layer(cls)
    np.testing.assert_array_equal(numpy(layer(IMAGES, training=False)), IMAGES)
    assert not np.allclose(numpy(layer(IMAGES, training=True)), IMAGES)


def test_random_crop_in_inference_takes_the_central_window():
    layer = layers.RandomCrop(4, 3)
    # the central 6x4 window (the aspect ratio of 4x3) resized
    np.testing.assert_allclose(numpy(layer(IMAGES, training=False)),
                               numpy(ops.image.resize(IMAGES[:, :, 1:5], (4, 3))), rtol=1e-6)
    centered = numpy(layers.CenterCrop(8, 4)(IMAGES))
    np.testing.assert_allclose(numpy(layers.RandomCrop(8, 4)(IMAGES, training=False)),
                               centered, rtol=1e-6)


def test_auto_contrast_applies_in_inference_and_spans_the_range():
    out = numpy(layers.AutoContrast(value_range=(0, 255))(IMAGES, training=False))
    np.testing.assert_allclose(out.min(axis=(1, 2)), 0.0, atol=1e-3)
    np.testing.assert_allclose(out.max(axis=(1, 2)), 255.0, atol=1e-3)
    low, high = IMAGES.min(axis=(1, 2), keepdims=True), IMAGES.max(axis=(1, 2), keepdims=True)
    np.testing.assert_allclose(out, (IMAGES - low) / (high - low) * 255.0, rtol=1e-4, atol=1e-3)


def test_channels_first_matches_channels_last():
    first = np.ascontiguousarray(IMAGES.transpose(0, 3, 1, 2))
    for cls in RANDOM + ["AutoContrast"]:
        last_layer = _layer(cls, seed=3)
        first_layer = _layer(cls, seed=3, data_format="channels_first")
        expected = numpy(last_layer(IMAGES)).transpose(0, 3, 1, 2)
        np.testing.assert_allclose(numpy(first_layer(first)), expected, rtol=1e-5, atol=1e-3,
                                   err_msg=cls)


def test_unbatched_images_take_one_draw():
    for cls in RANDOM + ["AutoContrast"]:
        out = numpy(_layer(cls, seed=4)(IMAGES[0]))
        assert out.shape == ((3, 4, 3) if cls == "RandomCrop" else IMAGES[0].shape), cls
        expected = numpy(_layer(cls, seed=4)(IMAGES[:1]))[0]
        np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-3, err_msg=cls)


def test_integer_images_give_floats():
    images = IMAGES.astype("uint8")
    for cls in RANDOM + ["AutoContrast"]:
        assert numpy(_layer(cls, seed=1)(images)).dtype == np.float32, cls


def _layer(cls, **kwargs):
    arguments = {"RandomRotation": {"factor": 0.2}, "RandomZoom": {"height_factor": 0.3},
                 "RandomCrop": {"height": 3, "width": 4}, "RandomContrast": {"factor": 0.5},
                 "RandomBrightness": {"factor": 0.3}, "RandomGrayscale": {"factor": 0.9},
                 "RandomInvert": {"factor": 0.9}, "Solarization": {"threshold_factor": 0.6},
                 "AutoContrast": {}}[cls]
    if cls in ("RandomGrayscale", "RandomInvert"):  # some of the four images change
        kwargs.setdefault("seed", 0)
    if cls == "AutoContrast":  # not random
        kwargs.pop("seed", None)
    return getattr(layers, cls)(**arguments, **kwargs)


# -- gradients ---------------------------------------------------------------------------------
GRADIENTS = [
    ("rotate", lambda x: layers.RandomRotation(0.1, fill_mode="constant").rotate(x, [20., -50.])),
    ("zoom", lambda x: layers.RandomZoom(0.1).zoom(x, [1.2, 0.7], [0.9, 1.4])),
    ("crop", lambda x: layers.RandomCrop(2, 3).crop(x, 1, 2)),
    ("contrast", lambda x: layers.RandomContrast(0.5, value_range=(-9, 9)).adjust(x, [0.6, 1.3])),
    ("brighten", lambda x: layers.RandomBrightness(0.5, value_range=(-9, 9)).brighten(
        x, [0.5, -0.3])),
    ("grayscale", lambda x: layers.RandomGrayscale().grayscale(x, [True, False])),
    ("invert", lambda x: layers.RandomInvert(value_range=(-9, 9)).invert(x, [False, True])),
    ("solarize", lambda x: layers.Solarization(value_range=(-3, 3)).solarize(
        x, [10.0, 30.0], [128.0, 90.0])),
    ("auto_contrast", lambda x: layers.AutoContrast(value_range=(-3, 3))(x)),
]


@pytest.mark.parametrize("name, fn", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_gradients_pass_to_the_images(name, fn):
    x = np.random.default_rng(2).normal(size=(2, 4, 5, 3))
    with kerasx.testing.float64():
        check_gradients(fn, [x])


# -- errors ------------------------------------------------------------------------------------
@pytest.mark.parametrize("make, match", [
    (lambda: layers.RandomRotation(1.5), "factor"),
    (lambda: layers.RandomRotation("a"), "factor"),
    (lambda: layers.RandomRotation(0.1, fill_mode="mirror"), "fill_mode"),
    (lambda: layers.RandomRotation(0.1, interpolation="bicubic"), "interpolation"),
    (lambda: layers.RandomZoom(-1.0), "height_factor"),
    (lambda: layers.RandomZoom(0.2, width_factor=(0.1, 1.5)), "width_factor"),
    (lambda: layers.RandomZoom(0.2, fill_mode="edge"), "fill_mode"),
    (lambda: layers.RandomCrop(0, 3), "height"),
    (lambda: layers.RandomCrop(3, 2.5), "width"),
    (lambda: layers.RandomContrast(1.2), "factor"),
    (lambda: layers.RandomContrast(0.2, value_range=(0, 1, 2)), "value_range"),
    (lambda: layers.RandomBrightness((0.1, 0.2, 0.3)), "factor"),
    (lambda: layers.RandomBrightness(0.1, value_range=5), "value_range"),
    (lambda: layers.RandomGrayscale(1.5), "factor"),
    (lambda: layers.RandomInvert(-0.5), "factor"),
    (lambda: layers.Solarization(addition_factor=2.0), "addition_factor"),
    (lambda: layers.Solarization(threshold_factor=(0.1, -0.2)), "threshold_factor"),
    (lambda: layers.AutoContrast(value_range="0-255"), "value_range"),
    (lambda: layers.RandomRotation(0.1, data_format="NHWC"), "data_format"),
])
def test_bad_arguments_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("cls", RANDOM + ["AutoContrast"])
def test_wrong_rank_is_refused(cls):
    with pytest.raises(ValueError, match="rank 3"):
        _layer(cls)(IMAGES[0, 0])


# -- configs, saving and training ----------------------------------------------------------------
@pytest.mark.parametrize("cls", RANDOM + ["AutoContrast"])
def test_config_round_trip(cls):
    layer = _layer(cls, data_format="channels_first")
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    assert config["data_format"] == "channels_first"


def test_sequential_model_trains_with_augmentation_and_predicts_deterministically():
    kerasx.utils.set_random_seed(0)
    model = kerasx.Sequential([
        kerasx.Input((8, 8, 3)),
        layers.Rescaling(1 / 255.0),
        layers.RandomRotation(0.05, fill_mode="nearest"),
        layers.RandomZoom(0.1),
        layers.RandomCrop(6, 6),
        layers.RandomContrast(0.2, value_range=(0, 1)),
        layers.RandomBrightness(0.1, value_range=(0, 1)),
        layers.RandomGrayscale(0.2),
        layers.RandomInvert(0.1, value_range=(0, 1)),
        layers.Solarization(threshold_factor=0.9, value_range=(0, 1)),
        layers.AutoContrast(value_range=(0, 1)),
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
    assert first.shape == (32, 2)
    assert np.isfinite(model.evaluate(x, y, verbose=0))


def test_layers_are_exported():
    for cls in RANDOM + ["AutoContrast"]:
        assert getattr(kerasx.layers, cls).__module__.startswith(
            "kerasx.layers.preprocessing.")
