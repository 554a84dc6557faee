"""`ScheduleFreeAdamW`: AdamW without a learning-rate schedule (interpolation plus averaging)."""

import math
from numbers import Real

from kerasx.backends import current
from kerasx.optimizers.optimizer import Optimizer


class ScheduleFreeAdamW(Optimizer):
    """Schedule-Free AdamW (Defazio et al., 2024).

    Three sequences are involved: `z`, where the Adam-scaled gradient steps
    are taken (the `momentum` slot, which starts equal to the variable); `x`,
    the running average of the `z`s (what the method would evaluate); and
    `y = (1 - beta_1) z + beta_1 x`, the point where gradients are taken,
    which is what the model's variable holds. `x` is not stored: each step
    recovers it from the variable and the previous `z`. With `t` the step
    number (from 1):

        v = beta_2 v + (1 - beta_2) g^2
        z_new = z - lr g / (sqrt(v / (1 - beta_2^t)) + epsilon)
        x = (y - (1 - beta_1) z) / beta_1
        x = (1 - 1/t) x + (1/t) z_new
        y = (1 - beta_1) z_new + beta_1 x

    During the first `warmup_steps` steps the learning rate is scaled by `t / warmup_steps`.
    The model's variables stay at `y` after training (they are not swapped to `x`
    for evaluation).

    Args:
        learning_rate: float or schedule (default 0.0025).
        beta_1: the interpolation between `z` and `x` (in (0, 1], default 0.9).
        beta_2: the decay of the second moment (default 0.999).
        epsilon: added to the denominator (default 1e-8).
        warmup_steps: the number of linear warm-up steps (default 0).
        **kwargs: the arguments every optimizer takes (see `Optimizer`);
            `weight_decay` (default None) decays the variable before each step.
    """

    def __init__(self, learning_rate=0.0025, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
                 warmup_steps=0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not _is_number(beta_1) or not 0 < beta_1 <= 1:
            raise ValueError(
                "Argument `beta_1` must be a float in (0, 1]: the variable is divided by it to "
                f"recover the averaged sequence. Received: beta_1={beta_1!r}.")
        if not _is_number(beta_2) or not 0 <= beta_2 < 1:
            raise ValueError(
                f"Argument `beta_2` must be a float in [0, 1). Received: beta_2={beta_2!r}.")
        if isinstance(warmup_steps, bool) or not isinstance(warmup_steps, int) \
                or warmup_steps < 0:
            raise ValueError(
                "Argument `warmup_steps` must be a non-negative integer. Received: "
                f"warmup_steps={warmup_steps!r}.")
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        xp = current().xp
        for z, var in zip(self._momentums, var_list):
            if z is not None:
                # a copy: a fused kernel may later update the variable's buffer in place
                z.assign(xp.asarray(var.value, copy=True))

    def update_step(self, gradient, variable, learning_rate):
        xp = current().xp
        step = self._steps() + 1
        if self.warmup_steps > 0:
            learning_rate = learning_rate * min(step / self.warmup_steps, 1.0)
        i = self._get_variable_index(variable)
        z, v = self._momentums[i], self._velocities[i]
        z_old = z.value
        v.assign(v.value + (gradient * gradient - v.value) * (1 - self.beta_2))
        denominator = xp.sqrt(v.value / (1 - self.beta_2 ** step)) + self.epsilon
        z.assign(z_old - (learning_rate * gradient) / denominator)
        weight = 1.0 / step
        x = (variable.value - (1 - self.beta_1) * z_old) / self.beta_1
        x = (1 - weight) * x + weight * z.value
        variable.assign((1 - self.beta_1) * z.value + self.beta_1 * x)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "warmup_steps": self.warmup_steps}


def _is_number(value):
    return isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(value)
