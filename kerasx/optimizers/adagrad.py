"""`Adagrad`: per-parameter rates from the sum of squared gradients."""

from kerasx import initializers
from kerasx.backends import current
from kerasx.optimizers.optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad: `a += g^2; w -= lr g / sqrt(a + epsilon)`; frequently updated
    parameters get smaller steps.

    Args:
        learning_rate: float or schedule (default 0.001).
        initial_accumulator_value: the starting value of the accumulators (default 0.1).
        epsilon: added inside the square root (default 1e-7).
        **kwargs: the arguments every optimizer takes (see `Optimizer`).

    On NumPy each update is an in-place kernel, with the small variables updated
    together in shared buffers.
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        initial = initializers.Constant(self.initial_accumulator_value)
        self._accumulators = self.add_optimizer_variables(var_list, "accumulator",
                                                          initializer=initial)

    def _update_all(self, grads, variables, learning_rate):
        if not self._update_together("adagrad_update_many", Adagrad, grads, variables,
                                     [self._accumulators], learning_rate, self.epsilon):
            super()._update_all(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        backend = current()
        accumulator = self._accumulators[self._get_variable_index(variable)]
        fused = backend.kernel("adagrad_update")
        if fused is not None:
            fused(variable, gradient, accumulator, learning_rate, self.epsilon)
            return
        xp = backend.xp
        accumulator.assign(accumulator.value + gradient * gradient)
        variable.assign(variable.value
                        - (learning_rate * gradient) / xp.sqrt(accumulator.value + self.epsilon))

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
