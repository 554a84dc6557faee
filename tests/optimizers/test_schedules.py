"""Learning-rate schedules against real Keras 3, their configs, and their use in optimizers."""

import os

import numpy as np
import pytest

from kerasx import optimizers
from kerasx.optimizers import schedules
from tests.golden.loader import GOLDEN_DIR, case_ids, load_cases

HAVE_GOLDEN = os.path.exists(os.path.join(GOLDEN_DIR, "schedules.cases.json"))
CASES = load_cases("schedules") if HAVE_GOLDEN else []


@pytest.mark.skipif(not HAVE_GOLDEN, reason="tests/golden/schedules.* not generated yet")
@pytest.mark.parametrize("case", CASES, ids=case_ids(CASES))
def test_schedule_matches_keras(case):
    schedule = getattr(schedules, case["class"])(**case["config"])
    got = [schedule(int(step)) for step in case["arrays"]["steps"]]
    np.testing.assert_allclose(got, case["arrays"]["lr"], rtol=1e-5, atol=1e-8)
    assert schedule.get_config() == case["keras_config"]
    again = schedules.deserialize(schedules.serialize(schedule))
    assert type(again) is type(schedule) and again.get_config() == schedule.get_config()


def test_schedule_accepts_tensors_and_host_rate_is_a_python_float():
    from kerasx import ops

    s = schedules.InverseTimeDecay(0.1, decay_steps=10, decay_rate=0.5)
    assert isinstance(s.host_rate(5), float)
    assert float(s(ops.convert_to_tensor(np.array(5)))) == float(s(5.0)) == pytest.approx(0.08)


def test_cosine_restarts_exact_boundaries():
    s = schedules.CosineDecayRestarts(1.0, first_decay_steps=2, t_mul=1.5, alpha=0.0)
    starts = [2.0 * (1.5 ** k - 1) / 0.5 for k in range(1, 8)]
    assert all(s(step) == pytest.approx(1.0) for step in starts)


def test_cosine_warmup_ramps_linearly():
    s = schedules.CosineDecay(0.0, decay_steps=100, warmup_target=1.0, warmup_steps=10)
    assert [s(i) for i in (0, 5, 10)] == pytest.approx([0.0, 0.5, 1.0])
    assert s(110) == pytest.approx(0.0) and s(500) == pytest.approx(0.0)


def test_schedule_drives_the_optimizer_and_survives_its_config():
    lr = schedules.PiecewiseConstantDecay(boundaries=[1], values=[0.5, 0.1])
    opt = optimizers.SGD(learning_rate=lr)
    assert opt.learning_rate == 0.5
    assert [v.name for v in opt.variables] == ["iteration"]
    from kerasx import Variable

    w = Variable(np.zeros(1, np.float32))
    for _ in range(3):
        opt.apply_gradients([(np.ones(1, np.float32), w)])
    np.testing.assert_allclose(w.numpy(), [-0.5 - 0.5 - 0.1], rtol=1e-6)
    config = optimizers.serialize(opt)
    assert config["config"]["learning_rate"]["class_name"] == "PiecewiseConstantDecay"
    again = optimizers.deserialize(config)
    assert isinstance(again._learning_rate, schedules.PiecewiseConstantDecay)
    with pytest.raises(TypeError, match="learning-rate schedule"):
        again.learning_rate = 0.3


@pytest.mark.parametrize("cls,kwargs,message", [
    (schedules.ExponentialDecay, {"initial_learning_rate": 0.1, "decay_steps": 0,
                                  "decay_rate": 0.5}, "decay_steps` must be > 0"),
    (schedules.CosineDecayRestarts, {"initial_learning_rate": 0.1, "first_decay_steps": -1},
     "first_decay_steps` must be > 0"),
    (schedules.PiecewiseConstantDecay, {"boundaries": [1, 2], "values": [0.1]},
     "1 less than the length of values"),
])
def test_bad_schedule_arguments(cls, kwargs, message):
    with pytest.raises(ValueError, match=message):
        cls(**kwargs)
