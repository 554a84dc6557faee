"""Writes the Keras-made files the `KerasFileEditor` tests read, into `fixtures/`.

- `bidirectional.weights.h5`: `save_weights` of a model whose layer holds other layers
  (`Bidirectional(LSTM)`, then `Dense`), so that objects nest in the file.
- `mlp_edited.weights.h5`: Keras's `KerasFileEditor` applied to the interop fixture
  `mlp.keras` with the edits of `EDITS` (values from `edit_values`), then resaved.
- `file_editor_keras.json`: what Keras's editor shows of those files and of the
  interop fixture `two_output.keras`: every variable's path, shape and dtype, and
  the object names it reads.

Only this script imports keras. Run it from the repository root:
    KERAS_BACKEND=numpy /work/kvenv/bin/python tests/saving/make_file_editor_fixtures.py
"""

import json
import os

import keras

from file_editor_edits import EDITS, edit_values

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "fixtures")
INTEROP = os.path.join(os.path.dirname(HERE), "interop", "fixtures")


def flat(tree, prefix=""):
    out = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            out.update(flat(value, f"{prefix}/{key}"))
        else:
            out[f"{prefix}/{key}"] = [list(value.shape), str(value.dtype)]
    return out


def view(path):
    editor = keras.saving.KerasFileEditor(path)
    names = {k: str(v["name"]) for k, v in editor.object_metadata.items() if "name" in v}
    return {"weights": flat(editor.weights_dict), "names": names}


def main():
    os.makedirs(OUT, exist_ok=True)
    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((5, 3)),
                              keras.layers.Bidirectional(keras.layers.LSTM(4), name="bi"),
                              keras.layers.Dense(2, name="out")], name="nested")
    model.save_weights(os.path.join(OUT, "bidirectional.weights.h5"))

    editor = keras.saving.KerasFileEditor(os.path.join(INTEROP, "mlp.keras"))
    values = edit_values()
    for method, args in EDITS:
        args = [values[a[len("VALUES:"):]] if isinstance(a, str) and a.startswith("VALUES:")
                else a for a in args]
        getattr(editor, method)(*args)
    editor.save(os.path.join(OUT, "mlp_edited.weights.h5"))

    views = {name: view(path) for name, path in [
        ("two_output.keras", os.path.join(INTEROP, "two_output.keras")),
        ("bidirectional.weights.h5", os.path.join(OUT, "bidirectional.weights.h5")),
        ("mlp_edited.weights.h5", os.path.join(OUT, "mlp_edited.weights.h5"))]}
    with open(os.path.join(OUT, "file_editor_keras.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "views": views}, f)


if __name__ == "__main__":
    main()
