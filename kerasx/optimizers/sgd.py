"""`SGD`: gradient descent with optional (Nesterov) momentum."""

from kerasx.optimizers.optimizer import Optimizer


class SGD(Optimizer):
    """`w -= lr * g`; with momentum `m = momentum * m - lr * g; w += m`
    (Nesterov: `w += momentum * m - lr * g`).

    Args:
        learning_rate: float or schedule (default 0.01).
        momentum: float >= 0 (default 0).
        nesterov: whether to use Nesterov momentum.
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not 0.0 <= momentum <= 1.0:
            raise ValueError(f"SGD: momentum must be in [0, 1], received momentum={momentum}.")
        self.momentum = float(momentum)
        self.nesterov = bool(nesterov)

    def build(self, var_list):
        super().build(var_list)
        if self.momentum:
            self.add_slots(var_list, ["momentum"])

    def update_step(self, gradient, variable, learning_rate):
        if not self.momentum:
            variable.assign(variable.value - learning_rate * gradient)
            return
        m = self.slot(variable, "momentum")
        m.assign(self.momentum * m.value - learning_rate * gradient)
        if self.nesterov:
            variable.assign(variable.value + self.momentum * m.value - learning_rate * gradient)
        else:
            variable.assign(variable.value + m.value)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
