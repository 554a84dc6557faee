"""`Optimizer`: the base class of optimizers (clipping, weight decay, EMA,
gradient accumulation, slots, schedules)."""

import re
import warnings

from kerasx.autodiff.tensor import value_of
from kerasx.autodiff.variable import Variable, any_marked_for_overwrite
from kerasx.backends import current
from kerasx.optimizers.host_scalar import HostScalar


_NOT_BUILT_SET_WEIGHTS = (
    "You are calling `set_weights()` on an optimizer that has not yet been built. Please call "
    "`optimizer.build(trainable_variables)` to create the optimizer weights before calling "
    "`set_weights()`.")


class Optimizer:
    """Updates variables from their gradients.

    Subclasses set their hyperparameters in `__init__`, create slot variables
    in `build(var_list)` (with `add_optimizer_variables`) and write the update
    of one variable in `update_step(gradient, variable, learning_rate)` using
    backend arrays (`variable.value`, `variable.assign`); `learning_rate` is
    a Python float.

    Args:
        learning_rate: a float, a `LearningRateSchedule` (called with the
            step count), or a callable with no arguments returning a float.
        weight_decay: decoupled weight decay: before each step every variable
            (except those excluded with `exclude_from_weight_decay`) becomes
            `w - w * weight_decay * learning_rate`.
        clipnorm: clip each gradient to this L2 norm.
        clipvalue: clip each gradient elementwise to `[-clipvalue, clipvalue]`.
        global_clipnorm: scale all gradients together so that their global
            L2 norm is at most this value.
        use_ema: keep an exponential moving average of the variables.
        ema_momentum: the EMA momentum: `average = m * average + (1 - m) * w`.
        ema_overwrite_frequency: every this many steps, overwrite the
            variables with their averages (None: only at the end of `fit`,
            through `finalize_variable_values`).
        loss_scale_factor: multiply the loss by this before differentiation
            (`scale_loss`) and divide the gradients by it.
        gradient_accumulation_steps: update only every this many steps, with
            the mean of the gradients since the last update (>= 2).
        name: the optimizer's name (default: the snake-case class name, made unique).
    """

    # whether variables a `build` keeps outside `add_variable` are listed in `variables`;
    # Keras's LossScaleOptimizer builds its inner optimizer without that tracking
    tracks_plain_variables = True

    def __init__(self, learning_rate, weight_decay=None, clipnorm=None, clipvalue=None,
                 global_clipnorm=None, use_ema=False, ema_momentum=0.99,
                 ema_overwrite_frequency=None, loss_scale_factor=None,
                 gradient_accumulation_steps=None, name=None, **kwargs):
        if "lr" in kwargs:
            raise ValueError(
                f"{type(self).__name__}: argument `lr` is not supported; use "
                f"`learning_rate={kwargs['lr']!r}` instead."
            )
        if kwargs.pop("decay", None) is not None:
            warnings.warn("Argument `decay` is no longer supported and will be ignored; use a "
                          "learning-rate schedule (kerasx.optimizers.schedules).", stacklevel=3)
        if kwargs:
            raise ValueError(
                f"Argument(s) not recognized by {type(self).__name__}: {sorted(kwargs)}."
            )
        if gradient_accumulation_steps and not gradient_accumulation_steps >= 2:
            raise ValueError(
                "`gradient_accumulation_steps` must be an integer >= 2. Received: "
                f"gradient_accumulation_steps={gradient_accumulation_steps}."
            )
        if use_ema:
            if not 0 <= ema_momentum <= 1:
                raise ValueError(
                    "`ema_momentum` must be in the range [0, 1]. Received: "
                    f"ema_momentum={ema_momentum}.")
            if ema_overwrite_frequency and (not isinstance(ema_overwrite_frequency, int)
                                            or ema_overwrite_frequency < 1):
                raise ValueError(
                    "`ema_overwrite_frequency` must be an integer >= 1 or None. Received: "
                    f"ema_overwrite_frequency={ema_overwrite_frequency}."
                )
        if sum(c is not None for c in (clipnorm, clipvalue, global_clipnorm)) > 1:
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. Received: "
                f"clipnorm={clipnorm}, clipvalue={clipvalue}, global_clipnorm={global_clipnorm}."
            )
        from kerasx.config import floatx
        from kerasx.utils.naming import to_snake_case, uniquify

        self.name = name or uniquify(to_snake_case(type(self).__name__))
        self.weight_decay = weight_decay
        self.clipnorm = clipnorm
        self.clipvalue = clipvalue
        self.global_clipnorm = global_clipnorm
        self.use_ema = use_ema
        self.ema_momentum = ema_momentum
        self.ema_overwrite_frequency = ema_overwrite_frequency
        self.loss_scale_factor = loss_scale_factor
        self.gradient_accumulation_steps = gradient_accumulation_steps
        self.built = False
        self._variables = []
        self._trainable_variables = []
        self._index = {}
        self._iterations = self._track(HostScalar(0, "int32", "iteration"))
        self._learning_rate = self._make_learning_rate(learning_rate, floatx())

    def _track(self, variable):
        variable.path = f"{self.name}/{variable.name}"
        self._variables.append(variable)
        return variable

    def _make_learning_rate(self, learning_rate, dtype):
        from kerasx.optimizers.schedules import LearningRateSchedule

        if isinstance(learning_rate, LearningRateSchedule) or callable(learning_rate):
            return learning_rate
        if isinstance(learning_rate, bool) or not isinstance(learning_rate, (int, float)):
            try:
                # a string is refused, as in Keras, though float() would read "0.1"
                value = None if isinstance(learning_rate, (str, bytes)) else float(
                    value_of(learning_rate))
            except (TypeError, ValueError):
                value = None
            if value is None:
                raise ValueError(
                    "Argument `learning_rate` should be a float, a LearningRateSchedule or a "
                    "callable returning the learning rate. Received: "
                    f"learning_rate={learning_rate!r}."
                )
            learning_rate = value
        if learning_rate < 0:
            raise ValueError(
                f"`learning_rate` must be >= 0. Received: learning_rate={learning_rate}.")
        return self._track(HostScalar(learning_rate, dtype, "learning_rate"))

    # -- state ---------------------------------------------------------------------------
    @property
    def iterations(self):
        """The number of optimizer updates so far (a Variable; a Python int with
        gradient accumulation, where it counts completed accumulation rounds)."""
        if self.gradient_accumulation_steps:
            return self._iterations.host_value // self.gradient_accumulation_steps
        return self._iterations

    @iterations.setter
    def iterations(self, value):
        self._iterations.assign(value)

    def _steps(self):
        """`iterations` as a Python int."""
        n = self._iterations.host_value
        return n // self.gradient_accumulation_steps if self.gradient_accumulation_steps else n

    @property
    def learning_rate(self):
        """The learning-rate Variable; for a schedule, its value at the current step as a
        float32 scalar tensor (as in Keras)."""
        lr = self._learning_rate
        if isinstance(lr, HostScalar):
            return lr
        from kerasx.optimizers.schedules import LearningRateSchedule

        if isinstance(lr, LearningRateSchedule):
            from kerasx import ops

            return ops.convert_to_tensor(self._current_learning_rate(), dtype="float32")
        return self._current_learning_rate()

    @learning_rate.setter
    def learning_rate(self, value):
        from kerasx.optimizers.schedules import LearningRateSchedule

        old = self._learning_rate
        if isinstance(value, LearningRateSchedule) or callable(value):
            self._learning_rate = value
            if isinstance(old, HostScalar):
                self._variables = [v for v in self._variables if v is not old]
            return
        if not isinstance(old, HostScalar):
            raise TypeError(
                "This optimizer was created with a learning-rate schedule (or callable), so its "
                "learning rate cannot be set to a number. Create the optimizer with a float "
                "`learning_rate` to be able to change it."
            )
        old.assign(value)

    def _current_learning_rate(self):
        """The learning rate of the next step, as a Python float."""
        lr = self._learning_rate
        if isinstance(lr, HostScalar):
            return lr.host_value
        from kerasx.optimizers.schedules import LearningRateSchedule
        from kerasx.optimizers.schedules.learning_rate_schedule import host_learning_rate

        if isinstance(lr, LearningRateSchedule):
            return host_learning_rate(lr, self._iterations.host_value)
        return float(value_of(lr()))

    @property
    def variables(self):
        """Every optimizer variable in Keras's order: iteration, learning rate, then the slots."""
        return list(self._variables)

    def add_variable(self, shape, initializer="zeros", dtype=None, aggregation="none", name=None):
        """A non-trainable optimizer variable on the active backend's device."""
        from kerasx import initializers
        from kerasx.config import floatx

        var = Variable(initializers.get(initializer), shape=tuple(shape), dtype=dtype or floatx(),
                       trainable=False, name=name or "variable", aggregation=aggregation)
        return self._track(var)

    def add_variable_from_reference(self, reference_variable, name=None, initializer="zeros"):
        """A slot with the shape, dtype and device of `reference_variable` (e.g. a momentum),
        named `{reference path}_{name}` as in Keras."""
        from kerasx import initializers

        backend = current()
        xp = backend.xp
        ref = reference_variable.value
        init = initializers.get(initializer)
        if isinstance(init, initializers.Zeros):
            # not `zeros_like`, which writes every zero: a large NumPy `zeros` is mapped
            # zero pages, touched once by the first update (or by a loaded value)
            value = xp.zeros(tuple(ref.shape), dtype=ref.dtype, device=backend.device)
        elif isinstance(init, initializers.Constant):
            value = xp.full_like(ref, init.get_config()["value"])
        else:
            value = init(tuple(ref.shape), dtype=reference_variable.dtype)
        path = getattr(reference_variable, "path", None) or reference_variable.name
        slot = Variable(value, trainable=False,
                        name=f"{str(path).replace('/', '_').replace(':', '_')}_{name or 'var'}")
        return self._track(slot)

    def add_optimizer_variables(self, trainable_variables, name, initializer="zeros"):
        """Slots for each variable: a list for one `name`, a tuple of lists for several.

        Slots are created variable by variable (all names for the first
        variable, then the next), which fixes the order of `variables`. A variable
        marked `overwrite_with_gradient` gets None in place of its slots (the
        optimizer never updates it), as in Keras.
        """
        names = [name] if isinstance(name, str) else list(name)
        inits = list(initializer) if isinstance(initializer, (list, tuple)) \
            else [initializer] * len(names)
        if len(inits) != len(names):
            raise ValueError(
                f"The number of names ({len(names)}) must match the number of initializers "
                f"({len(inits)}). Received name={name!r}, initializer={initializer!r}."
            )
        out = tuple([] for _ in names)
        for var in trainable_variables:
            for slots, slot_name, init in zip(out, names, inits):
                slots.append(None if _overwritten(var) else
                             self.add_variable_from_reference(var, slot_name, init))
        return out[0] if isinstance(name, str) else out

    def _get_variable_index(self, variable):
        return self._index[id(variable)]

    def build(self, variables):
        """Creates the optimizer's variables for `variables`; subclasses add their slots."""
        variables = list(variables)
        if self.use_ema:
            self._model_variables_moving_average = self.add_optimizer_variables(variables,
                                                                                "average")
        if self.gradient_accumulation_steps:
            # every variable has one: those overwritten by their gradient keep the
            # largest gradient of the round in theirs
            self._accumulated_gradients = [
                self.add_variable_from_reference(v, "gradient_accumulator") for v in variables]
        self._index = {id(v): i for i, v in enumerate(variables)}
        self._trainable_variables = variables
        self._kernel_cache = {}  # buffers a backend's multi-variable kernel keeps
        self.built = True

    # -- applying gradients --------------------------------------------------------------
    def apply_gradients(self, grads_and_vars):
        """Applies `[(gradient, variable), ...]`; returns the step count."""
        grads_and_vars = list(grads_and_vars)
        if not grads_and_vars:
            return self._iterations
        grads, variables = zip(*grads_and_vars)
        self.apply(list(grads), list(variables))
        return self._iterations

    def apply(self, grads, trainable_variables=None):
        """One optimization step: unscale, clip, decay, update each variable, then constrain.

        Args:
            grads: one gradient per variable (None for a variable the loss
                does not depend on).
            trainable_variables: the variables; needed on the first call,
                which builds the optimizer for them.
        """
        grads = list(grads)
        if not grads:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "Optimizer.apply() was called without `trainable_variables` before the "
                    "optimizer was built. Pass the variables, or call "
                    "optimizer.build(trainable_variables) first."
                )
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if len(grads) != len(trainable_variables):
            raise ValueError(
                f"Optimizer.apply received {len(grads)} gradients for {len(trainable_variables)} "
                "variables; pass exactly one gradient (or None) per variable."
            )
        if not self.built:
            from kerasx.scopes.name_scope import name_scope

            # variables a `build` makes itself are under the optimizer's name, as in Keras
            with name_scope(self.name, caller=self):
                self.build(trainable_variables)
        self._check_variables_are_known(trainable_variables)
        grads, trainable_variables = self._filter_empty_gradients(grads, trainable_variables)
        self.apply_checked(grads, trainable_variables)

    def apply_checked(self, grads, variables):
        """`apply` after its checks, for gradients known to be arrays of their variables'
        shapes and dtypes (none missing) on a built optimizer: what a replayed
        training step (`compile(jit_compile="auto" or True)`) runs."""
        if any_marked_for_overwrite(variables):
            grads, variables = self._overwrite_with_gradients(grads, variables)
        if grads:
            if self.loss_scale_factor is not None:
                grads = [g / self.loss_scale_factor for g in grads]
            self._apply_gradients(grads, variables)
            for var in variables:
                if var.constraint is not None:
                    var.assign(var.constraint(var))
        self._iterations.assign(self._iterations.host_value + 1)

    def _overwrite_with_gradients(self, grads, variables):
        """Assigns its gradient to every variable marked `overwrite_with_gradient` (with
        gradient accumulation: the largest gradient of the round, at its last step);
        returns the other gradients and variables."""
        xp = current().xp
        steps = self.gradient_accumulation_steps
        last_of_round = steps and (self._iterations.host_value + 1) % steps == 0
        kept_g, kept_v = [], []
        for g, v in zip(grads, variables):
            if not _overwritten(v):
                kept_g.append(g)
                kept_v.append(v)
            elif not steps:
                v.assign(g)
            else:
                acc = self._accumulated_gradients[self._get_variable_index(v)]
                largest = xp.maximum(g, acc.value)
                if last_of_round:
                    v.assign(largest)
                    acc.assign(xp.zeros_like(acc.value))
                else:
                    acc.assign(largest)
        return kept_g, kept_v

    def _check_variables_are_known(self, variables):
        for v in variables:
            if id(v) not in self._index:
                raise ValueError(
                    f"Unknown variable {getattr(v, 'path', v)!r}: this optimizer was built for "
                    f"{len(self._index)} other variables and can only update those. Create a new "
                    "optimizer for a new set of variables."
                )

    def _filter_empty_gradients(self, grads, variables):
        backend = current()
        kept_g, kept_v, missing = [], [], []
        for g, v in zip(grads, variables):
            if g is None:
                missing.append(getattr(v, "path", v.name))
                continue
            g = value_of(g)
            if not backend.is_native(g) or g.dtype != v.value.dtype:
                g = backend.asarray(g, dtype=v.dtype)
            if tuple(g.shape) != tuple(v.shape):
                raise ValueError(
                    f"Gradient of shape {tuple(g.shape)} does not match variable "
                    f"{getattr(v, 'path', v.name)!r} of shape {tuple(v.shape)}."
                )
            kept_g.append(g)
            kept_v.append(v)
        if not kept_g:
            raise ValueError(
                "No gradients provided for any variable. If using model.compile(), did you forget "
                "to provide a `loss` argument, or does the loss not depend on the weights?"
            )
        if missing and tuple(missing) not in self.__dict__.setdefault("_warned_missing", set()):
            # once per optimizer and set of variables, as Keras's traced step warns (a
            # recorded step's replay of the same step would warn a second time)
            self._warned_missing.add(tuple(missing))
            warnings.warn(f"Gradients do not exist for variables {missing} when minimizing the "
                          "loss. If using model.compile(), did you forget to provide a `loss` "
                          "argument?", stacklevel=3)
        return kept_g, kept_v

    def _apply_gradients(self, grads, variables):
        steps = self.gradient_accumulation_steps
        if steps:
            accumulators = [self._accumulated_gradients[self._get_variable_index(v)]
                            for v in variables]
            if (self._iterations.host_value + 1) % steps:
                for g, acc in zip(grads, accumulators):
                    acc.assign(acc.value + g)
            else:
                grads = [(g + acc.value) / steps for g, acc in zip(grads, accumulators)]
                self._update(grads, variables)
                xp = current().xp
                for acc in accumulators:
                    acc.assign(xp.zeros_like(acc.value))
        else:
            self._update(grads, variables)
        if self.use_ema:
            self._update_model_variables_moving_average(self._trainable_variables)
            every = self.ema_overwrite_frequency
            if every and (self._steps() + 1) % every == 0:
                self._overwrite_model_variables_with_average_value(self._trainable_variables)

    def _update(self, grads, variables):
        grads = self._clip_gradients(grads)
        learning_rate = self._current_learning_rate()
        self._apply_weight_decay(variables, learning_rate)
        self._update_all(grads, variables, learning_rate)

    def _update_all(self, grads, variables, learning_rate):
        """Runs `update_step` for each variable; an optimizer may add per-step work here."""
        for g, var in zip(grads, variables):
            self.update_step(g, var, learning_rate)

    def _update_together(self, kernel_name, owner, grads, variables, slot_lists, *args):
        """Runs the backend's multi-variable kernel `kernel_name` (when it has one) as
        `kernel(variables, grads, *slots, *args, cache)`, each of `slot_lists` narrowed to
        `variables` (None stays None). Returns False, doing nothing, when there is no
        such kernel or a subclass of `owner` overrides `update_step`, which must then
        run variable by variable."""
        many = current().kernel(kernel_name)
        if many is None or type(self).update_step is not owner.update_step:
            return False
        index = [self._get_variable_index(v) for v in variables]
        slots = [None if s is None else [s[i] for i in index] for s in slot_lists]
        many(variables, grads, *slots, *args, self._kernel_cache)
        return True

    def update_step(self, gradient, variable, learning_rate):
        raise NotImplementedError

    def stateless_apply(self, optimizer_variables, grads, trainable_variables):
        """One step from the given values of the optimizer's and the model's variables,
        changing none of them: `(trainable_variables, optimizer_variables)` after it."""
        from kerasx.scopes.stateless_methods import stateless_apply

        return stateless_apply(self, optimizer_variables, grads, trainable_variables)

    def assign(self, variable, value):
        """`variable.assign(value)`, the call Keras's custom `update_step`s use."""
        variable.assign(value)

    def assign_add(self, variable, value):
        """`variable.assign_add(value)`, the call Keras's custom `update_step`s use."""
        variable.assign_add(value)

    def assign_sub(self, variable, value):
        """`variable.assign_sub(value)`, the call Keras's custom `update_step`s use."""
        variable.assign_sub(value)

    def _clip_gradients(self, grads):
        if not (self.clipnorm or self.global_clipnorm or self.clipvalue):
            return grads  # the usual case, at every step
        xp = current().xp
        if self.clipnorm and self.clipnorm > 0:
            return [self._clip_by_norm(xp, g) for g in grads]
        if self.global_clipnorm and self.global_clipnorm > 0:
            norm = xp.sqrt(sum(xp.sum(g * g) for g in grads))
            scale = self.global_clipnorm * xp.minimum(1.0 / norm, 1.0 / self.global_clipnorm)
            scale = scale + (norm - norm)  # NaN/inf norms give NaN gradients, as in Keras
            # the norm of mixed float32/float64 gradients is float64: keep each dtype
            return [_same_dtype(xp, g * scale, g) for g in grads]
        if self.clipvalue and self.clipvalue > 0:
            return [xp.clip(g, -self.clipvalue, self.clipvalue) for g in grads]
        return grads

    def _clip_by_norm(self, xp, g):
        norm = xp.sqrt(xp.sum(g * g))
        return (g * self.clipnorm) / xp.maximum(norm, self.clipnorm)

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        """Leaves some variables out of weight decay (call before the first step).

        Args:
            var_list: Variables to exclude.
            var_names: substrings (regular expressions); variables whose name
                contains one are excluded, e.g. `["bias"]`.
        """
        if self.built:
            raise ValueError("`exclude_from_weight_decay()` can only be configured before the "
                             "optimizer is built (before the first step).")
        self._exclude_ids = {id(v) for v in var_list or ()}
        self._exclude_pattern = re.compile("|".join(set(var_names))) if var_names else None

    def _use_weight_decay(self, variable):
        if id(variable) in getattr(self, "_exclude_ids", ()):
            return False
        pattern = getattr(self, "_exclude_pattern", None)
        return pattern is None or pattern.search(variable.name) is None

    def _apply_weight_decay(self, variables, learning_rate):
        if self.weight_decay is None:
            return
        rate = self.weight_decay * learning_rate
        fused = current().kernel("weight_decay")
        for var in variables:
            if self._use_weight_decay(var):
                if fused is not None:
                    fused(var, rate)
                else:
                    var.assign(var.value - var.value * rate)

    def _update_model_variables_moving_average(self, variables):
        momentum = self.ema_momentum if self._steps() != 0 else 0.0
        for var, average in zip(variables, self._model_variables_moving_average):
            if average is not None:
                average.assign(momentum * average.value + (1.0 - momentum) * var.value)

    def _overwrite_model_variables_with_average_value(self, variables):
        if len(variables) != len(self._model_variables_moving_average):
            raise ValueError(
                f"The number of variables ({len(variables)}) does not match the number of moving "
                f"averages ({len(self._model_variables_moving_average)}) the optimizer holds."
            )
        for var, average in zip(variables, self._model_variables_moving_average):
            if average is not None:
                var.assign(average.value)

    def finalize_variable_values(self, var_list):
        """With `use_ema`, replaces the variables by their moving averages (end of training)."""
        if self.use_ema:
            self._overwrite_model_variables_with_average_value(var_list)

    def scale_loss(self, loss):
        """The loss multiplied by `loss_scale_factor` (unchanged without one)."""
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    # -- state saving --------------------------------------------------------------------
    def set_weights(self, weights):
        """Sets every optimizer variable from a list of arrays in `variables` order."""
        if not self.built:
            raise ValueError(_NOT_BUILT_SET_WEIGHTS)
        for variable, weight in zip(self._variables, weights):
            if tuple(variable.shape) != tuple(getattr(weight, "shape", ())):
                raise ValueError(
                    f"Optimizer variable {variable.path!r} has shape {tuple(variable.shape)}, not "
                    "compatible with the provided weight of shape "
                    f"{tuple(getattr(weight, 'shape', ()))}."
                )
            variable.assign(weight)

    def get_weights(self):
        """Every optimizer variable as a NumPy array, in `variables` order."""
        return [v.numpy() for v in self._variables]

    def save_own_variables(self, store):
        """Writes the variables to `store` under the keys "0", "1", ... (Keras's layout)."""
        for i, variable in enumerate(self._variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Reads the variables written by `save_own_variables` (warns and skips on a mismatch)."""
        if len(store.keys()) != len(self._variables):
            warnings.warn(
                f"Skipping variable loading for optimizer {self.name!r}: it has "
                f"{len(self._variables)} variables but the saved optimizer has "
                f"{len(store.keys())}."
                + (" It has not been built yet." if not self.built else ""), stacklevel=2)
            return
        for i, variable in enumerate(self._variables):
            variable.assign(store[str(i)])

    # -- configuration -------------------------------------------------------------------
    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        lr = self._learning_rate
        return {
            "name": self.name,
            "learning_rate": (lr.host_value if isinstance(lr, HostScalar)
                              else serialize_keras_object(lr)),
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

            config["learning_rate"] = deserialize_keras_object(config["learning_rate"],
                                                               custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _same_dtype(xp, value, like):
    return value if value.dtype == like.dtype else xp.astype(value, like.dtype)


def _overwritten(variable):
    return getattr(variable, "overwrite_with_gradient", False)
