"""`CosineDecayRestarts`: cosine decay with warm restarts (SGDR)."""

import math

from kerasx.optimizers.schedules.learning_rate_schedule import (LearningRateSchedule,
                                                                 as_float32_step,
                                                                 check_positive_steps, float32)
from kerasx.optimizers.schedules.cosine_decay import PI32


class CosineDecayRestarts(LearningRateSchedule):
    """Cosine decay that restarts: period `i` lasts `first_decay_steps * t_mul ** i`
    steps and peaks at `initial_learning_rate * m_mul ** i` (Loshchilov & Hutter, SGDR).

    Args:
        initial_learning_rate: the first peak.
        first_decay_steps: the length of the first period (> 0).
        t_mul: how much longer each period is than the previous one.
        m_mul: how much lower each peak is than the previous one.
        alpha: the lowest rate of a period, as a fraction of its peak.
        name: a name for the schedule.
    """

    def __init__(self, initial_learning_rate, first_decay_steps, t_mul=2.0, m_mul=1.0, alpha=0.0,
                 name="SGDRDecay"):
        check_positive_steps("first_decay_steps", first_decay_steps)
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def host_rate(self, step):
        setup = self._float32_setup(_Setup, self.initial_learning_rate, self.first_decay_steps,
                                    self._t_mul, self._m_mul, self.alpha)
        fraction = float32(as_float32_step(step) / setup.first_decay_steps)
        i, done = setup.restart(fraction)
        cosine = float32(setup.peak(i) * float32(1.0 + float32(math.cos(float32(PI32 * done)))))
        decayed = float32(float32(setup.one_minus_alpha * cosine) + setup.alpha)
        return float32(setup.initial * decayed)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


class _Setup:
    """The float32 constants of a restarts schedule and its periods' starts, scales and peaks
    (Keras's float32 formulas; each period's values are computed once)."""

    def __init__(self, initial, first_decay_steps, t_mul, m_mul, alpha):
        self.initial = float32(initial)
        self.first_decay_steps = float32(first_decay_steps)
        self.t_mul, self.m_mul = float32(t_mul), float32(m_mul)
        self.alpha = float32(alpha)
        self.one_minus_alpha = float32(1.0 - self.alpha)
        self.shrink = float32(1.0 - self.t_mul)
        self.log_t = float32(math.log(self.t_mul)) if self.t_mul > 0 else math.nan
        self._periods = {}

    def _period(self, i):
        """(start, length scale, peak factor) of period `i`, as fractions of the first."""
        period = self._periods.get(i)
        if period is None:
            scale = float32(self.t_mul ** i)
            start = float32(float32(1.0 - scale) / self.shrink) if self.shrink else float(i)
            period = (start, scale, float32(0.5 * float32(self.m_mul ** i)))
            if len(self._periods) < 4096:
                self._periods[i] = period
        return period

    def peak(self, i):
        return self._period(i)[2]

    def restart(self, fraction):
        """The index of the current period and the fraction of it completed."""
        if self.t_mul == 1.0:
            i = math.floor(fraction)
            return i, float32(fraction - i)
        grown = float32(1.0 - float32(fraction * self.shrink))
        i = math.floor(float32(float32(math.log(grown)) / self.log_t))
        # the logarithm can land a hair off an exact restart; the sums settle the index
        if self._period(i + 1)[0] <= fraction:
            i += 1
        elif i > 0 and self._period(i)[0] > fraction:
            i -= 1
        start, scale, _ = self._period(i)
        return i, float32(float32(fraction - start) / scale)
