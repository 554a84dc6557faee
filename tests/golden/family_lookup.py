"""Golden values of the lookup, hashing and text layers (StringLookup, IntegerLookup,
Hashing, HashedCrossing, TextVectorization) from real Keras 3.

Keras runs these layers through TensorFlow on every backend, so this family needs
an environment with tensorflow-cpu next to keras 3.15.1 (and jax, which Keras's
NumPy backend imports)::

    python3 -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install tensorflow-cpu keras==3.15.1 jax==0.10.2 jaxlib==0.10.2 scipy
    cd tests/golden && KERAS_BACKEND=numpy /tmp/tfvenv/bin/python family_lookup.py

Each case: `layer = keras.layers.<class>(**config)`; `layer.adapt(adapt)` when the
case has an `adapt` array; `y = layer(x)` (HashedCrossing: `layer((x0, x1[, x2]))`).
`vocabulary` holds `layer.get_vocabulary()` after adapt; `idf` the tf-idf weights.
"""

import os

os.environ.setdefault("KERAS_BACKEND", "numpy")

import numpy as np  # noqa: E402

import keras  # noqa: E402
from make_golden import Golden, to_np  # noqa: E402


def _keras_input(x):
    # Keras's NumPy backend takes strings as Python lists, not NumPy string arrays
    return x.tolist() if x.dtype.kind == "U" else x


