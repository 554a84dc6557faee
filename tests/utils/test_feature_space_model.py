"""`FeatureSpace` in models (Keras's structured-data example), its config and `.keras`
round trips, and its errors."""

import json

import numpy as np
import pytest

import kerasx
from kerasx.utils import FeatureSpace


def numpy(x):
    return kerasx.ops.convert_to_numpy(x)


def table(n, seed=0):
    """A small structured table whose label follows from the features."""
    rng = np.random.default_rng(seed)
    cities = np.array(["paris", "rome", "oslo", "lima"])
    data = {"age": rng.normal(40, 12, n).astype(np.float32),
            "income": rng.uniform(10, 90, n).astype(np.float32),
            "rooms": rng.integers(1, 5, n),
            "city": cities[rng.integers(0, 4, n)],
            "tag": np.array(list("abcdef"))[rng.integers(0, 6, n)]}
    label = ((data["age"] > 40) ^ np.isin(data["city"], ["rome", "lima"])).astype(np.float32)
    return data, label


def feature_space(output_mode="concat"):
    return FeatureSpace(
        {"age": "float_normalized", "income": FeatureSpace.float_discretized(num_bins=4),
         "rooms": "integer_categorical", "city": "string_categorical",
         "tag": FeatureSpace.string_hashed(num_bins=4)},
        crosses=[FeatureSpace.cross(("city", "rooms"), crossing_dim=8)],
        output_mode=output_mode)


def columns(data):
    return {k: v.reshape(-1, 1) for k, v in data.items()}


