"""Random preprocessing layers and models replayed against Keras 3.15.1.

The golden family ``fuzz_preprocessing`` holds layers drawn with random arguments by a
seeded grammar (`tests/golden/fuzz_preprocessing_grammar.py`), adapted and called on
random data, and small models of preprocessing layers then trainable layers trained two
steps, with Keras's outputs; each is rebuilt here by the same recipe and must give the
same numbers. The first tests pin the differences the differential runs found.
"""

import json
import os

import numpy as np
import pytest

import kerasx
from kerasx import layers
from tests.golden import fuzz_preprocessing_recipe as recipe
from kerasx.backends import current
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases

recipe.TO_NUMPY = kerasx.ops.convert_to_numpy
HAS_FLOAT16 = hasattr(current().xp, "float16")


def numpy(x):
    return recipe.to_np(x)


# -- differences found and fixed ------------------------------------------------------------
def test_resizing_saturates_integer_images():
    # lanczos / bicubic overshoot the range of the input's dtype; Keras 3.15.1 clips
    x = np.array([0, 0, 255, 255, 0, 0], "uint8").reshape(1, 6, 1) * np.ones((3, 1, 1), "uint8")
    keras_values = {"lanczos5": [9, 0, 30, 217, 255, 217, 30, 0, 9],
                    "bicubic": [0, 0, 31, 224, 255, 224, 31, 0, 0]}
    for interpolation, expected in keras_values.items():
        y = numpy(layers.Resizing(3, 9, interpolation=interpolation)(x))
        assert y.dtype == np.uint8
        assert y[0, :, 0].tolist() == expected
    # int32 holds the overshoot (Keras 3.15.1: [9, -23, 30, 217, 304, 217, 30, -23, 9])
    y = numpy(layers.Resizing(3, 9, interpolation="lanczos5")(x.astype("int32")))
    assert y[0, :, 0].tolist() == [9, -23, 30, 217, 304, 217, 30, -23, 9]


def _discretization_data():
    """The float32 draws Keras 3.15.1 adapted to: three arrays, then three batches."""
    rng = np.random.default_rng(5)
    arrays = [rng.normal(size=(n,)).astype("float32") for n in (3333, 20, 7)]
    return arrays, [rng.normal(size=(8,)).astype("float32") for _ in range(3)]


@pytest.mark.parametrize("index, epsilon, num_bins, keras_boundaries", [
    # Keras 3.15.1's bin_boundaries after adapt on the same draws
    (0, 0.01, 7, [-1.0538650751113892, -0.5435426831245422, -0.14057214558124542,
                  0.2044842541217804, 0.5856621861457825, 1.084518551826477]),
    (1, 0.1, 4, [-0.5027790665626526, 0.42888861894607544, 0.9664046764373779]),
    (2, 0.5, 4, [-1.0814930200576782]),  # a large epsilon leaves fewer boundaries
])
def test_discretization_adapt_follows_keras_quantile_summary(index, epsilon, num_bins,
                                                            keras_boundaries):
    layer = layers.Discretization(num_bins=num_bins, epsilon=epsilon)
    layer.adapt(_discretization_data()[0][index])
    assert layer.bin_boundaries == keras_boundaries


def test_discretization_adapt_on_batches_merges_summaries():
    layer = layers.Discretization(num_bins=3, epsilon=0.1)
    layer.adapt(_discretization_data()[1])
    assert layer.bin_boundaries == [-0.7525765299797058, 0.2126370370388031]  # Keras 3.15.1


def test_discretization_with_an_integer_dtype_compares_values_as_floats():
    # the dtype is the output's; kerasx cast the inputs to it (0.09 became 0)
    layer = layers.Discretization(bin_boundaries=[0.09], dtype="int64")
    x = np.array([0.09, 3.4262457, 3.8482537, 2.3512704, 1.2878525], "float32")
    assert numpy(layer(x)).tolist() == [1, 1, 1, 1, 1]  # Keras 3.15.1
    layer = layers.Discretization(bin_boundaries=[-0.29, 0.58], dtype="int64")
    assert numpy(layer(np.array([-2.0, 0.17, 4.0]))).tolist() == [0, 1, 2]
    hot = layers.Discretization(bin_boundaries=[-0.29, 0.58], dtype="int64",
                                output_mode="one_hot")
    np.testing.assert_array_equal(numpy(hot([-2.0, 0.17, 4.0])), np.eye(3))


