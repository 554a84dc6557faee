"""Progress output: Keras's formats for verbose 0/1/2, live on a terminal, clean in log files."""

import io
import os
import re
import subprocess
import sys

import pytest

from kerasx.utils.progbar import Progbar, format_eta, format_per_step, format_value
from tests.trainers.helpers import classifier, make_data

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
NUMBER = r"-?\d+\.\d{4}(e[+-]\d+)?"
BAR_LINE = re.compile(rf"^ *\d+/\d+ ━{{20}} \d+s \d+(us|ms|s)/step( - \w+: {NUMBER})+$")
COMPACT_LINE = re.compile(rf"^\d+/\d+ - \d+s - \d+(us|ms|s)/step( - \w+: {NUMBER})+$")


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_fit_verbose_1_redirected_to_a_file_writes_clean_lines(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(
        "import numpy as np, kerasx as keras\n"
        "rng = np.random.default_rng(0)\n"
        "x = rng.normal(size=(100, 4)).astype('float32'); y = (x[:, 0] > 0).astype('int64')\n"
        "m = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(2, activation='softmax')])\n"
        "m.compile(optimizer='sgd', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
        "m.fit(x, y, epochs=3, batch_size=10, validation_split=0.2, verbose=1)\n"
        "m.evaluate(x, y, verbose=1)\n"
        "m.predict(x, verbose=1)\n")
    log = tmp_path / "train.log"
    env = {**os.environ, "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env.pop("KERASX_PLAIN_PROGRESS", None)
    with open(log, "w") as out:
        subprocess.run([sys.executable, str(script)], stdout=out, stderr=subprocess.PIPE,
                       check=True, env=env, cwd=tmp_path, timeout=300)
    text = log.read_text()
    assert "\r" not in text and "\x1b" not in text and "\b" not in text
    assert text.endswith("\n")
    lines = text.splitlines()
    assert lines[0::2][:3] == ["Epoch 1/3", "Epoch 2/3", "Epoch 3/3"]
    epoch_lines = lines[1:6:2]
    for line in epoch_lines:
        assert BAR_LINE.match(line), line
        assert line.startswith("8/8 ") and " - val_accuracy: " in line and " - val_loss: " in line
    evaluate_line, predict_line = lines[6], lines[7]
    assert BAR_LINE.match(evaluate_line) and evaluate_line.startswith("4/4 ")
    assert re.match(r"^4/4 ━{20} \d+s \d+(us|ms|s)/step$", predict_line), predict_line
    assert len(lines) == 8


def test_verbose_2_prints_one_compact_line_per_epoch(capsys):
    x, y = make_data(n=40)
    classifier().fit(x, y, epochs=2, batch_size=10, verbose=2)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Epoch 1/2" and lines[2] == "Epoch 2/2" and len(lines) == 4
    for line in (lines[1], lines[3]):
        assert COMPACT_LINE.match(line), line
        assert line.startswith("4/4 - ") and "accuracy: " in line and "loss: " in line


def test_verbose_0_is_silent_and_auto_is_1(capsys):
    x, y = make_data(n=40)
    model = classifier()
    model.fit(x, y, epochs=2, verbose=0)
    model.evaluate(x, y, verbose=0)
    model.predict(x, verbose=0)
    assert capsys.readouterr().out == ""
    model.fit(x, y, epochs=1, verbose="auto")
    out = capsys.readouterr().out
    assert BAR_LINE.match(out.splitlines()[0])
    assert not out.startswith("Epoch")  # a single epoch has no "Epoch 1/1" header, as in Keras


def test_a_terminal_gets_a_live_bar_redrawn_in_place():
    stream = FakeTerminal()
    bar = Progbar(target=4, stream=stream, interval=0.0)
    for step in range(1, 4):
        bar.update(step, [("loss", 1.0 / step)])
    bar.update(4, [("loss", 0.25)])
    text = stream.getvalue()
    assert text.count("\r") == 4 and text.endswith("\n") and text.count("\n") == 1
    assert "\x1b[32m" in text  # the done part of the bar is green
    frames = [re.sub(r"\x1b\[[0-9;]*m", "", f) for f in text.split("\r")[1:]]
    assert re.match(r"^1/4 ━{20} \d+s \d+(us|ms|s)/step - loss: 1\.0000", frames[0])
    assert frames[-1].strip().endswith("loss: 0.2500")


def test_plain_environment_variable_turns_a_terminal_into_a_log(monkeypatch):
    monkeypatch.setenv("KERASX_PLAIN_PROGRESS", "1")
    stream = FakeTerminal()
    bar = Progbar(target=3, stream=stream)
    for step in (1, 2, 3):
        bar.update(step, [("loss", 0.5)])
    assert stream.getvalue().count("\n") == 1 and "\r" not in stream.getvalue()


def test_log_files_get_intermediate_lines_only_every_plain_interval():
    stream = io.StringIO()
    bar = Progbar(target=3, stream=stream, plain_interval=0.0)
    for step in (1, 2, 3):
        bar.update(step, [("loss", 0.5)])
    lines = stream.getvalue().splitlines()
    assert [line.split(" ")[0] for line in lines] == ["1/3", "2/3", "3/3"]
    assert "━" * 6 + "─" * 14 in lines[0]  # progress shown without colours


def test_unknown_target_counts_steps():
    stream = io.StringIO()
    bar = Progbar(target=None, stream=stream, plain_interval=0.0)
    bar.update(3, [("loss", 2.0)])
    assert stream.getvalue().startswith("      3/Unknown ")


def test_keras_number_and_time_formats():
    assert format_value(0.123456) == "0.1235"
    assert format_value(0.0001234) == "1.2340e-04"
    assert format_value(0.0) == "0.0000e+00"
    assert format_value(-0.5) == "-0.5000"
    assert format_value(-0.5, compact=True) == "-5.0000e-01"  # verbose=2 compares the sign, as Keras
    assert format_per_step(2.4, "step") == " 2s/step"
    assert format_per_step(0.0123, "step") == " 12ms/step"
    assert format_per_step(0.0000456, "step") == " 46us/step"
    assert format_eta(59.9) == "59s" and format_eta(61) == "1:01" and format_eta(3725) == "1:02:05"


@pytest.mark.parametrize("verbose", [1, 2])
def test_evaluate_prints_one_line(capsys, verbose):
    x, y = make_data(n=40)
    classifier().evaluate(x, y, batch_size=10, verbose=verbose)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    assert (BAR_LINE if verbose == 1 else COMPACT_LINE).match(lines[0]), lines[0]


class CountingLogs(dict):
    """Batch logs that count how often the progress bar reads them."""

    reads = 0

    def items(self):
        CountingLogs.reads += 1
        return super().items()


def test_a_bar_of_running_averages_reads_the_logs_only_when_it_draws():
    stream = io.StringIO()
    bar = Progbar(target=5, stream=stream, plain_interval=1e9, stateless_metrics=())
    CountingLogs.reads = 0
    for step in range(1, 5):
        bar.update(step, CountingLogs(loss=1.0 / step))
    assert CountingLogs.reads == 0 and stream.getvalue() == ""
    bar.update(5, CountingLogs(loss=0.2))
    assert CountingLogs.reads == 1 and stream.getvalue().rstrip().endswith("loss: 0.2000")


def test_a_bar_that_averages_still_reads_every_update():
    stream = io.StringIO()
    bar = Progbar(target=3, stream=stream, plain_interval=1e9)  # Keras's default: averages
    for step, loss in ((1, 1.0), (2, 3.0)):
        bar.update(step, {"loss": loss})
    bar.update(3, {"acc": 0.5}, finalize=False)
    assert stream.getvalue() == ""
    bar.update(3, [("loss", 5.0)])  # the final update shows values as given
    assert "loss: 5.0000" in stream.getvalue() and "acc: 0.5000" in stream.getvalue()
    assert bar._values["acc"] == (0.5, 1)


def test_fit_brings_batch_logs_to_the_host_only_for_callbacks_that_read_them(monkeypatch):
    from kerasx.callbacks import ProgbarLogger
    from kerasx.trainers.step_loop import StepLoop

    calls = []
    original = StepLoop._host_logs
    monkeypatch.setattr(StepLoop, "_host_logs",
                        lambda self, results: calls.append(1) or original(self, results))
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # a log file: no redraw within 30 s
    x, y = make_data(n=200)
    model = classifier()
    for verbose in (1, 2):
        calls.clear()
        model.fit(x, y, batch_size=10, epochs=1, verbose=verbose)
        assert len(calls) == 1, verbose  # the epoch's logs only, not one per batch
    seen = []

    class ReadsLoss(ProgbarLogger):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(type(logs) is dict and logs["loss"] > 0)

    calls.clear()
    model.fit(x, y, batch_size=10, epochs=1, verbose=0, callbacks=[ReadsLoss()])
    assert len(calls) == 21 and seen == [True] * 20
    lines = sys.stdout.getvalue().splitlines()
    assert BAR_LINE.match(lines[0]) and COMPACT_LINE.match(lines[1]) and len(lines) == 2
