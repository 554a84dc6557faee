"""`InverseTimeDecay`: `lr = initial / (1 + decay_rate * step / decay_steps)`."""

from kerasx.optimizers.schedules.learning_rate_schedule import (LearningRateSchedule, as_step,
                                                                 check_positive_steps)


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
        p = as_step(step) / self.decay_steps
        if self.staircase:
            p = float(int(p // 1))
        return float(self.initial_learning_rate) / (1.0 + float(self.decay_rate) * p)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "decay_rate": self.decay_rate,
                "staircase": self.staircase, "name": self.name}
