"""`Lamb`: Adam moments with a layer-wise trust ratio."""

from kerasx.backends import current
from kerasx.optimizers.optimizer import Optimizer


class Lamb(Optimizer):
    """Lamb (You et al., 2019): the bias-corrected Adam direction
    `u = m_hat / (sqrt(v_hat) + epsilon)`, rescaled per variable by the trust
    ratio `||w|| / ||u||` (1 when either norm is 0): `w -= ratio * lr * u`.
    The step of each variable is proportional to its own norm, which keeps
    large-batch training stable.

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_1: the decay of the first moment (default 0.9).
        beta_2: the decay of the second moment (default 0.999).
        epsilon: added to the denominator (default 1e-7).
        **kwargs: the arguments every optimizer takes (see `Optimizer`).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])

    def update_step(self, gradient, variable, learning_rate):
        xp = current().xp
        step = self._steps() + 1
        i = self._get_variable_index(variable)
        m, v = self._momentums[i], self._velocities[i]
        m.assign(m.value + (gradient - m.value) * (1 - self.beta_1))
        v.assign(v.value + (gradient * gradient - v.value) * (1 - self.beta_2))
        m_hat = m.value / (1.0 - self.beta_1 ** step)
        update = m_hat / (xp.sqrt(v.value / (1.0 - self.beta_2 ** step)) + self.epsilon)
        w = variable.value
        w_norm = xp.sqrt(xp.sum(w * w))
        u_norm = xp.sqrt(xp.sum(update * update))
        both = (w_norm > 0) & (u_norm > 0)
        # the divisor is made nonzero first so no division by zero is ever evaluated
        ratio = xp.where(both, w_norm / xp.where(both, u_norm, 1.0), 1.0)
        variable.assign(w - ratio * learning_rate * update)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
