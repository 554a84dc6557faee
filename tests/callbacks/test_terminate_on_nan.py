"""`TerminateOnNaN`: training stops at the first batch whose loss is NaN or infinite."""

import numpy as np
import pytest

import kerasx as keras
from tests.trainers.helpers import Recorder, classifier, make_data


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_stops_at_the_first_nan_loss(capsys):
    x, y = make_data(n=64)
    model = classifier(lr=1e30)  # explodes after the first step
    rec = Recorder()
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0,
                        callbacks=[keras.callbacks.TerminateOnNaN(), rec])
    batches = rec.names().count("on_train_batch_end")
    assert batches < 8
    assert len(history.history["loss"]) == 1
    assert not np.isfinite(history.history["loss"][0])
    assert f"Batch {batches - 1}: Invalid loss, terminating training" in capsys.readouterr().out


def test_finite_losses_train_to_the_end():
    x, y = make_data(n=32)
    history = classifier().fit(x, y, epochs=2, verbose=0, callbacks=[keras.callbacks.TerminateOnNaN()])
    assert len(history.history["loss"]) == 2


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_raise_error_stops_at_once_without_the_end_of_training_hooks():
    x, y = make_data(n=64)
    model = classifier(lr=1e30)
    rec = Recorder()
    with pytest.raises(RuntimeError, match=r"NaN or Inf loss encountered at batch \d+"):
        model.fit(x, y, batch_size=8, epochs=3, verbose=0,
                  callbacks=[keras.callbacks.TerminateOnNaN(raise_error=True), rec])
    assert "on_train_end" not in rec.names()
