"""The `quantizers` golden family (values computed by real Keras 3) for these tests."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(__file__)), "golden"))
from loader import GOLDEN_DIR, load_cases  # noqa: E402

CASES = {case["name"]: case for case in load_cases("quantizers")}


def cases_of(kind):
    """The golden cases of one kind, in file order."""
    return [case for case in CASES.values() if case["kind"] == kind]


def golden_file(name):
    return os.path.join(GOLDEN_DIR, name)
