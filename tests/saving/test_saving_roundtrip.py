"""Save and load in kerasx: identical predictions and identical continued training
(optimizer state restored), for every layer type and every optimizer."""

import inspect
import json
import os
import zipfile

import numpy as np
import pytest

import kerasx
from kerasx.saving import h5_weights
from tests.interop.specs import LAYER_SPECS, build_spec_model, spec_data

pytest.importorskip("h5py")


def predict(model, xs):
    out = model.predict(xs if len(xs) > 1 else xs[0], verbose=0)
    return [np.asarray(o) for o in (out if isinstance(out, list) else [out])]


def assert_same_state(a, b):
    wa, wb = a.get_weights(), b.get_weights()
    assert len(wa) == len(wb)
    for x, y in zip(wa, wb):
        np.testing.assert_array_equal(x, y)
    if a.optimizer is not None:
        va, vb = a.optimizer.variables, b.optimizer.variables
        assert [tuple(v.shape) for v in va] == [tuple(v.shape) for v in vb]
        for x, y in zip(va, vb):
            np.testing.assert_array_equal(kerasx.backends.current().to_numpy(x.value),
                                          kerasx.backends.current().to_numpy(y.value))


def check_round_trip(model, xs, y, tmp_path, compile_kwargs=None, fit_steps=2):
    """Trains, saves, loads; then one more step on both must give identical models."""
    model.compile(**(compile_kwargs or {"optimizer": "adam", "loss": "mse"}))
    batch = xs[0].shape[0] // fit_steps
    model.fit(xs if len(xs) > 1 else xs[0], y, batch_size=batch, epochs=1, shuffle=False,
              verbose=0)
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = kerasx.models.load_model(path)
    assert type(loaded) is type(model)
    assert loaded.compiled
    for a, b in zip(predict(model, xs), predict(loaded, xs)):
        np.testing.assert_array_equal(a, b)
    assert_same_state(model, loaded)
    for m in (model, loaded):
        kerasx.utils.set_random_seed(11)  # the same dropout / noise draws in both
        m.train_on_batch(xs if len(xs) > 1 else xs[0], y)
    for a, b in zip(predict(model, xs), predict(loaded, xs)):
        np.testing.assert_array_equal(a, b)
    assert_same_state(model, loaded)
    return loaded


def _spec_classes(spec):
    yield spec["class_name"]
    for value in spec["kwargs"].values():
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, dict) and "__layer__" in item:
                yield from _spec_classes(item["__layer__"])


@pytest.mark.parametrize("name", sorted(LAYER_SPECS))
def test_layer_round_trip(name, tmp_path):
    spec, inputs = LAYER_SPECS[name]
    model = build_spec_model(kerasx, name)
    xs, y = spec_data(name, inputs)
    check_round_trip(model, xs, y, tmp_path)


def test_every_layer_type_has_a_round_trip_case():
    """A new layer class needs a case in tests/interop/specs.py (and a refreshed
    layer_structures.json from make_fixtures.py)."""
    covered = {c for spec, _ in LAYER_SPECS.values() for c in _spec_classes(spec)}
    # base classes, every model, security tests (their configs hold pickles or bytecode);
    # JAX functions, Flax modules, SavedModels (their own tests: tests/layers/test_jax_layer.py,
    # test_tfsm_layer.py)
    not_applicable = {"Layer", "Wrapper", "InputLayer", "Lambda", "TorchModuleWrapper",
                      "JaxLayer", "FlaxLayer", "TFSMLayer"}
    classes = {}
    for name in dir(kerasx.layers):
        obj = getattr(kerasx.layers, name)
        if inspect.isclass(obj) and issubclass(obj, kerasx.layers.Layer):
            classes.setdefault(obj, set()).add(name)
    uncovered = sorted(min(names) for cls, names in classes.items()
                       if not names & (covered | not_applicable))
    assert not uncovered, f"layers without a saving round-trip case: {uncovered}"


# -- optimizers ---------------------------------------------------------------------------
def _optimizer_classes():
    out = []
    for name in dir(kerasx.optimizers):
        obj = getattr(kerasx.optimizers, name)
        if inspect.isclass(obj) and issubclass(obj, kerasx.optimizers.Optimizer) \
                and obj is not kerasx.optimizers.Optimizer:
            out.append(name)
    return sorted(out)


def _dense_data(seed=0):
    rng = np.random.default_rng(seed)
    return [rng.normal(size=(8, 4)).astype("float32")], rng.normal(size=(8, 3)).astype("float32")


def _dense_model():
    return kerasx.Sequential([kerasx.Input(shape=(4,)), kerasx.layers.Dense(5, activation="tanh"),
                              kerasx.layers.Dense(3)])


