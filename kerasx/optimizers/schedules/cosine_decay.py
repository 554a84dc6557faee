"""`CosineDecay`: a half cosine from the initial (or warm-up target) rate down to `alpha`."""

import math

from kerasx.optimizers.schedules.learning_rate_schedule import (LearningRateSchedule,
                                                                 as_float32_step,
                                                                 check_positive_steps, float32)


PI32 = float32(math.pi)


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

    def host_rate(self, step):
        initial, decay_steps, alpha, one_minus_alpha, warmup, target = self._float32_setup(
            _constants, self.initial_learning_rate, self.decay_steps, self.alpha,
            self.warmup_steps, self.warmup_target)
        step = as_float32_step(step)
        if target is None:
            step, peak = min(step, decay_steps), initial
        else:
            step = min(step, float32(decay_steps + warmup))
            if step < warmup:
                rise = float32(float32(target - initial) * float32(step / warmup))
                return float32(rise + initial)
            step, peak = float32(step - warmup), target
        angle = float32(PI32 * float32(step / decay_steps))
        cosine = float32(0.5 * float32(1.0 + float32(math.cos(angle))))
        return float32(peak * float32(float32(one_minus_alpha * cosine) + alpha))

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "decay_steps": self.decay_steps, "alpha": self.alpha, "name": self.name,
                "warmup_target": self.warmup_target, "warmup_steps": self.warmup_steps}


def _constants(initial, decay_steps, alpha, warmup_steps, warmup_target):
    # Keras subtracts the Python `alpha` from 1 before the float32 product
    target = None if warmup_target is None else float32(warmup_target)
    return (float32(initial), float32(decay_steps), float32(alpha), float32(1.0 - alpha),
            float32(warmup_steps), target)
