"""`kerasx.utils.FeatureSpace` against real Keras (tests/golden/feature_space.*): every
feature kind, crosses, concat and dict modes, adapt on a dict and on batches."""

import os

import numpy as np
import pytest

import kerasx
from kerasx.utils import FeatureSpace, PyDataset
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases

CASES = [c for c in load_cases("feature_space") if c["name"] != "saved_hashed"]


def numpy(x):
    return kerasx.ops.convert_to_numpy(x)


def build(case):
    """The FeatureSpace a golden case describes (see family_feature_space._build)."""
    features = {name: spec if isinstance(spec, str) else
                getattr(FeatureSpace, spec[0])(**spec[1])
                for name, spec in case["features_spec"].items()}
    crosses = [tuple(c) if isinstance(c[0], str) else FeatureSpace.cross(tuple(c[0]), **c[1])
               for c in case["crosses_spec"]]
    return FeatureSpace(features=features, crosses=crosses or None, **case["config"])


def tables(case):
    arrays = case["arrays"]
    train = {k[len("train_"):]: v for k, v in arrays.items() if k.startswith("train_")}
    test = {k[len("test_"):]: v for k, v in arrays.items() if k.startswith("test_")}
    names = list(case["features_spec"])
    return train, {k: train[k] for k in names}, {k: test[k] for k in names}


def batches(table, size):
    n = len(next(iter(table.values())))
    for start in range(0, n, size):
        yield {k: v[start:start + size] for k, v in table.items()}


def adapted(case):
    fs = build(case)
    train, _, _ = tables(case)
    if case["batch_size"] is None:
        fs.adapt(train)
    else:
        fs.adapt(batches(train, case["batch_size"]))
    return fs


def assert_outputs(out, arrays, prefix):
    if isinstance(out, dict):
        expected = sorted(k[len(prefix) + 2:] for k in arrays if k.startswith(prefix + "__"))
        assert sorted(out) == expected
        pairs = [(out[k], arrays[f"{prefix}__{k}"]) for k in out]
    else:
        pairs = [(out, arrays[prefix])]
    for got, want in pairs:
        got = numpy(got)
        assert got.shape == want.shape
        assert str(got.dtype) == str(want.dtype)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_outputs_match_keras(case):
    fs = adapted(case)
    _, train, test = tables(case)
    arrays = case["arrays"]
    assert_outputs(fs(test), arrays, "y")
    assert_outputs(fs({k: v[0].item() for k, v in test.items()}), arrays, "y_single")
    assert_outputs(fs(train), arrays, "y_train")


@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_adapted_state_matches_keras(case):
    fs = adapted(case)
    for key, want in case["arrays"].items():
        kind, _, name = key.partition("__")
        layer = fs.preprocessors.get(name)
        if kind == "vocab":
            assert [str(t) for t in layer.get_vocabulary()] == want.tolist()
        elif kind == "boundaries":
            np.testing.assert_allclose(layer.bin_boundaries, want, rtol=1e-6)
        elif kind in ("mean", "variance"):
            np.testing.assert_allclose(numpy(getattr(layer, f"adapt_{kind}")).reshape(-1), want,
                                       rtol=1e-5)


def test_dict_output_keys_are_sorted_features_then_sorted_crosses():
    case = next(c for c in CASES if c["name"] == "dict_every_kind")
    out = adapted(case)(tables(case)[2])
    features = sorted(case["features_spec"])
    assert list(out) == features + ["tag_X_code"]


def test_concat_is_the_dict_outputs_side_by_side():
    case = next(c for c in CASES if c["name"] == "concat_every_kind")
    _, train, test = tables(case)
    concat = adapted(case)
    as_dict = FeatureSpace.from_config({**concat.get_config(), "output_mode": "dict"})
    as_dict.adapt(train)
    parts = as_dict(test)
    widths = [numpy(v).shape[-1] for v in parts.values()]
    assert numpy(concat(test)).shape == (6, sum(widths))
    np.testing.assert_allclose(numpy(concat(test)),
                               np.concatenate([numpy(v) for v in parts.values()], axis=-1))


