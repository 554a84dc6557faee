"""The edits `make_file_editor_fixtures.py` applies with Keras's `KerasFileEditor` and
`test_file_editor.py` applies with kerasx's, to the same file."""

import numpy as np

# (method, arguments) applied in order; "VALUES:<name>" stands for edit_values()[name]
EDITS = [
    ["rename_object", ["layers/dense_1", "head"]],
    ["delete_weight", ["layers/dense", "1"]],
    ["add_weights", ["layers/dense", "VALUES:bias"]],
    ["add_object", ["layers/extra", "VALUES:extra"]],
    ["delete_object", ["optimizer"]],
]


def edit_values():
    rng = np.random.default_rng(7)
    return {"bias": {"1": rng.normal(size=(16,)).astype("float32")},
            "extra": {"0": rng.normal(size=(3, 2)).astype("float32"),
                      "1": np.arange(2, dtype="float32")}}
