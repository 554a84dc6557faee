"""`keras.saving.KerasFileEditor` on files written by kerasx and by Keras 3.15.1 (the
interop fixtures, and `fixtures/` made by `make_file_editor_fixtures.py`, which also
records what Keras's own editor shows of them and the file its edits produce)."""

import io
import json
import os
import zipfile

import numpy as np
import pytest

import kerasx as keras
from kerasx.saving import KerasFileEditor
from tests.saving.file_editor_edits import EDITS, edit_values

h5py = pytest.importorskip("h5py")

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "fixtures")
INTEROP = os.path.join(os.path.dirname(HERE), "interop", "fixtures")
with open(os.path.join(FIXTURES, "file_editor_keras.json")) as _f:
    KERAS_VIEWS = json.load(_f)["views"]


def flat(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}/{key}"))
        else:
            out[f"{prefix}/{key}"] = value
    return out


def shapes(tree):
    return {k: [list(v.shape), str(v.dtype)] for k, v in flat(tree).items()}


def datasets(path):
    """{path without the `vars` parts: array} of every dataset of an HDF5 file."""
    found = {}
    with h5py.File(path, "r") as f:
        f.visititems(lambda name, obj: found.__setitem__(
            "/" + "/".join(p for p in name.split("/") if p != "vars"), obj[()])
            if isinstance(obj, h5py.Dataset) else None)
    return found


def open_quietly(path, capsys):
    editor = KerasFileEditor(path)
    capsys.readouterr()
    return editor


def test_a_keras_file_reads_as_keras_reads_it(capsys):
    path = os.path.join(INTEROP, "two_output.keras")
    editor = KerasFileEditor(path)
    out = capsys.readouterr().out
    assert f"Keras model file '{path}'" in out and "Saved with Keras 3.15.1" in out
    keras_view = KERAS_VIEWS["two_output.keras"]
    assert shapes(editor.weights_dict) == keras_view["weights"]
    names = {k: v["name"] for k, v in editor.object_metadata.items()}
    assert keras_view["names"].items() <= names.items()
    assert editor.metadata["keras_version"] == "3.15.1"
    assert editor.config["class_name"] == "Functional"
    with zipfile.ZipFile(path) as z, h5py.File(io.BytesIO(z.read("model.weights.h5"))) as f:
        for key, array in flat(editor.weights_dict).items():
            stored = f["/".join(key.split("/")[:-1]) + "/vars/" + key.split("/")[-1]][()]
            np.testing.assert_array_equal(array, stored)


def nested_model():
    return keras.Sequential([keras.Input((5, 3)),
                             keras.layers.Bidirectional(keras.layers.LSTM(4), name="bi"),
                             keras.layers.Dense(2, name="out")], name="nested")


def test_nested_objects_are_seen_compared_and_resaved(tmp_path, capsys):
    # Keras's own editor reads only the objects that hold variables themselves, so it shows
    # the Dense layer but not the LSTM cells inside the Bidirectional layer; kerasx shows all.
    path = os.path.join(FIXTURES, "bidirectional.weights.h5")
    editor = open_quietly(path, capsys)
    in_file = datasets(path)
    assert sorted(flat(editor.weights_dict)) == sorted(in_file)
    assert set(KERAS_VIEWS["bidirectional.weights.h5"]["weights"]) < set(in_file)
    assert editor.object_metadata["/layers/bidirectional/forward_layer"]["name"] == \
        "forward_lstm"
    model = nested_model()
    assert editor.compare(model) == {"status": "success", "error_count": 0, "match_count": 8}
    out = str(tmp_path / "resaved.weights.h5")
    editor.resave_weights(out)
    model.load_weights(out)
    for variable_path, array in in_file.items():
        np.testing.assert_array_equal(datasets(out)[variable_path], array)
    lstm = model.layers[0].forward_layer.cell
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(lstm.kernel),
        in_file["/layers/bidirectional/forward_layer/cell/0"])


