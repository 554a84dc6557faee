"""RandomErasing, RandomShear, RandomPerspective, RandomElasticTransform, MixUp and
CutMix: Keras goldens for given transformations, the ranges and repeatability of their
draws, dict inputs with labels, inference behaviour, gradients, errors, configs and
training."""

import json

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from tests.golden.loader import case_ids, load_cases
from tests.sampled_gradcheck import check_gradients

CASES = [c for c in load_cases("geometric_augment") if c["kind"] == "layer"]
CLASSES = ["RandomErasing", "RandomShear", "RandomPerspective", "RandomElasticTransform",
           "MixUp", "CutMix"]
rng = np.random.default_rng(12)
IMAGES = rng.uniform(0, 255, (4, 6, 7, 3)).astype("float32")
LABELS = np.eye(4, dtype="float32")


def numpy(x):
    return ops.convert_to_numpy(x)


def _boxes(a):
    return tuple(a["boxes"][:, i] for i in range(4))


def _transform(layer, a):
    """`(images, labels)` of `layer` for the transformation Keras was given."""
    name = type(layer).__name__
    x = a["x"]
    if name == "RandomErasing":
        return layer.erase(x, _boxes(a), a["apply"], a.get("noise")), None
    if name == "RandomShear":
        return layer.shear(x, a["shear"][:, 0], a["shear"][:, 1]), None
    if name == "RandomPerspective":
        return layer.warp(x, a["displacements"], a["apply"]), None
    if name == "RandomElasticTransform":
        return layer.distort(x, float(a["strength"]), a["apply"], seed=3), None
    if name == "MixUp":
        return layer.mix(x, a["labels"], a["weights"], a["order"])
    return layer.cut_mix(x, a["labels"], _boxes(a), a["order"])


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_matches_keras_golden(case):
    a = case["arrays"]
    layer = getattr(layers, case["class"])(**case["config"])
    y, labels = _transform(layer, a)
    y = numpy(y)
    assert y.dtype == np.dtype(case["y_dtype"])
    np.testing.assert_allclose(y, a["y"], rtol=1e-5, atol=2e-4)
    if "y_labels" in a:
        np.testing.assert_allclose(numpy(labels), a["y_labels"], rtol=1e-5, atol=1e-6)
    assert set(layer.get_config()) == set(case["keras_config"])


def test_elastic_parameters_match_keras():
    case = next(c for c in load_cases("geometric_augment") if c["kind"] == "parameters")
    a = case["arrays"]
    layer = layers.RandomElasticTransform()
    ours = [layer.elastic_parameters(int(h), int(w), float(s))
            for (h, w), s in zip(a["sizes"], a["strengths"])]
    np.testing.assert_allclose(ours, a["y"], rtol=1e-6)


def test_every_class_has_a_golden_case():
    assert set(CLASSES) <= {c["class"] for c in CASES}


# -- draws --------------------------------------------------------------------------------
def _captured(layer, method):
    """`layer` whose transformation method records its arguments before applying them."""
    calls = []
    original = getattr(layer, method)

    def record(images, *args, **kwargs):
        calls.append(args)
        return original(images, *args, **kwargs)

    setattr(layer, method, record)
    return layer, calls


def _np(v):
    return numpy(ops.convert_to_tensor(v))


BIG = np.repeat(IMAGES, 100, axis=0)


def test_shear_draws_cover_their_ranges_with_a_shared_sign():
    layer, calls = _captured(layers.RandomShear((0.1, 0.3), 0.5, seed=1), "shear")
    layer(BIG)
    sx, sy = _np(calls[0][0]), _np(calls[0][1])
    assert np.all((np.abs(sx) >= 0.1) & (np.abs(sx) <= 0.3))
    assert np.abs(sy).max() <= 0.5 and np.abs(sy).max() > 0.48
    nonzero = sy != 0
    assert 0.4 < np.mean(sx < 0) < 0.6
    # sy is drawn from (-0.5, 0.5) then takes sx's sign flip: its sign is independent
    assert 0.4 < np.mean(np.sign(sx[nonzero]) == np.sign(sy[nonzero])) < 0.6


