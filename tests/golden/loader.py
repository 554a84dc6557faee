"""Read the golden reference files in this folder (NumPy only, no keras).

Usage from a test::

    from tests.golden.loader import load_cases      # or put tests/golden on sys.path
    for case in load_cases("losses"):
        case["name"], case["class"], case["config"], case["arrays"]["y_true"]

See README.md in this folder for the file format.
"""

import json
import os

import numpy as np

GOLDEN_DIR = os.path.dirname(os.path.abspath(__file__))

FAMILIES = (
    "activations",
    "losses",
    "metrics",
    "optimizers",
    "schedules",
    "constraints_regularizers",
    "layers",
)


def load_header(name):
    """The parsed ``<name>.cases.json`` (family metadata and case list)."""
    with open(os.path.join(GOLDEN_DIR, f"{name}.cases.json")) as f:
        return json.load(f)


def load_cases(name):
    """All cases of one family as a list of dicts.

    Each dict holds every field of the case's entry in ``<name>.cases.json``
    (always ``name``, ``class``, ``module`` and ``config``; per-family extras
    such as ``call_kwargs``, ``update_args``, ``raises``...), except that
    ``arrays`` maps each array name to its ``numpy.ndarray`` (read from
    ``<name>.npz`` key ``"<case name>/<array name>"``) instead of to its
    dtype/shape description.
    """
    header = load_header(name)
    cases = []
    with np.load(os.path.join(GOLDEN_DIR, header["npz"])) as npz:
        for entry in header["cases"]:
            case = dict(entry)
            case["arrays"] = {
                key: npz[f"{entry['name']}/{key}"] for key in entry["arrays"]
            }
            cases.append(case)
    return cases


def load_case(name, case_name):
    """One case of a family, by its name."""
    for case in load_cases(name):
        if case["name"] == case_name:
            return case
    raise KeyError(f"{name}: no case named {case_name!r}")


def load_history_keys():
    """The parsed ``history_keys.json``: {'cases': [...], ...}."""
    with open(os.path.join(GOLDEN_DIR, "history_keys.json")) as f:
        return json.load(f)


def case_ids(cases):
    """Names for ``pytest.mark.parametrize(..., ids=case_ids(cases))``."""
    return [c["name"] for c in cases]
