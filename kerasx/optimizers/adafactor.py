"""`Adafactor`: adaptive steps from a factored second moment."""

import math

from kerasx.autodiff.variable import Variable
from kerasx.backends import current
from kerasx.optimizers.optimizer import HostScalar, Optimizer


class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018): Adam-like steps without a full second
    moment. For a variable of rank >= 2 only a row statistic `r` (the last axis
    reduced) and a column statistic `c` (the second-last axis reduced) of the
    squared gradients are kept, and the second moment is their outer product
    `v = (r / mean(r)) c`; smaller variables keep `v` itself. With
    `t` the step, `beta_2_t = 1 - t^beta_2_decay`, the update is
    `u = g / sqrt(v)`, clipped to RMS `clip_threshold`, times the relative step
    size `max(epsilon_2, rms(w)) * min(lr, 1 / sqrt(t))`.

    Args:
        learning_rate: float or schedule (default 0.001).
        beta_2_decay: the decay rate of `beta_2` (default -0.8).
        epsilon_1: added to the squared gradients (default 1e-30).
        epsilon_2: the smallest weight RMS the step is scaled by (default 1e-3).
        clip_threshold: the largest RMS of an update (default 1.0); part of the
            algorithm, independent of `clipnorm`, `clipvalue`, `global_clipnorm`.
        relative_step: with a constant learning rate, use `min(lr, 1 / sqrt(t))`
            (default True).
        **kwargs: the arguments every optimizer takes (see `Optimizer`).

    Optimizer variables, in Keras's order: for each variable `r`, `c` (a 0 integer
    placeholder each for a variable of rank < 2, named after it in the current name scope;
    not listed when a `LossScaleOptimizer` builds this one, as in Keras), then `velocity`.
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30, epsilon_2=1e-3,
                 clip_threshold=1.0, relative_step=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._r, self._c, self._v = [], [], []
        for var in var_list:
            shape = tuple(var.shape)
            if len(shape) < 2:
                # not factored; Keras still keeps two placeholders, so the saved layout matches
                self._r.append(self._placeholder(var.name))
                self._c.append(self._placeholder(var.name))
            elif var.overwrite_with_gradient:  # never updated by the optimizer
                self._r.append(None)
                self._c.append(None)
            else:
                self._r.append(self.add_variable(shape[:-1], dtype=var.dtype, name=var.name))
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], dtype=var.dtype,
                                                 name=var.name))
            self._v.append(None if var.overwrite_with_gradient
                           else self.add_variable_from_reference(var, "velocity"))

    def _placeholder(self, name):
        # a plain variable, as Keras's, so its path is the name scope's, not the optimizer's
        placeholder = Variable(0, dtype="int32", trainable=False, name=name)
        if self.tracks_plain_variables:
            self._variables.append(placeholder)
        return placeholder

    def update_step(self, gradient, variable, learning_rate):
        xp = current().xp
        step = self._steps() + 1
        lr = learning_rate
        if self.relative_step and isinstance(self._learning_rate, HostScalar):
            lr = min(lr, 1.0 / math.sqrt(step))
        rho = min(lr, 1.0 / math.sqrt(step))
        w = variable.value
        w_rms = _rms(xp, w)
        alpha = xp.where(w_rms > self.epsilon_2, w_rms, self.epsilon_2) * rho
        squared = gradient * gradient + self.epsilon_1
        beta = 1.0 - step ** self.beta_2_decay
        i = self._get_variable_index(variable)
        r, c, v = self._r[i], self._c[i], self._v[i]
        if len(w.shape) >= 2:
            r.assign(beta * r.value + (1.0 - beta) * xp.mean(squared, axis=-1))
            c.assign(beta * c.value + (1.0 - beta) * xp.mean(squared, axis=-2))
            row = r.value / xp.mean(r.value, axis=-1, keepdims=True)
            v.assign(xp.expand_dims(row, axis=-1) * xp.expand_dims(c.value, axis=-2))
        else:
            v.assign(beta * v.value + (1.0 - beta) * squared)
        u = gradient / xp.sqrt(v.value)
        scale = _rms(xp, u) / self.clip_threshold
        u = u / xp.where(scale > 1.0, scale, 1.0)
        variable.assign(w - alpha * u)

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}


def _rms(xp, x):
    return xp.sqrt(xp.mean(x * x))