def test_lookup_layers_ignore_their_dtype_argument():
    # Keras 3.15.1 drops it: tf-idf stays float32 (kerasx truncated it to int32), ids int64
    tf_idf = layers.StringLookup(vocabulary=["a", "b"], idf_weights=[0.5, 1.5],
                                 output_mode="tf_idf", dtype="int32")
    y = numpy(tf_idf(np.array([["a", "b", "b", "c"]])))
    assert y.dtype == np.float32 and y.tolist() == [[1.0, 0.5, 3.0]]
    ids = numpy(layers.IntegerLookup(vocabulary=[3, 7], dtype="float64")(np.array([3, 7, 9])))
    assert ids.dtype == np.int64 and ids.tolist() == [1, 2, 0]
    text = layers.TextVectorization(vocabulary=["the"], idf_weights=[1.5], output_mode="tf_idf",
                                    dtype="float64")
    assert numpy(text(np.array(["the the cat"]))).dtype == np.float32


def test_inverse_lookup_from_a_config_without_its_vocabulary_raises(tmp_path):
    # Keras 3.15.1's config of a layer whose vocabulary came from a file
    config = {"name": "integer_lookup", "trainable": True, "invert": True, "max_tokens": None,
              "num_oov_indices": 2, "oov_token": -1, "mask_token": 7, "output_mode": "int",
              "sparse": False, "pad_to_max_tokens": False, "vocabulary_dtype": "int64",
              "idf_weights": None, "vocabulary": None, "vocabulary_size": 6,
              "oov_method": "floormod", "salt": None}
    layer = layers.IntegerLookup.from_config(config)
    with pytest.raises(ValueError, match="without its vocabulary of 6 entries"):
        layer(np.array([[3, 0, 0]]))
    layer.set_vocabulary([2, 10, 11])
    assert numpy(layer(np.array([[3, 0, 1]]))).tolist() == [[2, 7, -1]]


def test_rescaling_and_normalization_take_python_lists():
    # Keras 3.15.1 converts a nested list as a float32 tensor (kerasx raised AttributeError)
    x = np.arange(12.0).reshape(2, 3, 2)
    y = numpy(layers.Rescaling(2.0, offset=0.5)(x.tolist()))
    assert y.dtype == np.float32
    np.testing.assert_array_equal(y, x * 2.0 + 0.5)
    norm = layers.Normalization(axis=None)
    norm.adapt(x)
    np.testing.assert_allclose(numpy(norm(x.tolist())), (x - x.mean()) / x.std(), rtol=1e-5)


def test_auto_contrast_channels_first_stretches_each_channel():
    # Keras 3.15.1 reduces over axes (1, 2) whatever the data format (its bug); kerasx
    # stretches each channel of each image over its height and width
    x = (np.random.default_rng(0).random((2, 3, 4, 5)) * 100 + 50).astype("float32")
    y = numpy(layers.AutoContrast(value_range=(0, 255), data_format="channels_first")(x))
    low, high = x.min(axis=(2, 3), keepdims=True), x.max(axis=(2, 3), keepdims=True)
    np.testing.assert_allclose(y, np.clip((x - low) * (255.0 / (high - low)), 0, 255),
                               rtol=1e-5, atol=1e-4)


# -- the golden family ----------------------------------------------------------------------
CASES = load_cases("fuzz_preprocessing")
LAYER_CASES = [c for c in CASES if c["recipe"]["kind"] == "layer"]
MODEL_CASES = [c for c in CASES if c["recipe"]["kind"] == "model"]
LOOKUPS = ("StringLookup", "IntegerLookup", "TextVectorization")
# Keras 3.15.1 returns integer images unchanged in inference from these layers (other
# image layers cast them to float); kerasx casts them to the layer's dtype in all
KEEP_INTEGERS_IN_INFERENCE = ("RandomGrayscale", "RandomHue", "RandomSaturation",
                              "RandomContrast", "RandomBrightness", "Equalization",
                              "RandomInvert", "RandomPosterization",
                              "RandomColorDegeneration", "RandomColorJitter")
