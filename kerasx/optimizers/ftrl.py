"""`Ftrl`: Follow The Regularized Leader, for large sparse linear models."""

import math

from kerasx import initializers
from kerasx.backends import current
from kerasx.optimizers.optimizer import Optimizer


class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al., 2013), with L1, L2 and L2-shrinkage regularization.

    Args:
        learning_rate: float or schedule (default 0.001).
        learning_rate_power: how the per-coordinate rate decays with the
            accumulated squared gradient (<= 0, default -0.5).
        initial_accumulator_value: the starting accumulator (>= 0, default 0.1).
        l1_regularization_strength: >= 0 (default 0).
        l2_regularization_strength: >= 0 (default 0).
        l2_shrinkage_regularization_strength: an L2 penalty on the magnitude
            applied through the gradient (>= 0, default 0).
        beta: added to the L2 term as `beta / (2 lr)` (default 0).
        **kwargs: the arguments every optimizer takes (see `Optimizer`).
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5, initial_accumulator_value=0.1,
                 l1_regularization_strength=0.0, l2_regularization_strength=0.0,
                 l2_shrinkage_regularization_strength=0.0, beta=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        checks = (("initial_accumulator_value", initial_accumulator_value, "positive or zero"),
                  ("l1_regularization_strength", l1_regularization_strength, "positive or zero"),
                  ("l2_regularization_strength", l2_regularization_strength, "positive or zero"),
                  ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength,
                   "positive or zero"))
        for name, value, what in checks:
            if value < 0.0:
                raise ValueError(f"`{name}` needs to be {what}. Received: {name}={value}.")
        if learning_rate_power > 0.0:
            raise ValueError("`learning_rate_power` needs to be negative or zero. Received: "
                             f"learning_rate_power={learning_rate_power}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators, self._linears = self.add_optimizer_variables(
            var_list, ["accumulator", "linear"],
            initializer=[initializers.Constant(self.initial_accumulator_value), "zeros"])

    def update_step(self, gradient, variable, learning_rate):
        xp = current().xp
        i = self._get_variable_index(variable)
        accum, linear = self._accumulators[i], self._linears[i]
        power = -self.learning_rate_power
        l1 = self.l1_regularization_strength
        if learning_rate:
            l2 = self.l2_regularization_strength + self.beta / (2.0 * learning_rate)
        else:  # a schedule may reach 0: divide as float32 tensors do (Keras gives NaN weights)
            l2 = self.l2_regularization_strength + (
                math.copysign(math.inf, self.beta) if self.beta else math.nan)
        w = variable.value
        grad = gradient + 2 * self.l2_shrinkage_regularization_strength * w
        new_accum = accum.value + gradient * gradient
        new_root, old_root = new_accum ** power, accum.value ** power
        linear.assign(linear.value + (grad - ((new_root - old_root) / learning_rate) * w))
        quadratic = new_root / learning_rate + 2 * l2
        clipped = xp.clip(linear.value, -l1, l1)
        variable.assign((clipped - linear.value) / quadratic)
        accum.assign(new_accum)

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
