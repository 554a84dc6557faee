"""`OptimizerMap` and `MultiOptimizer`: different optimizers for different variables."""

import re
from collections.abc import MutableMapping

from kerasx.optimizers.optimizer import _NOT_BUILT_SET_WEIGHTS, Optimizer


class OptimizerMap(MutableMapping):
    """Maps variable paths to optimizers, with a default for unmapped variables.

    A key is first looked up as an exact variable path; otherwise every key is
    tried as a regular expression that must match the whole path
    (`re.fullmatch`): `"encoder/.*"` covers every variable under `encoder`,
    while `"encoder"` only matches a variable whose path is exactly that. A
    path matching several keys is an error.

        opt_map = OptimizerMap(default_optimizer=SGD(0.1))
        opt_map["encoder/.*"] = Adam(1e-3)
        opt_map(variable)   # the optimizer of `variable` (by `variable.path`)

    Args:
        default_optimizer: the `Optimizer` of every unmapped variable.
        optimizer_map: an optional dict `{path or pattern: Optimizer}`.
    """

    def __init__(self, default_optimizer, optimizer_map=None):
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(
                "`default_optimizer` must be an Optimizer instance, e.g. "
                f"OptimizerMap(default_optimizer=SGD()). Received: {default_optimizer!r}.")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(
                "`optimizer_map` must be a dict {variable path or pattern: Optimizer}. "
                f"Received: {optimizer_map!r}.")
        self._default_optimizer = default_optimizer
        self._optimizer_map = {}
        for key, optimizer in (optimizer_map or {}).items():
            self[key] = optimizer

    @property
    def default_optimizer(self):
        return self._default_optimizer

    def __getitem__(self, key):
        """The optimizer of the variable path `key` (the default when nothing matches)."""
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [pattern for pattern in self._optimizer_map if re.fullmatch(pattern, key)]
        if len(matches) > 1:
            raise ValueError(
                f"Multiple optimizers assigned to variable {key!r}: it matches the keys "
                f"{matches}. Make the patterns exclusive.")
        return self._optimizer_map[matches[0]] if matches else self._default_optimizer

    def __setitem__(self, key, optimizer):
        if key in self._optimizer_map:
            raise ValueError(
                f"{key!r} already exists in the OptimizerMap with value "
                f"{self._optimizer_map[key]}. Please make sure to not use duplicated keys.")
        if not isinstance(key, str):
            raise ValueError(
                f"An OptimizerMap key must be a string (a variable path or a regular "
                f"expression). Received: {key!r}.")
        _check_inner(optimizer, f"the optimizer of key {key!r}")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key):
        del self._optimizer_map[key]

    def __len__(self):
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable):
        return self[variable.path]

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        return {"default_optimizer": serialize_keras_object(self._default_optimizer),
                "optimizer_map": {key: serialize_keras_object(optimizer)
                                  for key, optimizer in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx.optimizers import deserialize

        default = deserialize(config["default_optimizer"], custom_objects=custom_objects)
        mapping = {key: deserialize(value, custom_objects=custom_objects)
                   for key, value in (config.get("optimizer_map") or {}).items()}
        return cls(default, mapping)


class MultiOptimizer(Optimizer):
    """Delegates each variable to its own optimizer.

        model.compile(optimizer=MultiOptimizer(OptimizerMap(
            default_optimizer=SGD(0.1), optimizer_map={"encoder/.*": Adam(1e-3)})), loss=...)
        model.compile(optimizer=MultiOptimizer(
            lambda variable: adam if "encoder" in variable.path else sgd), loss=...)

    When it is built, each variable is given to `optimizer_map(variable)`; every
    sub-optimizer is then built for its own variables and, at each step,
    applies the gradients of its variables (with its own clipping, weight
    decay, schedule and step count); a sub-optimizer none of whose variables
    has a gradient in a step skips that step. The `MultiOptimizer` counts its
    own steps in `iterations`. Its `variables` are its step count and (unused)
    learning rate followed by every sub-optimizer's variables, in the order
    of `optimizers`: the mapped optimizers first, then the default one, then
    those a callable returned that were not known in advance.

    It has no `learning_rate` (reading or setting it raises AttributeError):
    use each sub-optimizer's. `loss_scale_factor` is shared: setting it sets
    every sub-optimizer's.

    Args:
        optimizer_map: an `OptimizerMap`, or a callable taking a variable and
            returning its `Optimizer`.
        loss_scale_factor: the loss scale of every sub-optimizer.
        name: the optimizer's name.
    """

    def __init__(self, optimizer_map, loss_scale_factor=None, name=None):
        if not callable(optimizer_map):
            raise TypeError(
                "`optimizer_map` must be an OptimizerMap or a callable taking a variable and "
                f"returning its Optimizer. Received: {optimizer_map!r}.")
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        inner = list(optimizer_map.values()) if isinstance(optimizer_map, OptimizerMap) else []
        inner.append(getattr(optimizer_map, "default_optimizer", None))
        self._inner_optimizers = []
        for optimizer in inner:
            if optimizer is not None and not any(optimizer is o for o in self._inner_optimizers):
                optimizer.loss_scale_factor = loss_scale_factor
                self._inner_optimizers.append(optimizer)

    @property
    def optimizers(self):
        """The sub-optimizers."""
        return self._inner_optimizers

    @property
    def variables(self):
        out = list(self._variables)
        for optimizer in self._inner_optimizers:
            out.extend(optimizer.variables)
        return out

    @property
    def learning_rate(self):
        raise AttributeError(
            "Learning rate cannot be accessed on a MultiOptimizer. Access the learning rate on "
            "the individual sub-optimizers (`optimizer.optimizers`) instead.")

    @learning_rate.setter
    def learning_rate(self, value):
        raise AttributeError(
            "Learning rate cannot be set on a MultiOptimizer. Set the learning rate on the "
            "individual sub-optimizers (`optimizer.optimizers`) instead.")

    @property
    def loss_scale_factor(self):
        return getattr(self, "_loss_scale_factor", None)

    @loss_scale_factor.setter
    def loss_scale_factor(self, value):
        self._loss_scale_factor = value
        for optimizer in getattr(self, "_inner_optimizers", ()):
            optimizer.loss_scale_factor = value

    @property
    def iterations(self):
        return self._iterations

    @iterations.setter
    def iterations(self, value):
        self._iterations.assign(value)

    def build(self, var_list):
        if self.built:
            return
        var_list = list(var_list)
        self._owner = {}
        assigned = [[] for _ in self._inner_optimizers]
        for var in var_list:
            optimizer = self._optimizer_map(var)
            _check_inner(optimizer, f"the optimizer of variable {var.path!r}")
            index = next((i for i, o in enumerate(self._inner_optimizers) if o is optimizer),
                         None)
            if index is None:
                optimizer.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(optimizer)
                assigned.append([])
                index = len(self._inner_optimizers) - 1
            self._owner[id(var)] = index
            assigned[index].append(var)
        for optimizer, variables in zip(self._inner_optimizers, assigned):
            if variables:
                optimizer.build(variables)
        super().build(var_list)

    def _split(self, grads, variables):
        """`[(optimizer, grads, variables)]` for the sub-optimizers that get any."""
        parts = [([], []) for _ in self._inner_optimizers]
        for grad, var in zip(grads, variables):
            owner = self._owner.get(id(var))
            if owner is None:
                raise ValueError(
                    f"Unknown variable {getattr(var, 'path', var)!r}: this MultiOptimizer was "
                    f"built for {len(self._owner)} other variables and can only update those.")
            parts[owner][0].append(grad)
            parts[owner][1].append(var)
        return [(o, g, v) for o, (g, v) in zip(self._inner_optimizers, parts) if v]

    def apply(self, grads, trainable_variables=None):
        """One step: the checks and the building of `Optimizer.apply` (one gradient,
        or None, for every variable the optimizer was built for), then each
        sub-optimizer's update of its own variables (`apply_checked`)."""
        grads = list(grads)
        if grads and self.built and len(grads) != len(self._owner):
            raise ValueError(
                f"Gradients must match trainable variables one-to-one. Received {len(grads)} "
                f"gradients and {len(self._owner)} variables.")
        super().apply(grads, trainable_variables)

    def apply_checked(self, grads, variables):
        # each sub-optimizer unscales (it shares `loss_scale_factor`), clips, decays,
        # updates, constrains and counts its step; a sub-optimizer that received no
        # gradient this step is left alone
        for optimizer, sub_grads, sub_vars in self._split(grads, variables):
            optimizer.apply_checked(sub_grads, sub_vars)
        self._iterations.assign(self._iterations.host_value + 1)

    def finalize_variable_values(self, var_list):
        if not self.built:
            return
        for optimizer, _, variables in self._split(list(var_list), var_list):
            optimizer.finalize_variable_values(variables)

    def scale_loss(self, loss):
        if self.loss_scale_factor is not None:
            return loss * self.loss_scale_factor
        return loss

    def exclude_from_weight_decay(self, var_list=None, var_names=None):
        raise NotImplementedError(
            "A MultiOptimizer has no weight decay of its own: call "
            "`exclude_from_weight_decay` on the sub-optimizers (`optimizer.optimizers`).")

    # -- state saving --------------------------------------------------------------------
    def set_weights(self, weights):
        if not self.built:
            raise ValueError(_NOT_BUILT_SET_WEIGHTS)
        weights = list(weights)
        if len(weights) != len(self.variables):
            raise ValueError(
                f"MultiOptimizer {self.name!r} has {len(self.variables)} variables (its own and "
                f"its sub-optimizers'), but {len(weights)} weights were given.")
        own = len(self._variables)
        for variable, weight in zip(self._variables, weights[:own]):
            variable.assign(weight)
        start = own
        for optimizer in self._inner_optimizers:
            count = len(optimizer.variables)
            if count:
                optimizer.set_weights(weights[start:start + count])
                start += count

    def get_weights(self):
        return [v.numpy() for v in self.variables]

    def save_own_variables(self, store):
        for i, variable in enumerate(self.variables):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        variables = self.variables
        if len(store.keys()) != len(variables):
            import warnings

            warnings.warn(
                f"Skipping variable loading for optimizer {self.name!r}: it has "
                f"{len(variables)} variables but the saved optimizer has {len(store.keys())}."
                + (" It has not been built yet." if not self.built else ""), stacklevel=2)
            return
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        return {"optimizer_map": serialize_keras_object(self._optimizer_map),
                "loss_scale_factor": self.loss_scale_factor, "name": self.name}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx.saving.serialization import deserialize_keras_object

        config = dict(config)
        mapping = config["optimizer_map"]
        if isinstance(mapping, dict) and mapping.get("class_name") == "OptimizerMap":
            mapping = OptimizerMap.from_config(mapping["config"], custom_objects=custom_objects)
        else:
            mapping = deserialize_keras_object(mapping, custom_objects=custom_objects)
        config["optimizer_map"] = mapping
        return cls(**config)


def _check_inner(optimizer, what):
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"{what[0].upper()}{what[1:]} must be an Optimizer instance. "
                         f"Received: {optimizer!r}.")
    if isinstance(optimizer, MultiOptimizer):
        raise ValueError("MultiOptimizer cannot be used inside a MultiOptimizer "
                         f"({what}).")
    if type(optimizer).__name__ == "LossScaleOptimizer":
        raise ValueError(f"LossScaleOptimizer cannot be used inside a MultiOptimizer ({what}).")