# config keys written differently on purpose (the dtype policy; lookup configs hold the
# vocabulary) or compared with a tolerance (Keras's float32 quantiles)
CONFIG_SKIPPED = {"dtype", "name", "vocabulary", "idf_weights", "bin_boundaries"}


def _arrays(case):
    arrays = {k: v for k, v in case["arrays"].items() if not k.startswith("k_")}
    return {k: v.astype(case["input_dtypes"][k]) for k, v in arrays.items()}


def _recipe(case):
    r = dict(case["recipe"])
    if r["kind"] == "layer":
        r["layer"] = dict(r["layer"], config=case["config"])
    return r


def _close(label, ours, theirs, rtol=1e-5):
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    if ours.shape != theirs.shape:
        return [f"{label}: shape {ours.shape}, Keras {theirs.shape}"]
    if theirs.dtype.kind == "U" or ours.dtype.kind == "U":
        same = ours.astype(str).tolist() == theirs.astype(str).tolist()
        return [] if same else [f"{label}: strings differ"]
    if theirs.dtype.kind in "iub" and ours.dtype.kind in "iub":
        return [] if np.array_equal(ours, theirs) else [f"{label}: integers differ"]
    ours, theirs = ours.astype(np.float64), theirs.astype(np.float64)
    finite = np.abs(theirs[np.isfinite(theirs)])
    scale = max(1.0, float(finite.max())) if finite.size else 1.0
    # float32 sums in another order: the error scales with the largest value
    if np.allclose(ours, theirs, rtol=rtol, atol=rtol * scale, equal_nan=True):
        return []
    return [f"{label}: max abs difference {np.nanmax(np.abs(ours - theirs)):.3g}"]


def _known_keras_bug(case):
    config = case["config"]
    return case["class"] == "AutoContrast" and config.get("data_format") == "channels_first"


def _computed_in_32_bits(case):
    """Keras on JAX (without x64) computes a float64 / int64 layer in 32 bits."""
    return case["keras_backend"] == "jax" and case["config"].get("dtype") in ("float64",
                                                                             "int64")


def _dtype_differences(case, ours):
    theirs = case["keras"]["y_dtype"]
    if ours == theirs or (ours.startswith("<U") and theirs.startswith("<U")):
        return []
    if _computed_in_32_bits(case) and theirs == ours.replace("64", "32"):
        return []
    integer_keras = theirs.startswith(("int", "uint"))
    encoding = case["config"].get("output_mode", "int") not in ("int", "tf_idf")
    if case["class"] in LOOKUPS and encoding and ours == "float32" and integer_keras:
        return []  # encodings in floatx, as Keras declares (its eager output is integer)
    if case["class"] in KEEP_INTEGERS_IN_INFERENCE and integer_keras:
        return []
    return [f"dtype {ours}, Keras {theirs}"]


def _keras_symbolic_is_wrong(case):
    """Where Keras 3.15.1's symbolic result disagrees with its own eager output:
    TextVectorization encodings of (batch, 1) strings (an extra axis), inverse StringLookup
    (int64 for strings), one_hot CategoryEncoding of a scalar, Resizing of integer images
    (float32), HashedCrossing of three inputs (raises)."""
    config, inputs = case["config"], [case["arrays"][k] for k in
                                      case["recipe"]["layer"]["inputs"]]
    name = case["class"]
    return (name == "TextVectorization" and inputs[0].ndim == 2) or \
        (name == "StringLookup" and config.get("invert")) or \
        (name == "CategoryEncoding" and inputs[0].ndim == 0) or \
        (name == "Resizing" and inputs[0].dtype.kind in "iu") or \
        (name == "HashedCrossing" and len(inputs) > 2)


def _symbolic_differences(case, meta):
    keras = case["keras"]
    image = case["recipe"]["layer"]["inputs"][0]
    if case["config"].get("data_format") == "channels_first" and \
            case["arrays"][image].ndim == 3:
        return []  # one image whose channel axis is the unknown batch axis of the Input
    if "symbolic_error" in meta:
        return [f"symbolic call raised {meta['symbolic_error'][:2]}"]
    if _keras_symbolic_is_wrong(case):
        return []
    if meta["symbolic_shape"] != keras.get("symbolic_shape"):
        return [f"symbolic shape {meta['symbolic_shape']}, Keras {keras.get('symbolic_shape')}"]
    return []


