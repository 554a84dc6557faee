"""`Lion`: sign updates from an interpolated momentum."""

from kerasx.backends import current
from kerasx.optimizers.optimizer import Optimizer


class Lion(Optimizer):
    """Lion (Chen et al., 2023): `w -= lr sign(beta_1 m + (1 - beta_1) g)`, then
    `m = beta_2 m + (1 - beta_2) g`. Every step has the same size per
    parameter, so Lion usually wants a 3-10x smaller learning rate than Adam.

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_1: the interpolation used for the step (in (0, 1], default 0.9).
        beta_2: the decay of the momentum (default 0.99).
        **kwargs: the arguments every optimizer takes (see `Optimizer`).
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError(
                "Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer "
                f"degenerates to SignSGD. Received: beta_1={beta_1}. Pass a value in (0, 1]."
            )
        self.beta_1 = beta_1
        self.beta_2 = beta_2

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._momentums = self.add_optimizer_variables(var_list, "momentum")

    def update_step(self, gradient, variable, learning_rate):
        xp = current().xp
        m = self._momentums[self._get_variable_index(variable)]
        direction = xp.sign(m.value * self.beta_1 + gradient * (1.0 - self.beta_1))
        variable.assign(variable.value - learning_rate * direction)
        m.assign(m.value * self.beta_2 + gradient * (1.0 - self.beta_2))

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