def test_erasing_boxes_lie_in_the_image_with_areas_from_scale():
    layer, calls = _captured(layers.RandomErasing(factor=(1.0, 1.0), scale=(0.04, 0.25),
                                                  fill_value=-1.0, value_range=(-1, 255),
                                                  seed=2), "erase")
    out = numpy(layer(BIG))
    x0, x1, y0, y1 = (_np(b) for b in calls[0][0])
    assert np.all(_np(calls[0][1]))  # factor (1, 1): every image erased
    assert np.all((x0 >= 0) & (x1 <= 7) & (y0 >= 0) & (y1 <= 6))
    for side, (lo, hi) in (((x1 - x0) / 7, (0.2, 0.5)), ((y1 - y0) / 6, (0.2, 0.5))):
        assert side.min() >= lo - 1e-9 and side.max() <= hi + 1e-9
    rows, cols = np.arange(6)[:, None], np.arange(7)[None, :]
    for i in range(0, 400, 37):
        inside = (cols >= x0[i]) & (cols < x1[i]) & (rows >= y0[i]) & (rows < y1[i])
        np.testing.assert_array_equal(out[i][inside], -1.0)
        np.testing.assert_array_equal(out[i][~inside], BIG[i][~inside])


@pytest.mark.parametrize("factor, rate", [((0.3, 0.3), 0.3), (0.6, 0.3), ((0.2, 1.0), 0.6)])
def test_probability_of_application(factor, rate):
    layer, calls = _captured(layers.RandomPerspective(factor=factor, seed=3), "warp")
    layer(np.repeat(IMAGES, 500, axis=0))
    assert abs(_np(calls[0][1]).mean() - rate) < 0.04


def test_perspective_displacements_and_zero_factor():
    layer, calls = _captured(layers.RandomPerspective(scale=0.4, seed=4), "warp")
    layer(BIG)
    d = _np(calls[0][0])
    assert d.shape == (400, 4, 2) and np.abs(d).max() <= 0.2 and np.abs(d).max() > 0.19
    np.testing.assert_array_equal(numpy(layers.RandomPerspective(factor=0.0)(IMAGES)), IMAGES)


def test_elastic_strength_range_identity_and_clipping():
    layer, calls = _captured(layers.RandomElasticTransform(scale=(0.2, 0.6), seed=5),
                             "distort")
    strengths = []
    for _ in range(30):
        layer(IMAGES)
        strengths.append(float(calls[-1][0]))
    assert min(strengths) >= 0.2 and max(strengths) <= 0.6 and len(set(strengths)) == 30
    wide = IMAGES * 2 - 100
    # nothing drawn: no distortion and, as in Keras, no clipping
    for layer in (layers.RandomElasticTransform(factor=0.0), layers.RandomElasticTransform(
            scale=0.0)):
        np.testing.assert_array_equal(numpy(layer(wide)), wide)
    out = numpy(layers.RandomElasticTransform(seed=6, value_range=(0, 200))(wide))
    assert out.min() >= 0 and out.max() <= 200 and not np.allclose(out, np.clip(wide, 0, 200))


def test_mix_up_weights_and_labels():
    layer, calls = _captured(layers.MixUp(alpha=0.5, seed=7), "mix")
    labels = np.eye(5, dtype="float32")[np.arange(400) % 5]
    out = layer({"images": BIG, "labels": labels})
    _, weights, order = calls[0]
    weights, order = _np(weights), np.asarray(order)
    assert sorted(order.tolist()) == list(range(400))
    assert np.all((weights >= 0) & (weights <= 1)) and abs(weights.mean() - 0.5) < 0.05
    w = weights[:, None, None, None]
    np.testing.assert_allclose(numpy(out["images"]), w * BIG + (1 - w) * BIG[order], rtol=1e-5,
                               atol=1e-3)
    np.testing.assert_allclose(numpy(out["labels"]).sum(axis=1), labels.sum(axis=1), atol=1e-6)


