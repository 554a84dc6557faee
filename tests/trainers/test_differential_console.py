"""Console output compared with Keras 3.15.1: `summary()` tables and the progress lines of
fit / evaluate / predict at verbose 1 and 2.

`test_golden_console` replays the console cases of the `fuzz_callbacks` golden family
(tests/golden/callbacks_recipe.py; Keras ran them with ``COLUMNS=200``, not on a terminal):
the same text, colour codes dropped, timings masked, numbers to their last printed digit.
"""

import pytest

import kerasx as keras
from tests.golden.callbacks_recipe import differences, run_recipe, split_arrays
from tests.golden.loader import load_cases

CONSOLE_KINDS = ("progress", "summary")
GOLDEN = [c for c in load_cases("fuzz_callbacks") if c["class"] in CONSOLE_KINDS]


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_golden_console(case, tmp_path, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    keras.backend.clear_session()
    got, got_arrays = split_arrays(run_recipe(keras, case["config"], str(tmp_path)))
    found = differences(case["results"], got, case["arrays"], got_arrays)
    assert not found, "\n".join(found)


def _nested_chain():
    inner_in = keras.Input((4,))
    inner = keras.Model(inner_in, keras.layers.Dense(3, name="inner_dense")(inner_in), name="inner")
    x = keras.Input((4,), name="outer_in")
    return keras.Model(x, keras.layers.Dense(2, name="top")(inner(x)), name="outer")


def _summary_lines(model, **kwargs):
    texts = []
    model.summary(print_fn=lambda s, line_break=True: texts.append(s), **kwargs)
    return texts[0].split("\n")


def test_summary_table_widens_to_line_length(monkeypatch):
    # positions for four columns on a three-column table: the three cells (26, 17, 22
    # characters wide) fill the 88 columns as rich's fixed-width table does
    monkeypatch.setenv("COLUMNS", "200")
    lines = _summary_lines(_nested_chain(), positions=[0.3, 0.5, 0.75, 1.0])
    table = [line for line in lines if line and line[0] in "┏┃┡│├└"]
    assert {len(line) for line in table} == {88}
    # Keras 3.15.1 prints this row
    assert lines[4] == ("│ outer_in (InputLayer)           │ (None, 4)              │"
                        "                         0 │")


def test_summary_narrow_table_widens_with_wrapped_names(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    lines = _summary_lines(_nested_chain(), positions=[0.2, 0.5, 0.7], line_length=60)
    # Keras 3.15.1 prints these lines
    assert lines[1:6] == [
        "┏━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━┓",
        "┃ Layer (type)    ┃ Output Shape          ┃        Param # ┃",
        "┡━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━┩",
        "│ outer_in        │ (None, 4)             │              0 │",
        "│ (InputLayer)    │                       │                │",
    ]
