"""Golden values of `keras.utils.FeatureSpace` from real Keras 3.

Keras's FeatureSpace runs its layers through TensorFlow (`tf.data`), so this family
needs an environment with tensorflow-cpu next to keras 3.15.1::

    python3 -m venv /tmp/tfvenv
    /tmp/tfvenv/bin/pip install tensorflow-cpu keras==3.15.1
    cd tests/golden && KERAS_BACKEND=tensorflow /tmp/tfvenv/bin/python family_feature_space.py

Each case: `fs = keras.utils.FeatureSpace(**config)` (feature and cross objects are
described in `features_spec` / `crosses_spec`, see `_build`); `fs.adapt(...)` on the
table `train_*` (a dict of arrays, or a `tf.data` dataset of batches of `batch_size`
rows); then `y = fs(test table)`, `y_single = fs(one test row as Python scalars)` and
`y_train = fs(train table)` (dict mode: `y__<key>`, ...); `vocab__<feature>` and
`boundaries__<feature>` hold what adapt learned; `keras_config` is `fs.get_config()`.
The case `saved_hashed` also names `feature_space_hashed.keras`, a FeatureSpace of
float, hashed and discretized features saved by Keras.
"""

import json
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import numpy as np  # noqa: E402

import keras  # noqa: E402
from make_golden import Golden, to_np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FS = keras.utils.FeatureSpace


def _table(rng, n):
    cities = np.array(["paris", "rome", "oslo", "lima", "kyiv"])
    tags = np.array(["x", "y", "z", "w", "v", "u"])
    return {
        "age": rng.normal(40, 12, n).round(1).astype(np.float32),
        "fare": rng.uniform(5, 80, n).astype(np.float32),
        "rate": rng.integers(0, 10, n).astype(np.float32),
        "temp": rng.normal(15, 8, n).astype(np.float32),
        "rooms": rng.integers(1, 6, n).astype(np.int64),
        "city": cities[rng.choice(5, n, p=[0.35, 0.25, 0.2, 0.15, 0.05])],
        "tag": tags[rng.integers(0, 6, n)],
        "code": rng.integers(100, 120, n).astype(np.int64),
    }


def _test_table(rng):
    table = _table(rng, 6)
    table["city"][1] = "bern"  # out of vocabulary
    table["rooms"][2] = 9
    table["temp"][3] = -40.0  # below every boundary
    return table


def _build(features_spec, crosses_spec, config):
    """A FeatureSpace from a JSON description: a feature is a type name, or
    `[class method, kwargs]`; a cross is a list of names, or `[names, kwargs]`."""
    features = {name: spec if isinstance(spec, str) else getattr(FS, spec[0])(**spec[1])
                for name, spec in features_spec.items()}
    crosses = [tuple(c) if isinstance(c[0], str) else FS.cross(tuple(c[0]), **c[1])
               for c in crosses_spec]
    return FS(features=features, crosses=crosses or None, **config)


def _outputs(prefix, out):
    if isinstance(out, dict):
        return {f"{prefix}__{k}": to_np(v) for k, v in out.items()}
    return {prefix: to_np(out)}


def _learned(fs):
    arrays = {}
    for name, layer in fs.preprocessors.items():
        if hasattr(layer, "get_vocabulary"):
            arrays[f"vocab__{name}"] = np.array([str(v) for v in layer.get_vocabulary()])
        if isinstance(layer, keras.layers.Discretization):
            arrays[f"boundaries__{name}"] = np.array(layer.bin_boundaries, np.float64)
        if isinstance(layer, keras.layers.Normalization):
            arrays[f"mean__{name}"] = to_np(layer.mean).reshape(-1)
            arrays[f"variance__{name}"] = to_np(layer.variance).reshape(-1)
    return arrays


