"""Preprocessing layers (Rescaling, Normalization, CategoryEncoding, Discretization,
Resizing, CenterCrop, RandomFlip, RandomTranslation): Keras goldens, NumPy references, streaming `adapt`, gradients by
finite differences, errors, configs, and saving round trips (also with real Keras files)."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.backends import current
from kerasx.testing import check_gradients, float64
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases

CASES = load_cases("preprocessing")
GOLDEN = [c for c in CASES if c["name"] != "saved_model"]
SAVED = next(c for c in CASES if c["name"] == "saved_model")

rng = np.random.default_rng(21)
FEATURES = rng.normal(size=(50, 3)) * [2.0, 0.5, 1.0] + [1.0, -2.0, 0.0]
IMAGES = rng.normal(size=(2, 5, 7, 3))


def numpy(x):
    return ops.convert_to_numpy(x)


def adapted(data, **kwargs):
    layer = layers.Normalization(**kwargs)
    layer.adapt(data)
    return layer


# -- Keras goldens ------------------------------------------------------------------------
@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    a = case["arrays"]
    layer = getattr(layers, case["class"])(**case["config"])
    if "adapt" in a:
        layer.adapt(a["adapt"])
    if "bin_boundaries" in case:
        np.testing.assert_allclose(layer.bin_boundaries, case["bin_boundaries"], rtol=1e-6)
    if case["class"] == "Normalization":
        if not layer.built:
            layer.build(a["x"].shape)
        assert [w.path for w in layer.weights] == case["weight_names"]
        # Keras never updates `count`; kerasx stores the number of values adapt read
        for i, w in enumerate(layer.get_weights()[:2]):
            np.testing.assert_allclose(w, a[f"w{i}"], rtol=1e-5, atol=1e-6)
    if "transformation" in case:
        y = _transform(layer, a)
    else:
        y = layer(a["x"], **{k: a[k] for k in case["call_arrays"]})
    assert numpy(y).dtype == np.dtype(case["y_dtype"])
    # uint8 resizing rounds; XLA's float sums may land on the other side of .5
    atol = 1 if case["y_dtype"] == "uint8" else 1e-5
    np.testing.assert_allclose(numpy(y).astype(np.float64), a["y"].astype(np.float64),
                               rtol=1e-5, atol=atol)
    assert set(layer.get_config()) == set(case["keras_config"])


def _transform(layer, arrays):
    """A random layer's output for the transformation Keras was given."""
    backend = current()
    images = ops.convert_to_tensor(arrays["x"])
    if "flips" in arrays:
        return layer.flip(images, backend.asarray(arrays["flips"]))
    shifts = arrays["translations"].astype(np.float64)
    return layer.translate(images, backend.asarray(shifts[:, 1]), backend.asarray(shifts[:, 0]))


def test_every_preprocessing_class_has_a_golden_case():
    """Every preprocessing layer has golden values: in this family, the image
    augmentation family or the lookup family (whose layers Keras runs through
    TensorFlow)."""
    from kerasx.layers import preprocessing

    covered = {c["class"] for c in GOLDEN}
    covered |= {c["class"] for c in load_cases("image") if c["kind"] == "layer"}
    covered |= {c["class"] for c in load_cases("lookup")}
    covered |= {c["class"] for c in load_cases("color_augment") if c["kind"] == "layer"}
    covered |= {c["class"] for c in load_cases("geometric_augment")}
    assert set(preprocessing.__all__) <= covered


# -- Rescaling ----------------------------------------------------------------------------
def test_rescaling_integer_images_become_floatx():
    x = np.arange(24, dtype=np.uint8).reshape(2, 2, 2, 3)
    y = layers.Rescaling(1 / 255.0, offset=-0.5)(x)
    assert numpy(y).dtype == np.float32
    np.testing.assert_allclose(numpy(y), x / 255.0 - 0.5, rtol=1e-6)
    with float64():
        assert numpy(layers.Rescaling(2.0)(x)).dtype == np.float64


def test_rescaling_per_channel_channels_first():
    x = rng.normal(size=(2, 3, 2, 2))
    kerasx.config.set_image_data_format("channels_first")
    try:
        layer = layers.Rescaling([1.0, 2.0, 3.0], offset=0.5)
        y = numpy(layer(x))
    finally:
        kerasx.config.set_image_data_format("channels_last")
    np.testing.assert_allclose(y, x * np.array([1.0, 2.0, 3.0])[:, None, None] + 0.5,
                               rtol=1e-6)