def test_the_edits_give_the_file_keras_edits_give(tmp_path, capsys):
    editor = open_quietly(os.path.join(INTEROP, "mlp.keras"), capsys)
    name = editor.object_metadata["/layers/dense_1"]["name"]
    values = edit_values()
    for method, args in EDITS:
        args = [values[a[len("VALUES:"):]] if isinstance(a, str) and a.startswith("VALUES:")
                else a for a in args]
        getattr(editor, method)(*args)
    out = str(tmp_path / "edited.weights.h5")
    editor.save(out)
    ours, theirs = datasets(out), datasets(os.path.join(FIXTURES, "mlp_edited.weights.h5"))
    assert sorted(ours) == sorted(theirs) == sorted(KERAS_VIEWS["mlp_edited.weights.h5"]
                                                   ["weights"])
    for key in theirs:
        assert ours[key].dtype == theirs[key].dtype
        np.testing.assert_array_equal(ours[key], theirs[key])
    with h5py.File(out, "r") as f:  # the renamed layer keeps its name
        assert f["layers/head/vars"].attrs["name"] == name


def test_a_file_adapted_to_a_grown_model_loads_into_it(tmp_path, capsys):
    old = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6), keras.layers.Dense(3)])
    old.save(tmp_path / "old.keras")
    new = keras.Sequential([keras.Input((4,)), keras.layers.Dense(6), keras.layers.Dense(6),
                            keras.layers.Dense(3)])
    editor = open_quietly(tmp_path / "old.keras", capsys)
    result = editor.compare(new)
    report = capsys.readouterr().out
    # dense_1 differs in both shapes, dense_2 is missing from the file
    assert result == {"status": "error", "error_count": 3, "match_count": 2}
    assert "Weight shape mismatch for /layers/dense_1/0" in report
    assert "Object /layers/dense_2 present in reference model, missing from saved file" in report
    editor.rename_object("dense_1", "dense_2")
    kernel = np.arange(36, dtype="float32").reshape(6, 6)
    editor.add_object("layers/dense_1", {"0": kernel, "1": keras.ops.ones((6,))})
    assert editor.compare(new)["status"] == "success"
    editor.save(tmp_path / "new.weights.h5")
    new.load_weights(tmp_path / "new.weights.h5")
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(new.layers[1].kernel), kernel)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(new.layers[2].kernel),
                                  keras.ops.convert_to_numpy(old.layers[1].kernel))
    assert list(editor.weights_dict["layers"]) == ["dense", "dense_2", "dense_1"]


def test_compare_reports_extra_file_content_and_kind_mismatches(tmp_path, capsys):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    model.save_weights(tmp_path / "m.weights.h5")
    editor = open_quietly(tmp_path / "m.weights.h5", capsys)
    editor.add_weights("layers/dense", {"2": np.zeros(3, "float32")})
    editor.add_object("layers/ghost", {"0": np.zeros(1, "float32")})
    result = editor.compare(model)
    report = capsys.readouterr().out
    assert result == {"status": "error", "error_count": 2, "match_count": 2}
    assert "Weight /layers/dense/2 present in saved file, missing from reference model" in report
    assert "Object /layers/ghost present in saved file" in report
    editor.delete_object("ghost")
    editor.delete_weight("layers/dense", "2")
    editor.delete_weight("layers/dense", "1")
    editor.add_object("layers/dense/1", {"0": np.zeros(2, "float32")})
    result = editor.compare(model)
    assert result == {"status": "error", "error_count": 1, "match_count": 1}
    assert "is an object in one and a weight in the other" in capsys.readouterr().out


def test_summary_lists_objects_with_their_names_and_variables(capsys):
    editor = open_quietly(os.path.join(INTEROP, "two_output.keras"), capsys)
    editor.summary()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Weights structure"
    assert lines[1] == "  > layers"
    assert "│   ├─ dense ('hidden')" in lines[2]
    assert "│   │   ├─ 0: shape=(6, 8), dtype=float32" in lines[3]
    assert lines[-1].endswith("└─ 9: shape=(1,), dtype=float32")
    assert len(lines) == 1 + 2 + 3 * 3 + 14


