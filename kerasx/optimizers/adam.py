"""`Adam`: adaptive moment estimation."""

import math

from kerasx.optimizers.optimizer import Optimizer


class Adam(Optimizer):
    """Adam with Keras's bias correction folded into the step size.

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_1, beta_2: decay rates of the first and second moments.
        epsilon: added to the denominator for stability (1e-7).
        amsgrad: use the running maximum of the second moment.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1, self.beta_2, self.epsilon, self.amsgrad = beta_1, beta_2, epsilon, amsgrad

    def build(self, var_list):
        super().build(var_list)
        self.add_slots(var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self.add_slots(var_list, ["velocity_hat"])

    def update_all(self, grads, variables, learning_rate):
        step = self.iterations + 1
        alpha = learning_rate * math.sqrt(1.0 - self.beta_2 ** step) / (1.0 - self.beta_1 ** step)
        for g, var in zip(grads, variables):
            self.update_step(g, var, alpha)

    def update_step(self, gradient, variable, alpha):
        m = self.slot(variable, "momentum")
        v = self.slot(variable, "velocity")
        m.assign(m.value + (gradient - m.value) * (1.0 - self.beta_1))
        v.assign(v.value + (gradient * gradient - v.value) * (1.0 - self.beta_2))
        velocity = v.value
        if self.amsgrad:
            v_hat = self.slot(variable, "velocity_hat")
            v_hat.assign(self._xp().maximum(v_hat.value, velocity))
            velocity = v_hat.value
        variable.assign(variable.value - (m.value * alpha) / (self._xp().sqrt(velocity) + self.epsilon))

    @staticmethod
    def _xp():
        from kerasx.backends import current

        return current().xp

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}