def make_lookup():
    g = Golden("lookup", seed=23, description=__doc__.split("\n\n")[-1].strip())
    rng = np.random.default_rng(23)
    letters = np.array(list("abcdefgh"))
    words = letters[rng.integers(0, 8, (40,))]
    words_2d = letters[rng.integers(0, 8, (4, 5))]
    ints = rng.integers(0, 12, (30,)).astype(np.int64)
    ints_2d = rng.integers(-3, 14, (4, 5)).astype(np.int64)
    unseen = np.array([["a", "zz", "b"], ["", "c", "qq"], ["h", "yy", "a"]])
    texts = np.array(["The cat sat on the mat.", "A dog; a CAT!", "the end", "", "Élan vital, élan"])
    corpus = np.array(["the cat sat", "the dog ran away", "a cat and a dog", "The End.",
                       "dogs, cats & birds", "Élan vital"])

    cases = [
        ("StringLookup_vocab", "StringLookup", {"vocabulary": ["a", "b", "c"]}, unseen, None),
        ("StringLookup_mask", "StringLookup", {"vocabulary": ["a", "b", "c"], "mask_token": ""},
         unseen, None),
        ("StringLookup_oov3", "StringLookup", {"vocabulary": ["a", "b"], "num_oov_indices": 3},
         unseen, None),
        ("StringLookup_oov3_salt", "StringLookup",
         {"vocabulary": ["a", "b"], "num_oov_indices": 3, "salt": [7, 11]}, unseen, None),
        ("StringLookup_adapt", "StringLookup", {}, words_2d, words),
        ("StringLookup_adapt_max", "StringLookup", {"max_tokens": 5, "mask_token": "[M]"},
         words_2d, words),
        ("StringLookup_multi_hot", "StringLookup",
         {"output_mode": "multi_hot", "mask_token": ""}, unseen, words),
        ("StringLookup_count_pad", "StringLookup",
         {"output_mode": "count", "max_tokens": 12, "pad_to_max_tokens": True}, words_2d,
         words),
        ("StringLookup_one_hot", "StringLookup", {"output_mode": "one_hot",
                                                  "vocabulary": ["a", "b", "c"]},
         unseen[:, :1], None),
        ("StringLookup_tf_idf", "StringLookup", {"output_mode": "tf_idf"}, words_2d,
         words.reshape(8, 5)),
        ("StringLookup_tf_idf_pad", "StringLookup",
         {"output_mode": "tf_idf", "max_tokens": 6, "pad_to_max_tokens": True,
          "num_oov_indices": 2}, words_2d, words.reshape(10, 4)),
        ("StringLookup_tf_idf_vocab", "StringLookup",
         {"output_mode": "tf_idf", "vocabulary": ["a", "b", "c"],
          "idf_weights": [0.5, 1.0, 2.0]}, words_2d, None),
        ("IntegerLookup_mask_multi_hot", "IntegerLookup",
         {"output_mode": "multi_hot", "mask_token": 4}, ints_2d, ints),
        ("IntegerLookup_vocab", "IntegerLookup", {"vocabulary": [3, 7, 11]}, ints_2d, None),
        ("IntegerLookup_floormod", "IntegerLookup",
         {"vocabulary": [3, 7], "num_oov_indices": 4, "mask_token": 0}, ints_2d, None),
        ("IntegerLookup_farmhash", "IntegerLookup",
         {"vocabulary": [3, 7], "num_oov_indices": 3, "oov_method": "farmhash"}, ints_2d, None),
        ("IntegerLookup_farmhash_salt", "IntegerLookup",
         {"vocabulary": [3, 7], "num_oov_indices": 3, "oov_method": "farmhash",
          "salt": 99}, ints_2d, None),
        ("IntegerLookup_adapt", "IntegerLookup", {"max_tokens": 8}, ints_2d, ints),
        ("IntegerLookup_count", "IntegerLookup", {"output_mode": "count"}, ints_2d, ints),
        ("IntegerLookup_tf_idf", "IntegerLookup", {"output_mode": "tf_idf"}, ints_2d,
         ints.reshape(6, 5)),
        ("Hashing_strings", "Hashing", {"num_bins": 7}, words_2d, None),
        ("Hashing_ints", "Hashing", {"num_bins": 5}, ints_2d, None),
        ("Hashing_mask", "Hashing", {"num_bins": 4, "mask_value": ""}, unseen, None),
        ("Hashing_salt", "Hashing", {"num_bins": 6, "salt": [133, 137]}, words_2d, None),
        ("Hashing_salt_int", "Hashing", {"num_bins": 9, "salt": 5}, ints_2d, None),
        ("Hashing_floats", "Hashing", {"num_bins": 7}, ints_2d.astype(np.float32) + 0.75,
         None),
        ("Hashing_int_mask", "Hashing", {"num_bins": 5, "mask_value": 3}, ints_2d, None),
        ("Hashing_multi_hot", "Hashing", {"num_bins": 6, "output_mode": "multi_hot"}, words_2d,
         None),
        ("Hashing_count", "Hashing", {"num_bins": 5, "output_mode": "count"}, ints_2d, None),
        ("Hashing_one_hot", "Hashing", {"num_bins": 5, "output_mode": "one_hot"},
         words_2d[:, :1], None),
        ("TextVectorization_adapt", "TextVectorization", {}, texts, corpus),
        ("TextVectorization_max_len", "TextVectorization",
         {"max_tokens": 8, "output_sequence_length": 4}, texts, corpus),
        ("TextVectorization_ngrams", "TextVectorization", {"ngrams": 2}, texts, corpus),
        ("TextVectorization_ngrams_tuple", "TextVectorization", {"ngrams": (1, 3)}, texts,
         corpus),
        ("TextVectorization_character", "TextVectorization",
         {"split": "character", "standardize": "lower"}, texts, corpus),
        ("TextVectorization_strip", "TextVectorization",
         {"standardize": "strip_punctuation"}, texts, corpus),
        ("TextVectorization_none", "TextVectorization",
         {"standardize": None, "split": None}, texts.reshape(-1, 1), corpus),
        ("TextVectorization_multi_hot", "TextVectorization", {"output_mode": "multi_hot"},
         texts, corpus),
        ("TextVectorization_count", "TextVectorization",
         {"output_mode": "count", "max_tokens": 20, "pad_to_max_tokens": True}, texts, corpus),
        ("TextVectorization_tf_idf", "TextVectorization", {"output_mode": "tf_idf"}, texts,
         corpus),
        ("TextVectorization_ngrams_tf_idf", "TextVectorization",
         {"output_mode": "tf_idf", "ngrams": 2, "max_tokens": 12}, texts, corpus),
        ("TextVectorization_vocab", "TextVectorization",
         {"vocabulary": ["the", "cat", "dog"], "output_sequence_length": 6}, texts, None),
    ]
    for name, cls, config, x, adapt in cases:
        layer = getattr(keras.layers, cls)(**config)
        if adapt is not None:
            layer.adapt(_keras_input(adapt))
        y = to_np(layer(_keras_input(x)))
        arrays = {"x": x, "y": y, "adapt": adapt}
        if hasattr(layer, "get_vocabulary"):
            arrays["vocabulary"] = np.array([str(v) for v in layer.get_vocabulary()])
        lookup = getattr(layer, "_lookup_layer", layer)
        if getattr(lookup, "output_mode", None) == "tf_idf":
            arrays["idf"] = to_np(lookup.idf_weights)
        g.add(name, cls, "keras.layers", config, arrays, y_dtype=str(y.dtype))

    cross = [
        ("HashedCrossing_str_int", {"num_bins": 5},
         [np.array(["A", "B", "A", "B", "A"]), np.array([101, 101, 101, 102, 102])]),
        ("HashedCrossing_ints", {"num_bins": 17},
         [ints_2d[:, :1], ints_2d[:, 1:2] - 5]),
        ("HashedCrossing_three", {"num_bins": 11},
         [words_2d[:, 0], ints_2d[:, 0], words_2d[:, 1]]),
        ("HashedCrossing_one_hot", {"num_bins": 4, "output_mode": "one_hot"},
         [words_2d[:, :1], ints_2d[:, :1]]),
    ]
    for name, config, xs in cross:
        import tensorflow as tf

        layer = keras.layers.HashedCrossing(**config)
        y = to_np(layer(tuple(tf.constant(x) for x in xs)))
        arrays = {f"x{i}": x for i, x in enumerate(xs)}
        arrays["y"] = y
        g.add(name, "HashedCrossing", "keras.layers", config, arrays, y_dtype=str(y.dtype),
              num_inputs=len(xs))
    _add_hashes(g, rng)
    _save_model(g, unseen)
    g.write()


