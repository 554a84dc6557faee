"""`LossScaleOptimizer`: dynamic loss scaling around another optimizer (float16 training)."""

from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.optimizers.host_scalar import HostScalar
from kerasx.optimizers.optimizer import Optimizer

# the base optimizer's arguments a LossScaleOptimizer leaves to its inner optimizer
_INNER_ARGUMENTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None,
                    "clipvalue": None, "use_ema": False, "ema_momentum": 0.99,
                    "ema_overwrite_frequency": None, "loss_scale_factor": None,
                    "gradient_accumulation_steps": None}


class LossScaleOptimizer(Optimizer):
    """Wraps `inner_optimizer` with dynamic loss scaling, as Keras 3.

    Training multiplies the loss by the loss scale before the backward pass (`scale_loss`),
    so that small float16 gradients do not underflow to zero; `apply` divides the
    gradients by it again, in the variables' dtype. The scale adapts:

    - a step whose gradients hold an inf or NaN is skipped (no variable changes), and the
      scale is halved;
    - after `dynamic_growth_steps` steps in a row with finite gradients, the scale doubles.

    `compile()` wraps the optimizer in one when the model's dtype policy is
    `"mixed_float16"` (unless `auto_scale_loss=False`).

    Args:
        inner_optimizer: the `Optimizer` that updates the variables.
        initial_scale: the first loss scale (2**15).
        dynamic_growth_steps: finite steps in a row after which the scale doubles (2000).
        name: the optimizer's name.
    """

    # `scale_loss` multiplies by a host number, which a recorded step would keep as a
    # constant: `fit` runs the training steps of this optimizer eagerly (jit_compile)
    replays_steps = False

    def __init__(self, inner_optimizer, initial_scale=2.0 ** 15, dynamic_growth_steps=2000,
                 name=None, **kwargs):
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`; set "
                             "`loss_scale_factor` on the inner optimizer for a fixed scale.")
        for arg, default in _INNER_ARGUMENTS.items():
            if arg in kwargs and kwargs.pop(arg) != default:
                raise ValueError(f"LossScaleOptimizer does not support `{arg}`. Instead, set "
                                 f"`{arg}` on the `inner_optimizer`.")
        if kwargs:
            raise ValueError("LossScaleOptimizer does not support arguments: "
                             f"`{'`, `'.join(kwargs)}`.")
        if not isinstance(inner_optimizer, Optimizer):
            raise TypeError("LossScaleOptimizer wraps an Optimizer instance, received "
                            f"inner_optimizer={inner_optimizer!r}. Example: "
                            "LossScaleOptimizer(kerasx.optimizers.Adam()).")
        if not initial_scale > 0:
            raise ValueError(f"`initial_scale` must be positive, received {initial_scale!r}.")
        if isinstance(dynamic_growth_steps, bool) or not isinstance(dynamic_growth_steps, int) \
                or dynamic_growth_steps < 1:
            raise ValueError("`dynamic_growth_steps` must be a positive integer, received "
                             f"{dynamic_growth_steps!r}.")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = float(initial_scale)
        self.dynamic_growth_steps = dynamic_growth_steps
        inner_optimizer.loss_scale_factor = None

    def build(self, var_list):
        var_list = list(var_list)
        # host scalars: the step's finite check reads the gradients on the host already
        self.step_counter = self._track(HostScalar(0, "int32", "step_counter"))
        self.dynamic_scale = self._track(HostScalar(self.initial_scale, "float32",
                                                    "dynamic_scale"))
        if not self.inner_optimizer.built:
            self.inner_optimizer.tracks_plain_variables = False
            self.inner_optimizer.build(var_list)
        super().build(var_list)

    @property
    def variables(self):
        """This optimizer's variables (iteration, learning rate, step counter, scale),
        then the inner optimizer's, as Keras orders them."""
        return list(self._variables) + self.inner_optimizer.variables

    # -- the step ------------------------------------------------------------------------
    def scale_loss(self, loss):
        """`loss` multiplied by the current loss scale."""
        return loss * (self.dynamic_scale.host_value if self.built else self.initial_scale)

    def apply(self, grads, trainable_variables=None):
        """Unscales `grads` and lets the inner optimizer apply them, or, when one is not
        finite, skips the step and halves the scale."""
        grads = list(grads)
        if trainable_variables is None:
            if not self.built:
                raise ValueError("LossScaleOptimizer.apply() needs `trainable_variables` on its "
                                 "first call (or call optimizer.build(variables) first).")
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        if not self.check_finite(grads):
            self.step_counter.assign(0)
            self.dynamic_scale.assign(self.dynamic_scale.host_value * 0.5)
            return
        scale = self.dynamic_scale.host_value
        # a variable overwritten by its gradient takes the gradient as it is, as in Keras
        self.inner_optimizer.apply(
            [g if g is None or v.overwrite_with_gradient else _unscaled(g, v, scale)
             for g, v in zip(grads, trainable_variables)], trainable_variables)
        if self.step_counter.host_value == self.dynamic_growth_steps - 1:
            self.step_counter.assign(0)
            self.dynamic_scale.assign(scale * 2.0)
        else:
            self.step_counter.assign(self.step_counter.host_value + 1)

    def apply_checked(self, grads, variables):
        self.apply(grads, variables)

    def check_finite(self, grads):
        """Whether every given gradient is finite (one host read for all of them)."""
        xp = current().xp
        finite = None
        for g in grads:
            if g is not None:
                ok = xp.all(xp.isfinite(value_of(g)))
                finite = ok if finite is None else xp.logical_and(finite, ok)
        return True if finite is None else bool(finite)

    # -- the inner optimizer's state -----------------------------------------------------
    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, value):
        self.inner_optimizer.learning_rate = value

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @iterations.setter
    def iterations(self, value):
        self.inner_optimizer.iterations = value

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    def set_weights(self, weights):
        weights = list(weights)
        own = len(self._variables)
        super().set_weights(weights[:own])
        self.inner_optimizer.set_weights(weights[own:])

    def get_weights(self):
        return [v.numpy() for v in self.variables]

    def save_own_variables(self, store):
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        variables = self.variables
        if len(store.keys()) != len(variables):
            import warnings

            warnings.warn(f"Skipping variable loading for optimizer {self.name!r}: it has "
                          f"{len(variables)} variables but the saved optimizer has "
                          f"{len(store.keys())}.", stacklevel=2)
            return
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    # -- configuration -------------------------------------------------------------------
    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        return {"name": self.name, "inner_optimizer": serialize_keras_object(self.inner_optimizer),
                "initial_scale": self.initial_scale,
                "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx import optimizers

        config = dict(config)
        inner = config.pop("inner_optimizer")
        if isinstance(inner, dict):
            inner = optimizers.deserialize(inner, custom_objects=custom_objects)
        return cls(inner, **config)


def _unscaled(grad, variable, scale):
    """`grad / scale` in the variable's dtype (a float16 gradient of a float32 weight is
    widened first, so that dividing does not underflow)."""
    backend = current()
    g = value_of(grad)
    stored = variable.value.dtype
    if not backend.is_native(g) or g.dtype != stored:
        g = backend.asarray(g, dtype=stored)
    return g / scale
