"""`CosineDecay`: a half cosine from the initial (or warm-up target) rate down to `alpha`."""

import math

from kerasx.optimizers.schedules.learning_rate_schedule import (LearningRateSchedule, as_step,
                                                                 check_positive_steps)


class CosineDecay(LearningRateSchedule):
    """Cosine decay, optionally after a linear warm-up.

    Without warm-up: `lr(step) = initial * ((1 - alpha) * 0.5 * (1 + cos(pi *
    step / decay_steps)) + alpha)` up to `decay_steps`, then `initial * alpha`.
    With `warmup_target`, the rate first rises linearly from
    `initial_learning_rate` to `warmup_target` over `warmup_steps`, then decays
    from `warmup_target` as above.

    Args:
        initial_learning_rate: the rate at step 0.
        decay_steps: the length of the decay (> 0).
        alpha: the final rate as a fraction of the peak.
        name: a name for the schedule.
        warmup_target: the peak rate after warm-up (None: no warm-up).
        warmup_steps: the length of the warm-up.
    """

    def __init__(self, initial_learning_rate, decay_steps, alpha=0.0, name="CosineDecay",
                 warmup_target=None, warmup_steps=0):
        check_positive_steps("decay_steps", decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def _decay(self, step, peak):
        fraction = step / float(self.decay_steps)
        cosine = 0.5 * (1.0 + math.cos(math.pi * fraction))
        return peak * ((1.0 - self.alpha) * cosine + self.alpha)

    def host_rate(self, step):
        step = as_step(step)
        initial = float(self.initial_learning_rate)
        if self.warmup_target is None:
            return self._decay(min(step, float(self.decay_steps)), initial)
        warmup = float(self.warmup_steps)
        step = min(step, float(self.decay_steps) + warmup)
        if step < warmup:
            return (float(self.warmup_target) - initial) * (step / warmup) + initial
        return self._decay(step - warmup, float(self.warmup_target))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}