class TableBatches(PyDataset):
    def __init__(self, table, size):
        super().__init__()
        self.table, self.size = table, size

    def __len__(self):
        return -(-len(self.table["age"]) // self.size)

    def __getitem__(self, i):
        rows = slice(i * self.size, (i + 1) * self.size)
        x = {k: v[rows] for k, v in self.table.items()}
        return x, np.zeros(len(x["age"]))


def test_adapt_on_a_py_dataset_of_labelled_batches():
    case = next(c for c in CASES if c["name"] == "concat_batches")
    train, _, test = tables(case)
    fs = build(case)
    fs.adapt(TableBatches(train, case["batch_size"]))
    assert_outputs(fs(test), case["arrays"], "y")


def test_inputs_as_lists_columns_and_tensors_give_the_same_output():
    case = next(c for c in CASES if c["name"] == "concat_every_kind")
    fs = adapted(case)
    test = tables(case)[2]
    want = case["arrays"]["y"]
    as_lists = {k: v.tolist() for k, v in test.items()}
    as_columns = {k: v.reshape(-1, 1) for k, v in test.items()}
    as_tensors = {k: (v.tolist() if v.dtype.kind == "U" else kerasx.ops.convert_to_tensor(v))
                  for k, v in test.items()}
    for data in (as_lists, as_columns, as_tensors):
        np.testing.assert_allclose(numpy(fs(data)), want, rtol=1e-5, atol=1e-6)


def test_float_features_take_integers_and_float64():
    fs = FeatureSpace({"a": "float", "b": FeatureSpace.float_rescaled(scale=2.0, offset=-1.0)})
    out = fs({"a": np.array([1, 2, 3]), "b": np.array([0.5, 1.0, 1.5], dtype=np.float64)})
    assert str(out.dtype) == "float32"
    np.testing.assert_allclose(numpy(out), [[1, 0], [2, 1], [3, 2]])


def test_without_adaptable_features_no_adapt_is_needed():
    fs = FeatureSpace({"x": FeatureSpace.float_discretized(None, bin_boundaries=[0.0, 1.0]),
                       "h": FeatureSpace.string_hashed(num_bins=3)},
                      crosses=[FeatureSpace.cross(("x", "h"), crossing_dim=4, output_mode="int")],
                      output_mode="dict")
    out = fs({"x": [-1.0, 0.5, 2.0], "h": ["a", "b", "c"]})
    np.testing.assert_allclose(numpy(out["x"]), np.eye(3))
    assert numpy(out["h"]).shape == (3, 3)
    assert numpy(out["x_X_h"]).shape == (3, 1) and str(out["x_X_h"].dtype) == "int64"


def test_custom_feature_with_its_own_layer():
    texts = ["the cat sat", "the dog", "a cat and a dog"]
    layer = kerasx.layers.TextVectorization(output_mode="tf_idf")
    fs = FeatureSpace({"text": FeatureSpace.feature(dtype="string", preprocessor=layer,
                                                     output_mode="float")})
    fs.adapt({"text": texts})
    reference = kerasx.layers.TextVectorization(output_mode="tf_idf")
    reference.adapt(np.array(texts).reshape(-1, 1))
    np.testing.assert_allclose(numpy(fs({"text": texts})),
                               numpy(reference(np.array(texts).reshape(-1, 1))), rtol=1e-6)


def test_keras_saved_feature_space_loads():
    case = next(c for c in load_cases("feature_space") if c["name"] == "saved_hashed")
    fs = kerasx.saving.load_model(os.path.join(GOLDEN_DIR, case["file"]))
    assert isinstance(fs, FeatureSpace)
    x = {k[len("test_"):]: v for k, v in case["arrays"].items() if k.startswith("test_")}
    np.testing.assert_allclose(numpy(fs(x)), case["arrays"]["y"], rtol=1e-5, atol=1e-6)


def test_config_has_keras_layout():
    case = next(c for c in CASES if c["name"] == "concat_every_kind")
    mine, theirs = adapted(case).get_config(), case["keras_config"]
    assert sorted(mine) == sorted(theirs)
    for key in ("output_mode", "crossing_dim", "hashing_dim", "num_discretization_bins"):
        assert mine[key] == theirs[key]
    for name, spec in theirs["features"].items():
        got = mine["features"][name]
        for key in ("module", "class_name", "registered_name"):
            assert got[key] == spec[key]
        assert got["config"]["dtype"] == spec["config"]["dtype"]
        assert got["config"]["output_mode"] == spec["config"]["output_mode"]
        want_class = spec["config"]["preprocessor"]["class_name"]
        assert got["config"]["preprocessor"]["class_name"] == \
            ("Identity" if want_class == "TFDIdentity" else want_class)
    assert [c["class_name"] for c in mine["crosses"]] == ["Cross"]
    assert list(mine["crosses"][0]["config"]["feature_names"]) == \
        theirs["crosses"][0]["config"]["feature_names"]
