"""`LayerWeights`: the weights, variables and metrics of a layer and its sublayers.

Mixed into `Layer`: the collections Keras's layers answer (`weights`,
`trainable_weights`, `variables`, `metrics`, ...), in Keras's order, and the
NumPy round trip of the weights (`get_weights` / `set_weights`, `count_params`).
"""

import collections


class LayerWeights:
    """The collections of a layer's state; the layer keeps the stores they read
    (`_own_variables`, `_tracked_layers`, `_tracked_metrics`, `_seed_generators`)."""

    @property
    def metrics(self):
        """The metrics this layer holds as attributes, then those of its sublayers (a
        model's `fit` / `evaluate` report and reset them with its compiled metrics)."""
        out = list(self.__dict__.get("_tracked_metrics", ()))
        for layer in self._tracked_layers:
            out.extend(m for m in layer.metrics if m not in out)
        return out

    @property
    def metrics_variables(self):
        """The variables of `metrics`."""
        return [v for metric in self.metrics for v in metric.variables]

    def add_metric(self, *args, **kwargs):
        """Not available, as in Keras 3."""
        raise NotImplementedError(
            "Layer `add_metric()` method is deprecated. Add your metric in "
            "`Model.compile(metrics=[...])`, or create metric trackers in __init__() or "
            "build() when subclassing the layer or model, then call `metric.update_state()` "
            "whenever necessary.")

    def _flatten_layers(self):
        """This layer's sublayers, depth first, each once (a functional model's plain
        `Operation`s among them, which hold no sublayers)."""
        seen, out = set(), []

        def visit(layer):
            for child in getattr(layer, "_tracked_layers", ()):
                if id(child) not in seen:
                    seen.add(id(child))
                    out.append(child)
                    visit(child)

        visit(self)
        return out

    def _layers_in_loss_order(self):
        """This layer's sublayers in the order Keras gathers their losses: a queue of the
        direct sublayers where each layer taken pushes its own sublayers to the front, so
        a nested layer's sublayers come, last first, before its later siblings."""
        seen, out = set(), []
        queue = collections.deque(self._tracked_layers)
        while queue:
            layer = queue.popleft()
            if id(layer) not in seen:
                seen.add(id(layer))
                out.append(layer)
                queue.extendleft(layer._tracked_layers)
        return out

    def _collect_non_trainable(self):
        # as Keras, by each variable's own flag: a layer set trainable again inside a
        # frozen one has its weights trainable
        return [v for v in self.weights if not v.trainable]

    def _gather_trainable(self, out, seen):
        # `trainable_weights` runs every training step, so it walks the layer tree once
        # into one list instead of building a list per layer; a sublayer class that
        # defines its own `trainable_weights` is asked for it. The tracker keeps the own
        # variables in Keras's order (tracked as trainable first), so they are read as
        # they are.
        for v in self._own_variables:
            if v.trainable and id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        for layer in self._tracked_layers:
            if type(layer).trainable_weights is _TRAINABLE_WEIGHTS:
                # a frozen sublayer's variables are not trainable, except those of a
                # layer set trainable again inside it, which count, as in Keras
                layer._gather_trainable(out, seen)
                continue
            for v in layer.trainable_weights:
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)

    @property
    def trainable_weights(self):
        if not self.trainable:
            return []
        out = []
        self._gather_trainable(out, set())
        return out

    @property
    def non_trainable_weights(self):
        if not self.trainable:
            return self.weights
        return self._collect_non_trainable()

    @property
    def weights(self):
        out, seen = [], set()
        for v in self._ordered_own() + [w for layer in self._tracked_layers for w in layer.weights]:
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return out

    @property
    def variables(self):
        """All the layer's state: its weights and the states of the `SeedGenerator`s it
        holds (Keras's order: its own variables, its generators' states, then each
        sublayer's variables). Metrics' variables are in `metrics_variables`."""
        if not self._has_seed_generators():
            return self.weights
        out, seen = [], set()
        for v in (self._ordered_own() + [g.state for g in self._seed_generators]
                  + [v for layer in self._tracked_layers for v in layer.variables]):
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return out

    def _ordered_own(self):
        """The layer's own variables in Keras's order: those tracked as trainable, then
        those tracked as non-trainable, each in the order tracked (freezing the layer
        or setting a variable's flag changes no place)."""
        return self._tracker.ordered(self._own_variables)

    _saved_variables = _ordered_own

    @property
    def trainable_variables(self):
        return self.trainable_weights

    @property
    def non_trainable_variables(self):
        """The non-trainable weights and the `SeedGenerator`s' states (all of
        `variables` when the layer is frozen)."""
        if not self._has_seed_generators():
            return self.non_trainable_weights
        if not self.trainable:
            return self.variables
        out, seen = [], set()
        own = [v for v in self._ordered_own() if not v.trainable]
        for v in (own + [g.state for g in self._seed_generators]
                  + [v for layer in self._tracked_layers for v in layer.non_trainable_variables]):
            if id(v) not in seen:
                seen.add(id(v))
                out.append(v)
        return out

    def get_weights(self):
        """The weights as a list of NumPy arrays, in `weights` order."""
        return [w.numpy() for w in self.weights]

    def set_weights(self, weights):
        """Sets the weights from a list of arrays in `weights` order, checking shapes."""
        own = self.weights
        if len(weights) != len(own):
            raise ValueError(
                f"Layer {self.name!r} expects {len(own)} weight arrays "
                f"({[w.shape for w in own]}) but received {len(weights)}."
            )
        for var, value in zip(own, weights):
            shape = tuple(getattr(value, "shape", ()))
            if shape != var.shape:
                raise ValueError(
                    f"Layer {self.name!r}: weight {var.name!r} has shape {var.shape} "
                    f"but the value given has shape {shape}."
                )
        for var, value in zip(own, weights):
            var.assign(value)

    def count_params(self):
        """The number of scalars in all weights (an error before build, as Keras)."""
        if not self.built:
            raise ValueError(
                f"You tried to call `count_params` on layer {self.name!r}, but the layer isn't "
                "built. You can build it manually via: `layer.build(input_shape)`.")
        total = 0
        for w in self.weights:
            n = 1
            for d in w.shape:
                n *= d
            total += n
        return total


_TRAINABLE_WEIGHTS = LayerWeights.__dict__["trainable_weights"]