@pytest.mark.parametrize("name", _optimizer_classes())
def test_optimizer_round_trip(name, tmp_path):
    cls = getattr(kerasx.optimizers, name)
    try:
        optimizer = cls(learning_rate=0.01)
    except TypeError as e:
        pytest.skip(f"{name} cannot be built with only a learning rate: {e}")
    xs, y = _dense_data()
    loaded = check_round_trip(_dense_model(), xs, y, tmp_path,
                              {"optimizer": optimizer, "loss": "mse"})
    assert type(loaded.optimizer) is cls
    assert int(loaded.optimizer.iterations) == 3


@pytest.mark.parametrize("kwargs", [
    {"momentum": 0.9, "nesterov": True},
    {"weight_decay": 0.05, "clipnorm": 1.0},
], ids=["nesterov", "decay_clip"])
def test_sgd_options_round_trip(kwargs, tmp_path):
    xs, y = _dense_data(1)
    loaded = check_round_trip(_dense_model(), xs, y, tmp_path,
                              {"optimizer": kerasx.optimizers.SGD(0.05, **kwargs), "loss": "mse"})
    config = loaded.optimizer.get_config()
    for key, value in kwargs.items():
        assert config[key] == value


def test_learning_rate_schedule_round_trip(tmp_path):
    schedules = pytest.importorskip("kerasx.optimizers.schedules")
    schedule = schedules.ExponentialDecay(0.05, decay_steps=1, decay_rate=0.5)
    xs, y = _dense_data(2)
    loaded = check_round_trip(_dense_model(), xs, y, tmp_path,
                              {"optimizer": kerasx.optimizers.Adam(schedule), "loss": "mse"})
    assert isinstance(loaded.optimizer.get_config()["learning_rate"], dict)


def test_learning_rate_changed_after_compile_is_restored(tmp_path):
    xs, y = _dense_data(3)
    model = _dense_model()
    model.compile(optimizer=kerasx.optimizers.Adam(0.01), loss="mse")
    model.fit(xs[0], y, batch_size=4, epochs=1, verbose=0)
    model.optimizer.learning_rate = 0.125
    model.save(tmp_path / "m.keras")
    loaded = kerasx.models.load_model(tmp_path / "m.keras")
    assert float(loaded.optimizer.learning_rate) == 0.125


# -- model kinds ---------------------------------------------------------------------------
def test_functional_two_outputs_with_metrics(tmp_path):
    inputs = kerasx.Input(shape=(6,), name="features")
    hidden = kerasx.layers.Dense(8, activation="relu", name="hidden")(inputs)
    reg = kerasx.layers.Dense(1, name="reg")(hidden)
    cls = kerasx.layers.Dense(3, activation="softmax", name="cls")(hidden)
    model = kerasx.Model(inputs, [reg, cls], name="two_heads")
    rng = np.random.default_rng(4)
    x = rng.normal(size=(8, 6)).astype("float32")
    y = [rng.normal(size=(8, 1)).astype("float32"), rng.integers(0, 3, size=(8,))]
    loaded = check_round_trip(model, [x], y, tmp_path, {
        "optimizer": "adam", "loss": {"reg": "mse", "cls": "sparse_categorical_crossentropy"},
        "loss_weights": {"reg": 1.0, "cls": 0.5}, "metrics": {"cls": ["accuracy"]}})
    assert [layer.name for layer in loaded.layers] == ["features", "hidden", "reg", "cls"]
    logs = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert "cls_accuracy" in logs


def test_nested_models(tmp_path):
    """A Sequential inside a functional model inside a Sequential: Keras's nested paths."""
    block = kerasx.Sequential([kerasx.Input(shape=(4,)), kerasx.layers.Dense(4, activation="relu"),
                               kerasx.layers.BatchNormalization()], name="block")
    inputs = kerasx.Input(shape=(4,))
    inner = kerasx.Model(inputs, kerasx.layers.Dense(3)(block(inputs)), name="inner")
    model = kerasx.Sequential([kerasx.Input(shape=(4,)), inner, kerasx.layers.Dense(2)])
    rng = np.random.default_rng(5)
    xs, y = [rng.normal(size=(8, 4)).astype("float32")], rng.normal(size=(8, 2)).astype("float32")
    check_round_trip(model, xs, y, tmp_path)
    paths = [e.vars_path for e in h5_weights.collect_entries(model)]
    assert "layers/functional/layers/sequential/layers/batch_normalization/vars" in paths
    assert "layers/functional/layers/input_layer/vars" in paths
    assert paths[-1] == "optimizer/vars"


@kerasx.saving.register_keras_serializable(package="saving_tests")
class Scale(kerasx.layers.Layer):
    """A custom layer with one weight."""

    def __init__(self, init=1.0, **kwargs):
        super().__init__(**kwargs)
        self.init = init

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],),
                                     initializer=kerasx.initializers.Constant(self.init))

    def call(self, x):
        return x * self.scale

    def get_config(self):
        return {**super().get_config(), "init": self.init}


