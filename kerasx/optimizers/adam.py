"""`Adam`: adaptive moment estimation."""

import math

from kerasx.backends import current
from kerasx.optimizers.host_scalar import HALF_TYPES
from kerasx.optimizers.optimizer import Optimizer


class Adam(Optimizer):
    """Adam (Kingma & Ba): running means of the gradient (`m`) and of its square
    (`v`), with the bias correction folded into the step size:
    `w -= alpha m / (sqrt(v) + epsilon)`, `alpha = lr sqrt(1 - beta_2^t) / (1 - beta_1^t)`.

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_1: the decay of the first moment (default 0.9).
        beta_2: the decay of the second moment (default 0.999).
        epsilon: added to the denominator (default 1e-7).
        amsgrad: use the running maximum of `v` (AMSGrad).
        **kwargs: the arguments every optimizer takes (see `Optimizer`).

    On NumPy and CuPy the update of each variable is one fused in-place kernel; on
    NumPy the small variables are also updated together, in shared buffers.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums, self._velocities = self.add_optimizer_variables(
            var_list, ["momentum", "velocity"])
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(var_list, "velocity_hat")

    def _step_size(self, learning_rate):
        step = self._steps() + 1
        return learning_rate * math.sqrt(1 - self.beta_2 ** step) / (1 - self.beta_1 ** step)

    def _update_all(self, grads, variables, learning_rate):
        slots = [self._momentums, self._velocities,
                 self._velocity_hats if self.amsgrad else None]
        # half-precision variables take the portable update, in Keras's order of operations
        if any(v.dtype in HALF_TYPES for v in variables) or not self._update_together(
                "adam_update_many", Adam, grads, variables, slots,
                self._step_size(learning_rate), self.beta_1, self.beta_2, self.epsilon):
            super()._update_all(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        alpha = self._step_size(learning_rate)
        i = self._get_variable_index(variable)
        m, v = self._momentums[i], self._velocities[i]
        v_hat = self._velocity_hats[i] if self.amsgrad else None
        backend = current()
        # the fused kernels divide before they scale; in float16 Keras's order matters:
        # `m * alpha` underflows first for tiny moments, and their updates are zero
        fused = None if variable.dtype in HALF_TYPES else backend.kernel("adam_update")
        if fused is not None:
            fused(variable, gradient, m, v, v_hat, alpha, self.beta_1, self.beta_2, self.epsilon)
            return
        xp = backend.xp
        m.assign(m.value + (gradient - m.value) * (1 - self.beta_1))
        v.assign(v.value + (gradient * gradient - v.value) * (1 - self.beta_2))
        second = v.value
        if v_hat is not None:
            v_hat.assign(xp.maximum(v_hat.value, second))
            second = v_hat.value
        variable.assign(variable.value - (m.value * alpha) / (xp.sqrt(second) + self.epsilon))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}
