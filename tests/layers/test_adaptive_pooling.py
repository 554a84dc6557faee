"""Adaptive pooling layers (AdaptiveAverage/MaxPooling1D/2D/3D): Keras goldens (values and
JAX gradients), float64 box references with gradients by finite differences, variable
input sizes in a model that trains, configs, saving and bad-input errors."""

import json
import math

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.ops.adaptive_pooling import adaptive_bins
from kerasx.testing import check_gradients, float64
from tests.golden.loader import case_ids, load_cases

GOLDEN = [c for c in load_cases("einsum_adaptive") if c["class"].startswith("Adaptive")]
rng = np.random.default_rng(21)


def to_numpy(x):
    return ops.convert_to_numpy(x)


@pytest.mark.parametrize("case", GOLDEN, ids=case_ids(GOLDEN))
def test_matches_keras_golden(case):
    a = case["arrays"]
    layer = getattr(layers, case["class"])(**case["config"])
    x = kerasx.Variable(a["x"])
    with kerasx.GradientTape() as tape:
        y = layer(x)
        loss = ops.sum(ops.multiply(y, a["proj"]))
    if "Max" in case["class"]:
        # a max picks an element: the bins are Keras's exactly
        np.testing.assert_array_equal(to_numpy(y), a["y"])
    else:
        np.testing.assert_allclose(to_numpy(y), a["y"], rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(to_numpy(tape.gradient(loss, x)), a["dx"], rtol=1e-6,
                               atol=1e-6)
    assert layer.compute_output_shape(a["x"].shape) == a["y"].shape
    config = json.loads(json.dumps(layer.get_config()))
    assert set(config) == set(case["keras_config"])
    for key in set(config) - {"name"}:
        assert config[key] == case["keras_config"][key], key
    assert layer.weights == []


def test_bins_are_floor_and_ceil_of_the_scaled_edges():
    for size in range(1, 40):
        for out in range(1, 15):
            bins = adaptive_bins(size, out)
            assert bins == [(math.floor(i * size / out), math.ceil((i + 1) * size / out))
                            for i in range(out)]
            widths = {end - start for start, end in bins}
            assert widths <= {math.ceil(size / out), math.ceil(size / out) + 1}
            assert bins[0][0] == 0 and bins[-1][1] == size


def box_reference(x, output_size, data_format, mode):
    """Adaptive pooling by the definition: the max or mean over each whole box."""
    if data_format == "channels_first":
        x = np.moveaxis(x, 1, -1)
    sizes = x.shape[1:-1]
    out = np.zeros((x.shape[0],) + tuple(output_size) + (x.shape[-1],))
    reduce = np.max if mode == "max" else np.mean
    for index in np.ndindex(*output_size):
        box = tuple(slice(math.floor(i * n / m), math.ceil((i + 1) * n / m))
                    for i, n, m in zip(index, sizes, output_size))
        out[(slice(None),) + index] = reduce(x[(slice(None),) + box],
                                             axis=tuple(range(1, len(sizes) + 1)))
    return np.moveaxis(out, -1, 1) if data_format == "channels_first" else out


TABLE = [
    ("AdaptiveAveragePooling1D", dict(output_size=3), (2, 7, 2)),
    ("AdaptiveAveragePooling1D", dict(output_size=4, data_format="channels_first"), (2, 3, 8)),
    ("AdaptiveAveragePooling1D", dict(output_size=6), (1, 4, 2)),
    ("AdaptiveAveragePooling2D", dict(output_size=(3, 2)), (2, 7, 5, 2)),
    ("AdaptiveAveragePooling2D", dict(output_size=2, data_format="channels_first"),
     (1, 2, 6, 5)),
    ("AdaptiveAveragePooling3D", dict(output_size=(2, 3, 2)), (1, 5, 4, 3, 2)),
    ("AdaptiveMaxPooling1D", dict(output_size=3), (2, 7, 2)),
    ("AdaptiveMaxPooling1D", dict(output_size=2, data_format="channels_first"), (2, 3, 8)),
    ("AdaptiveMaxPooling1D", dict(output_size=6), (1, 4, 2)),
    ("AdaptiveMaxPooling2D", dict(output_size=(3, 2)), (2, 7, 5, 2)),
    ("AdaptiveMaxPooling2D", dict(output_size=(4, 5), data_format="channels_first"),
     (1, 2, 6, 5)),
    ("AdaptiveMaxPooling3D", dict(output_size=2, data_format="channels_first"),
     (1, 2, 5, 4, 3)),
]


def _table_id(row):
    return row[0] + "-" + "-".join(f"{k}={v}" for k, v in row[1].items())


@pytest.mark.parametrize("row", TABLE, ids=[_table_id(r) for r in TABLE])
def test_float64_box_reference_and_gradients(row):
    cls, config, shape = row
    x = rng.standard_normal(shape)
    with float64():
        layer = getattr(layers, cls)(**config)
        y = to_numpy(layer(x))
    mode = "max" if "Max" in cls else "average"
    expected = box_reference(x, layer.output_size, layer.data_format, mode)
    np.testing.assert_allclose(y, expected, rtol=1e-12, atol=1e-12)
    assert y.shape == layer.compute_output_shape(shape)
    check_gradients(layer, [x])


def test_max_gradient_goes_to_the_winner_and_average_spreads_evenly():
    x = np.arange(7.0).reshape(1, 7, 1)  # bins [0, 3), [2, 5), [4, 7)
    for cls, expected in [(layers.AdaptiveMaxPooling1D, [0, 0, 1, 0, 1, 0, 1]),
                          (layers.AdaptiveAveragePooling1D,
                           [1 / 3, 1 / 3, 2 / 3, 1 / 3, 2 / 3, 1 / 3, 1 / 3])]:
        v = kerasx.Variable(x, dtype="float32")
        with kerasx.GradientTape() as tape:
            loss = ops.sum(cls(3)(v))
        np.testing.assert_allclose(to_numpy(tape.gradient(loss, v))[0, :, 0], expected,
                                   rtol=1e-6)


def test_float32_in_float32_out_and_infinities_stay():
    x = rng.standard_normal((2, 5, 4, 3)).astype(np.float32)
    x[0, 0, 0, 0] = np.inf
    for cls in (layers.AdaptiveAveragePooling2D, layers.AdaptiveMaxPooling2D):
        y = to_numpy(cls((3, 3))(x))
        assert y.dtype == np.float32
        assert y[0, 0, 0, 0] == np.inf and np.isfinite(y[1]).all()


def test_any_input_size_gives_the_same_output_size_in_a_model_that_trains():
    inputs = kerasx.Input(shape=(None, None, 2))
    h = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    h = layers.AdaptiveMaxPooling2D((3, 3))(h)
    h = layers.Conv2D(4, 2, activation="relu")(h)
    h = layers.AdaptiveAveragePooling2D(1, data_format="channels_last")(h)
    outputs = layers.Dense(1)(layers.Flatten()(h))
    model = kerasx.Model(inputs, outputs)
    assert tuple(model.output_shape) == (None, 1)
    for size in [(5, 7), (9, 9), (3, 4)]:
        assert model.predict(np.zeros((2,) + size + (2,), np.float32), verbose=0).shape == (2, 1)
    kerasx.utils.set_random_seed(3)
    x = rng.standard_normal((48, 7, 6, 2)).astype(np.float32)
    y = (x[..., 0].max(axis=(1, 2)) - x[..., 1].mean(axis=(1, 2)))[:, None]
    model.compile(optimizer=kerasx.optimizers.Adam(0.01), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=15, verbose=0)
    losses = history.history["loss"]
    assert losses[-1] < 0.5 * losses[0]


def test_symbolic_shapes_keep_unknown_batch_and_channels():
    layer = layers.AdaptiveAveragePooling3D((2, 1, 3), data_format="channels_first")
    assert layer.compute_output_shape((None, 4, None, None, None)) == (None, 4, 2, 1, 3)
    inputs = kerasx.Input(shape=(None, 5))
    assert tuple(layers.AdaptiveMaxPooling1D(4)(inputs).shape) == (None, 4, 5)


def test_config_round_trip_and_save_load(tmp_path):
    for layer in (layers.AdaptiveMaxPooling3D((1, 2, 3), data_format="channels_first"),
                  layers.AdaptiveAveragePooling1D([4])):
        config = layer.get_config()
        assert type(layer).from_config(config).get_config() == config
    assert layers.AdaptiveAveragePooling2D(3).output_size == (3, 3)
    inputs = kerasx.Input(shape=(9, 7, 3))
    h = layers.AdaptiveAveragePooling2D((4, 3))(inputs)
    h = layers.AdaptiveMaxPooling2D(2, name="amax")(h)
    model = kerasx.Model(inputs, layers.Dense(2)(layers.Flatten()(h)))
    path = str(tmp_path / "adaptive.keras")
    model.save(path)
    loaded = kerasx.models.load_model(path)
    x = rng.standard_normal((3, 9, 7, 3)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.get_layer("amax").get_config() == model.get_layer("amax").get_config()


def test_input_of_wrong_rank():
    with pytest.raises(ValueError, match=r"AdaptiveMaxPooling2D layer 'pool' expects inputs of "
                                         r"rank 4 \(batch, \*spatial, channels\).*\(8, 8, 3\)"):
        layers.AdaptiveMaxPooling2D(2, name="pool")(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match=r"rank 3 \(batch, channels, \*spatial\).*\(2, 4, 4, 1\)"):
        layers.AdaptiveAveragePooling1D(2, data_format="channels_first")(
            np.zeros((2, 4, 4, 1), np.float32))


@pytest.mark.parametrize("make,error,match", [
    (lambda: layers.AdaptiveMaxPooling2D((2, 3, 4)), TypeError,
     r"output_size.*tuple of 2 ints.*\(2, 3, 4\)"),
    (lambda: layers.AdaptiveAveragePooling1D("3"), TypeError, r"output_size='3'"),
    (lambda: layers.AdaptiveAveragePooling3D(0), ValueError, r"positive integers.*output_size=0"),
    (lambda: layers.AdaptiveMaxPooling1D([2.5]), ValueError, r"positive integers.*\[2.5\]"),
    (lambda: layers.AdaptiveMaxPooling1D(2, data_format="NCW"), ValueError,
     r"data_format.*'NCW'"),
])
def test_bad_arguments(make, error, match):
    with pytest.raises(error, match=match):
        make()
