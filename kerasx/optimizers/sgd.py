"""`SGD`: gradient descent with optional (Nesterov) momentum."""

from kerasx.backends import current
from kerasx.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """Stochastic gradient descent.

    Without momentum: `w -= learning_rate * g`. With momentum:
    `m = momentum * m - learning_rate * g; w += m`, and with Nesterov momentum
    `w += momentum * m - learning_rate * g`.

    Args:
        learning_rate: float or schedule (default 0.01).
        momentum: float in [0, 1] (default 0).
        nesterov: whether to use Nesterov momentum.
        **kwargs: the arguments every optimizer takes (`weight_decay`,
            `clipnorm`, `clipvalue`, `global_clipnorm`, `use_ema`,
            `ema_momentum`, `ema_overwrite_frequency`, `loss_scale_factor`,
            `gradient_accumulation_steps`, `name`; see `Optimizer`).
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if isinstance(momentum, bool) or not isinstance(momentum, (int, float)) \
                or not 0.0 <= momentum <= 1.0:
            raise ValueError(
                f"`momentum` must be a float between [0, 1]. Received: momentum={momentum!r}.")
        self.momentum = float(momentum)
        self.nesterov = nesterov

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def _update_all(self, grads, variables, learning_rate):
        if self.momentum == 0:
            fused = current().kernel("sgd_update")
            if fused is None or type(self).update_step is not SGD.update_step:
                super()._update_all(grads, variables, learning_rate)
                return
            for g, var in zip(grads, variables):  # `update_step`'s kernel, looked up once
                fused(var, g, learning_rate)
        elif not self._update_together(
                "sgd_momentum_update_many", SGD, grads, variables, [self.momentums],
                learning_rate, self.momentum, self.nesterov):
            super()._update_all(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        backend = current()
        if self.momentum == 0:
            fused = backend.kernel("sgd_update")
            if fused is not None:
                fused(variable, gradient, learning_rate)
            else:
                variable.assign(variable.value - gradient * learning_rate)
            return
        m = self.momentums[self._get_variable_index(variable)]
        fused = backend.kernel("sgd_momentum_update")
        if fused is not None:
            fused(variable, gradient, m, learning_rate, self.momentum, self.nesterov)
            return
        m.assign(m.value * self.momentum - gradient * learning_rate)
        if self.nesterov:
            variable.assign(variable.value + (m.value * self.momentum - gradient * learning_rate))
        else:
            variable.assign(variable.value + m.value)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