def test_cut_mix_pastes_boxes_and_weights_labels_by_area():
    layer, calls = _captured(layers.CutMix(seed=8), "cut_mix")
    batch = np.arange(4 * 6 * 7 * 3, dtype="float32").reshape(4, 6, 7, 3)
    for _ in range(10):
        out = layer({"images": batch, "labels": LABELS})
        _, boxes, order = calls[-1]
        x0, x1, y0, y1 = (_np(b) for b in boxes)
        images, labels = numpy(out["images"]), numpy(out["labels"])
        rows, cols = np.arange(6)[:, None], np.arange(7)[None, :]
        for i, j in enumerate(np.asarray(order)):
            inside = (cols >= x0[i]) & (cols < x1[i]) & (rows >= y0[i]) & (rows < y1[i])
            np.testing.assert_array_equal(images[i][inside], batch[j][inside])
            np.testing.assert_array_equal(images[i][~inside], batch[i][~inside])
            kept = 1 - (x1[i] - x0[i]) * (y1[i] - y0[i]) / 42
            expected = kept * LABELS[i] + (1 - kept) * LABELS[j]
            np.testing.assert_allclose(labels[i], expected, atol=1e-6)


@pytest.mark.parametrize("cls", CLASSES)
def test_same_seed_repeats_and_each_call_draws_anew(cls):
    first_layer = _layer(cls, seed=9)
    first = numpy(first_layer(IMAGES))
    second = numpy(first_layer(IMAGES))
    assert not np.allclose(first, second)
    np.testing.assert_array_equal(numpy(_layer(cls, seed=9)(IMAGES)), first)


# -- structure, formats, inference ---------------------------------------------------------
def _layer(cls, **kwargs):
    defaults = {"RandomErasing": {"factor": (1.0, 1.0)},
                "RandomShear": {"x_factor": 0.3, "y_factor": 0.3},
                "RandomPerspective": {"factor": (1.0, 1.0), "scale": 0.5},
                "RandomElasticTransform": {"factor": (1.0, 1.0)}}
    return getattr(layers, cls)(**{**defaults.get(cls, {}), **kwargs})


@pytest.mark.parametrize("cls", CLASSES)
def test_identity_in_inference_also_with_labels(cls):
    layer = _layer(cls)
    np.testing.assert_array_equal(numpy(layer(IMAGES, training=False)), IMAGES)
    out = layer({"images": IMAGES, "labels": LABELS}, training=False)
    np.testing.assert_array_equal(numpy(out["images"]), IMAGES)
    np.testing.assert_array_equal(numpy(out["labels"]), LABELS)


@pytest.mark.parametrize("cls", CLASSES)
def test_channels_first_matches_channels_last(cls):
    last = numpy(_layer(cls, seed=10)(IMAGES))
    first = numpy(_layer(cls, seed=10, data_format="channels_first")(
        IMAGES.transpose(0, 3, 1, 2)))
    np.testing.assert_allclose(first.transpose(0, 2, 3, 1), last, rtol=1e-5, atol=1e-3)


@pytest.mark.parametrize("cls", CLASSES)
def test_one_image_is_a_batch_of_one(cls):
    one = numpy(_layer(cls, seed=11)(IMAGES[1]))
    assert one.shape == IMAGES[1].shape and one.dtype == np.float32
    if cls == "CutMix":  # Keras leaves one image alone
        np.testing.assert_array_equal(one, IMAGES[1])
    else:
        np.testing.assert_allclose(one, numpy(_layer(cls, seed=11)(IMAGES[1:2]))[0], atol=1e-4)


