"""`set_floatx("float16")` and `set_floatx("bfloat16")`, against Keras 3.15.1 (JAX).

The golden family `floatx_half` (tests/golden/family_floatx_half.py) holds small models
trained two steps under each half floatx from Keras's initial weights, the dtypes that
floatx decides outside models, and a model Keras saved under a float16 floatx; the
other tests pin what was found that way, with Keras's numbers."""

import importlib.util
import os

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current
from kerasx.optimizers.host_scalar import round_to
from tests.golden import floatx_half_recipe as recipe
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases

CASES = load_cases("floatx_half")
HAS_FLOAT16 = current().name in ("numpy", "cupy")
HAS_BFLOAT16 = HAS_FLOAT16 and importlib.util.find_spec("ml_dtypes") is not None
NO_HALF = "array_api_strict has no float16 / bfloat16 (set_floatx refuses them there)"
# after two steps in half precision the libraries round differently (XLA fuses and
# accumulates in float32): the largest differences seen are 0.002 (float16, two ulps
# of values near 1) and 0.016 (bfloat16, two ulps of values near 2)
TOLERANCE = {"float16": 5e-3, "bfloat16": 3e-2}


def _skip_unless(floatx):
    if not HAS_FLOAT16:
        pytest.skip(NO_HALF)
    if floatx == "bfloat16" and not HAS_BFLOAT16:
        pytest.skip("bfloat16 needs ml_dtypes on the numpy or cupy backend")


@pytest.fixture(autouse=True)
def _restore_floatx():
    yield
    keras.config.set_floatx("float32")
    keras.config.set_dtype_policy("float32")
    keras.utils.clear_session()


def _f64(x):
    return np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(x, "float32")), "float64")


@pytest.mark.parametrize("case", [c for c in CASES if c["class"] == "fit"],
                         ids=case_ids([c for c in CASES if c["class"] == "fit"]))
def test_golden_models_trained_under_a_half_floatx(case):
    config = case["config"]
    _skip_unless(config["floatx"])
    w0 = [case["arrays"][f"w0_{i}"] for i in range(case["n_weights"])]
    got_w0, arrays, got = recipe.run(keras, config, weights=w0)
    want = case["results"]
    for key in ("weight_dtypes", "predict_dtype", "layer_policies", "optimizer_variables",
                "iterations", "metric_variables"):
        assert got[key] == want[key], key
    assert got["learning_rate"] == want["learning_rate"]
    tol = TOLERANCE[config["floatx"]]
    for key in ("history", "evaluate"):
        assert list(got[key]) == list(want[key])
        for name in want[key]:
            if name == "auc" and config["floatx"] == "bfloat16":
                # 8 predictions 0.004 apart in bfloat16 against 200 thresholds: one
                # prediction a bucket over moves the AUC by 1/16 (its dtypes are checked)
                continue
            np.testing.assert_allclose(got[key][name], want[key][name], rtol=tol, atol=tol,
                                       err_msg=f"{key}[{name}]")
    for name, value in arrays.items():
        np.testing.assert_allclose(value, case["arrays"][name], rtol=tol, atol=tol,
                                   err_msg=name)


@pytest.mark.parametrize("floatx", ["float16", "bfloat16"])
def test_golden_dtypes_outside_models(floatx):
    _skip_unless(floatx)
    want = load_cases_by_name()[f"probe_{floatx}"]["results"]
    got = recipe.probe(keras, floatx)
    if floatx == "bfloat16":
        # Keras's backends disagree on the variance of integers under a bfloat16 floatx
        # (JAX float32, NumPy float16, read off the name's "16"); kerasx gives floatx, as
        # both do under float16
        assert want.pop("var_int") == "float32" and got.pop("var_int") == "bfloat16"
    assert got == want


def test_a_model_keras_saved_under_a_float16_floatx_loads_and_predicts_alike():
    _skip_unless("float16")
    case = load_cases_by_name()["saved_model"]
    model = keras.saving.load_model(os.path.join(GOLDEN_DIR, case["config"]["file"]))
    assert {recipe.dtype_name(keras, w) for w in model.weights} == {"float16"}
    predicted = model.predict(case["arrays"]["x"], verbose=0)
    assert recipe.dtype_name(keras, predicted) == "float16"
    np.testing.assert_allclose(_f64(predicted), case["arrays"]["predict"], rtol=1e-2,
                               atol=1e-3)


def load_cases_by_name():
    return {c["name"]: c for c in CASES}


def test_set_floatx_takes_half_types_where_the_backend_has_them():
    if not HAS_FLOAT16:
        with pytest.raises(ValueError, match="Cannot set floatx to 'float16'.*array_api_strict"):
            keras.config.set_floatx("float16")
        assert keras.config.floatx() == "float32"
        return
    keras.config.set_floatx("float16")
    assert keras.config.floatx() == "float16"
    assert keras.config.dtype_policy().name == "float16"
    layer = keras.layers.Dense(2)
    y = layer(np.ones((1, 3), "float32"))
    assert layer.dtype_policy.name == "float16"
    assert recipe.dtype_name(keras, layer.kernel) == recipe.dtype_name(keras, y) == "float16"
    with pytest.raises(ValueError, match="Unknown floatx 'float8'"):
        keras.config.set_floatx("float8")
    assert keras.config.floatx() == "float16"


@pytest.mark.parametrize("floatx, rounded", [("float16", 0.0999755859375),
                                             ("bfloat16", 0.10009765625)])