def test_structured_data_example_trains_and_serves_raw_features():
    data, label = table(400)
    fs = feature_space()
    fs.adapt(data)
    inputs, encoded = fs.get_inputs(), fs.get_encoded_features()
    assert sorted(inputs) == sorted(data)
    assert encoded.shape == (None, 1 + 4 + 5 + 5 + 4 + 8)
    x = kerasx.layers.Dense(16, activation="relu")(encoded)
    predictions = kerasx.layers.Dense(1, activation="sigmoid")(x)
    training_model = kerasx.Model(inputs=encoded, outputs=predictions)
    training_model.compile(optimizer=kerasx.optimizers.Adam(0.05), loss="binary_crossentropy",
                           metrics=["accuracy"])
    history = training_model.fit(fs(data), label, epochs=30, batch_size=50, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    assert history.history["accuracy"][-1] > 0.9
    inference_model = kerasx.Model(inputs=inputs, outputs=predictions)
    test, _ = table(20, seed=1)
    np.testing.assert_allclose(inference_model.predict(columns(test), verbose=0),
                               training_model.predict(fs(test), verbose=0), rtol=1e-5,
                               atol=1e-6)


def test_model_on_the_dict_of_encoded_features():
    data, label = table(200)
    fs = feature_space("dict")
    fs.adapt(data)
    encoded = fs.get_encoded_features()
    assert list(encoded) == sorted(data) + ["city_X_rooms"]
    merged = kerasx.layers.Concatenate()([encoded[k] for k in sorted(encoded)])
    model = kerasx.Model(fs.get_inputs(), kerasx.layers.Dense(1)(merged))
    model.compile(optimizer="sgd", loss="mse")
    model.fit(columns(data), label, epochs=1, batch_size=50, verbose=0)
    assert model.predict(columns(data), verbose=0).shape == (200, 1)


def test_save_and_load_round_trip(tmp_path):
    data, _ = table(60)
    fs = feature_space()
    fs.adapt(data)
    path = str(tmp_path / "fs.keras")
    fs.save(path)
    loaded = kerasx.saving.load_model(path)
    assert isinstance(loaded, FeatureSpace)
    test, _ = table(10, seed=2)
    np.testing.assert_allclose(numpy(loaded(test)), numpy(fs(test)))
    np.testing.assert_allclose(numpy(loaded.preprocessors["age"].adapt_mean),
                               numpy(fs.preprocessors["age"].adapt_mean))
    assert kerasx.saving.keras_archive.read_config(path)["module"] == "keras.utils"


def test_generic_save_model_and_dict_mode_round_trip(tmp_path):
    data, _ = table(60)
    fs = feature_space("dict")
    fs.adapt(data)
    path = str(tmp_path / "fs_dict.keras")
    kerasx.saving.save_model(fs, path)
    loaded = kerasx.saving.load_model(path)
    sample = {k: v[3].item() for k, v in data.items()}
    got, want = loaded(sample), fs(sample)
    assert list(got) == list(want)
    for key in want:
        np.testing.assert_allclose(numpy(got[key]), numpy(want[key]))


def test_saved_inference_model_reloads(tmp_path):
    data, _ = table(80)
    fs = feature_space()
    fs.adapt(data)
    outputs = kerasx.layers.Dense(2)(fs.get_encoded_features())
    model = kerasx.Model(fs.get_inputs(), outputs)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = kerasx.saving.load_model(path)
    np.testing.assert_allclose(loaded.predict(columns(data), verbose=0),
                               model.predict(columns(data), verbose=0), rtol=1e-6)


def test_config_round_trip():
    data, _ = table(60)
    fs = feature_space()
    fs.adapt(data)
    config = json.loads(json.dumps(fs.get_config()))
    clone = FeatureSpace.from_config(config)
    assert json.loads(json.dumps(clone.get_config())) == config
    assert [c.feature_names for c in clone.crosses] == [("city", "rooms")]
    assert {k: f.output_mode for k, f in clone.features.items()} == \
        {k: f.output_mode for k, f in fs.features.items()}
    # the vocabularies and bin boundaries are in the config; the normalization statistics
    # are weights, so the clone adapts again
    with pytest.raises(ValueError, match="adapt"):
        clone(data)
    clone.adapt(data)
    np.testing.assert_allclose(numpy(clone(data)), numpy(fs(data)), rtol=1e-6)


def test_feature_and_cross_configs():
    spec = FeatureSpace.integer_categorical(max_tokens=5, output_mode="int", name="n")
    rebuilt = type(spec).from_config(spec.get_config())
    assert rebuilt.dtype == "int32" and rebuilt.output_mode == "int"
    assert rebuilt.preprocessor.max_tokens == 5 and rebuilt.preprocessor.name == "n_preprocessor"
    cross = FeatureSpace.cross(["a", "b"], crossing_dim=3, output_mode="int")
    assert cross.name == "a_X_b"
    assert type(cross).from_config(cross.get_config()).get_config() == cross.get_config()


# -- errors -------------------------------------------------------------------------------
def test_unknown_feature_type():
    with pytest.raises(ValueError, match="Invalid feature type: 'floaty'"):
        FeatureSpace({"x": "floaty"})


@pytest.mark.parametrize("features", [None, {}])
def test_empty_features(features):
    with pytest.raises(ValueError, match="cannot be None or empty"):
        FeatureSpace(features)


def test_bad_output_modes():
    with pytest.raises(ValueError, match="Expected one of {'dict', 'concat'}"):
        FeatureSpace({"x": "float"}, output_mode="list")
    with pytest.raises(ValueError, match="Expected one of {'int', 'one_hot', 'float'}"):
        FeatureSpace.feature("float32", kerasx.layers.Identity(), "multi_hot")
    with pytest.raises(ValueError, match="Expected one of {'int', 'one_hot'}"):
        FeatureSpace.cross(("a", "b"), 4, output_mode="float")


def test_cross_errors():
    with pytest.raises(ValueError, match=r"unknown features: \['c'\]"):
        FeatureSpace({"a": "float", "b": "float"}, crosses=[("a", "c")])
    with pytest.raises(ValueError, match="`crossing_dim`"):
        FeatureSpace({"a": "float", "b": "float"}, crosses=[("a", "b")], crossing_dim=None)


def test_calling_before_adapt():
    fs = feature_space()
    with pytest.raises(ValueError, match=r"call `.adapt\(dataset\)`"):
        fs(table(4)[0])
    with pytest.raises(ValueError, match=r"call `.adapt\(dataset\)`"):
        fs.get_encoded_features()


def test_call_errors():
    data, _ = table(10)
    fs = feature_space()
    fs.adapt(data)
    with pytest.raises(ValueError, match="can only be called with a dict"):
        fs(data["age"])
    with pytest.raises(ValueError, match=r"missing the features \['tag'\]"):
        fs({k: v for k, v in data.items() if k != "tag"})
    with pytest.raises(ValueError, match=r"the keys \['label'\]"):
        fs({**data, "label": np.zeros(10)})


def test_adapt_errors():
    fs = feature_space()
    with pytest.raises(ValueError, match="can only be called on a dict"):
        fs.adapt(np.zeros((4, 5)))
    data, _ = table(10)
    with pytest.raises(ValueError, match=r"missing the features \['city'\]"):
        fs.adapt({k: v for k, v in data.items() if k != "city"})
    with pytest.raises(ValueError, match="each batch must be a dict"):
        fs.adapt([data["age"]])
    with pytest.raises(ValueError, match="holds no batch"):
        fs.adapt(iter([]))


def test_one_hot_needs_integer_ids():
    fs = FeatureSpace({"x": FeatureSpace.feature("float32", kerasx.layers.Normalization(),
                                                 "one_hot")})
    with pytest.raises(ValueError, match="should return an integer dtype"):
        fs.adapt({"x": np.arange(4.0)})


def test_one_hot_needs_a_known_cardinality():
    layer = kerasx.layers.Identity(dtype="int32")
    fs = FeatureSpace({"x": FeatureSpace.feature("int32", layer, "one_hot")})
    with pytest.raises(ValueError, match="cannot be one-hot encoded"):
        fs({"x": [1, 2]})


def test_concat_needs_encoded_features():
    fs = FeatureSpace({"c": FeatureSpace.string_categorical(output_mode="int"), "x": "float"})
    with pytest.raises(ValueError, match="Cannot concatenate features because feature 'c'"):
        fs.adapt({"c": ["a", "b"], "x": [1.0, 2.0]})


def test_discretized_bins_must_match_boundaries():
    with pytest.raises(ValueError, match="make 3 bins, but num_bins=5"):
        FeatureSpace.float_discretized(5, bin_boundaries=[0.0, 1.0])


def test_save_needs_the_keras_extension(tmp_path):
    fs = FeatureSpace({"x": "float"})
    with pytest.raises(ValueError, match="`.keras` extension"):
        fs.save(str(tmp_path / "fs.h5"))


def test_adapt_again_resizes_the_encoders():
    data, _ = table(60)
    fs = feature_space()
    fs.adapt({k: v[:4] for k, v in data.items()})
    fs.adapt(data)
    fresh = feature_space()
    fresh.adapt(data)
    np.testing.assert_allclose(numpy(fs(data)), numpy(fresh(data)))


def test_a_fresh_process_loads_a_saved_feature_space(tmp_path):
    import subprocess
    import sys

    data, _ = table(30)
    fs = feature_space()
    fs.adapt(data)
    path = str(tmp_path / "fs.keras")
    fs.save(path)
    np.savez(str(tmp_path / "data.npz"), **data)
    np.save(str(tmp_path / "want.npy"), numpy(fs(data)))
    script = ("import numpy as np, kerasx\n"
              f"fs = kerasx.saving.load_model({path!r})\n"
              f"data = dict(np.load({str(tmp_path / 'data.npz')!r}))\n"
              f"want = np.load({str(tmp_path / 'want.npy')!r})\n"
              "np.testing.assert_allclose(kerasx.ops.convert_to_numpy(fs(data)), want)\n"
              "print(type(fs).__name__)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "FeatureSpace"