@pytest.mark.parametrize("cls", ["RandomErasing", "RandomShear", "RandomPerspective",
                                 "RandomElasticTransform"])
def test_labels_pass_through_geometric_layers(cls):
    out = _layer(cls, seed=12)({"images": IMAGES, "labels": LABELS})
    np.testing.assert_array_equal(numpy(out["labels"]), LABELS)
    np.testing.assert_array_equal(numpy(out["images"]), numpy(_layer(cls, seed=12)(IMAGES)))


def test_integer_images_and_labels_give_floats():
    out = layers.MixUp(seed=1)({"images": IMAGES.astype("uint8"),
                                "labels": np.array([[1, 0], [0, 1], [1, 0], [0, 1]])})
    assert numpy(out["images"]).dtype == np.float32
    assert numpy(out["labels"]).dtype == np.float32
    assert numpy(layers.RandomShear(0.2)(IMAGES.astype("uint8"))).dtype == np.float32


def test_mix_up_keeps_rank_one_labels_per_image():
    out = layers.MixUp(seed=2)({"images": IMAGES, "labels": np.arange(4.0, dtype="float32")})
    assert numpy(out["labels"]).shape == (4,)


GRADIENTS = [
    ("erase", lambda x: layers.RandomErasing(fill_value=0.5, value_range=(-9, 9)).erase(
        x, ([0.5, 1.0], [3.0, 4.5], [0.0, 2.0], [2.5, 4.0]), [True, False])),
    ("shear", lambda x: layers.RandomShear(0.5, fill_mode="constant").shear(
        x, [0.2, -0.3], [0.1, 0.4])),
    ("warp", lambda x: layers.RandomPerspective().warp(
        x, np.full((2, 4, 2), 0.1) * [[1, -1]], [True, True])),
    ("distort", lambda x: layers.RandomElasticTransform(value_range=(-9, 9)).distort(
        x, 0.5, [True, False], seed=1)),
    ("mix", lambda x: layers.MixUp().mix(x, None, [0.3, 0.8], [1, 0])[0]),
    ("cut_mix", lambda x: layers.CutMix().cut_mix(
        x, None, ([0.5, 1.0], [3.0, 4.5], [0.0, 2.0], [2.5, 4.0]), [1, 0])[0]),
]


@pytest.mark.parametrize("name, fn", GRADIENTS, ids=[g[0] for g in GRADIENTS])
def test_gradients_pass_to_the_images(name, fn):
    x = np.random.default_rng(2).normal(size=(2, 4, 5, 3))
    with kerasx.testing.float64():
        check_gradients(fn, [x])


def test_gradients_pass_to_mixed_labels():
    with kerasx.testing.float64():
        check_gradients(lambda y: layers.MixUp().mix(IMAGES[:2].astype("float64"), y,
                                                     [0.3, 0.8], [1, 0])[1],
                        [np.random.default_rng(3).normal(size=(2, 3))])


# -- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("make, match", [
    (lambda: layers.RandomErasing(factor=1.5), "factor"),
    (lambda: layers.RandomErasing(scale=(0.1, 0.2, 0.3)), "scale"),
    (lambda: layers.RandomErasing(fill_value="black"), "fill_value"),
    (lambda: layers.RandomErasing(fill_value=(1, 2)), "fill_value"),
    (lambda: layers.RandomErasing(value_range=1), "value_range"),
    (lambda: layers.RandomShear(x_factor=-0.1), "x_factor"),
    (lambda: layers.RandomShear(y_factor=(0.2, 1.5)), "y_factor"),
    (lambda: layers.RandomShear(y_factor=(-1.2, 0.5)), "y_factor"),
    (lambda: layers.RandomShear(fill_mode="mirror"), "fill_mode"),
    (lambda: layers.RandomShear(interpolation="bicubic"), "interpolation"),
    (lambda: layers.RandomPerspective(scale=1.5), "scale"),
    (lambda: layers.RandomPerspective(factor=(0.1, 0.2, 0.3)), "factor"),
    (lambda: layers.RandomPerspective(interpolation="area"), "interpolation"),
    (lambda: layers.RandomElasticTransform(scale=2.0), "scale"),
    (lambda: layers.RandomElasticTransform(fill_mode="edge"), "fill_mode"),
    (lambda: layers.MixUp(alpha=0.0), "alpha"),
    (lambda: layers.MixUp(alpha="x"), "alpha"),
    (lambda: layers.CutMix(factor=-2.0), "factor"),
    (lambda: layers.CutMix(data_format="NCHW"), "data_format"),
])
def test_bad_arguments_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