def test_rescaling_and_normalization_pass_gradients():
    norm = adapted(FEATURES)
    with float64():
        check_gradients(lambda v: layers.Rescaling([0.5, 2.0, -1.0], offset=3.0)(v),
                        [FEATURES[:4]])
        norm64 = adapted(FEATURES)
        check_gradients(norm64, [FEATURES[:4]])
        check_gradients(layers.Normalization(mean=[1.0, 2.0, 3.0], variance=[4.0, 0.5, 2.0],
                                             invert=True), [FEATURES[:4]])
        check_gradients(adapted(IMAGES, axis=(1, 2)), [IMAGES])
    assert norm.trainable_weights == [] and len(norm.non_trainable_weights) == 3


# -- Normalization --------------------------------------------------------------------------
@pytest.mark.parametrize("axis,keep", [(-1, (2,)), (1, (1,)), ((1, 2), (1, 2)), (None, ())])
def test_normalization_adapt_matches_numpy(axis, keep):
    x = rng.normal(size=(20, 3, 4)) * 3.0 + 1.0
    reduce = tuple(d for d in range(3) if d not in keep)
    layer = adapted(x.astype(np.float32), axis=axis)
    mean, var = x.mean(reduce, keepdims=True), x.var(reduce, keepdims=True)
    np.testing.assert_allclose(layer.get_weights()[0], mean.squeeze(reduce), rtol=1e-5)
    np.testing.assert_allclose(layer.get_weights()[1], var.squeeze(reduce), rtol=1e-5)
    np.testing.assert_allclose(numpy(layer(x[:5])), ((x - mean) / np.sqrt(var))[:5],
                               rtol=1e-4, atol=1e-5)


