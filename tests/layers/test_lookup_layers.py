"""StringLookup, IntegerLookup, Hashing and HashedCrossing: Keras goldens (computed by
Keras through TensorFlow), FarmHash/SipHash against TensorFlow, adapt from arrays,
generators and PyDatasets, invert, vocabulary files, errors, configs and saving."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.layers.preprocessing._farmhash import fingerprint64
from kerasx.layers.preprocessing._siphash import siphash24
from kerasx.utils import PyDataset
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases

CASES = load_cases("lookup")
LAYER_CASES = [c for c in CASES if c["class"] in
               ("StringLookup", "IntegerLookup", "Hashing", "HashedCrossing")]
BY_NAME = {c["name"]: c for c in CASES}
VOCAB = ["a", "b", "c"]


def numpy(x):
    return ops.convert_to_numpy(x)


def build(case):
    layer = getattr(layers, case["class"]).from_config(case["config"])
    if "adapt" in case["arrays"]:
        layer.adapt(case["arrays"]["adapt"])
    return layer


# -- Keras goldens ------------------------------------------------------------------------
@pytest.mark.parametrize("case", LAYER_CASES, ids=case_ids(LAYER_CASES))
def test_matches_keras_golden(case):
    a = case["arrays"]
    layer = build(case)
    if case["class"] == "HashedCrossing":
        y = layer(tuple(a[f"x{i}"] for i in range(case["num_inputs"])))
    else:
        y = layer(a["x"])
    y = numpy(y)
    assert y.shape == a["y"].shape
    # integer outputs are int64 (Keras's declared dtype); encodings are floatx
    integer = case["config"].get("output_mode", "int") == "int"
    assert y.dtype == (np.int64 if integer else np.float32)
    np.testing.assert_allclose(y, a["y"], rtol=1e-6, atol=1e-6)
    if "vocabulary" in a:
        assert [str(v) for v in layer.get_vocabulary()] == a["vocabulary"].tolist()
    if "idf" in a:
        np.testing.assert_allclose(numpy(layer.idf_weights), a["idf"], rtol=1e-6)


def test_fingerprint64_matches_tensorflow():
    case = BY_NAME["fingerprint64"]["arrays"]
    got = [fingerprint64(t.encode()) for t in case["x"].tolist()]
    assert got == [int(v) for v in case["y"]]


def test_siphash_matches_tensorflow():
    case = BY_NAME["siphash"]
    texts = BY_NAME["fingerprint64"]["arrays"]["x"].tolist()
    modulus = case["config"]["modulus"]
    for i, (k0, k1) in enumerate(case["config"]["keys"]):
        got = [siphash24(k0, k1, t.encode()) % modulus for t in texts]
        assert got == [int(v) for v in case["arrays"][f"y{i}"]]


def test_hashing_docstring_examples():
    x = [["A"], ["B"], ["C"], ["D"], ["E"]]
    assert numpy(layers.Hashing(num_bins=3)(x)).ravel().tolist() == [1, 0, 1, 1, 2]
    assert numpy(layers.Hashing(num_bins=3, salt=[133, 137])(x)).ravel().tolist() == \
        [1, 2, 1, 0, 2]
    assert numpy(layers.Hashing(num_bins=3, salt=133)(x)).ravel().tolist() == [0, 0, 2, 1, 0]
    masked = layers.Hashing(num_bins=3, mask_value="")([["A"], ["B"], [""], ["C"], ["D"]])
    assert numpy(masked).ravel().tolist() == [1, 1, 0, 2, 2]


def test_hashing_int_dtype_and_encodings():
    x = [["a", "b"], ["c", "a"]]
    ids = layers.Hashing(num_bins=4, dtype="int32")(x)
    assert numpy(ids).dtype == np.int32
    count = numpy(layers.Hashing(num_bins=4, output_mode="count")(x))
    np.testing.assert_array_equal(count.sum(axis=1), [2, 2])
    np.testing.assert_array_equal(count, [np.bincount(r, minlength=4) for r in numpy(ids)])


def test_bytes_hash_as_their_bytes():
    raw = [b"\xff\xfe", "é".encode(), b"abc"]
    got = numpy(layers.Hashing(num_bins=10**9)(np.array(raw, dtype=object)))
    assert got.tolist() == [fingerprint64(r) % 10**9 for r in raw]
    lookup = layers.StringLookup(vocabulary=["é", "abc"])
    assert numpy(lookup(np.array(raw))).tolist() == [0, 1, 2]


def test_keras_saved_lookup_model_loads():
    """A Keras file whose StringLookup keeps its vocabulary in the config."""
    model = kerasx.models.load_model(os.path.join(GOLDEN_DIR, "lookup_model.keras"))
    a = BY_NAME["saved_model"]["arrays"]
    ids = model.layers[0](a["x"])
    np.testing.assert_array_equal(numpy(ids), a["ids"])
    h = ids
    for layer in model.layers[1:]:
        h = layer(h)
    np.testing.assert_allclose(numpy(h), a["y"], rtol=1e-5, atol=1e-6)


def test_keras_file_with_vocabulary_in_assets():
    """Keras keeps an adapted vocabulary in the archive's assets/: `load_model` reads it
    back through the layer's `load_assets`, as Keras's does."""
    path = os.path.join(GOLDEN_DIR, "lookup_assets_model.keras")
    a = BY_NAME["saved_assets_model"]["arrays"]
    layer = kerasx.models.load_model(path).layers[0]
    assert layer.get_vocabulary() == a["vocabulary"].tolist()
    np.testing.assert_array_equal(numpy(layer(a["x"])), a["ids"])


def test_keras_state_hooks_round_trip(tmp_path):
    layer = layers.StringLookup(output_mode="tf_idf", num_oov_indices=2)
    layer.adapt([["a", "b", "b"], ["c", "b", "a"]])
    store = {}
    layer.save_own_variables(store)
    layer.save_assets(str(tmp_path))
    fresh = layers.StringLookup(output_mode="tf_idf", num_oov_indices=2)
    fresh.load_own_variables(store)
    fresh.load_assets(str(tmp_path))
    assert fresh.get_vocabulary() == layer.get_vocabulary()
    x = [["c", "zz", "b"]]
    np.testing.assert_allclose(numpy(fresh(x)), numpy(layer(x)), rtol=1e-6)


# -- semantics ----------------------------------------------------------------------------
def test_index_layout_with_mask_and_oov():
    layer = layers.StringLookup(vocabulary=VOCAB, mask_token="", num_oov_indices=2)
    assert layer.get_vocabulary() == ["", "[UNK]", "[UNK]", "a", "b", "c"]
    assert layer.get_vocabulary(include_special_tokens=False) == VOCAB
    assert layer.vocabulary_size() == 6
    out = numpy(layer([["a", "", "c"]]))
    assert out.tolist() == [[3, 0, 5]]
    assert numpy(layer("b")).shape == ()


def test_vocabulary_given_with_special_tokens_is_the_same():
    plain = layers.StringLookup(vocabulary=VOCAB, mask_token="")
    special = layers.StringLookup(vocabulary=["", "[UNK]"] + VOCAB, mask_token="")
    assert plain.get_vocabulary() == special.get_vocabulary()


def test_mask_tokens_are_dropped_from_encodings():
    layer = layers.StringLookup(vocabulary=VOCAB, mask_token="", output_mode="count")
    assert layer.get_vocabulary() == ["[UNK]"] + VOCAB
    np.testing.assert_array_equal(numpy(layer([["a", "", "a", "zz"]])), [[1, 2, 0, 0]])


def test_adapt_orders_by_count_then_larger_token():
    layer = layers.StringLookup()
    layer.adapt(np.array(["b", "a", "c", "a", "b", "d"]))
    assert layer.get_vocabulary() == ["[UNK]", "b", "a", "d", "c"]
    ints = layers.IntegerLookup(max_tokens=3)
    ints.adapt([5, 1, 5, 1, 9, 9, 2])
    assert ints.get_vocabulary() == [-1, 9, 5]


def _batches(words, size):
    return [words[i:i + size] for i in range(0, len(words), size)]


def test_adapt_from_generator_and_pydataset_matches_array():
    rng = np.random.default_rng(0)
    docs = np.array(list("abcdefg"))[rng.integers(0, 7, (12, 4))]
    whole = layers.StringLookup(output_mode="tf_idf")
    whole.adapt(docs)

    class Docs(PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, i):
            return docs[4 * i:4 * i + 4], np.zeros(4)

    for data in ((b for b in _batches(docs, 5)), Docs()):
        layer = layers.StringLookup(output_mode="tf_idf")
        layer.adapt(data)
        assert layer.get_vocabulary() == whole.get_vocabulary()
        np.testing.assert_allclose(numpy(layer.idf_weights), numpy(whole.idf_weights),
                                   rtol=1e-6)


def test_adapt_steps_reads_that_many_batches():
    layer = layers.StringLookup()
    layer.adapt(iter([np.array([["a"]]), np.array([["b"]]), np.array([["c"]])]), steps=2)
    assert layer.get_vocabulary(include_special_tokens=False) == ["b", "a"]


def test_tf_idf_weights_are_log_of_document_frequency():
    docs = [["a", "a", "b"], ["b", "c", "c"]]
    layer = layers.StringLookup(output_mode="tf_idf")
    layer.adapt(docs)
    assert layer.get_vocabulary() == ["[UNK]", "c", "b", "a"]
    expected = [np.log(1 + 2 / 2), np.log(1 + 2 / 3), np.log(1 + 2 / 2)]
    idf = numpy(layer.idf_weights)
    np.testing.assert_allclose(idf[1:], expected, rtol=1e-6)
    np.testing.assert_allclose(idf[0], np.mean(idf[1:]), rtol=1e-6)
    np.testing.assert_allclose(numpy(layer([["c", "c", "zz"]])),
                               [[idf[0], 2 * idf[1], 0, 0]], rtol=1e-6)


def test_invert_maps_indices_back():
    lookup = layers.StringLookup(vocabulary=VOCAB, mask_token="")
    inverse = layers.StringLookup(vocabulary=VOCAB, mask_token="", invert=True)
    x = np.array([["a", "", "c"], ["b", "zz", "a"]])
    back = inverse(lookup(x))
    assert back.tolist() == [["a", "", "c"], ["b", "[UNK]", "a"]]
    ints = layers.IntegerLookup(vocabulary=[10, 20], invert=True)
    assert numpy(ints([1, 2, 7])).tolist() == [10, 20, -1]


def test_one_hot_and_multi_hot_shapes():
    layer = layers.StringLookup(vocabulary=VOCAB, output_mode="one_hot")
    assert numpy(layer(["a", "b"])).shape == (2, 4)
    assert numpy(layer([["a"], ["b"]])).shape == (2, 4)
    assert numpy(layer([["a", "b"]])).shape == (1, 2, 4)
    padded = layers.StringLookup(vocabulary=VOCAB, output_mode="multi_hot", max_tokens=10,
                                 pad_to_max_tokens=True)
    assert numpy(padded([["a", "b"]])).shape == (1, 10)
    assert padded.compute_output_shape((None, 2)) == (None, 10)


def test_integer_oov_methods():
    floormod = layers.IntegerLookup(vocabulary=[3], num_oov_indices=4)
    assert numpy(floormod([-1, 5, 3])).tolist() == [3, 1, 4]
    farm = layers.IntegerLookup(vocabulary=[3], num_oov_indices=4, oov_method="farmhash")
    expected = [fingerprint64(str(v).encode()) % 4 for v in (-1, 5)] + [4]
    assert numpy(farm([-1, 5, 3])).tolist() == expected


def test_set_vocabulary_replaces_and_file_vocabulary(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("x\ny\nz\n", encoding="utf-8")
    layer = layers.StringLookup(vocabulary=str(path))
    assert layer.get_vocabulary() == ["[UNK]", "x", "y", "z"]
    layer.set_vocabulary(["q"])
    assert numpy(layer(["q", "x"])).tolist() == [1, 0]
    ints = tmp_path / "ints.txt"
    ints.write_text("4\n8\n")
    assert layers.IntegerLookup(vocabulary=str(ints)).get_vocabulary() == [-1, 4, 8]


def test_vocabulary_file_refused_in_safe_mode(tmp_path):
    path = tmp_path / "vocab.txt"
    path.write_text("x\n")
    config = {"module": "keras.layers", "class_name": "StringLookup",
              "config": {"vocabulary": str(path)}, "registered_name": None}
    with pytest.raises(ValueError, match="safe mode"):
        kerasx.saving.deserialize_keras_object(config)
    layer = kerasx.saving.deserialize_keras_object(config, safe_mode=False)
    assert layer.get_vocabulary() == ["[UNK]", "x"]


# -- errors -------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs, match", [
    ({"output_mode": "bogus"}, "output_mode must be one of"),
    ({"vocabulary": ["a", "b", "a"]}, "repeats the terms \\['a'\\]"),
    ({"vocabulary": ["a", ""], "mask_token": ""}, "reserved mask_token"),
    ({"vocabulary": ["a", "[UNK]"], "invert": True}, "reserved oov_token"),
    ({"invert": True, "output_mode": "one_hot"}, "must be 'int'"),
    ({"sparse": True, "output_mode": "multi_hot"}, "sparse=True is not supported"),
    ({"max_tokens": 1}, "greater than 1"),
    ({"max_tokens": 3, "vocabulary": VOCAB}, "max_tokens=3"),
    ({"num_oov_indices": -1}, "num_oov_indices must be"),
    ({"pad_to_max_tokens": True}, "needs max_tokens"),
    ({"vocabulary": VOCAB, "output_mode": "tf_idf"}, "idf_weights must be given"),
    ({"idf_weights": [1.0]}, "only used with output_mode='tf_idf'"),
    ({"salt": "x"}, "salt must be an integer"),
    ({"vocabulary": [[["a"]]]}, "must be 1-D"),
])
def test_string_lookup_rejects_bad_arguments(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        layers.StringLookup(**kwargs)


def test_call_errors():
    strict = layers.StringLookup(vocabulary=VOCAB, num_oov_indices=0)
    with pytest.raises(ValueError, match="out-of-vocabulary values \\['zz'\\]"):
        strict(["a", "zz"])
    with pytest.raises(TypeError, match="expected string inputs, received int"):
        layers.StringLookup(vocabulary=VOCAB)([1, 2])
    with pytest.raises(RuntimeError, match="must be known before the layer is called"):
        layers.StringLookup(output_mode="multi_hot")(["a"])
    with pytest.raises(ValueError, match="Cannot adapt"):
        layers.StringLookup(vocabulary=VOCAB).adapt(["a"])
    frozen = layers.StringLookup(output_mode="count")
    frozen.adapt(["a", "b"])
    with pytest.raises(RuntimeError, match="cannot change once set"):
        frozen.adapt(["a", "b", "c"])
    with pytest.raises(ValueError, match="salt is only used with oov_method='farmhash'"):
        layers.IntegerLookup(salt=3)
    with pytest.raises(TypeError, match="expected integers, received 2.5"):
        layers.IntegerLookup(vocabulary=[1, 2])([1.0, 2.5])
    with pytest.raises(ValueError, match="rectangular"):
        layers.StringLookup(vocabulary=VOCAB)([["a"], ["a", "b"]])


def test_hashing_and_crossing_errors():
    with pytest.raises(ValueError, match="num_bins must be a positive integer"):
        layers.Hashing(num_bins=0)
    with pytest.raises(ValueError, match="dtype must be 'int32' or 'int64'"):
        layers.Hashing(num_bins=3, dtype="float32")
    with pytest.raises(ValueError, match="argument `output_mode`. Expected one of"):
        layers.Hashing(num_bins=3, output_mode="tf_idf")
    cross = layers.HashedCrossing(num_bins=3)
    with pytest.raises(ValueError, match="at least two features"):
        cross([np.array([1, 2])])
    with pytest.raises(ValueError, match="same shape"):
        cross([np.array([1, 2]), np.array([1, 2, 3])])
    with pytest.raises(ValueError, match="shape \\(\\), \\(batch,\\) or \\(batch, 1\\)"):
        cross([np.ones((2, 3), "int64"), np.ones((2, 3), "int64")])
    with pytest.raises(ValueError, match="output_mode must be one of"):
        layers.HashedCrossing(num_bins=3, output_mode="count")


# -- configs and saving -------------------------------------------------------------------
def test_config_round_trip_keeps_adapted_vocabulary_and_idf():
    layer = layers.StringLookup(output_mode="tf_idf", mask_token="")
    layer.adapt([["a", "b", ""], ["b", "c", "c"]])
    again = layers.StringLookup.from_config(layer.get_config())
    assert again.get_vocabulary() == layer.get_vocabulary()
    x = [["c", "a", "zz", ""]]
    np.testing.assert_allclose(numpy(again(x)), numpy(layer(x)), rtol=1e-6)
    hashing = layers.Hashing(num_bins=5, salt=3, mask_value="")
    assert layers.Hashing.from_config(hashing.get_config()).get_config() == hashing.get_config()


def test_saved_model_keeps_vocabularies(tmp_path):
    pytest.importorskip("h5py")
    words = layers.StringLookup(num_oov_indices=2)
    words.adapt(np.array(["b", "a", "b", "c"]))
    model = kerasx.Sequential([kerasx.Input(shape=(1,), dtype="string"), words,
                               layers.Embedding(6, 2), layers.Flatten(), layers.Dense(1)])
    ints = kerasx.Sequential([kerasx.Input(shape=(2,), dtype="int64"),
                              layers.IntegerLookup(vocabulary=[7, 9], output_mode="count"),
                              layers.Dense(1)])
    for m in (model, ints):
        m.save(str(tmp_path / f"{m.name}.keras"))
    loaded = kerasx.models.load_model(str(tmp_path / f"{model.name}.keras"))
    assert loaded.layers[0].get_vocabulary() == words.get_vocabulary()
    x = np.array([["a"], ["zz"], ["c"]])
    np.testing.assert_array_equal(numpy(loaded.layers[0](x)), numpy(words(x)))
    loaded_ints = kerasx.models.load_model(str(tmp_path / f"{ints.name}.keras"))
    xi = np.array([[7, 9], [9, 1]])
    np.testing.assert_allclose(numpy(loaded_ints(xi)), numpy(ints(xi)), rtol=1e-6)