@pytest.mark.parametrize("cls", CLASSES)
def test_bad_inputs_are_refused(cls):
    layer = _layer(cls)
    with pytest.raises(ValueError, match="rank 3"):
        layer(IMAGES[0, 0])
    with pytest.raises(ValueError, match="Bounding boxes"):
        layer({"images": IMAGES, "bounding_boxes": {"boxes": np.zeros((4, 1, 4)),
                                                     "labels": np.zeros((4, 1))}})
    with pytest.raises(ValueError, match="'images'"):
        layer({"labels": LABELS})


# -- configs and training ------------------------------------------------------------------
@pytest.mark.parametrize("cls", CLASSES)
def test_config_round_trip(cls):
    layer = _layer(cls, data_format="channels_first", seed=3)
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    assert config["data_format"] == "channels_first" and config["seed"] == 3
    assert layer.compute_output_shape((None, 3, 6, 7)) == (None, 3, 6, 7)


def test_model_with_these_layers_trains_with_fit():
    kerasx.utils.set_random_seed(0)
    model = kerasx.Sequential([
        kerasx.Input((8, 8, 3)),
        layers.RandomErasing(factor=0.5, value_range=(0, 255)),
        layers.RandomShear(0.2, 0.2),
        layers.RandomPerspective(factor=0.5, scale=0.3),
        layers.RandomElasticTransform(factor=0.5, scale=0.5),
        layers.CutMix(),
        layers.MixUp(),
        layers.Rescaling(1 / 255.0),
        layers.Flatten(),
        layers.Dense(2),
    ])
    x = np.random.default_rng(0).uniform(0, 255, (32, 8, 8, 3)).astype("float32")
    y = np.random.default_rng(1).normal(size=(32, 2)).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert history.history["loss"][-1] < history.history["loss"][0]
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)  # no augmentation