@kerasx.saving.register_keras_serializable(package="saving_tests")
class TwoTower(kerasx.Model):
    """A subclassed model: Keras saves its layers as it walks `dir(model)`, where the
    `layers` property comes before `left` and `right`."""

    def __init__(self, units=3, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.left = kerasx.layers.Dense(units)
        self.right = [kerasx.layers.Dense(units), Scale(0.5)]

    def call(self, x):
        return self.left(x) + self.right[1](self.right[0](x))

    def get_config(self):
        return {"units": self.units, "name": self.name}


def test_custom_layer_round_trip(tmp_path):
    model = kerasx.Sequential([kerasx.Input(shape=(3,)), Scale(2.0), kerasx.layers.Dense(2)])
    rng = np.random.default_rng(6)
    xs, y = [rng.normal(size=(8, 3)).astype("float32")], rng.normal(size=(8, 2)).astype("float32")
    loaded = check_round_trip(model, xs, y, tmp_path)
    assert isinstance(loaded.layers[0], Scale)


def test_subclassed_model_weights_use_keras_paths(tmp_path):
    model = TwoTower()
    x = np.random.default_rng(7).normal(size=(4, 2)).astype("float32")
    model(x)
    paths = [e.vars_path for e in h5_weights.collect_entries(model)]
    # the groups Keras 3 writes for this model (its `layers` property sorts before `left`)
    assert paths == ["vars", "layers/dense/vars", "layers/dense_1/vars", "layers/scale/vars"]
    model.save_weights(tmp_path / "t.weights.h5")
    other = TwoTower()
    other(x)
    other.load_weights(tmp_path / "t.weights.h5")
    np.testing.assert_array_equal(model.predict(x, verbose=0), other.predict(x, verbose=0))


def test_subclassed_model_full_round_trip(tmp_path):
    model = TwoTower(units=2)
    rng = np.random.default_rng(8)
    xs, y = [rng.normal(size=(8, 2)).astype("float32")], rng.normal(size=(8, 2)).astype("float32")
    model(xs[0])
    check_round_trip(model, xs, y, tmp_path)


# -- options ------------------------------------------------------------------------------
def _trained(seed=0):
    xs, y = _dense_data(seed)
    model = _dense_model()
    model.compile(optimizer="adam", loss="mse", metrics=["mae"])
    model.fit(xs[0], y, batch_size=4, epochs=1, verbose=0)
    return model, xs[0], y


def test_compile_false_returns_an_uncompiled_model(tmp_path):
    model, x, _ = _trained()
    model.save(tmp_path / "m.keras")
    loaded = kerasx.models.load_model(tmp_path / "m.keras", compile=False)
    assert not loaded.compiled and loaded.optimizer is None
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_include_optimizer_false(tmp_path):
    model, x, _ = _trained()
    model.save(tmp_path / "m.keras", include_optimizer=False)
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert "compile_config" not in json.loads(zf.read("config.json"))
    loaded = kerasx.models.load_model(tmp_path / "m.keras")
    assert not loaded.compiled
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))


def test_uncompiled_and_unbuilt_optimizer(tmp_path):
    """A compiled model that never trained saves only iterations and learning rate."""
    model = _dense_model()
    model.compile(optimizer=kerasx.optimizers.Adam(0.25), loss="mse")
    model.save(tmp_path / "m.keras")
    loaded = kerasx.models.load_model(tmp_path / "m.keras")
    assert float(loaded.optimizer.learning_rate) == 0.25
    assert int(loaded.optimizer.iterations) == 0
    xs, y = _dense_data()
    for m in (model, loaded):
        m.train_on_batch(xs[0], y)
    assert_same_state(model, loaded)


def test_unzipped_directory_round_trip(tmp_path):
    model, x, _ = _trained()
    path = tmp_path / "model_dir"
    model.save(path, zipped=False)
    assert sorted(os.listdir(path)) == ["assets", "config.json", "metadata.json", "model.weights.h5"]
    model.save(path, zipped=False)  # replaces the directory
    loaded = kerasx.models.load_model(path)
    np.testing.assert_array_equal(model.predict(x, verbose=0), loaded.predict(x, verbose=0))
    assert_same_state(model, loaded)


def test_metadata_and_entries(tmp_path):
    model, _, _ = _trained()
    model.save(tmp_path / "m.keras")
    with zipfile.ZipFile(tmp_path / "m.keras") as zf:
        assert zf.namelist() == ["metadata.json", "config.json", "model.weights.h5"]
        assert all(i.compress_type == zipfile.ZIP_STORED for i in zf.infolist())
        metadata = json.loads(zf.read("metadata.json"))
        config = json.loads(zf.read("config.json"))
    assert metadata["keras_version"].startswith("3.")
    assert config["class_name"] == "Sequential" and config["module"] == "keras"
    assert config["compile_config"]["loss"] == "mse"
    assert config["compile_config"]["metrics"] == ["mae"]


