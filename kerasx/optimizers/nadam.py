"""`Nadam`: Adam with Nesterov momentum."""

from kerasx.backends import current
from kerasx.optimizers.optimizer import HostScalar, Optimizer


class Nadam(Optimizer):
    """Nadam (Dozat, 2016): Adam whose first-moment estimate looks one step
    ahead, with the momentum schedule `u_t = beta_1 (1 - 0.5 * 0.96^t)`.

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_1: the decay of the first moment (default 0.9).
        beta_2: the decay of the second moment (default 0.999).
        epsilon: added to the denominator (default 1e-7).
        **kwargs: the arguments every optimizer takes (see `Optimizer`).

    On NumPy each update is an in-place kernel, with the small variables updated
    together in shared buffers.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        dtype = var_list[0].dtype if var_list else "float32"
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        # the running product of the u_t: a host number, saved with the other variables;
        # unnamed (`variable`, `variable_1`, ...) and, as in Keras, under the optimizer's
        # name only when built by the first `apply`
        self._u_product = HostScalar(1.0, dtype, None)
        self._variables.append(self._u_product)

    def _update_all(self, grads, variables, learning_rate):
        t = self._steps() + 1
        self._u_product.assign(self._u_product.host_value * self.beta_1 * (1.0 - 0.5 * 0.96 ** t))
        if not self._update_together("nadam_update_many", Nadam, grads, variables,
                                     [self._momentums, self._velocities], learning_rate,
                                     self._coefficients(), self.epsilon):
            super()._update_all(grads, variables, learning_rate)

    def _coefficients(self):
        """This step's `(beta_1, beta_2, u_t, u_t_1, 1 - prod_t_1, 1 - prod_t, 1 - beta_2^t)`."""
        t = self._steps() + 1
        b1, b2 = self.beta_1, self.beta_2
        u_t = b1 * (1.0 - 0.5 * 0.96 ** t)
        u_t_1 = b1 * (1.0 - 0.5 * 0.96 ** (t + 1))
        u_product_t = self._u_product.host_value
        return b1, b2, u_t, u_t_1, 1 - u_product_t * u_t_1, 1 - u_product_t, 1 - b2 ** t

    def update_step(self, gradient, variable, learning_rate):
        backend = current()
        i = self._get_variable_index(variable)
        m, v = self._momentums[i], self._velocities[i]
        fused = backend.kernel("nadam_update")
        if fused is not None:
            fused(variable, gradient, m, v, learning_rate, self._coefficients(), self.epsilon)
            return
        xp = backend.xp
        b1, b2, u_t, u_t_1, rest_t_1, rest_t, correction_2 = self._coefficients()
        m.assign(m.value + (gradient - m.value) * (1 - b1))
        v.assign(v.value + (gradient * gradient - v.value) * (1 - b2))
        m_hat = (u_t_1 * m.value) / rest_t_1 + ((1 - u_t) * gradient) / rest_t
        v_hat = v.value / correction_2
        variable.assign(variable.value - (m_hat * learning_rate) / (xp.sqrt(v_hat) + self.epsilon))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