def test_mixed_dict_feeds_fit():
    out = layers.MixUp(seed=4)({"images": IMAGES, "labels": LABELS})
    model = kerasx.Sequential([kerasx.Input((6, 7, 3)), layers.Rescaling(1 / 255.0),
                               layers.Flatten(), layers.Dense(4, activation="softmax")])
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    history = model.fit(numpy(out["images"]), numpy(out["labels"]), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


def test_layers_are_exported():
    for cls in CLASSES:
        assert getattr(kerasx.layers, cls).__module__.startswith(
            "kerasx.layers.preprocessing.")


# -- RandAugment and AugMix ----------------------------------------------------------------
class _AddConstant(layers.Layer):
    """A stand-in augmentation: adds `value` (in training only)."""

    def __init__(self, value, **kwargs):
        super().__init__(**kwargs)
        self.value = value

    def call(self, inputs, training=None):
        return inputs if training is False else ops.add(inputs, self.value)


def _stubbed(layer, base):
    """`layer` whose augmentation `k` adds `base ** k` (the sum names the picks)."""
    for k, name in enumerate(layer.names):
        setattr(layer, name, _AddConstant(float(base ** k)))
    return layer


def test_policy_configs_match_keras():
    for case in (c for c in load_cases("geometric_augment") if c["kind"] == "config"):
        layer = getattr(layers, case["class"])(**case["config"])
        config = layer.get_config()
        assert set(config) == set(case["keras_config"])
        for key in ("value_range", "factor", "interpolation"):
            assert list(np.atleast_1d(config[key])) == list(np.atleast_1d(
                case["keras_config"][key]))


def test_rand_augment_applies_num_ops_picked_uniformly():
    layer = _stubbed(layers.RandAugment(num_ops=2, value_range=(0, 1), seed=1), 3)
    x = np.zeros((2, 4, 5, 3), "float32")
    counts = np.zeros(11)
    for _ in range(1100):
        delta = numpy(layer(x))
        assert np.all(delta == delta.flat[0])  # one choice for the whole batch
        digits = np.array([int(delta.flat[0]) // 3 ** k % 3 for k in range(11)])
        assert digits.sum() == 2  # the base-3 digits count each operation's picks
        counts += digits
    assert counts.min() > 200 * 0.7 and counts.max() < 200 * 1.3


def test_rand_augment_builds_the_keras_operations():
    layer = layers.RandAugment(factor=0.6, value_range=(0, 1), interpolation="nearest",
                               data_format="channels_first", seed=3)
    assert layer.names == ["random_shear", "random_translation", "random_rotation",
                           "random_brightness", "random_color_degeneration", "random_contrast",
                           "random_sharpness", "random_posterization", "solarization",
                           "auto_contrast", "equalization"]
    assert layer.random_shear.x_factor == (0.0, 0.6)
    assert layer.random_rotation.interpolation == "nearest"
    assert layer.random_posterization.get_config()["factor"] in (4, (4, 4), [4, 4], (1, 4))
    assert all(getattr(layer, n).data_format == "channels_first" for n in layer.names)
    seeds = [getattr(layer, n).get_config().get("seed") for n in layer.names]
    assert len({s for s in seeds if s is not None}) == 9  # their own streams


def test_aug_mix_blends_chains_with_the_originals():
    layer = _stubbed(layers.AugMix(all_ops=False, chain_depth=2, value_range=(-1e9, 1e9),
                                   seed=4), 2)
    assert layer.names == ["random_shear", "random_translation", "random_rotation",
                           "random_posterization", "solarization", "auto_contrast",
                           "equalization"]
    x = np.random.default_rng(5).normal(size=(2, 4, 5, 3)).astype("float32")
    deltas = []
    for _ in range(200):
        delta = numpy(layer(x)) - x
        np.testing.assert_allclose(delta, delta.flat[0], atol=1e-3)
        deltas.append(float(delta.flat[0]))
    # each chain adds at most 2 * 64 and the weights sum to at most one
    assert min(deltas) >= -1e-3 and max(deltas) <= 128 + 1e-3
    assert len({round(d, 3) for d in deltas}) > 150


@pytest.mark.parametrize("cls", ["RandAugment", "AugMix"])
def test_policies_clip_repeat_and_pass_through_in_inference(cls):
    make = getattr(layers, cls)
    out = numpy(make(seed=6)(IMAGES))
    assert out.dtype == np.float32 and out.shape == IMAGES.shape
    assert out.min() >= 0 and out.max() <= 255
    np.testing.assert_array_equal(numpy(make(seed=6)(IMAGES)), out)
    np.testing.assert_array_equal(numpy(make()(IMAGES, training=False)), IMAGES)
    result = make(seed=7)({"images": IMAGES[0], "labels": LABELS[0]})
    assert numpy(result["images"]).shape == IMAGES[0].shape
    np.testing.assert_array_equal(numpy(result["labels"]), LABELS[0])
    config = json.loads(json.dumps(make(seed=2, value_range=(0, 1)).get_config()))
    assert json.loads(json.dumps(make.from_config(config).get_config())) == config


@pytest.mark.parametrize("make, match", [
    (lambda: layers.RandAugment(num_ops=-1), "num_ops"),
    (lambda: layers.RandAugment(factor=1.5), "factor"),
    (lambda: layers.RandAugment(interpolation="area"), "interpolation"),
    (lambda: layers.AugMix(num_chains=0), "num_chains"),
    (lambda: layers.AugMix(chain_depth=1.5), "chain_depth"),
    (lambda: layers.AugMix(alpha=-1.0), "alpha"),
    (lambda: layers.AugMix(value_range=(0,)), "value_range"),
])
def test_bad_policy_arguments_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_model_with_policies_trains_with_fit():
    kerasx.utils.set_random_seed(1)
    model = kerasx.Sequential([
        kerasx.Input((8, 8, 3)),
        layers.RandAugment(num_ops=2),
        layers.AugMix(num_chains=2, chain_depth=2),
        layers.Rescaling(1 / 255.0),
        layers.Flatten(),
        layers.Dense(2),
    ])
    x = np.random.default_rng(0).uniform(0, 255, (16, 8, 8, 3)).astype("float32")
    y = np.random.default_rng(1).normal(size=(16, 2)).astype("float32")
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)


# -- MaxNumBoundingBoxes -------------------------------------------------------------------
BOX_CASES = [c for c in load_cases("geometric_augment") if c["kind"] == "boxes"]


@pytest.mark.parametrize("case", BOX_CASES, ids=case_ids(BOX_CASES))
def test_max_num_bounding_boxes_matches_keras(case):
    a = case["arrays"]
    layer = layers.MaxNumBoundingBoxes(**case["config"])
    images = IMAGES[0] if a["boxes"].ndim == 2 else IMAGES[:2]
    out = layer({"images": images, "bounding_boxes": {"boxes": a["boxes"],
                                                      "labels": a["labels"]}})
    for key in ("boxes", "labels"):
        got = numpy(out["bounding_boxes"][key])
        assert got.dtype == a[f"y_{key}"].dtype
        np.testing.assert_array_equal(got, a[f"y_{key}"])
    np.testing.assert_array_equal(numpy(out["images"]), images)
    # Keras leaves fill_value out of its config (a loaded layer pads with -1)
    assert set(layer.get_config()) == set(case["keras_config"]) | {"fill_value"}


def test_max_num_bounding_boxes_shapes_config_and_errors():
    layer = layers.MaxNumBoundingBoxes(4, fill_value=0, bounding_box_format="xyxy")
    shape = {"images": (None, 6, 7, 3), "bounding_boxes": {"boxes": (None, 9, 4),
                                                           "labels": (None, 9)}}
    assert layer.compute_output_shape(shape)["bounding_boxes"] == {"boxes": (None, 4, 4),
                                                                   "labels": (None, 4)}
    np.testing.assert_array_equal(numpy(layer(IMAGES)), IMAGES)
    config = json.loads(json.dumps(layer.get_config()))
    assert layers.MaxNumBoundingBoxes.from_config(config).get_config() == config
    boxes = {"boxes": np.zeros((4, 2, 4), "float32"), "labels": np.zeros((4, 2), "int32")}
    with pytest.raises(ValueError, match="bounding_box_format"):
        layers.MaxNumBoundingBoxes(3)({"images": IMAGES, "bounding_boxes": boxes})
    with pytest.raises(ValueError, match="'boxes' and 'labels'"):
        layer({"images": IMAGES, "bounding_boxes": {"boxes": boxes["boxes"]}})
    with pytest.raises(ValueError, match=r"\(batch, n, 4\)"):
        layer({"images": IMAGES, "bounding_boxes": {"boxes": np.zeros((4, 2, 3)),
                                                    "labels": boxes["labels"]}})
    for bad in (lambda: layers.MaxNumBoundingBoxes(0), lambda: layers.MaxNumBoundingBoxes(2.5),
                lambda: layers.MaxNumBoundingBoxes(2, fill_value="x")):
        with pytest.raises(ValueError, match="max_number|fill_value"):
            bad()
