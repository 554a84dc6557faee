"""`kerasx.utils.plot_history`: a PNG of the training curves, matplotlib permitting."""

import sys

import pytest

import kerasx as keras
from tests.trainers.helpers import classifier, make_data


def _history():
    x, y = make_data(n=40)
    return classifier().fit(x, y, epochs=2, validation_split=0.25, verbose=0)


def test_without_matplotlib_the_error_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    with pytest.raises(ImportError, match=r"plot_history needs the matplotlib package.*pip install matplotlib"):
        keras.utils.plot_history(_history(), tmp_path / "curves.png")
    assert not (tmp_path / "curves.png").exists()


def test_bad_history_and_unknown_metrics_are_reported(tmp_path):
    with pytest.raises(ValueError, match=r"expects the History returned by fit\(\).*received list"):
        keras.utils.plot_history([1, 2], tmp_path / "x.png")
    with pytest.raises(ValueError, match=r"metrics \['auc'\] are not in the history; available: "
                                         r"\['accuracy', 'loss', 'val_accuracy', 'val_loss'\]"):
        keras.utils.plot_history(_history(), tmp_path / "x.png", metrics=["auc"])


def test_with_matplotlib_a_png_is_written(tmp_path):
    pytest.importorskip("matplotlib")
    path = keras.utils.plot_history(_history(), tmp_path / "curves.png")
    assert open(path, "rb").read(8) == b"\x89PNG\r\n\x1a\n"
