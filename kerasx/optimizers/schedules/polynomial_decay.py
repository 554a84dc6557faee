"""`PolynomialDecay`: a polynomial ramp from the initial to the end learning rate."""

import math

from kerasx.optimizers.schedules.learning_rate_schedule import (LearningRateSchedule,
                                                                 as_float32_step,
                                                                 check_positive_steps, float32)


class PolynomialDecay(LearningRateSchedule):
    """`(initial - end) * (1 - step / decay_steps) ** power + end`, then `end`.

    With `cycle=True` the ramp restarts with a longer period (the next
    multiple of `decay_steps` above the step) instead of staying at `end`.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the length of the ramp (> 0).
        end_learning_rate: the final rate (default 1e-4).
        power: the power of the polynomial (1: linear).
        cycle: restart after `decay_steps`.
        name: a name for the schedule.
    """

    def __init__(self, initial_learning_rate, decay_steps, end_learning_rate=0.0001, power=1.0,
                 cycle=False, name="PolynomialDecay"):
        check_positive_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def host_rate(self, step):
        decay_steps, end, span, power = self._float32_setup(
            _constants, self.initial_learning_rate, self.decay_steps, self.end_learning_rate,
            self.power)
        step = as_float32_step(step)
        if self.cycle:
            if step != 0:
                decay_steps = float32(decay_steps * math.ceil(float32(step / decay_steps)))
        else:
            step = min(step, decay_steps)
        ramp = float32(float32(1.0 - float32(step / decay_steps)) ** power)
        return float32(float32(span * ramp) + end)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "end_learning_rate": self.end_learning_rate,
                "power": self.power, "cycle": self.cycle, "name": self.name}


def _constants(initial, decay_steps, end, power):
    end = float32(end)
    return float32(decay_steps), end, float32(float32(initial) - end), float32(power)