def replay_layer(case, workdir):
    keras = case["keras"]
    arrays = _arrays(case)
    outs, meta = recipe.run_layer(kerasx, _recipe(case), arrays, workdir)
    if "error" in keras:
        return [] if "error" in meta else [f"Keras raised {keras['error'][:2]}, kerasx did not"]
    if "error" in meta:
        return [f"kerasx raised {meta['error']}"]
    diffs = []
    rtol = 1e-2 if "float16" in str(case["config"].get("dtype")) else 1e-5
    if not _known_keras_bug(case) and not _computed_in_32_bits(case):
        diffs += _close("y", outs["y"], case["arrays"]["k_y"], rtol)
    diffs += _dtype_differences(case, meta["y_dtype"])
    for key in ("vocabulary", "vocabulary_size", "idf", "mean", "variance", "bin_boundaries"):
        if f"k_{key}" in case["arrays"]:
            diffs += _close(key, outs.get(key), case["arrays"][f"k_{key}"])
    if keras.get("roundtrip_same"):
        diffs += _close("y after from_config(get_config())", outs["y_roundtrip"], outs["y"])
    if "symbolic_shape" in keras or "symbolic_shape" in meta:
        diffs += _symbolic_differences(case, meta)
    theirs, ours = keras["config"], json.loads(json.dumps(meta["config"]))
    for key in sorted(set(theirs) | set(ours)):
        if key not in CONFIG_SKIPPED and theirs.get(key, "<absent>") != ours.get(key, "<absent>"):
            diffs.append(f"config {key}: kerasx {ours.get(key, '<absent>')!r}, Keras "
                         f"{theirs.get(key)!r}")
    if "adapt" not in case["recipe"]["layer"] and not _known_keras_bug(case) and \
            not isinstance(case["config"].get("vocabulary"), dict):
        layer = getattr(kerasx.layers, case["class"]).from_config(keras["config"])
        y = recipe.call_layer(layer, case["recipe"]["layer"], arrays)
        if not _computed_in_32_bits(case):
            diffs += _close("y from Keras's config", numpy(y), case["arrays"]["k_y"], rtol)
    return diffs


@pytest.mark.parametrize("case", LAYER_CASES, ids=case_ids(LAYER_CASES))
def test_layer_matches_keras(case, tmp_path):
    if "float16" in str(case["config"].get("dtype")) and not HAS_FLOAT16:
        pytest.skip("the backend has no float16 (array_api_strict lacks it)")
    assert replay_layer(case, str(tmp_path)) == []


def replay_model(case, workdir):
    init = {k[2:]: v for k, v in case["arrays"].items() if k.startswith("k_init")}
    outs, meta = recipe.run_model(kerasx, _recipe(case), _arrays(case), workdir, init=init)
    assert "error" not in meta, meta.get("trace")
    diffs = []
    # a random layer (RandomFlip) draws differently in training and in a direct call
    # (which counts as training): `predict` only then
    random = any(spec["class"].startswith("Random") for spec in case["recipe"]["layers"])
    keys = ("pred",) if random else \
        ("pred", "pred_test", "losses", "history", "eval", "pred_after")
    for key in keys:
        if f"k_{key}" in case["arrays"]:
            diffs += _close(key, outs[key], case["arrays"][f"k_{key}"])
    diffs += [d for k in outs if k.startswith("after") and not random
              for d in _close(k, outs[k], case["arrays"][f"k_{k}"])]
    if meta["count_params"] != case["keras"]["count_params"]:
        diffs.append(f"count_params {meta['count_params']}, Keras {case['keras']['count_params']}")
    return diffs


@pytest.mark.parametrize("case", MODEL_CASES, ids=case_ids(MODEL_CASES))
def test_model_matches_keras(case, tmp_path):
    assert replay_model(case, str(tmp_path)) == []


SAVED = [c for c in MODEL_CASES if "saved_as" in c["keras"]]


@pytest.mark.parametrize("case", SAVED, ids=case_ids(SAVED))
def test_model_saved_by_keras_loads(case):
    model = kerasx.models.load_model(os.path.join(GOLDEN_DIR, case["keras"]["saved_as"]))
    arrays = _arrays(case)
    np.testing.assert_allclose(numpy(model.predict(arrays["x"], verbose=0)),
                               case["arrays"]["k_pred_after"], rtol=1e-5, atol=1e-6)