class _Batches(kerasx.utils.PyDataset):
    def __init__(self, x, size):
        super().__init__()
        self.x, self.size = x, size

    def __len__(self):
        return -(-len(self.x) // self.size)

    def __getitem__(self, i):
        return self.x[i * self.size:(i + 1) * self.size], np.zeros(1)


def test_normalization_streaming_adapt_is_exact_for_every_source():
    # values near 1e4 with a spread of 1e-2: a naive float32 sum of squares loses them all
    x = (1e4 + rng.normal(size=(103, 2)) * [1e-2, 1.0]).astype(np.float32)
    exact = x.astype(np.float64)
    expected = exact.mean(0), exact.var(0)
    sources = {
        "array": (x, {}),
        "array_batches": (x, {"batch_size": 10}),
        "backend_array": (current().asarray(x), {"batch_size": 16}),
        "generator": ((x[i:i + 7] for i in range(0, len(x), 7)), {}),
        "tuples": ([(x[:50], None), (x[50:], None)], {}),
        "py_dataset": (_Batches(x, 9), {}),
    }
    for name, (data, kwargs) in sources.items():
        layer = layers.Normalization()
        layer.adapt(data, **kwargs)
        mean, var, count = layer.get_weights()
        np.testing.assert_allclose(mean, expected[0], rtol=1e-7, err_msg=name)
        np.testing.assert_allclose(var, expected[1], rtol=1e-5, err_msg=name)
        assert count == 103, name


def test_normalization_adapt_steps_reads_only_the_first_batches():
    layer = layers.Normalization()
    layer.adapt(FEATURES, batch_size=10, steps=2)
    np.testing.assert_allclose(layer.get_weights()[0], FEATURES[:20].mean(0), rtol=1e-6)
    layer.adapt(_Batches(FEATURES, 10), steps=1)
    np.testing.assert_allclose(layer.get_weights()[1], FEATURES[:10].var(0), rtol=1e-5)

    def two_then_fail():
        yield FEATURES[:5]
        yield FEATURES[5:10]
        raise AssertionError("adapt read past steps")

    layer.adapt(two_then_fail(), steps=2)
    np.testing.assert_allclose(layer.get_weights()[0], FEATURES[:10].mean(0), rtol=1e-6)


def test_normalization_given_statistics_and_invert():
    x = FEATURES[:5]
    mean, var = np.array([1.0, -2.0, 0.5]), np.array([4.0, 0.25, 1.0])
    layer = layers.Normalization(mean=mean, variance=var)
    np.testing.assert_allclose(numpy(layer(x)), (x - mean) / np.sqrt(var), rtol=1e-5)
    assert layer.weights == []
    inverse = layers.Normalization(mean=mean, variance=var, invert=True)
    np.testing.assert_allclose(numpy(inverse(layer(x))), x, rtol=1e-5, atol=1e-5)
    scalar = layers.Normalization(axis=None, mean=2.0, variance=9.0)
    np.testing.assert_allclose(numpy(scalar(x)), (x - 2.0) / 3.0, rtol=1e-5, atol=1e-6)
    per_row = layers.Normalization(axis=(1, 2), mean=[1.0, 2.0], variance=[1.0, 4.0])
    img = rng.normal(size=(2, 3, 2))
    np.testing.assert_allclose(numpy(per_row(img)), (img - [1.0, 2.0]) / [1.0, 2.0], rtol=1e-5)


def test_normalization_constant_feature_divides_by_epsilon():
    x = np.stack([np.zeros(10), np.arange(10.0)], axis=1)
    layer = adapted(x)
    y = numpy(layer(x))
    np.testing.assert_array_equal(y[:, 0], 0.0)
    assert np.isfinite(y).all()
    y = numpy(layer(x + 1e-6))
    np.testing.assert_allclose(y[:, 0], 1e-6 / kerasx.config.epsilon(), rtol=1e-2)


def test_normalization_in_models_adapted_before_or_after_building():
    early = layers.Normalization()
    model = kerasx.Sequential([kerasx.Input((3,)), early, layers.Dense(2)])
    early.adapt(FEATURES)
    x = FEATURES[:4].astype(np.float32)
    expected = (x - FEATURES.mean(0)) / FEATURES.std(0)
    np.testing.assert_allclose(numpy(early(x)), expected, rtol=1e-4, atol=1e-5)
    inputs = kerasx.Input((3,))
    functional = kerasx.Model(inputs, layers.Dense(2)(adapted(FEATURES)(inputs)))
    assert model.predict(x, verbose=0).shape == functional.predict(x, verbose=0).shape == (4, 2)


def test_model_trains_through_rescaling_and_normalization():
    x = np.random.default_rng(0).uniform(0, 255, size=(64, 3)).astype(np.float32)
    y = (x @ np.array([[0.02], [-0.01], [0.03]]) + 1.0).astype(np.float32)
    norm = layers.Normalization()
    norm.adapt(x / 255.0)
    model = kerasx.Sequential([kerasx.Input((3,)), layers.Rescaling(1 / 255.0), norm,
                               layers.Dense(1)])
    model.compile(optimizer=kerasx.optimizers.Adam(0.1), loss="mse")
    before = norm.get_weights()
    history = model.fit(x, y, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < 0.05 * history.history["loss"][0]
    for a, b in zip(before, norm.get_weights()):
        np.testing.assert_array_equal(a, b)


# -- CategoryEncoding -------------------------------------------------------------------------
def test_category_encoding_against_numpy():
    ids = rng.integers(0, 6, size=(5, 4))
    hot = np.eye(6)[ids]
    weights = rng.uniform(size=ids.shape)
    enc = layers.CategoryEncoding
    np.testing.assert_array_equal(numpy(enc(6)(ids)), hot.max(1))
    np.testing.assert_array_equal(numpy(enc(6, output_mode="binary")(ids)), hot.max(1))
    np.testing.assert_array_equal(numpy(enc(6, output_mode="count")(ids)), hot.sum(1))
    np.testing.assert_allclose(
        numpy(enc(6, output_mode="count")(ids, count_weights=weights)),
        (hot * weights[..., None]).sum(1), rtol=1e-6)
    np.testing.assert_array_equal(numpy(enc(6, output_mode="one_hot")(ids)), hot)
    np.testing.assert_array_equal(numpy(enc(6, output_mode="one_hot")(ids[:, :1])), hot[:, 0])
    assert numpy(enc(6)(ids)).dtype == np.float32


def test_category_encoding_in_a_functional_model():
    inputs = kerasx.Input((4,), dtype="int32")
    encoded = layers.CategoryEncoding(6, output_mode="count")(inputs)
    assert encoded.shape == (None, 6)
    model = kerasx.Model(inputs, layers.Dense(2)(encoded))
    assert model.predict(rng.integers(0, 6, size=(3, 4)), verbose=0).shape == (3, 2)


# -- Discretization -----------------------------------------------------------------------------
def test_discretization_bins_against_numpy_digitize():
    x = np.concatenate([rng.normal(size=20), [-1.0, 0.0, 1.0, 2.5]]).reshape(4, 6)
    bounds = [-1.0, 0.0, 1.0, 2.5]
    ids = np.digitize(x, bounds)
    y = numpy(layers.Discretization(bin_boundaries=bounds)(x))
    assert y.dtype == np.int32
    np.testing.assert_array_equal(y, ids)
    hot = numpy(layers.Discretization(bin_boundaries=bounds, output_mode="one_hot")(x))
    np.testing.assert_array_equal(hot, np.eye(5)[ids])
    counts = numpy(layers.Discretization(bin_boundaries=bounds, output_mode="count")(x))
    np.testing.assert_array_equal(counts, np.eye(5)[ids].sum(1))


def test_discretization_adapt_computes_exact_quantiles():
    # Keras's quantile summary is exact below 1 / epsilon values
    x = rng.normal(size=(250, 2))
    layer = layers.Discretization(num_bins=5, epsilon=0.001)
    layer.adapt((x[i:i + 40] for i in range(0, 250, 40)))
    expected = np.quantile(x, [0.2, 0.4, 0.6, 0.8], method="interpolated_inverted_cdf")
    np.testing.assert_allclose(layer.bin_boundaries, expected, rtol=1e-6)
    counts = np.bincount(numpy(layer(x)).ravel(), minlength=5)
    assert counts.min() >= 99 and counts.max() <= 101
    config = layer.get_config()
    assert config["num_bins"] == 5 and config["bin_boundaries"] == layer.bin_boundaries
    restored = layers.Discretization.from_config(config)
    np.testing.assert_array_equal(numpy(restored(x)), numpy(layer(x)))


# -- Resizing and CenterCrop ---------------------------------------------------------------------
def _bilinear_reference(x, size):
    """Half-pixel-center bilinear resampling of axis 1 of `x`, edges clamped."""
    source = x.shape[1]
    position = np.clip((np.arange(size) + 0.5) * source / size - 0.5, 0, source - 1)
    low = np.floor(position).astype(int)
    high = np.minimum(low + 1, source - 1)
    frac = (position - low)[None, :, None, None]
    return x[:, low] * (1 - frac) + x[:, high] * frac


def test_resizing_against_a_numpy_reference():
    for height, width in [(3, 4), (9, 12), (5, 7), (10, 3)]:
        y = numpy(layers.Resizing(height, width)(IMAGES))
        expected = _bilinear_reference(IMAGES, height)
        expected = _bilinear_reference(expected.swapaxes(1, 2), width).swapaxes(1, 2)
        np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    y = numpy(layers.Resizing(3, 14, interpolation="nearest")(IMAGES))
    rows, cols = np.floor((np.arange(3) + 0.5) * 5 / 3), np.arange(14) // 2
    np.testing.assert_allclose(y, IMAGES[:, rows.astype(int)][:, :, cols], rtol=1e-6)


def test_center_crop_takes_the_central_window():
    y = numpy(layers.CenterCrop(3, 4)(IMAGES))
    np.testing.assert_allclose(y, IMAGES[:, 1:4, 1:5], rtol=1e-6)
    single = numpy(layers.CenterCrop(2, 2)(IMAGES[0].astype(np.uint8)))
    assert single.dtype == np.float32 and single.shape == (2, 2, 3)


def test_resizing_and_center_crop_pass_gradients():
    with float64():
        x = IMAGES[:1, :4, :5, :2]
        check_gradients(layers.Resizing(3, 7), [x])
        check_gradients(layers.Resizing(6, 3, crop_to_aspect_ratio=True), [x])
        check_gradients(layers.Resizing(2, 3, interpolation="nearest"), [x])
        check_gradients(layers.CenterCrop(5, 3), [x])


def test_random_flip_flips_whole_images_in_training_only():
    x = rng.normal(size=(64, 3, 4, 2)).astype(np.float32)
    for mode, flip in [("horizontal", lambda v: v[:, ::-1]), ("vertical", lambda v: v[::-1]),
                       ("horizontal_and_vertical", lambda v: v[::-1, ::-1])]:
        layer = layers.RandomFlip(mode, seed=5)
        y = numpy(layer(x))
        flipped = np.array([np.array_equal(a, flip(b)) for a, b in zip(y, x)])
        kept = np.array([np.array_equal(a, b) for a, b in zip(y, x)])
        assert (flipped | kept).all() and 16 < flipped.sum() < 48, mode
        np.testing.assert_array_equal(numpy(layer(x, training=False)), x)
        again = numpy(layers.RandomFlip(mode, seed=5)(x))
        np.testing.assert_array_equal(again, y)
    model = kerasx.Sequential([kerasx.Input((3, 4, 2)), layers.RandomFlip()])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


@pytest.mark.parametrize("fill_mode,pad_mode", [("reflect", "symmetric"), ("wrap", "wrap"),
                                                ("nearest", "edge"), ("constant", "constant")])
def test_random_translation_by_whole_pixels_against_numpy_pad(fill_mode, pad_mode):
    x = IMAGES[:2, :, :5]
    layer = layers.RandomTranslation(1.0, 1.0, fill_mode=fill_mode, fill_value=0.25)
    dy, dx = np.array([2.0, -3.0]), np.array([-4.0, 1.0])
    backend = current()
    y = numpy(layer.translate(ops.convert_to_tensor(x), backend.asarray(dy),
                              backend.asarray(dx)))
    for image, out, sy, sx in zip(x, y, dy.astype(int), dx.astype(int)):
        pad = [(5, 5), (5, 5), (0, 0)]
        kwargs = {"constant_values": 0.25} if pad_mode == "constant" else {}
        padded = np.pad(image, pad, mode=pad_mode, **kwargs)
        np.testing.assert_allclose(out, padded[5 - sy:10 - sy, 5 - sx:10 - sx], rtol=1e-5,
                                   atol=1e-6)


def test_random_translation_draws_within_its_factors():
    x = np.tile(np.arange(10.0)[None, None, :, None], (32, 1, 1, 1)).astype(np.float32)
    layer = layers.RandomTranslation((0.0, 0.0), (0.1, 0.3), fill_mode="nearest", seed=2)
    y = numpy(layer(x))
    shifts = x[:, 0, 5, 0] - y[:, 0, 5, 0]  # a linear ramp moves by exactly the shift
    assert (shifts >= 1.0 - 1e-5).all() and (shifts <= 3.0 + 1e-5).all() and shifts.std() > 0.2
    np.testing.assert_array_equal(numpy(layer(x, training=False)), x)
    assert numpy(layers.RandomTranslation(0.2, 0.2)(IMAGES[0])).shape == IMAGES[0].shape


def test_random_layers_pass_gradients():
    backend = current()
    with float64():
        x = IMAGES[:2, :4, :5, :2]
        flip = layers.RandomFlip()
        check_gradients(lambda v: flip.flip(v, backend.asarray(np.array([True, False]))), [x])
        for fill_mode in ("reflect", "constant"):
            shift = layers.RandomTranslation(0.5, 0.5, fill_mode=fill_mode, fill_value=0.3)
            check_gradients(lambda v: shift.translate(v, backend.asarray(np.array([0.3, -1.7])),
                                                      backend.asarray(np.array([2.2, 0.4]))),
                            [x])


# -- errors -----------------------------------------------------------------------------------
def test_errors():
    with pytest.raises(ValueError, match=r"Rescaling: `scale` must be a number"):
        layers.Rescaling("1/255")
    with pytest.raises(ValueError, match=r"Rescaling: `offset` must be a number"):
        layers.Rescaling(1.0, offset=[0.0, None])
    with pytest.raises(ValueError, match=r"both `mean` and `variance` must be set together"):
        layers.Normalization(mean=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"same shape"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"axis=\(3,\) is out of range.*rank 2"):
        layers.Normalization(axis=3).adapt(FEATURES)
    with pytest.raises(TypeError, match=r"axis must be an integer"):
        layers.Normalization(axis="last")
    with pytest.raises(ValueError, match=r"does not broadcast"):
        layers.Normalization(mean=[1.0, 2.0], variance=[1.0, 2.0])(FEATURES)
    layer = adapted(FEATURES)
    with pytest.raises(ValueError, match=r"built for inputs of shape \(50, 3\).*\(4, 2\)"):
        layer.adapt(np.zeros((4, 2)))
    with pytest.raises(TypeError, match=r"iterable of batches, received int"):
        layer.adapt(3)
    with pytest.raises(ValueError, match=r"holds no batch"):
        layer.adapt([])
    with pytest.raises(TypeError, match=r"each batch must be an array.*received a list"):
        layer.adapt([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    with pytest.raises(ValueError, match=r"batch_size only splits an array"):
        layer.adapt([FEATURES], batch_size=4)
    with pytest.raises(ValueError, match=r"\[0, 4\).*from 1 to 4"):
        layers.CategoryEncoding(4)(np.array([[1, 4]]))
    with pytest.raises(ValueError, match=r"from -1 to 2"):
        layers.CategoryEncoding(4, output_mode="one_hot")(np.array([-1, 2]))
    with pytest.raises(ValueError, match=r"`count_weights` is not used when `output_mode` is not 'count'"):
        layers.CategoryEncoding(4)(np.array([[1]]), count_weights=np.ones((1, 1)))
    with pytest.raises(ValueError, match=r"output_mode must be one of"):
        layers.CategoryEncoding(4, output_mode="tf_idf")
    with pytest.raises(ValueError, match=r"Both `num_bins` and `bin_boundaries` should not be set"):
        layers.Discretization(bin_boundaries=[0.0], num_bins=2)
    with pytest.raises(ValueError, match=r"give bin_boundaries, or num_bins"):
        layers.Discretization()
    with pytest.raises(ValueError, match=r"create it with num_bins instead"):
        layers.Discretization(bin_boundaries=[0.0]).adapt(FEATURES)
    with pytest.raises(ValueError, match=r"no bin boundaries yet"):
        layers.Discretization(num_bins=3)(FEATURES)
    with pytest.raises(ValueError, match=r"interpolation must be one of"):
        layers.Resizing(2, 2, interpolation="area")  # as Keras on JAX
    with pytest.raises(ValueError, match=r"rank 3 \(one image\) or 4"):
        layers.CenterCrop(2, 2)(FEATURES)
    with pytest.raises(ValueError, match=r"mode must be one of"):
        layers.RandomFlip("diagonal")
    with pytest.raises(ValueError, match=r"height_factor values must be in \[-1, 1\]"):
        layers.RandomTranslation(1.5, 0.1)
    with pytest.raises(ValueError, match=r"width_factor must be a float or a pair"):
        layers.RandomTranslation(0.1, (0.1, 0.2, 0.3))
    with pytest.raises(ValueError, match=r"fill_mode must be one of"):
        layers.RandomTranslation(0.1, 0.1, fill_mode="mirror")


# -- configs and saving -----------------------------------------------------------------------
CONFIG_LAYERS = {
    "Rescaling": (lambda: layers.Rescaling([0.5, 1.0, 2.0], offset=-1.0), FEATURES[:4]),
    "Normalization": (lambda: layers.Normalization(axis=(1,), mean=[1.0, 2.0, 3.0],
                                                   variance=[1.0, 2.0, 3.0], invert=True),
                      FEATURES[:4]),
    "CategoryEncoding": (lambda: layers.CategoryEncoding(5, output_mode="count"),
                         rng.integers(0, 5, size=(2, 3))),
    "Discretization": (lambda: layers.Discretization(bin_boundaries=[-1.0, 0.5],
                                                     output_mode="multi_hot"), FEATURES[:4]),
    "Resizing": (lambda: layers.Resizing(2, 5, interpolation="nearest",
                                         pad_to_aspect_ratio=True), IMAGES),
    "CenterCrop": (lambda: layers.CenterCrop(2, 2), IMAGES),
    "RandomFlip": (lambda: layers.RandomFlip("vertical", seed=3), IMAGES),
    "RandomTranslation": (lambda: layers.RandomTranslation((-0.2, 0.1), 0.3, fill_mode="wrap",
                                                           seed=4), IMAGES),
}


@pytest.mark.parametrize("name", sorted(CONFIG_LAYERS))
def test_config_round_trip(name):
    make, x = CONFIG_LAYERS[name]
    layer = make()
    config = json.loads(json.dumps(layer.get_config()))
    clone = type(layer).from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    np.testing.assert_array_equal(numpy(clone(x)), numpy(layer(x)))


def _preprocessing_model():
    images = kerasx.Input((5, 7, 3), dtype="uint8")
    features = kerasx.Input((3,))
    h = layers.Resizing(4, 6)(layers.Rescaling(1 / 255.0)(images))
    h = layers.RandomTranslation(0.2, 0.2)(layers.RandomFlip()(h))
    h = layers.Flatten()(layers.CenterCrop(3, 3)(h))
    norm = layers.Normalization()
    f = norm(features)
    bins = layers.Flatten()(layers.Discretization(bin_boundaries=[-1.0, 0.0, 1.0],
                                                  output_mode="one_hot")(features))
    out = layers.Dense(2)(layers.Concatenate()([h, f, bins]))
    return kerasx.Model([images, features], out), norm


def _inputs(n=4):
    return [rng.integers(0, 256, size=(n, 5, 7, 3)).astype(np.uint8),
            rng.normal(size=(n, 3)).astype(np.float32)]


def test_model_save_and_load_round_trip(tmp_path):
    pytest.importorskip("h5py")
    model, norm = _preprocessing_model()
    norm.adapt(FEATURES)
    model.compile(optimizer="adam", loss="mse")
    x = _inputs()
    model.fit(x, np.zeros((4, 2), np.float32), epochs=1, verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = kerasx.models.load_model(path)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    fresh, fresh_norm = _preprocessing_model()
    assert not np.array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    weights = str(tmp_path / "model.weights.h5")
    model.save_weights(weights)
    fresh.load_weights(weights)
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))
    np.testing.assert_array_equal(fresh_norm.get_weights()[0], norm.get_weights()[0])


def test_keras_file_loads_and_predicts_the_same():
    pytest.importorskip("h5py")
    model = kerasx.models.load_model(os.path.join(GOLDEN_DIR, SAVED["file"]))
    a = SAVED["arrays"]
    np.testing.assert_allclose(model.predict([a["images"], a["features"]], verbose=0),
                               a["pred"], rtol=1e-5, atol=1e-5)
    norm = next(layer for layer in model.layers if isinstance(layer, layers.Normalization))
    assert [w.name for w in norm.weights] == ["mean", "variance", "count"]


def test_real_keras_loads_kerasx_files(tmp_path):
    """A kerasx-saved model with every preprocessing layer predicts the same in Keras 3."""
    pytest.importorskip("h5py")
    from tests.interop.test_interop import _keras_python

    python, reason = _keras_python()
    if python is None:
        print(f"SKIPPED: {reason}")
        pytest.skip(reason)
    model, norm = _preprocessing_model()
    norm.adapt(FEATURES)
    path = str(tmp_path / "model.keras")
    model.save(path)
    x = _inputs()
    data = str(tmp_path / "data.npz")
    np.savez(data, pred_0=model.predict(x, verbose=0))
    script = (
        "import json, sys, numpy as np, keras\n"
        "m = keras.models.load_model(sys.argv[1])\n"
        "d = np.load(sys.argv[2]); x = np.load(sys.argv[3])\n"
        "p = m.predict([x['images'], x['features']], verbose=0)\n"
        "print('DIFF', float(np.max(np.abs(p - d['pred_0']))))\n")
    inputs = str(tmp_path / "inputs.npz")
    np.savez(inputs, images=x[0], features=x[1])
    env = {**os.environ, "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "jax"),
           "JAX_PLATFORMS": "cpu"}
    run = subprocess.run([python, "-c", script, path, data, inputs], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    diff = float(run.stdout.split("DIFF")[-1])
    assert diff < 1e-5, run.stdout


def test_layers_are_exported():
    for name in ("Rescaling", "Normalization", "CategoryEncoding", "Discretization",
                 "Resizing", "CenterCrop", "RandomFlip", "RandomTranslation"):
        assert getattr(kerasx.layers, name).__module__.startswith(
            "kerasx.layers.preprocessing"), name
    assert sys.modules["kerasx.layers.preprocessing"].__all__
