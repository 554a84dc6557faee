"""`InverseTimeDecay`: `lr = initial / (1 + decay_rate * step / decay_steps)`."""

import math

from kerasx.optimizers.schedules.learning_rate_schedule import (LearningRateSchedule,
                                                                 as_float32_step,
                                                                 check_positive_steps, float32,
                                                                 float32s)


class InverseTimeDecay(LearningRateSchedule):
    """Decays the learning rate in proportion to the inverse of the step.

    `lr(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps)`,
    with `step / decay_steps` rounded down when `staircase=True`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the step scale (> 0).
        decay_rate: how fast the rate decays.
        staircase: decay in discrete steps.
        name: a name for the schedule.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="InverseTimeDecay"):
        check_positive_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def host_rate(self, step):
        initial, decay_steps, decay_rate = self._float32_setup(
            float32s, self.initial_learning_rate, self.decay_steps, self.decay_rate)
        p = float32(as_float32_step(step) / decay_steps)
        if self.staircase:
            p = math.floor(p)
        return float32(initial / float32(1.0 + float32(decay_rate * p)))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}
