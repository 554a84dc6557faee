"""Random optimizer setups compared with Keras 3.15.1.

`test_golden_case` replays the `fuzz_optimizers` golden family (tests/golden/
fuzz_optimizers_recipe.py): every optimizer class with its own arguments combined with weight
decay and its exclusions, clipping, EMA, gradient accumulation, a loss scale factor, learning
rates given as floats, schedules or callables and set between steps, `LossScaleOptimizer`
skipping overflowing steps; through `apply_gradients`, `fit` with a `.keras` round trip, and
`optimizers.get` / `serialize` / `deserialize`. kerasx must give Keras's weights, step counts,
learning rates, optimizer variables (names, paths, shapes, dtypes, values) and configs.
`test_resumes_from_keras_file` loads the files Keras saved after some of those fits and
trains on. The other tests pin what the comparison found.
"""

import os
import warnings

import numpy as np
import pytest

import kerasx as keras
from tests.golden.fuzz_optimizers_recipe import run_case, unpack_results
from tests.golden.loader import GOLDEN_DIR, load_cases
from tests.golden.training_recipe import assert_same_results, flatten_results

GOLDEN = load_cases("fuzz_optimizers")
SAVED = [case for case in GOLDEN if "saved" in case]


def _inputs(case):
    return {name: case["arrays"][f"in_{name}"] for name in case["inputs"]}


def _assert_same(expected, packed, got, path="r"):
    expected, expected_arrays = unpack_results(expected, packed)
    assert_same_results(expected, got[0], expected_arrays, got[1], path)


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_golden_case(case):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lambdas in configs, NaN steps
        results = run_case(keras, case["config"], _inputs(case))
    arrays = case["arrays"]
    _assert_same(arrays["skeleton"], arrays["packed"], flatten_results(results))


@pytest.mark.parametrize("case", SAVED, ids=[c["name"] for c in SAVED])
def test_resumes_from_keras_file(case):
    path = os.path.join(GOLDEN_DIR, case["saved"])
    results = run_case(keras, case["config"], _inputs(case), resume_path=path)
    arrays = case["arrays"]
    _assert_same(arrays["skeleton_alone"], arrays["packed_alone"],
                 flatten_results(results, path="alone"), "alone")


@pytest.mark.parametrize("beta", [0.0, 0.5])
def test_ftrl_zero_learning_rate_gives_nan_as_keras(beta):
    # A schedule decaying to 0 made Ftrl divide a Python float by zero (ZeroDivisionError in
    # fit); Keras divides float32 tensors and gets NaN weights.
    v = keras.Variable(np.array([0.5, -1.0], "float32"))
    opt = keras.optimizers.Ftrl(0.0, beta=beta)
    with np.errstate(divide="ignore", invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        opt.apply_gradients([(np.array([0.1, 0.2], "float32"), v)])
    assert np.isnan(keras.ops.convert_to_numpy(v)).all()


def _adafactor_fit(wrap):
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
    opt = keras.optimizers.Adafactor(0.1)
    if wrap:
        opt = keras.optimizers.LossScaleOptimizer(opt)
    model.compile(opt, "mse")
    model.fit(np.ones((4, 4), "float32"), np.ones((4, 3), "float32"), verbose=0)
    return model, opt


def test_adafactor_placeholders_follow_keras_layout():
    # Keras makes the placeholders of unfactored variables as plain variables (path from
    # the name scope: none inside `fit`) and its LossScaleOptimizer builds the inner
    # optimizer without tracking them, so they are not saved; kerasx listed them always,
    # and `.keras` files of a LossScaleOptimizer(Adafactor) did not load across.
    _, opt = _adafactor_fit(wrap=False)
    assert [v.path for v in opt.variables] == [  # Keras 3.15.1's list
        "adafactor/iteration", "adafactor/learning_rate", "adafactor/kernel",
        "adafactor/kernel", "adafactor/sequential_dense_kernel_velocity", "bias", "bias",
        "adafactor/sequential_dense_bias_velocity"]
    _, opt = _adafactor_fit(wrap=True)
    assert [v.path for v in opt.variables] == [
        "loss_scale_optimizer/iteration", "loss_scale_optimizer/learning_rate",
        "loss_scale_optimizer/step_counter", "loss_scale_optimizer/dynamic_scale",
        "adafactor/iteration", "adafactor/learning_rate", "adafactor/kernel",
        "adafactor/kernel", "adafactor/sequential_dense_kernel_velocity",
        "adafactor/sequential_dense_bias_velocity"]



def test_schedule_assigned_during_fit_is_used():
    # Keras 3.15.1's compiled step keeps the schedule it was traced with (kernel 0.376 here,
    # three steps at 0.1; its run_eagerly=True gives 0.6); kerasx steps with the new one.
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay

    class Switch(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            if batch == 1:
                self.model.optimizer.learning_rate = schedule([100], [0.0, 0.0])

    model = keras.Sequential([keras.Input((2,)),
                              keras.layers.Dense(1, kernel_initializer="ones")])
    model.compile(keras.optimizers.SGD(schedule([100], [0.1, 0.1])), "mse")
    model.fit(np.ones((12, 2), "float32"), np.zeros((12, 1), "float32"), batch_size=4,
              verbose=0, callbacks=[Switch()])
    np.testing.assert_allclose(model.get_weights()[0].ravel(), [0.6, 0.6], rtol=1e-6)
