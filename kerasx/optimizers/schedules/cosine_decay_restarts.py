"""`CosineDecayRestarts`: cosine decay with warm restarts (SGDR)."""

import math

from kerasx.optimizers.schedules.learning_rate_schedule import (LearningRateSchedule, as_step,
                                                                 check_positive_steps)


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

    def _restart(self, fraction):
        """The index of the current period and the fraction of it completed."""
        t = float(self._t_mul)
        if t == 1.0:
            i = math.floor(fraction)
            return i, fraction - i
        i = math.floor(math.log(1.0 - fraction * (1.0 - t)) / math.log(t))

        def start(k):
            return (1.0 - t ** k) / (1.0 - t)

        # the logarithm can land a hair off an exact restart; the sums settle the index
        if start(i + 1) <= fraction:
            i += 1
        elif i > 0 and start(i) > fraction:
            i -= 1
        return i, (fraction - start(i)) / t ** i

    def host_rate(self, step):
        fraction = as_step(step) / float(self.first_decay_steps)
        i, done = self._restart(fraction)
        cosine = 0.5 * float(self._m_mul) ** i * (1.0 + math.cos(math.pi * done))
        return float(self.initial_learning_rate) * ((1.0 - self.alpha) * cosine + self.alpha)

    def get_config(self):
        return {"initial_learning_rate": self.initial_learning_rate,
                "first_decay_steps": self.first_decay_steps, "t_mul": self._t_mul,
                "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}
