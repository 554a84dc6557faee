"""`RMSprop`: gradients scaled by a running root mean square."""

from kerasx.backends import current
from kerasx.optimizers.optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (Hinton): `v = rho v + (1 - rho) g^2; w -= lr g / sqrt(v + epsilon)`.

    With `centered=True` the running mean of the gradient is subtracted from
    the second moment (`v - mean_g^2`); with `momentum > 0` the steps are
    accumulated in a momentum slot.

    Args:
        learning_rate: float or schedule (default 0.001).
        rho: the decay of the running second moment (default 0.9).
        momentum: momentum of the steps (default 0).
        epsilon: added inside the square root (default 1e-7).
        centered: normalise by the variance instead of the second moment.
        **kwargs: the arguments every optimizer takes (see `Optimizer`).

    On NumPy each update is an in-place kernel, with the small variables updated
    together in shared buffers.
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._velocities = self.add_optimizer_variables(var_list, "velocity")
        self._momentums = self.add_optimizer_variables(var_list, "momentum") \
            if self.momentum > 0 else []
        self._average_gradients = self.add_optimizer_variables(var_list, "average_gradient") \
            if self.centered else []

    def _update_all(self, grads, variables, learning_rate):
        slots = [self._velocities, self._momentums if self.momentum > 0 else None,
                 self._average_gradients if self.centered else None]
        if not self._update_together("rmsprop_update_many", RMSprop, grads, variables, slots,
                                     learning_rate, self.rho, self.momentum, self.epsilon):
            super()._update_all(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        backend = current()
        i = self._get_variable_index(variable)
        fused = backend.kernel("rmsprop_update")
        if fused is not None:
            fused(variable, gradient, self._velocities[i],
                  self._momentums[i] if self.momentum > 0 else None,
                  self._average_gradients[i] if self.centered else None,
                  learning_rate, self.rho, self.momentum, self.epsilon)
            return
        xp = backend.xp
        rho = self.rho
        velocity = self._velocities[i]
        velocity.assign(rho * velocity.value + (1 - rho) * (gradient * gradient))
        if self.centered:
            average = self._average_gradients[i]
            average.assign(rho * average.value + (1 - rho) * gradient)
            denominator = velocity.value - average.value * average.value + self.epsilon
        else:
            denominator = velocity.value + self.epsilon
        increment = (learning_rate * gradient) / xp.sqrt(denominator)
        if self.momentum > 0:
            momentum = self._momentums[i]
            momentum.assign(self.momentum * momentum.value + increment)
            variable.assign(variable.value - momentum.value)
        else:
            variable.assign(variable.value - increment)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}

