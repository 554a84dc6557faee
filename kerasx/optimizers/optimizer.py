"""`Optimizer`: the base class of optimizers (clipping, weight decay, slots, schedules)."""

import math

from kerasx.autodiff.tensor import value_of
from kerasx.autodiff.variable import Variable


class Optimizer:
    """Updates variables from their gradients.

    Subclasses set their hyperparameters in `__init__`, create slot variables
    in `build(var_list)` and write one step for one variable in
    `update_step(gradient, variable, learning_rate)` using backend arrays.

    Args:
        learning_rate: a float or a `LearningRateSchedule` (called with the step).
        weight_decay: decoupled weight decay: `w -= w * weight_decay * lr` before each step.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient elementwise to [-clipvalue, clipvalue].
        global_clipnorm: clip all gradients together to this global L2 norm.
        name: the optimizer's name.
    """

    def __init__(self, learning_rate=0.001, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if kwargs.pop("lr", None) is not None:
            raise ValueError("Optimizer: `lr` is not supported; use `learning_rate` instead.")
        if kwargs.pop("decay", None):
            raise ValueError("Optimizer: `decay` was removed in Keras 3; use a learning-rate schedule.")
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments passed to {type(self).__name__}: {sorted(kwargs)}.")
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError("Only one of clipnorm, clipvalue and global_clipnorm can be set.")
        from kerasx.utils.naming import to_snake_case

        self.name = name or to_snake_case(type(self).__name__)
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self._learning_rate = _check_learning_rate(learning_rate)
        self._iterations = 0
        self._variables = []
        self._slots = {}
        self._built_for = None

    # -- state ---------------------------------------------------------------------------
    @property
    def iterations(self):
        """The number of steps applied so far."""
        return self._iterations

    @iterations.setter
    def iterations(self, value):
        self._iterations = int(value)

    @property
    def learning_rate(self):
        """The learning rate of the next step (a schedule is evaluated at `iterations`)."""
        lr = self._learning_rate
        return float(lr(self._iterations)) if callable(lr) else lr

    @learning_rate.setter
    def learning_rate(self, value):
        self._learning_rate = _check_learning_rate(value)

    @property
    def variables(self):
        """The optimizer's slot variables, in creation order."""
        return list(self._variables)

    def add_variable_from_reference(self, reference, name, initializer="zeros"):
        """A zero slot with the shape and dtype of `reference` (e.g. a momentum)."""
        from kerasx import initializers

        var = Variable(initializers.get(initializer), shape=reference.shape, dtype=reference.dtype,
                       trainable=False, name=f"{reference.name}_{name}")
        var.path = f"{self.name}/{reference.path.replace('/', '_')}_{name}"
        self._variables.append(var)
        return var

    def build(self, var_list):
        """Creates slot variables for `var_list`; subclasses add theirs."""
        self._built_for = [id(v) for v in var_list]

    def slot(self, variable, name):
        return self._slots[(id(variable), name)]

    def add_slots(self, var_list, names):
        for var in var_list:
            for name in names:
                self._slots[(id(var), name)] = self.add_variable_from_reference(var, name)

    # -- applying gradients --------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Applies `[(grad, var), ...]`, as in Keras."""
        grads_and_vars = list(grads_and_vars)
        return self.apply([g for g, _ in grads_and_vars], [v for _, v in grads_and_vars])

    def apply(self, grads, trainable_variables=None):
        """One optimization step: clip, decay, update each variable, then constrain."""
        if trainable_variables is None:
            raise ValueError("Optimizer.apply needs `trainable_variables` the first time it runs.")
        pairs = [(value_of(g), v) for g, v in zip(grads, trainable_variables) if g is not None]
        if len(grads) != len(trainable_variables):
            raise ValueError(
                f"Optimizer.apply received {len(grads)} gradients for {len(trainable_variables)} variables."
            )
        if not pairs:
            return self._iterations
        variables = [v for _, v in pairs]
        if self._built_for is None:
            self.build(variables)
        grads = self._clip([g for g, _ in pairs])
        lr = self.learning_rate
        if self.weight_decay:
            for var in variables:
                var.assign(var.value - var.value * (self.weight_decay * lr))
        self.update_all(grads, variables, lr)
        self._iterations += 1
        for var in variables:
            if var.constraint is not None:
                var.assign(var.constraint(var))
        return self._iterations

    def update_all(self, grads, variables, learning_rate):
        """Runs `update_step` per variable; a backend may fuse this loop."""
        for g, var in zip(grads, variables):
            self.update_step(g, var, learning_rate)

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError

    def _clip(self, grads):
        from kerasx.backends import current

        xp = current().xp
        if self.clipvalue is not None:
            return [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        if self.clipnorm is not None:
            out = []
            for g in grads:
                norm = xp.sqrt(xp.sum(g * g))
                out.append(g * (self.clipnorm / xp.maximum(norm, self.clipnorm)))
            return out
        if self.global_clipnorm is not None:
            total = xp.sqrt(sum(xp.sum(g * g) for g in grads))
            scale = self.global_clipnorm / xp.maximum(total, self.global_clipnorm)
            return [g * scale for g in grads]
        return grads

    # -- configuration -------------------------------------------------------------------
    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        lr = self._learning_rate
        return {
            "name": self.name,
            "learning_rate": serialize_keras_object(lr) if callable(lr) else lr,
            "weight_decay": self.weight_decay, "clipnorm": self.clipnorm,
            "global_clipnorm": self.global_clipnorm, "clipvalue": self.clipvalue,
            "use_ema": self.use_ema, "ema_momentum": self.ema_momentum,
            "ema_overwrite_frequency": self.ema_overwrite_frequency,
            "loss_scale_factor": self.loss_scale_factor,
            "gradient_accumulation_steps": self.gradient_accumulation_steps,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            from kerasx.saving.serialization import deserialize_keras_object

            config["learning_rate"] = deserialize_keras_object(config["learning_rate"], custom_objects)
        return cls(**config)


def _check_learning_rate(lr):
    if callable(lr):
        return lr
    try:
        lr = float(lr)
    except (TypeError, ValueError):
        raise TypeError(f"learning_rate must be a float or a schedule, received {lr!r}.") from None
    if not math.isfinite(lr) or lr < 0:
        raise ValueError(f"learning_rate must be a finite non-negative float, received {lr}.")
    return lr