def make_feature_space():
    import tensorflow as tf

    g = Golden("feature_space", seed=31, description=__doc__.split("\n\n")[3].strip())
    rng = np.random.default_rng(31)
    train, test = _table(rng, 40), _test_table(rng)
    every_kind = {"age": "float_normalized", "fare": "float", "rate": "float_rescaled",
                  "temp": "float_discretized", "rooms": "integer_categorical",
                  "city": "string_categorical", "tag": "string_hashed",
                  "code": "integer_hashed"}
    custom = {
        "age": ["float_normalized", {"name": "age"}],
        "rate": ["float_rescaled", {"scale": 0.5, "offset": 1.0}],
        "temp": ["float_discretized", {"num_bins": 3, "output_mode": "int"}],
        "rooms": ["integer_categorical", {"max_tokens": 4, "output_mode": "int"}],
        "city": ["string_categorical", {"num_oov_indices": 2}],
        "tag": ["string_hashed", {"num_bins": 5, "output_mode": "int"}],
        "code": ["integer_hashed", {"num_bins": 7}],
    }
    cases = [
        ("concat_every_kind", every_kind, [["city", "rooms"]],
         {"output_mode": "concat", "crossing_dim": 8, "hashing_dim": 8,
          "num_discretization_bins": 4}, None),
        ("concat_defaults", {"age": "float_normalized", "city": "string_categorical",
                             "rooms": "integer_categorical"}, [["city", "rooms"]], {}, None),
        ("dict_custom", custom,
         [[["city", "tag"], {"crossing_dim": 16, "output_mode": "int"}],
          [["rooms", "code"], {"crossing_dim": 4}]], {"output_mode": "dict"}, None),
        ("dict_every_kind", every_kind, [["tag", "code"]],
         {"output_mode": "dict", "crossing_dim": 6, "hashing_dim": 5,
          "num_discretization_bins": 3}, None),
        ("concat_batches", every_kind, [["city", "rooms"]],
         {"crossing_dim": 8, "hashing_dim": 8, "num_discretization_bins": 4}, 10),
    ]
    for name, features_spec, crosses_spec, config, batch_size in cases:
        keras.utils.set_random_seed(0)
        fs = _build(features_spec, crosses_spec, config)
        if batch_size is None:
            fs.adapt(train)
        else:
            fs.adapt(tf.data.Dataset.from_tensor_slices(train).batch(batch_size))
        # a call takes exactly the features (Keras fails on other keys)
        x_test = {k: test[k] for k in features_spec}
        single = {k: v[0].item() for k, v in x_test.items()}
        arrays = {f"train_{k}": v for k, v in train.items()}
        arrays.update({f"test_{k}": v for k, v in test.items()})
        arrays.update(_outputs("y", fs(x_test)))
        arrays.update(_outputs("y_single", fs(single)))
        arrays.update(_outputs("y_train", fs({k: train[k] for k in features_spec})))
        arrays.update(_learned(fs))
        g.add(name, "FeatureSpace", "keras.utils", config, arrays,
              features_spec=features_spec, crosses_spec=crosses_spec, batch_size=batch_size,
              keras_config=json.loads(json.dumps(fs.get_config())))
    _saved(g, train, test)
    g.write()


def _saved(g, train, test):
    """A FeatureSpace without vocabularies (Keras keeps those in the file's assets)
    saved by Keras to `feature_space_hashed.keras`, with its outputs."""
    fs = FS({"age": "float_normalized", "fare": "float", "temp": "float_discretized",
             "tag": FS.string_hashed(num_bins=6), "code": "integer_hashed"},
            crosses=[("tag", "code")], crossing_dim=5, hashing_dim=4,
            num_discretization_bins=3)
    columns = ("age", "fare", "temp", "tag", "code")
    fs.adapt({k: train[k] for k in columns})
    fs.save(os.path.join(HERE, "feature_space_hashed.keras"))
    arrays = {f"test_{k}": test[k] for k in columns}
    arrays["y"] = to_np(fs({k: test[k] for k in columns}))
    g.add("saved_hashed", "FeatureSpace", "keras.utils", {}, arrays,
          file="feature_space_hashed.keras")


if __name__ == "__main__":
    make_feature_space()
