"""`Adamax`: Adam with the infinity norm."""

from kerasx.backends import current
from kerasx.optimizers.host_scalar import HALF_TYPES
from kerasx.optimizers.optimizer import Optimizer


class Adamax(Optimizer):
    """Adamax (Kingma & Ba): `m = beta_1 m + (1 - beta_1) g`,
    `u = max(beta_2 u, |g|)`, `w -= lr m / ((1 - beta_1^t) (u + epsilon))`.

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_1: the decay of the first moment (default 0.9).
        beta_2: the decay of the infinity norm (default 0.999).
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
        super().build(var_list)
        self._m, self._u = self.add_optimizer_variables(var_list, ["momentum", "norm"])

    def _update_all(self, grads, variables, learning_rate):
        half = any(v.dtype in HALF_TYPES for v in variables)
        if half or not self._update_together("adamax_update_many", Adamax, grads, variables,
                                     [self._m, self._u], learning_rate,
                                     1 - self.beta_1 ** (self._steps() + 1), self.beta_1,
                                     self.beta_2, self.epsilon):
            super()._update_all(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        correction = 1 - self.beta_1 ** (self._steps() + 1)
        half = variable.dtype in HALF_TYPES
        i = self._get_variable_index(variable)
        m, u = self._m[i], self._u[i]
        backend = current()
        # the fused kernel divides before it scales; in float16 Keras's order matters
        fused = None if half else backend.kernel("adamax_update")
        if fused is not None:
            fused(variable, gradient, m, u, learning_rate, correction, self.beta_1, self.beta_2,
                  self.epsilon)
            return
        xp = backend.xp
        m.assign(m.value + (gradient - m.value) * (1 - self.beta_1))
        u.assign(xp.maximum(self.beta_2 * u.value, xp.abs(gradient)))
        variable.assign(variable.value
                        - (learning_rate * m.value) / (correction * (u.value + self.epsilon)))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
