"""`ExponentialDecay`: `lr = initial * decay_rate ** (step / decay_steps)`."""

import math

from kerasx.optimizers.schedules.learning_rate_schedule import (LearningRateSchedule,
                                                                 as_float32_step,
                                                                 check_positive_steps, float32,
                                                                 float32s)


class ExponentialDecay(LearningRateSchedule):
    """Multiplies the learning rate by `decay_rate` every `decay_steps` steps.

    `lr(step) = initial_learning_rate * decay_rate ** (step / decay_steps)`,
    with the exponent rounded down when `staircase=True`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the number of steps per decay period (> 0).
        decay_rate: the factor applied per period.
        staircase: decay in discrete steps instead of continuously.
        name: a name for the schedule.
    """

    def __init__(self, initial_learning_rate, decay_steps, decay_rate, staircase=False,
                 name="ExponentialDecay"):
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
        return float32(initial * float32(decay_rate ** p))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}