def test_overwrite_false_refuses_an_existing_file(tmp_path):
    model, _, _ = _trained()
    model.save(tmp_path / "m.keras")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        model.save(tmp_path / "m.keras", overwrite=False)
    model.save_weights(tmp_path / "m.weights.h5")
    with pytest.raises(FileExistsError, match="overwrite=True"):
        model.save_weights(tmp_path / "m.weights.h5", overwrite=False)


def test_bad_extensions(tmp_path):
    model, _, _ = _trained()
    with pytest.raises(ValueError, match=r"\.keras"):
        model.save(tmp_path / "m.model")
    with pytest.raises(ValueError, match=r"must end in `\.weights\.h5`"):
        model.save_weights(tmp_path / "m.h5")
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        model.load_weights(tmp_path / "m.bin")
    with pytest.raises(ValueError, match="not supported"):
        model.save(tmp_path / "m.keras", format="h5")


# -- weights files ------------------------------------------------------------------------
def test_save_and_load_weights_restores_weights_and_optimizer(tmp_path):
    model, x, y = _trained()
    model.save_weights(tmp_path / "w.weights.h5")
    other = _dense_model()
    other.compile(optimizer="adam", loss="mse")
    other.load_weights(tmp_path / "w.weights.h5")  # builds the optimizer to restore it
    assert_same_state(model, other)
    for m in (model, other):
        m.train_on_batch(x, y)
    assert_same_state(model, other)


def test_load_weights_from_a_keras_file(tmp_path):
    model, x, _ = _trained()
    model.save(tmp_path / "m.keras")
    other = _dense_model()
    other.load_weights(tmp_path / "m.keras")  # not compiled: the optimizer state is ignored
    np.testing.assert_array_equal(model.predict(x, verbose=0), other.predict(x, verbose=0))


def test_load_weights_skip_mismatch(tmp_path):
    model, x, _ = _trained()
    model.save_weights(tmp_path / "w.weights.h5")
    other = kerasx.Sequential([kerasx.Input(shape=(4,)), kerasx.layers.Dense(5, activation="tanh"),
                               kerasx.layers.Dense(7)])
    before = other.layers[1].get_weights()
    with pytest.raises(ValueError, match=r"expected shape|has shape \(5, 7\)"):
        other.load_weights(tmp_path / "w.weights.h5")
    with pytest.warns(UserWarning, match="skip_mismatch=True"):
        other.load_weights(tmp_path / "w.weights.h5", skip_mismatch=True)
    for a, b in zip(model.layers[0].get_weights(), other.layers[0].get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(before, other.layers[1].get_weights()):
        np.testing.assert_array_equal(a, b)


def test_load_weights_into_an_unbuilt_model(tmp_path):
    model, _, _ = _trained()
    model.save_weights(tmp_path / "w.weights.h5")
    unbuilt = kerasx.Sequential([kerasx.layers.Dense(5, activation="tanh"),
                                 kerasx.layers.Dense(3)])
    with pytest.raises(ValueError, match="not yet been built"):
        unbuilt.load_weights(tmp_path / "w.weights.h5")


def test_get_and_set_weights_check_shapes():
    model, x, _ = _trained()
    weights = model.get_weights()
    assert [w.shape for w in weights] == [(4, 5), (5,), (5, 3), (3,)]
    other = _dense_model()
    other.set_weights(weights)
    np.testing.assert_array_equal(model.predict(x, verbose=0), other.predict(x, verbose=0))
    with pytest.raises(ValueError, match="expects 4 weight arrays"):
        other.set_weights(weights[:3])
    with pytest.raises(ValueError, match=r"has shape \(4, 5\) but the value given has shape"):
        other.set_weights([np.zeros((5, 4), "float32")] + weights[1:])


class _Sorted(kerasx.Model):
    """Attributes on both sides of `layers` in sorted order."""

    def __init__(self):
        super().__init__()
        self.a_dense = kerasx.layers.Dense(4)
        self.z_dense = kerasx.layers.Dense(2)

    def call(self, x):
        return self.z_dense(self.a_dense(x))


def test_subclassed_model_attributes_before_layers_keep_their_names():
    model = _Sorted()
    model(np.ones((2, 3), "float32"))
    # as Keras 3: `a_dense` is visited before the `layers` property, `z_dense` through it
    assert [e.vars_path for e in h5_weights.collect_entries(model)] == [
        "vars", "a_dense/vars", "layers/dense_1/vars"]