def test_the_learning_rate_holds_the_number_rounded_to_floatx(floatx, rounded):
    """Keras's learning-rate variable is a floatx: a float32 weight under the mixed
    policy steps by the rounded rate (w = 1 - 0.0999755859375 under float16)."""
    _skip_unless(floatx)
    keras.config.set_floatx(floatx)
    optimizer = keras.optimizers.SGD(learning_rate=0.1)
    assert float(optimizer.learning_rate) == rounded
    variable = keras.Variable(np.ones(2, "float32"))
    optimizer.apply_gradients([(np.ones(2, "float32"), variable)])
    np.testing.assert_array_equal(_f64(variable), np.float32(1 - np.float32(rounded)))


def test_round_to_rounds_as_numpy_casts():
    values = [0.1, 1e-3, 1e-7, 65504.0, 65520.0, -1e6, 3.0e-8, 1.0 + 2 ** -9, 3.4e38]
    for value in values:
        assert round_to(value, "float16") == float(np.float16(value)) or (
            np.isinf(round_to(value, "float16")) and np.isinf(np.float16(value)))
        assert round_to(value, "float32") == float(np.float32(value))
    # bfloat16: to nearest, ties to even, on the upper bits of the float32 pattern
    assert round_to(1.0 + 2 ** -8, "bfloat16") == 1.0
    assert round_to(1.0 + 3 * 2 ** -8, "bfloat16") == 1.0 + 2 ** -6
    assert round_to(0.1, "bfloat16") == 0.10009765625
    assert round_to(0.1, "float64") == 0.1


# Keras 3.15.1 on JAX: two steps of apply_gradients on float16 weights linspace(-1, 1, 8)
# with gradients g, then 2 g. Keras multiplies the moment by the step size before it
# divides: for the tiniest moments that product underflows to zero, so the weights at
# -1.0 and 1.0 stay (dividing first gave -1.085 and 1.0088). The others agree within
# two float16 ulps (Keras rounds beta_1 and beta_2 to float16 in its step size).
_GRADIENT = np.array([1e-5, 3e-4, 1e-3, 0.02, 0.5, -1.3, 4.0, -1e-6], "float32")
_KERAS_FLOAT16 = {
    "Adam": [-1.0, -3.21484375, -8.4296875, -0.161865234375, 0.1234130859375,
             0.44775390625, 0.69482421875, 1.0],
    "Adamax": [-1.0, -0.73193359375, -0.446044921875, -0.1605224609375, 0.1251220703125,
               0.446044921875, 0.69677734375, 1.0],
}


@pytest.mark.parametrize("name", sorted(_KERAS_FLOAT16))
def test_adam_on_float16_weights_steps_as_keras(name):
    _skip_unless("float16")
    keras.config.set_floatx("float16")
    variable = keras.Variable(np.linspace(-1, 1, 8).astype("float16"))
    optimizer = getattr(keras.optimizers, name)(learning_rate=0.01)
    for step in range(2):
        optimizer.apply_gradients([(keras.ops.cast(_GRADIENT * (1 + step), "float16"),
                                    variable)])
    got, want = _f64(variable), np.array(_KERAS_FLOAT16[name])
    assert got[0] == want[0] and got[-1] == want[-1]
    np.testing.assert_allclose(got, want, rtol=0, atol=5e-4)


def test_adam_steps_bfloat16_weights():
    """Keras 3.15.1 leaves bfloat16 weights unchanged under Adam: it rounds beta_2 =
    0.999 to bfloat16 (1.0), so its step size sqrt(1 - beta_2 ** t) is 0. kerasx steps
    as in float64: the first step moves each weight by about the learning rate."""
    _skip_unless("bfloat16")
    keras.config.set_floatx("bfloat16")
    variable = keras.Variable(np.array([0.5, -2.0], "float32"), dtype="bfloat16")
    optimizer = keras.optimizers.Adam(learning_rate=0.01)
    optimizer.apply_gradients([(keras.ops.cast(np.array([0.3, -0.7]), "bfloat16"), variable)])
    # float64 Adam gives 0.4900001 and -1.9900000; these are their nearest bfloat16s
    np.testing.assert_array_equal(_f64(variable), [0.490234375, -1.9921875])


@pytest.mark.parametrize("floatx", ["float16", "bfloat16"])
def test_means_of_integers_are_float32_under_a_half_floatx(floatx):
    """Keras averages integers in float32 whatever floatx is (both its JAX and NumPy
    backends); a variance is computed so and returned as floatx."""
    _skip_unless(floatx)
    keras.config.set_floatx(floatx)
    ints = np.array([[1, 2], [3, 2049]], "int32")
    mean = keras.ops.mean(ints)
    assert recipe.dtype_name(keras, mean) == "float32"
    assert float(_f64(mean)) == 513.75  # float16 cannot hold it
    assert recipe.dtype_name(keras, keras.ops.moments(ints, axes=[0])[0]) == "float32"
    assert recipe.dtype_name(keras, keras.ops.var(ints)) == floatx


def test_training_and_saving_under_float16(tmp_path):
    _skip_unless("float16")
    keras.config.set_floatx("float16")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="relu"),
                              keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    x = np.linspace(-1, 1, 32).reshape(8, 4).astype("float16")
    history = model.fit(x, x[:, :1], batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])
    assert int(model.optimizer.iterations) == 2
    path = str(tmp_path / "half.keras")
    model.save(path)
    keras.config.set_floatx("float32")
    loaded = keras.saving.load_model(path)
    assert {recipe.dtype_name(keras, w) for w in loaded.weights} == {"float16"}
    np.testing.assert_array_equal(_f64(loaded.predict(x, verbose=0)),
                                  _f64(model.predict(x, verbose=0)))
