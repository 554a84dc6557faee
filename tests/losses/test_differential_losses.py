"""Losses in random combinations, against Keras 3.15.1.

The golden family `fuzz_losses_metrics` holds seeded random loss recipes (class with a
reduction, dtype and sample weight of any broadcastable shape, function, or compile
string; int / float / bool labels, float16 / float64 predictions, extremes; config and
serialize round trips) with Keras's outputs; each is replayed here.
"""

import pytest

import kerasx as keras
from kerasx.backends import current
from tests.golden.loader import load_cases
from tests.golden.losses_metrics_recipe import differences, run_recipe, split_case, uses_float16

HAS_FLOAT16 = hasattr(current().xp, "float16")

CASES = [c for c in load_cases("fuzz_losses_metrics") if c["config"]["kind"] == "loss"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_golden_loss_recipe(case):
    recipe, inputs, expected, outputs = split_case(case)
    if uses_float16(recipe, inputs) and not HAS_FLOAT16:
        pytest.skip("float16 is not a dtype of this backend")
    keras.backend.clear_session(free_memory=False)  # Keras made each case after one too
    got = run_recipe(keras, recipe, inputs)
    assert differences(recipe, inputs, expected, outputs, got) == [], recipe
