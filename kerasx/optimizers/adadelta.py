"""`Adadelta`: steps scaled by running averages of squared gradients and updates."""

from kerasx.backends import current
from kerasx.optimizers.optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta (Zeiler, 2012): the step `-rms(updates) / rms(gradients) * g`,
    times `learning_rate`, with `rms(x) = sqrt(running_mean(x^2) + epsilon)`.

    Args:
        learning_rate: float or schedule (default 0.001; 1.0 reproduces the paper).
        rho: the decay of the running averages (default 0.95).
        epsilon: added inside the square roots (default 1e-7).
        **kwargs: the arguments every optimizer takes (see `Optimizer`).

    On NumPy each update is an in-place kernel, with the small variables updated
    together in shared buffers.
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            var_list, ["accumulated_grad", "accumulated_delta_var"])

    def _update_all(self, grads, variables, learning_rate):
        if not self._update_together("adadelta_update_many", Adadelta, grads, variables,
                                     [self._accumulated_grads, self._accumulated_delta_vars],
                                     learning_rate, self.rho, self.epsilon):
            super()._update_all(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        backend = current()
        i = self._get_variable_index(variable)
        rho, eps = self.rho, self.epsilon
        acc_grad = self._accumulated_grads[i]
        acc_delta = self._accumulated_delta_vars[i]
        fused = backend.kernel("adadelta_update")
        if fused is not None:
            fused(variable, gradient, acc_grad, acc_delta, learning_rate, rho, eps)
            return
        xp = backend.xp
        acc_grad.assign(rho * acc_grad.value + (1 - rho) * (gradient * gradient))
        delta = -(xp.sqrt(acc_delta.value + eps) * gradient) / xp.sqrt(acc_grad.value + eps)
        acc_delta.assign(rho * acc_delta.value + (1 - rho) * (delta * delta))
        variable.assign(variable.value + learning_rate * delta)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
