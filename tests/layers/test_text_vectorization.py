"""TextVectorization: Keras goldens (standardize, split, n-grams, every output mode),
adapt from arrays and generators, callables, errors, configs and saving."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from tests.golden.loader import case_ids, load_cases

CASES = [c for c in load_cases("lookup") if c["class"] == "TextVectorization"]
CORPUS = ["The cat sat.", "the dog ran", "A cat, a dog!"]


def numpy(x):
    return ops.convert_to_numpy(x)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_matches_keras_golden(case):
    a = case["arrays"]
    layer = layers.TextVectorization.from_config(case["config"])
    if "adapt" in a:
        layer.adapt(a["adapt"])
    assert layer.get_vocabulary() == a["vocabulary"].tolist()
    y = numpy(layer(a["x"]))
    assert y.shape == a["y"].shape
    integer = case["config"].get("output_mode", "int") == "int"
    assert y.dtype == (np.int64 if integer else np.float32)
    np.testing.assert_allclose(y, a["y"], rtol=1e-6, atol=1e-6)


def test_standardize_and_split_steps():
    layer = layers.TextVectorization(vocabulary=["hello", "world"])
    # ASCII lower-casing and Keras's punctuation set, ASCII whitespace only
    assert numpy(layer(["HeLLo,   world!\t(hello)"])).tolist() == [[2, 3, 2]]
    chars = layers.TextVectorization(split="character", standardize=None,
                                     vocabulary=["a", "b", " "])
    assert numpy(chars(["ab a"])).tolist() == [[2, 3, 4, 2]]
    whole = layers.TextVectorization(split=None, standardize="lower",
                                     vocabulary=["new york"])
    assert numpy(whole([["New York"], ["Paris"]])).tolist() == [[2], [1]]


def test_callables_get_numpy_string_arrays():
    seen = []

    def standardize(x):
        seen.append(x.shape)
        return np.char.replace(x, "-", " ")

    def split(x):
        return [s.split("|") for s in x.tolist()]

    layer = layers.TextVectorization(standardize=standardize, split=split,
                                     vocabulary=["a b", "c"])
    assert numpy(layer(["a-b|c", "c"])).tolist() == [[2, 3], [3, 0]]
    assert seen == [(2,)]


def test_ngrams_follow_tokens_in_width_order():
    layer = layers.TextVectorization(ngrams=(1, 2), standardize=None)
    layer.adapt(["x y z"])
    vocab = layer.get_vocabulary()
    out = numpy(layer(["x y z"]))[0].tolist()
    assert [vocab[i] for i in out] == ["x", "y", "z", "x y", "y z"]


def test_output_sequence_length_pads_and_cuts():
    layer = layers.TextVectorization(vocabulary=["a", "b"], output_sequence_length=3)
    assert numpy(layer(["a b a b", "b", ""])).tolist() == [[2, 3, 2], [3, 0, 0], [0, 0, 0]]
    assert numpy(layer("a")).tolist() == [2, 0, 0]
    assert layer.compute_output_shape((None,)) == (None, 3)


def test_adapt_from_generator_matches_array():
    whole = layers.TextVectorization(output_mode="tf_idf", max_tokens=6)
    whole.adapt(np.array(CORPUS))
    streamed = layers.TextVectorization(output_mode="tf_idf", max_tokens=6)
    streamed.adapt((np.array(CORPUS[i:i + 2]) for i in range(0, 3, 2)), steps=5)
    assert streamed.get_vocabulary() == whole.get_vocabulary()
    np.testing.assert_allclose(numpy(streamed(CORPUS)), numpy(whole(CORPUS)), rtol=1e-6)
    assert whole.vocabulary_size() == 6


def test_embedding_model_trains_on_vectorized_text():
    texts = np.array(["good movie", "great film", "bad movie", "awful film"] * 4)
    labels = np.array([1, 1, 0, 0] * 4, dtype="float32")
    vectorize = layers.TextVectorization(output_sequence_length=2)
    vectorize.adapt(texts)
    model = kerasx.Sequential([kerasx.Input(shape=(2,), dtype="int64"),
                               layers.Embedding(vectorize.vocabulary_size(), 4),
                               layers.GlobalAveragePooling1D(), layers.Dense(1, "sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    ids = numpy(vectorize(texts))
    history = model.fit(ids, labels, epochs=30, batch_size=16, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


@pytest.mark.parametrize("kwargs, match", [
    ({"output_mode": "bogus"}, "output_mode must be one of"),
    ({"standardize": "upper"}, "standardize must be one of"),
    ({"split": "comma"}, "split must be one of"),
    ({"ngrams": [1, 2]}, "ngrams must be None"),
    ({"output_mode": "count", "output_sequence_length": 3}, "must not be set if `output_mode` is not"),
    ({"output_mode": "one_hot"}, "needs split=None"),
    ({"ragged": True}, "not supported"),
    ({"vocabulary": ["a", "a"]}, "repeats the terms"),
])
def test_rejects_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        layers.TextVectorization(**kwargs)


def test_call_errors():
    layer = layers.TextVectorization(vocabulary=["a"])
    with pytest.raises(ValueError, match="last axis of size 1"):
        layer(np.array([["a", "b"]]))
    with pytest.raises(TypeError, match="expected strings"):
        layer(np.array([1, 2]))
    with pytest.raises(RuntimeError, match="before calling the layer"):
        layers.TextVectorization(output_mode="multi_hot")(["a"])


def test_config_round_trip_and_saving(tmp_path):
    pytest.importorskip("h5py")
    layer = layers.TextVectorization(output_mode="tf_idf", ngrams=2, max_tokens=9)
    layer.adapt(CORPUS)
    config = layer.get_config()
    assert config["vocabulary"] == layer.get_vocabulary()
    again = layers.TextVectorization.from_config(config)
    np.testing.assert_allclose(numpy(again(CORPUS)), numpy(layer(CORPUS)), rtol=1e-6)
    model = kerasx.Sequential([kerasx.Input(shape=(1,), dtype="string"), layer,
                               layers.Dense(2)])
    path = str(tmp_path / "text.keras")
    model.save(path)
    loaded = kerasx.models.load_model(path)
    x = np.array([["the cat ran"], ["dogs"]])
    np.testing.assert_allclose(numpy(loaded.layers[1](loaded.layers[0](x))),
                               numpy(model.layers[1](layer(x))), rtol=1e-6)
