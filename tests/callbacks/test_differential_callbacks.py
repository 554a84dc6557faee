"""Callbacks compared with Keras 3.15.1: the files they write, what they decide, the hooks
they receive.

`test_golden_callbacks` replays the callback cases of the `fuzz_callbacks` golden family
(tests/golden/callbacks_recipe.py): ModelCheckpoint (file templates, monitors, modes,
`save_best_only`, `save_freq`, `initial_value_threshold`; the files written and the weights
in them; its messages), CSVLogger (the file's text over one or two fits), BackupAndRestore
(interrupted at an epoch or a batch, then resumed: epochs run, history, weights), every hook
call of fit / evaluate / predict with its logs, EarlyStopping / ReduceLROnPlateau messages;
and the `combined` cases: several callbacks in one fit (their messages, files, CSV text, the
learning rate and `stop_training` each hook sees, histories and weights), fitted twice or
resumed from a backup after an interruption.
"""

import csv

import numpy as np
import pytest

import kerasx as keras
from tests.golden.callbacks_recipe import differences, run_recipe, split_arrays
from tests.golden.loader import load_cases

CONSOLE_KINDS = ("progress", "summary")
GOLDEN = [c for c in load_cases("fuzz_callbacks") if c["class"] not in CONSOLE_KINDS]


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_golden_callbacks(case, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    keras.backend.clear_session()
    got, got_arrays = split_arrays(run_recipe(keras, case["config"], str(tmp_path)))
    found = differences(case["results"], got, case["arrays"], got_arrays)
    assert not found, "\n".join(found)


def _regressor():
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse", metrics=["mae"])
    rng = np.random.default_rng(0)
    return model, rng.normal(size=(16, 4)).astype("float32"), rng.normal(size=(16, 1)).astype("float32")


def test_csv_logger_without_validation_writes_na_val_columns(tmp_path):
    model, x, y = _regressor()
    path = tmp_path / "log.csv"
    plateau = keras.callbacks.ReduceLROnPlateau("loss", min_delta=10.0, patience=0)
    model.fit(x, y, epochs=2, verbose=0, callbacks=[plateau, keras.callbacks.CSVLogger(path)])
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    # Keras 3.15.1 writes this header (a val_ column for every key, learning_rate included)
    assert rows[0] == ["epoch", "learning_rate", "loss", "mae", "val_learning_rate", "val_loss",
                       "val_mae"]
    assert [row[4:] for row in rows[1:]] == [["NA", "NA", "NA"]] * 2


def test_predict_batch_logs_of_dict_outputs_come_by_name():
    a = keras.Input((3,), name="x")
    model = keras.Model(a, {"out_b": keras.layers.Dense(1, name="out_b")(a),
                            "out_a": keras.layers.Dense(2, name="out_a")(a)})
    seen = []

    class Recorder(keras.callbacks.Callback):
        def on_predict_batch_end(self, batch, logs=None):
            seen.append({k: (type(v), np.shape(v)) for k, v in logs.items()})

    model.predict(np.zeros((5, 3), "float32"), batch_size=4, callbacks=[Recorder()], verbose=0)
    # Keras 3.15.1 flattens the batch logs: the outputs' names are the keys, NumPy arrays
    assert [list(s) for s in seen] == [["out_a", "out_b"]] * 2
    assert seen[0]["out_a"] == (np.ndarray, (4, 2)) and seen[1]["out_b"] == (np.ndarray, (1, 1))