def test_names_and_paths(capsys, tmp_path):
    editor = open_quietly(os.path.join(INTEROP, "two_output.keras"), capsys)
    with pytest.raises(ValueError, match="occurs more than once.*layers/dense/0"):
        editor.delete_object("0")
    with pytest.raises(ValueError, match="does not appear"):
        editor.rename_object("nothing", "x")
    with pytest.raises(ValueError, match="not found"):
        editor.delete_object("layers/nothing")
    with pytest.raises(ValueError, match="leaf name"):
        editor.rename_object("dense", "layers/x")
    with pytest.raises(ValueError, match="already exists"):
        editor.rename_object("dense", "dense_1")
    with pytest.raises(ValueError, match="already exists"):
        editor.add_object("layers/dense", {"0": np.zeros(1)})
    with pytest.raises(ValueError, match="'nope' not found"):
        editor.add_object("nope/new", {"0": np.zeros(1)})
    with pytest.raises(ValueError, match="should be a dict"):
        editor.add_weights("dense", [np.zeros(1)])
    with pytest.raises(ValueError, match="non-numeric"):
        editor.add_weights("dense", {"5": np.array(["a"])})
    with pytest.raises(ValueError, match=r"Weight '7' not found.*\['0', '1'\]"):
        editor.delete_weight("/layers/dense/", "7")
    with pytest.raises(ValueError, match="is a variable"):
        editor.add_weights("layers/dense/0", {"1": np.zeros(1)})
    with pytest.raises(ValueError, match=r"\.weights\.h5"):
        editor.save(tmp_path / "out.h5")
    editor.delete_object("/optimizer")
    editor.rename_object("dense", "first")
    assert "optimizer" not in editor.weights_dict and "/optimizer" not in editor.object_metadata
    assert editor.object_metadata["/layers/first"]["name"] == "hidden"


def test_files_that_are_not_weights_are_refused(tmp_path):
    with pytest.raises(ValueError, match=r"\.keras.*\.weights\.h5"):
        KerasFileEditor(tmp_path / "model.h5")
    with pytest.raises(FileNotFoundError):
        KerasFileEditor(tmp_path / "missing.weights.h5")
    (tmp_path / "junk.weights.h5").write_bytes(b"not hdf5")
    with pytest.raises(ValueError, match="not an HDF5 file"):
        KerasFileEditor(tmp_path / "junk.weights.h5")
    linked = tmp_path / "linked.weights.h5"
    with h5py.File(linked, "w") as f:
        f.create_dataset("layers/dense/vars/0", data=np.zeros(2))
        f["layers/dense/vars/1"] = h5py.SoftLink("/layers/dense/vars/0")
    with pytest.raises(ValueError, match="SoftLink"):
        KerasFileEditor(linked)


KERAS_LOADS_BOTH = """
import sys, numpy as np, keras
def load(path):
    model = keras.Sequential([keras.Input((5, 3)),
                              keras.layers.Bidirectional(keras.layers.LSTM(4), name="bi"),
                              keras.layers.Dense(2, name="out")])
    model.load_weights(path)
    return model.get_weights()
a, b = load(sys.argv[1]), load(sys.argv[2])
print("SAME" if len(a) == len(b) == 8 and all(np.array_equal(x, y) for x, y in zip(a, b))
      else "DIFFERENT")
"""


def test_real_keras_loads_the_resaved_file(tmp_path, capsys):
    import subprocess

    from tests.interop.test_interop import _keras_python

    python, reason = _keras_python()
    if python is None:
        pytest.skip(reason)
    original = os.path.join(FIXTURES, "bidirectional.weights.h5")
    resaved = str(tmp_path / "resaved.weights.h5")
    open_quietly(original, capsys).save(resaved)
    env = {**os.environ, "KERAS_BACKEND": "numpy"}
    run = subprocess.run([python, "-c", KERAS_LOADS_BOTH, resaved, original], env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.stdout.strip().splitlines()[-1:] == ["SAME"], run.stderr[-2000:]