def _add_hashes(g, rng):
    """TensorFlow's FarmHash Fingerprint64 and keyed SipHash of byte strings of every
    length up to 129 and a few longer (every code path of both hashes)."""
    import tensorflow as tf

    lengths = list(range(130)) + [150, 200, 257, 300]
    texts = np.array(["".join(chr(c) for c in rng.integers(32, 127, n)) for n in lengths])
    fingerprints = tf.fingerprint(tf.constant(texts.tolist())).numpy()
    big = 2**63 - 1
    g.add("fingerprint64", "fingerprint64", "tensorflow", {}, {
        "x": texts, "y": np.frombuffer(fingerprints.tobytes(), "<u8").copy()})
    keys = [[133, 137], [2**62 + 5, 7]]
    g.add("siphash", "siphash", "tensorflow", {"keys": keys, "modulus": big},
          {f"y{i}": tf.strings.to_hash_bucket_strong(texts.tolist(), big, key=key).numpy()
           for i, key in enumerate(keys)})


def _save_model(g, x):
    """A Keras model whose StringLookup has its vocabulary in its config, saved to
    `lookup_model.keras`, and its predictions on `x[:, :1]`; one whose adapted
    StringLookup keeps it in the file's assets, `lookup_assets_model.keras`."""
    keras.utils.set_random_seed(3)
    model = keras.Sequential([
        keras.Input(shape=(1,), dtype="string"),
        keras.layers.StringLookup(vocabulary=["a", "b", "c", "h"], num_oov_indices=2,
                                  mask_token=""),
        keras.layers.Embedding(7, 3), keras.layers.Flatten(), keras.layers.Dense(2)])
    model.save(os.path.join(os.path.dirname(os.path.abspath(__file__)), "lookup_model.keras"))
    layer = model.layers[0]
    ids = to_np(layer(x[:, :1].tolist()))
    h = ids
    for sub in model.layers[1:]:
        h = sub(h)
    g.add("saved_model", "Sequential", "keras", {}, {"x": x[:, :1], "ids": ids, "y": to_np(h)})
    # an adapted layer: Keras keeps its vocabulary in the archive's assets/ folder
    adapted = keras.layers.StringLookup(num_oov_indices=2, mask_token="")
    adapted.adapt(x.reshape(-1).tolist())
    keras.Sequential([keras.Input(shape=(1,), dtype="string"), adapted]).save(
        os.path.join(os.path.dirname(os.path.abspath(__file__)), "lookup_assets_model.keras"))
    g.add("saved_assets_model", "Sequential", "keras", {}, {
        "x": x[:, :1], "ids": to_np(adapted(x[:, :1].tolist())),
        "vocabulary": np.array(adapted.get_vocabulary())})


if __name__ == "__main__":
    make_lookup()
