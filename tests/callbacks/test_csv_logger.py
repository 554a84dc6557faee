"""`CSVLogger`: one row per epoch, separator, append."""

import csv

import pytest

import kerasx as keras
from tests.trainers.helpers import classifier, make_data


def _rows(path, sep=","):
    with open(path, newline="") as f:
        return list(csv.reader(f, delimiter=sep))


def test_writes_a_header_and_one_row_per_epoch(tmp_path):
    x, y = make_data(n=32)
    path = tmp_path / "log.csv"
    history = classifier().fit(x, y, epochs=3, validation_split=0.25, verbose=0,
                               callbacks=[keras.callbacks.CSVLogger(str(path))])
    rows = _rows(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert [r[0] for r in rows[1:]] == ["0", "1", "2"]
    assert [float(r[2]) for r in rows[1:]] == pytest.approx(history.history["loss"])
    assert [float(r[4]) for r in rows[1:]] == pytest.approx(history.history["val_loss"])


def test_separator_and_append(tmp_path):
    x, y = make_data(n=32)
    path = tmp_path / "log.tsv"
    model = classifier()
    model.fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.CSVLogger(path, separator="\t")])
    model.fit(x, y, epochs=4, initial_epoch=2, verbose=0,
              callbacks=[keras.callbacks.CSVLogger(path, separator="\t", append=True)])
    rows = _rows(path, "\t")
    # Keras 3.15.1 adds val_ columns (all "NA") to a log without validation
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert {r[3] for r in rows[1:]} == {"NA"}
    assert [r[0] for r in rows[1:]] == ["0", "1", "2", "3"]  # one header, four epochs
    model.fit(x, y, epochs=1, verbose=0, callbacks=[keras.callbacks.CSVLogger(path, separator="\t")])
    assert len(_rows(path, "\t")) == 2  # without append the file is rewritten


def test_validation_every_other_epoch_keeps_the_columns(tmp_path):
    x, y = make_data(n=32)
    path = tmp_path / "log.csv"
    classifier().fit(x, y, epochs=3, validation_data=(x, y), validation_freq=2, verbose=0,
                     callbacks=[keras.callbacks.CSVLogger(path)])
    rows = _rows(path)
    assert rows[0] == ["epoch", "accuracy", "loss", "val_accuracy", "val_loss"]
    assert rows[1][3:] == ["NA", "NA"] and rows[3][3:] == ["NA", "NA"]
    assert float(rows[2][4]) > 0
