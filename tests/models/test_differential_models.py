"""Random functional models compared with Keras 3.15.1.

`test_golden_recipe` replays the `fuzz_models` golden family: models drawn by
tests/golden/fuzz_models_common.py (structured inputs and outputs, merges, attention,
EinsumDense, normalizations, nested and frozen models, custom layers with `add_loss`,
regularizers and constraints, `compute_loss` overrides) that Keras ran from the stored
weights; kerasx must give the same predictions, `model.losses`, evaluate / train_on_batch /
test_on_batch / fit results (keys, order, values) and weights. The other tests pin what the
fuzzer found.
"""

import numpy as np
import pytest

import kerasx as keras
from tests.golden.fuzz_models_common import run_recipe
from tests.golden.loader import load_cases
from tests.golden.training_recipe import replay_case

GOLDEN = load_cases("fuzz_models")


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_golden_recipe(case):
    replay_case(keras, case, run_recipe)


def _three_heads_one_without_loss():
    """Dict outputs `zed` (no loss, a weighted metric), `alpha` and `mid` (sequence),
    with per-timestep sample weights for the sequence heads."""
    inputs = keras.Input((3,))
    outputs = {
        "zed": keras.layers.Dense(2, name="zed")(keras.layers.RepeatVector(4)(inputs)),
        "alpha": keras.layers.Dense(1, name="alpha")(inputs),
        "mid": keras.layers.Dense(2, name="mid")(keras.layers.RepeatVector(3)(inputs)),
    }
    model = keras.Model(inputs, outputs)
    model.set_weights([np.full(w.shape, 0.1 * (k + 1), "float32")
                       for k, w in enumerate(model.get_weights())])
    model.compile("sgd", {"mid": "mse", "alpha": "mae"},
                  weighted_metrics={"zed": ["mae"], "alpha": ["mse"], "mid": ["mae"]})
    rng = np.random.default_rng(0)
    x = rng.normal(size=(5, 3)).astype("float32")
    y = {"zed": rng.normal(size=(5, 4, 2)).astype("float32"),
         "alpha": rng.normal(size=(5, 1)).astype("float32"),
         "mid": rng.normal(size=(5, 3, 2)).astype("float32")}
    sw = {"zed": rng.uniform(size=(5, 4)).astype("float32"),
          "alpha": rng.uniform(size=(5,)).astype("float32"),
          "mid": rng.uniform(size=(5, 3)).astype("float32")}
    return model, x, y, sw


@pytest.mark.parametrize("method", ["evaluate", "test_on_batch"])
def test_each_output_sample_weight_is_checked_against_its_own_target(method):
    # The check compared every output's weights with the first target, so per-timestep
    # weights of shape (5, 3) for `mid` were refused against `zed`'s (5, 4, 2) labels.
    model, x, y, sw = _three_heads_one_without_loss()
    kwargs = {"verbose": 0} if method == "evaluate" else {}
    logs = getattr(model, method)(x, y, sample_weight=sw, return_dict=True, **kwargs)
    # Keras 3.15.1 gives these values (same weights and data, JAX backend)
    expected = {"alpha_loss": 0.28414276242256165, "alpha_mse": 0.359719842672348,
                "loss": 0.9938640594482422, "mid_loss": 0.7097212672233582,
                "mid_mae": 1.0173559188842773, "zed_mae": 1.1093950271606445}
    assert list(logs) == list(expected)
    np.testing.assert_allclose([logs[k] for k in expected], list(expected.values()),
                               rtol=1e-5)


def test_weights_of_the_wrong_length_for_an_output_are_still_refused():
    model, x, y, sw = _three_heads_one_without_loss()
    sw["mid"] = sw["mid"][:, :2]
    with pytest.raises(ValueError, match=r"received shape \(5, 2\) for y of shape \(5, 3, 2\)"):
        model.evaluate(x, y, sample_weight=sw, verbose=0)
