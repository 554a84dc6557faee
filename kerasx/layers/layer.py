"""`Layer`: the base class of every layer and model."""

import contextvars
import functools
import inspect
import warnings

from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.autodiff.variable import TRAINABLE_CHANGES, Variable
from kerasx.backends import current, host
from kerasx.backends.base import dtype_name
from kerasx.backends.sparse import is_sparse, to_dense
from kerasx.layers.auto_config import init_arguments, with_init_arguments
from kerasx.layers.call_context import with_call_context
from kerasx.layers.variable_tracking import (StateStore, StateTracker, no_tracking,
                                             tracking_enabled)
from kerasx.utils.naming import to_snake_case, uniquify
from kerasx.tree import sequence_like
from kerasx.utils.shape_args import standardize_shape

_TRAINING = contextvars.ContextVar("kerasx_training", default=None)
# The names of the layers whose build or call is running, outermost first: a variable's
# `path` is this scope plus its layer's name, as Keras's name scopes make it
# (`sequential/lstm/lstm_cell/kernel`).
_SCOPE = contextvars.ContextVar("kerasx_name_scope", default=())
_SIGNATURES = {}
# callables told of every layer about to run its call (`kerasx.scopes.remat` follows
# the layers a rematerialized function calls); empty, it costs one test
_CALL_WATCHERS = []
# set once a layer computes in float16 / bfloat16: only then can a default-policy
# layer receive half-precision tensors to read in its own dtype
_half_precision_in_use = False


def _stateless_scope():
    if not _GET_STATELESS_SCOPE:  # imported on first use, then one call per read
        from kerasx.scopes.stateless import get_stateless_scope

        _GET_STATELESS_SCOPE.append(get_stateless_scope)
    return _GET_STATELESS_SCOPE[0]()


_GET_STATELESS_SCOPE = []


def _enter_scope(name):
    """Pushes `name` unless it is already the innermost scope; returns the reset token."""
    scope = _SCOPE.get()
    if scope and scope[-1] == name:
        return None
    return _SCOPE.set(scope + (name,))


def _exit_scope(token):
    if token is not None:
        _SCOPE.reset(token)


def _scoped_build(build):
    """`build` running inside its layer's name scope (the variables it creates get their
    path from it, also when a parent layer calls it directly), marking the layer built
    once it returns, as Keras does."""

    def wrapper(self, *args, **kwargs):
        token = _enter_scope(self.name)
        if "_path" not in self.__dict__:
            object.__setattr__(self, "_path", "/".join(_SCOPE.get()))
        # a subclass's build calling `super().build()` locks the state once, after
        # the outermost build returns
        depth = self.__dict__.get("_build_depth", 0)
        object.__setattr__(self, "_build_depth", depth + 1)
        try:
            result = build(self, *args, **kwargs)
        finally:
            _exit_scope(token)
            object.__setattr__(self, "_build_depth", depth)
        self.built = True
        if not depth:
            if self.__dict__.get("_build_shape") is None:
                _record_build_shape(self, build, args, kwargs)
            self._lock_state()
        return result

    wrapper.__name__, wrapper.__qualname__ = build.__name__, build.__qualname__
    wrapper.__doc__, wrapper.__wrapped__ = build.__doc__, build
    wrapper._scoped = True
    return wrapper


# methods that add state to a built layer, as Keras lets them (its quantize wrapper,
# `enable_lora`)
_STATE_CHANGING_METHODS = ("quantize", "enable_lora")


def _record_build_shape(layer, build, args, kwargs):
    """Keeps the shape a user's direct `layer.build(shape)` received, as Keras does, so
    that `get_build_config()` returns it and a saved model builds the layer again."""
    if not args and not kwargs:  # `layer.build()`: Keras saves `{"shapes_dict": {}}`
        object.__setattr__(layer, "_built_without_shape", True)
        return
    try:
        bound = inspect.signature(build).bind(layer, *args, **kwargs).arguments
    except TypeError:
        return
    values = [v for name, v in bound.items() if name != "self"]
    if len(values) == 1 and values[0] is not None:
        layer._build_shape = values[0]


def _unlocking(method):
    """`method` with its layer's state unlocked while it runs, inside the name scopes
    the layer was built in (variables it adds get paths beside the layer's others, as
    Keras's `quantize` and `enable_lora` give them)."""

    @functools.wraps(method)
    def wrapper(self, *args, **kwargs):
        path = self.__dict__.get("_path")
        token = _SCOPE.set(tuple(path.split("/"))) if path else None
        try:
            with self._tracker.unlocked():
                return method(self, *args, **kwargs)
        finally:
            if token is not None:
                _SCOPE.reset(token)

    wrapper._unlocks = True
    return wrapper


class Layer:
    """A callable that holds weights and maps tensors to tensors.

    Subclasses create weights in `build(input_shape)` with `add_weight` and
    compute in `call(inputs, training=None)`. The first call builds the layer
    from its input's shape. Layers and variables assigned as attributes are
    tracked, so a layer made of layers reports all their weights.

    Args:
        trainable: whether the weights are updated by training.
        name: a unique name; derived from the class name when omitted.
        dtype: the layer's dtype policy: a `DTypePolicy` or its name, `"float32"`,
            `"float64"`, or `"mixed_float16"` / `"mixed_bfloat16"` (weights in float32,
            computations in float16 / bfloat16). Default: the global policy
            (`kerasx.config.dtype_policy()`, a policy of `floatx()` unless set).
        autocast: whether float inputs are cast to the compute dtype and, under a
            mixed policy, weights are read in it inside `call` (as Keras).
        input_shape / input_dim: the shape of one sample, for the first layer of
            a `Sequential` model (as in Keras 2 and the Keras 3 compatibility path).
    """

    # an `InputSpec` (or a list, one per input) that calls on symbolic tensors check
    input_spec = None
    # the `RematMode` of the `RematScope` the layer was made in (None: none)
    _remat_mode = None
    # whether a model holding the layer may record and replay its steps
    # (`compile(jit_compile=...)`); layers whose work is not array work set it False
    supports_jit = True
    _stays_open = False  # a Functional or Sequential model, which never locks its state
    # preprocessing layers take Python values (lists of numbers or strings) as inputs;
    # other layers refuse them positionally, as Keras
    _allow_non_tensor_positional_args = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_scoped", False):
            cls.build = _scoped_build(build)
        for name in _STATE_CHANGING_METHODS:
            method = getattr(cls, name, None)  # a mixin's (LoRA) too
            if method is not None and not getattr(method, "_unlocks", False):
                setattr(cls, name, _unlocking(method))

    def __new__(cls, *args, **kwargs):
        layer = super().__new__(cls)
        # a subclass without its own get_config is configured by these (as in Keras)
        object.__setattr__(layer, "_init_arguments", init_arguments(cls, args, kwargs))
        return layer

    def __init__(self, trainable=True, name=None, dtype=None, autocast=True, input_shape=None,
                 input_dim=None, batch_input_shape=None, batch_size=None,
                 activity_regularizer=None, **kwargs):
        from kerasx import regularizers

        kwargs.pop("input_length", None)
        if kwargs:
            raise TypeError(
                f"Unrecognized keyword arguments passed to {type(self).__name__}: {sorted(kwargs)}."
            )
        if "_tracker" not in self.__dict__:
            self._init_tracking()
        self.name = name or uniquify(to_snake_case(type(self).__name__))
        if not isinstance(trainable, bool):
            raise ValueError(
                f"Expected `trainable` to be a boolean. Received: trainable={trainable!r} (of "
                f"type {type(trainable).__name__}). Pass True or False.")
        self._trainable = trainable
        self.built = False
        self._set_dtype_policy(dtype)
        self.autocast = autocast
        # as Keras: a layer that defines its own compute_mask supports masking
        self.supports_masking = type(self).compute_mask is not Layer.compute_mask
        self._activity_losses = []
        self.activity_regularizer = regularizers.get(activity_regularizer)
        if input_shape is not None or input_dim is not None:
            warnings.warn("Do not pass an `input_shape`/`input_dim` argument to a layer. When "
                          "using Sequential models, prefer using an `Input(shape)` object as "
                          "the first layer in the model instead.", stacklevel=2)
        if batch_input_shape is not None:
            self._batch_input_shape = standardize_shape(batch_input_shape)
        elif input_shape is not None:
            self._batch_input_shape = standardize_shape((batch_size,)
                                                        + standardize_shape(input_shape))
        elif input_dim is not None:
            self._batch_input_shape = (batch_size, int(input_dim))
        else:
            self._batch_input_shape = None
        self._build_shape = None
        self._output_shape = None
        from kerasx.scopes.remat import get_current_remat_mode

        self._set_untracked("_remat_mode", get_current_remat_mode())

    # -- attribute tracking -------------------------------------------------------------
    def _init_tracking(self):
        """The stores of the layer's tracked state. A subclass may set sublayers before
        calling `super().__init__()` (as Keras allows): the first attribute set makes them."""
        object.__setattr__(self, "_tracked_layers", StateStore())
        object.__setattr__(self, "_tracked_metrics", StateStore())
        object.__setattr__(self, "_own_variables", StateStore())
        object.__setattr__(self, "_seed_generators", StateStore())
        object.__setattr__(self, "_tracker", StateTracker(self))

    def __setattr__(self, name, value):
        if not name.startswith("__"):
            tracker = self.__dict__.get("_tracker")
            if tracker is None:
                self._init_tracking()
                tracker = self.__dict__["_tracker"]
            if tracking_enabled():
                value = tracker.track(value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        value = self.__dict__.get(name)
        object.__delattr__(self, name)
        if isinstance(value, Variable):  # as Keras: a deleted variable attribute is no weight
            self._tracker.untrack(value)

    def _build_at_init(self):
        """Marks a layer without weights built at the end of its construction, state
        locked, as Keras 3 does: only when its class keeps the default `build` (a
        subclass with its own `build` is built at its first call, so that it runs)."""
        if type(self).build is Layer.build:
            self.built = True
            self._lock_state()

    def _lock_state(self):
        """Refuses new state (variables, sublayers, metrics, seed generators) from now
        on: called when `build` returns, as Keras does. Functional and Sequential
        models stay open (layers can be attached to them), as in Keras."""
        if _is_graph_model(self):
            object.__setattr__(self, "_stays_open", True)  # not asked again at every call
        else:
            self._tracker.lock()

    def _set_untracked(self, name, value):
        """Sets an attribute without tracking it as a sublayer, metric or variable (nor
        what a property setter of that name sets)."""
        with no_tracking():
            object.__setattr__(self, name, value)

    # -- weights ------------------------------------------------------------------------
    def add_weight(self, shape=None, initializer=None, dtype=None, trainable=True, autocast=True,
                   regularizer=None, constraint=None, aggregation="none",
                   overwrite_with_gradient=False, name=None):
        """Creates a Variable owned by this layer and returns it.

        Arguments as Keras's: `initializer` None means `"glorot_uniform"` for a
        float weight and `"zeros"` for an integer or boolean one; `dtype`
        None means the policy's variable dtype; under a mixed policy a float
        weight with `autocast=True` is read in the compute dtype inside `call`;
        with `overwrite_with_gradient=True`, optimizers assign the weight its
        gradient instead of updating it (`Variable.overwrite_with_gradient`).
        """
        from kerasx import constraints, initializers, regularizers
        from kerasx.backends.base import dtype_name

        self._tracker._check_unlocked()
        if isinstance(shape, str):  # Keras 2's add_weight("name", ...)
            raise ValueError(
                f"`name` must be passed as a keyword argument. Received: add_weight({shape!r}, "
                f"...). Use: add_weight(shape=..., name={shape!r}).")
        dtype = dtype_name(dtype) if dtype is not None else self.dtype
        if initializer is None:
            initializer = "glorot_uniform" if dtype.startswith("float") else "zeros"
        shape = () if shape is None else tuple(int(n) for n in shape)
        init = initializers.get(initializer)
        kind = Variable
        if autocast and self._autocasts and dtype.startswith(("float", "bfloat")) \
                and self._compute_dtype != self.dtype:
            from kerasx.dtype_policies.autocast import AutocastVariable as kind
        var = kind(init, shape=shape, dtype=dtype, trainable=trainable,
                       name=name,  # None: the global `variable`, `variable_1`... (Keras)
                       constraint=constraints.get(constraint),
                       regularizer=regularizers.get(regularizer), aggregation=aggregation)
        scope = _SCOPE.get()
        if not scope or scope[-1] != self.name:
            scope = scope + (self.name,)
        var.path = "/".join(scope + (var.name,))
        var.overwrite_with_gradient = overwrite_with_gradient
        self._tracker.add_variable(var, trainable)
        if not self._trainable:  # a frozen layer's new weights are frozen too (Keras)
            var.trainable = False
        return var

    def add_variable(self, shape, initializer, dtype=None, trainable=True, autocast=True,
                     regularizer=None, constraint=None, name=None):
        """`add_weight` under Keras's other name (shape and initializer required)."""
        return self.add_weight(shape, initializer, dtype=dtype, trainable=trainable,
                               autocast=autocast, regularizer=regularizer, constraint=constraint,
                               name=name)

    # -- dtype policy -------------------------------------------------------------------
    def _set_dtype_policy(self, dtype):
        """Takes the policy of `dtype` (None: the global one). `dtype` holds the variable
        dtype, as in Keras; `_autocasts` marks the layers whose calls take the policy's
        path (input casts, autocast weights), which the default policy never does."""
        from kerasx.dtype_policies import DTypePolicyMap, get
        from kerasx.dtype_policies.dtype_policy import global_policy_is_set

        try:
            policy = get(dtype)
        except ValueError:
            if not isinstance(dtype, str):
                raise
            policy = None  # a dtype name policies do not know: kept as the one dtype
        resolved = policy[self.name] if isinstance(policy, DTypePolicyMap) else policy
        compute = variable = dtype
        if resolved is not None:
            compute, variable = resolved.compute_dtype, resolved.variable_dtype
        self._dtype_policy = policy
        self.dtype = variable
        self._compute_dtype = compute
        if compute in ("float16", "bfloat16"):
            global _half_precision_in_use
            _half_precision_in_use = True
        self._autocasts = compute.startswith(("float", "bfloat")) and (
            compute != variable or compute in ("float16", "bfloat16")
            or (dtype is not None and global_policy_is_set()))
        if self._autocasts:
            _check_backend_has(self, compute)

    @property
    def dtype_policy(self):
        """The layer's `DTypePolicy`."""
        if self._dtype_policy is None:
            raise AttributeError(f"Layer {self.name!r} has dtype {self.dtype!r}, which no "
                                 "DTypePolicy describes.")
        return self._dtype_policy

    @dtype_policy.setter
    def dtype_policy(self, value):
        if self.built and self._quantize_by_policy(value):
            return
        if self.built:
            raise ValueError(f"Layer {self.name!r} is built: its dtype policy can only be set "
                             "before its weights are created.")
        self._set_dtype_policy(value)

    def _quantize_by_policy(self, value):
        """As Keras: a quantized policy set on a built, unquantized layer quantizes it
        (`layer.dtype_policy = "int8_from_float32"`). Returns whether it did."""
        from kerasx import dtype_policies

        mode = getattr(dtype_policies.get(value), "quantization_mode", None)
        if mode is None or getattr(self, "quantization_mode", "none") is not None:
            return False
        if mode == "gptq":
            raise ValueError(
                f"Implicitly enabling GPTQ quantization by setting `dtype_policy` to "
                f"'{value}' is not supported. GPTQ requires a calibration dataset and a "
                "`GPTQConfig` object. Please use the `.quantize('gptq', config=...)` method "
                "on the layer or model instead.")
        self.quantize(mode)
        return True

    @property
    def compute_dtype(self):
        """The dtype of the layer's computations and outputs."""
        return self._compute_dtype if self._autocasts else self.dtype

    @property
    def variable_dtype(self):
        """The dtype the layer creates its weights in (also `dtype`)."""
        return self.dtype

    @property
    def input_dtype(self):
        """The dtype float inputs are cast to (the compute dtype)."""
        return self.compute_dtype

    # -- quantization: layers with a quantized form (Dense, ...) override these ----------
    @property
    def quantization_mode(self):
        """The quantization mode of this layer, None if it is not quantized."""
        from kerasx.layers.core._quantization import policy_quantization_mode

        return policy_quantization_mode(self)

    def quantize(self, mode=None, type_check=True, config=None):
        """Quantizes the layer's weights; this layer has no quantized form, so after
        Keras's checks of the arguments it raises NotImplementedError."""
        from kerasx.layers.core._quantization import check_quantize_call, not_implemented

        check_quantize_call(self, mode, config)
        raise not_implemented(self, "quantize")

    def quantized_build(self, input_shape, mode):
        """Creates the weights of a quantization mode: not implemented by this layer."""
        from kerasx.layers.core._quantization import not_implemented

        raise not_implemented(self, "quantized_build")

    def quantized_call(self, *args, **kwargs):
        """The call of a quantization mode: not implemented by this layer."""
        from kerasx.layers.core._quantization import quantized_call_error

        raise quantized_call_error(self)

    @property
    def trainable(self):
        return self._trainable

    @trainable.setter
    def trainable(self, value):
        """Freezes (False) or unfreezes the layer, its sublayers and the variables each
        tracked as trainable (a frozen layer's `trainable_weights` are empty, and its
        variables' own `trainable` flags are off); the non-trainable ones (moving
        statistics) stay so. A model's step notices the change at its next batch."""
        value = bool(value)
        self._trainable = value
        TRAINABLE_CHANGES[0] += 1
        tracker = self._tracker
        for v in self._own_variables:
            if tracker.tracked_as_trainable(v):
                v.trainable = value
        for layer in self._tracked_layers:
            layer.trainable = value

    @property
    def call_signature_parameters(self):
        """The names of the parameters of the layer's `call` (`["inputs", "training"]`
        for `Dense`), as Keras lists them."""
        return [p.name for p in inspect.signature(self.call).parameters.values()]

    def rematerialized_call(self, layer_call, *args, **kwargs):
        """`layer_call` (the layer's `call`, or another method computing its outputs)
        made to rematerialize under the layer's `RematScope` mode: recomputed in the
        backward pass instead of keeping its intermediates, as Keras's hook; returned
        unchanged when the layer was made outside any `RematScope` or the mode leaves
        it out. `args` and `kwargs` are the call's arguments ("larger_than" sizes the
        outputs from them). The layer's `__call__` runs `call` through it."""
        if self._remat_mode is None:
            return layer_call
        from kerasx.scopes.remat import rematerialized_call, remat

        inputs = args[0] if args else None
        chosen = rematerialized_call(self, inputs, args[1:], kwargs)
        if layer_call == self.call or chosen == self.call:
            return chosen if layer_call == self.call else layer_call
        if self._remat_mode.mode == "activations":
            # the mode swaps the layer's activation for a rematerialized one during
            # the call, whichever method makes it
            activation = self.activation

            @functools.wraps(layer_call)
            def with_rematerialized_activation(*a, **k):
                object.__setattr__(self, "activation", remat(activation))
                try:
                    return layer_call(*a, **k)
                finally:
                    object.__setattr__(self, "activation", activation)

            return with_rematerialized_activation
        return remat(layer_call)

    @property
    def path(self):
        """The layer's place in its model, as its variables' paths begin
        (`"sequential/block/dense_1"`); None until the layer is built."""
        return self.__dict__.get("_path")

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
        """This layer's sublayers, depth first, each once."""
        seen, out = set(), []

        def visit(layer):
            for child in layer._tracked_layers:
                if id(child) not in seen:
                    seen.add(id(child))
                    out.append(child)
                    visit(child)

        visit(self)
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

    def _has_seed_generators(self):
        return bool(self._seed_generators) or any(
            layer._has_seed_generators() for layer in self._tracked_layers
            if isinstance(layer, Layer))

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

    # -- losses -------------------------------------------------------------------------
    @property
    def losses(self):
        """The losses of the last call (`add_loss`, activity penalties) of the layer
        and its sublayers, then the weight regularizers' penalties of the trainable
        weights (as Keras, a frozen layer's penalty is not trained). Inside a
        `StatelessScope`, the call's losses are those the scope collected."""
        scope = _stateless_scope()
        out = []
        for layer in [self] + self._flatten_layers():
            out.extend(layer._activity_losses if scope is None else scope.losses_of(layer))
        out.extend(v.regularizer(v) for v in self.trainable_weights if v.regularizer is not None)
        return out

    def add_loss(self, loss):
        """Adds a loss (or a list of them) to `losses` until the layer's next call.
        Inside a `StatelessScope`, the scope collects it (`collect_losses=True`) or
        it is dropped, as in Keras."""
        scope = _stateless_scope()
        if scope is None:
            self._activity_losses.append(loss)
        elif scope.collect_losses:
            for each in loss if isinstance(loss, (list, tuple)) else [loss]:
                scope.add_loss(each, layer=self)

    # -- building and calling -----------------------------------------------------------
    def build(self, input_shape):
        """Creates the weights; the default creates none."""
        if not self.__dict__.get("_implicit_build"):
            self._warn_if_build_leaves_state_unbuilt(stacklevel=3)
            if not self.__dict__.get("_build_depth"):  # a direct call: its shape is the
                self._build_shape = input_shape      # build config, as in Keras
        self.built = True

    def _warn_if_build_leaves_state_unbuilt(self, stacklevel):
        """As Keras: an explicit build() (or a rebuild from a saved build config) cannot
        build the sublayers that `call` would, when the class has no `build` of its own."""
        if type(self).build is Layer.build and any(
                not layer.built for layer in self._tracked_layers):
            warnings.warn(
                f"`build()` was called on layer '{self.name}', however the layer does not "
                "have a `build()` method implemented and it looks like it has unbuilt state. "
                "This will cause the layer to be marked as built, despite not being actually "
                "built, which may cause failures down the line. Make sure to implement a "
                "proper `build()` method.", stacklevel=stacklevel)

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(
            f"Layer {type(self).__name__} does not have a `call` method implemented. "
            "Define `call(self, inputs)` in the subclass (check its spelling).")

    def __call__(self, *args, **kwargs):
        inputs, args = (args[0], args[1:]) if args else (_first_by_keyword(self, kwargs), ())
        KerasTensor, symbolic_call = _symbolic()
        if _contains(inputs, KerasTensor):
            return symbolic_call(self, inputs, args, kwargs)
        if args and not self._allow_non_tensor_positional_args:
            _refuse_python_values(args)
        if self._autocasts:
            return self._call_with_policy(inputs, args, kwargs)
        if _half_precision_in_use and self.autocast:
            # as Keras, a float32 layer (the float32 softmax closing a mixed-precision
            # model) reads half-precision inputs in its own dtype
            inputs = _widen_half_floats(inputs, self._compute_dtype)
        inputs = self._convert_inputs(inputs)
        if getattr(self, "input_spec", None) is not None:
            from kerasx.layers.core.input_layer import assert_input_compatibility

            flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
            assert_input_compatibility(self, [(tuple(x.shape), x.dtype) for x in flat
                                              if isinstance(x, TensorOps)])
        scope_token = _enter_scope(self.name)
        try:
            return self._call_in_scope(inputs, args, kwargs)
        finally:
            _exit_scope(scope_token)

    def _call_with_policy(self, inputs, args, kwargs):
        """`__call__` under a non-default dtype policy: float inputs cast to the compute
        dtype (not by functional and sequential models, whose layers cast their own),
        and weights of mixed-precision layers read in it during the call."""
        from kerasx.dtype_policies.autocast import autocast_scope

        if self.autocast and not _is_graph_model(self):
            inputs = _cast_floats(inputs, self._compute_dtype)
        else:
            inputs = self._convert_inputs(inputs)
        if getattr(self, "input_spec", None) is not None:
            from kerasx.layers.core.input_layer import assert_input_compatibility

            flat = inputs if isinstance(inputs, (list, tuple)) else [inputs]
            assert_input_compatibility(self, [(tuple(x.shape), x.dtype) for x in flat
                                              if isinstance(x, TensorOps)])
        scope_token = _enter_scope(self.name)
        try:
            with autocast_scope(self._compute_dtype if self.autocast else None):
                outputs = self._call_in_scope(inputs, args, kwargs)
        finally:
            _exit_scope(scope_token)
        if self.autocast and self._compute_dtype in ("bfloat16", "float16") and \
                _outputs_in_compute_dtype(type(self)):
            # kerasx's own layers return their compute dtype, as Keras's do (some NumPy
            # kernels widen half precision); a `call` of the user's (or a Lambda's) returns
            # what it computes, as in Keras, which casts no outputs
            outputs = _cast_floats(outputs, self._compute_dtype)
        return outputs

    def _call_in_scope(self, inputs, args, kwargs):
        if _CALL_WATCHERS:
            for watcher in _CALL_WATCHERS:
                watcher(self)
        traced = False
        if not self.built:
            traced = builds_by_tracing(self)
            # the other arguments' shapes go to a `build(self, x_shape, mask_shape)`
            object.__setattr__(self, "_pending_build_arguments", (args, kwargs))
            try:
                self._build_for(inputs)
            finally:
                self.__dict__.pop("_pending_build_arguments", None)
        accepts_training, accepts_mask = _call_signature(type(self))
        training = kwargs.pop("training", None)
        if training is None:
            training = _TRAINING.get()
        if training is None and accepts_training:
            training = training_default(type(self))
        if accepts_training:
            kwargs["training"] = training
        mask = kwargs.get("mask")
        if mask is None:
            # also passed on by compute_mask when call takes no mask
            mask = _input_masks(inputs)
            others = _other_tensor_arguments(type(self), args, kwargs)
            if others:
                _fill_named_masks(type(self), inputs, args, others, kwargs)
            elif accepts_mask and mask is not None:
                kwargs["mask"] = mask
        token = _TRAINING.set(training)
        try:
            if self._activity_losses:
                self._activity_losses = []
            if self._remat_mode is None:
                outputs = self.call(inputs, *args, **kwargs)
            else:
                outputs = self.rematerialized_call(self.call, inputs, *args, **kwargs)(
                    inputs, *args, **kwargs)
        except Exception as error:
            contextual = with_call_context(self, error, self.call, inputs, args, kwargs)
            if contextual is None:
                raise
            try:
                raise contextual.with_traceback(error.__traceback__) from error.__cause__
            finally:
                del contextual  # else this frame, kept by the traceback, keeps the error alive
        finally:
            _TRAINING.reset(token)
        if not self._tracker.locked and self.built and not self._stays_open:
            # a layer built without running `build` (a subclassed model's first call
            # creates its weights) takes no new state after its first call
            self._lock_state()
        if self.activity_regularizer is not None:
            for out in outputs if isinstance(outputs, (list, tuple)) else [outputs]:
                # as Keras: divided by the batch size, 0 for an empty batch
                from kerasx.ops import divide_no_nan

                self.add_loss(divide_no_nan(self.activity_regularizer(out), out.shape[0]))
        if self.supports_masking:
            out_mask = self.compute_mask(inputs, mask)
            if out_mask is not None:
                _attach_output_masks(outputs, out_mask)
        elif _any_mask(mask) and not _any_mask(_input_masks(outputs)):
            # (a layer that set its outputs' masks itself, a model, kept them)
            warnings.warn(
                f"Layer {self.name!r} (of type {type(self).__name__}) was passed an input with "
                "a mask attached to it. However, this layer does not support masking and will "
                "therefore destroy the mask information. Downstream layers will not see the "
                "mask. Set `supports_masking = True` in a layer that keeps the timesteps, or "
                "define `compute_mask`.")
        if traced:
            name_traced_outputs(outputs)
        return outputs

    def compute_mask(self, inputs, mask=None):
        """The mask of the output; passes the input's mask through when supported."""
        return mask if self.supports_masking else None

    def _convert_inputs(self, inputs):
        if isinstance(inputs, (list, tuple)):
            kind = type(inputs)
            if kind is list or kind is tuple:
                return kind(self._convert_inputs(x) for x in inputs)
            return sequence_like(inputs, [self._convert_inputs(x) for x in inputs])
        if isinstance(inputs, dict):
            return {k: self._convert_inputs(v) for k, v in inputs.items()}
        if inputs is None or isinstance(inputs, TensorOps) or host.is_string_array(inputs):
            return inputs  # None: an optional input left out (`Input(optional=True)`)
        if not self._allow_non_tensor_positional_args:
            _refuse_python_values(inputs)
        backend = current()
        value = to_dense(inputs, backend) if is_sparse(inputs) else backend.asarray(inputs)
        if self.autocast and backend.isdtype(value.dtype, "real floating") \
                and value.dtype != backend.dtype(self.dtype):
            value = backend.xp.astype(value, backend.dtype(self.dtype))
        return Tensor(value)

    def _build_for(self, inputs):
        shape = _shape_structure(inputs)
        self._build_shape = shape
        build_on(self, shape, argument_shapes(self, *self.__dict__.get(
            "_pending_build_arguments", ((), {}))))
        self.built = True
        self._lock_state()

    def save_own_variables(self, store):
        """Writes the layer's own variables (not its sublayers') to the dict-like `store`
        under the keys "0", "1", ... (trainable first, as Keras). A layer with state
        beyond its variables overrides this and `load_own_variables`; `.keras` and
        `.weights.h5` files then hold whatever it writes, under its keys."""
        from kerasx.saving.h5_weights import _own_variables

        for i, variable in enumerate(_own_variables(self)):
            store[str(i)] = variable.numpy()

    def load_own_variables(self, store):
        """Reads what `save_own_variables` wrote, checking the count."""
        from kerasx.saving.h5_weights import _own_variables

        variables = _own_variables(self)
        if len(store.keys()) != len(variables):
            raise ValueError(
                f"Layer {self.name!r} expected {len(variables)} variables, but received "
                f"{len(store.keys())} variables during loading. Expected: "
                f"{[v.name for v in variables]}")
        for i, variable in enumerate(variables):
            variable.assign(store[str(i)])

    def stateless_call(self, trainable_variables, non_trainable_variables, *args,
                       return_losses=False, **kwargs):
        """Calls the layer with its variables reading the given values, changing none of
        them: `(outputs, non_trainable_variables)` (and the losses with
        `return_losses=True`), the non-trainable values as the call left them."""
        from kerasx.scopes.stateless_methods import stateless_call

        return stateless_call(self, trainable_variables, non_trainable_variables, args, kwargs,
                              return_losses)

    def compute_output_spec(self, *args, **kwargs):
        """KerasTensors standing for the outputs of a call on KerasTensor arguments, the
        call itself not recorded. A subclass may override it to declare its outputs
        (Keras's way); the default builds the layer and runs it on small zero arrays,
        as a call on KerasTensors does (see `compute_output_shape`)."""
        from kerasx.layers.core.input_layer import output_spec

        return output_spec(self, args[0], args[1:], kwargs)

    def symbolic_call(self, *args, **kwargs):
        """The outputs' KerasTensors for KerasTensor arguments (`compute_output_spec`):
        as in Keras, a layer adds its node to the graph in `__call__`, not here."""
        return self.compute_output_spec(*args, **kwargs)

    def compute_output_shape(self, input_shape):
        """The output shape for `input_shape` (None for unknown sizes).

        The default runs the layer on small zero arrays twice, with different
        sizes for the unknown dimensions, and marks the dimensions that changed
        as unknown. Layers override it when the rule is simple.
        """
        from kerasx.autodiff.tape import _Paused

        def probe(fill):
            dummy = _zeros_structure(input_shape, fill, self)
            with _Paused():
                out = self(dummy, training=False)
            return _shape_structure(out)

        first, second = probe(1), probe(2)
        return _merge_shapes(first, second)

    # -- configuration ------------------------------------------------------------------
    def get_config(self):
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": self._dtype_config()}
        if self.activity_regularizer is not None:
            from kerasx.saving.serialization import serialize_keras_object

            config["activity_regularizer"] = serialize_keras_object(self.activity_regularizer)
        if type(self).get_config is Layer.get_config:
            config = with_init_arguments(self, config)
        return config

    def _dtype_config(self):
        """The dtype name, as kerasx writes a one-dtype policy, or Keras's DTypePolicy
        config for a mixed policy or a policy map."""
        policy = self._dtype_policy
        if not self._autocasts or policy is None or (
                type(policy).__name__ in ("DTypePolicy", "FloatDTypePolicy")
                and policy.compute_dtype == policy.variable_dtype):
            return self.dtype
        from kerasx.dtype_policies import serialize

        return serialize(policy)

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        if self._build_shape is None:
            return {"shapes_dict": {}} if self.__dict__.get("_built_without_shape") else None
        extra = self.__dict__.get("_build_argument_shapes")
        if extra:  # as Keras: every shape under its `build` parameter's name
            first = list(inspect.signature(type(self).build).parameters)[1]
            return {"shapes_dict": {first: self._build_shape, **extra}}
        return {"input_shape": self._build_shape}

    def build_from_config(self, config):
        if config and "input_shape" not in config and "shapes_dict" in config:
            # `build()` without a shape (Embedding), or one shape per `build` parameter
            if not self.built:
                self.build(**{k: tuple(v) if _is_shape_list(v) else v
                              for k, v in config["shapes_dict"].items()})
            return
        shape = config.get("input_shape") if config else None
        if shape is not None and not self.built:
            if isinstance(shape, list) and all(d is None or isinstance(d, int) for d in shape):
                shape = tuple(shape)
            self._build_shape = shape
            self._warn_if_build_leaves_state_unbuilt(stacklevel=3)
            build_on(self, shape)
            self.built = True
            self._lock_state()

    @property
    def input(self):
        """The symbolic input of the layer's only call on KerasTensors."""
        from kerasx.layers.core.input_layer import layer_tensor

        return layer_tensor(self, "input")

    @property
    def output(self):
        """The symbolic output of the layer's only call on KerasTensors."""
        from kerasx.layers.core.input_layer import layer_tensor

        return layer_tensor(self, "output")

    @property
    def output_shape(self):
        if "_assigned_output_shape" in self.__dict__:
            return self.__dict__["_assigned_output_shape"]
        if self._output_shape is None:
            raise AttributeError(f"Layer {self.name!r} has not been called yet, so it has no output shape.")
        return self._output_shape

    @output_shape.setter
    def output_shape(self, value):
        # Keras's layers have no `output_shape`: a subclass may use the name for its own
        object.__setattr__(self, "_assigned_output_shape", value)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


_TRAINABLE_WEIGHTS = Layer.__dict__["trainable_weights"]


def builds_by_tracing(layer):
    """Whether Keras builds `layer` by tracing its `call` before running it: a layer (or
    subclassed model) without its own `build` whose sublayers are not all built."""
    from kerasx.models.model import Model

    if type(layer).build not in (Layer.build, Model.build):
        return False
    return any(not sub.built for sub in layer._tracked_layers)


def name_traced_outputs(outputs):
    """Takes the tensor names Keras's build trace gives its outputs (one per output), so
    the tensors made next are named as in Keras."""
    from kerasx.layers.core.input_layer import flatten

    for _ in flatten(outputs):
        uniquify("keras_tensor")


def argument_shapes(layer, args, kwargs):
    """`{"<name>_shape": shape}` for the call's other arguments that the layer's `build`
    names after its first parameter (Keras's `build(self, x_shape, mask_shape=None)` for
    `call(self, x, mask=None)`); an argument left out or None is not passed."""
    wanted = _BUILD_SHAPE_PARAMETERS.get(type(layer))
    if wanted is None:
        try:
            params = list(inspect.signature(type(layer).build).parameters.values())[2:]
        except (TypeError, ValueError):
            params = []
        wanted = _BUILD_SHAPE_PARAMETERS[type(layer)] = [
            p.name for p in params if p.name.endswith("_shape")
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
    if not wanted:
        return {}
    given = dict(zip(_call_parameters(type(layer))[1:], args))
    given.update(kwargs)
    shapes = {}
    for name in wanted:
        value = given.get(name[:-len("_shape")])
        if value is not None:
            try:
                shapes[name] = _shape_structure(value)
            except AttributeError:  # not tensors (a Python flag): no shape to give
                pass
    if shapes:
        object.__setattr__(layer, "_build_argument_shapes", shapes)
    return shapes


_BUILD_SHAPE_PARAMETERS = {}


def build_on(layer, shape, argument_shapes=None):
    """Calls `layer.build` with the input shape (and the `argument_shapes` its `build`
    names), or with nothing when the subclass's `build` takes no argument
    (`def build(self): ...`), as Keras calls it."""
    build = layer.build
    takes_shape = _BUILD_TAKES_SHAPE.get(type(layer))
    if takes_shape is None:
        try:
            params = inspect.signature(build).parameters.values()
        except (TypeError, ValueError):
            params = None
        takes_shape = params is None or any(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
            for p in params)
        if getattr(build, "__self__", None) is layer and "build" not in layer.__dict__:
            _BUILD_TAKES_SHAPE[type(layer)] = takes_shape
    object.__setattr__(layer, "_implicit_build", True)
    try:
        return build(shape, **(argument_shapes or {})) if takes_shape else build()
    finally:
        object.__setattr__(layer, "_implicit_build", False)


_BUILD_TAKES_SHAPE = {}


def _call_signature(cls):
    sig = _SIGNATURES.get(cls)
    if sig is None:
        params = inspect.signature(cls.call).parameters
        varkw = any(p.kind is p.VAR_KEYWORD for p in params.values())
        sig = _SIGNATURES[cls] = ("training" in params or varkw, "mask" in params)
    return sig


def _call_parameters(cls):
    """The names of `cls.call`'s parameters after `self`."""
    names = _CALL_PARAMETERS.get(cls)
    if names is None:
        names = _CALL_PARAMETERS[cls] = list(inspect.signature(cls.call).parameters)[1:]
    return names


_CALL_PARAMETERS = {}


def _is_tensor_argument(value):
    """A tensor, or an array Keras converts to one, or a list of them."""
    if isinstance(value, TensorOps) or (host.is_host_value(value) and hasattr(value, "shape")):
        return True
    return (isinstance(value, (list, tuple)) and any(v is not None for v in value)
            and all(v is None or _is_tensor_argument(v) for v in value))


def _other_tensor_arguments(cls, args, kwargs):
    """`{parameter name: value}` of the call's tensor arguments after the first. As in
    Keras, a call on one tensor argument gets its mask as `mask`; a call on several
    (`decoder(x, encoder_outputs)`, `lstm(x, initial_state=...)`) gets no `mask`, only
    `<name>_mask` for the parameters that have one."""
    if not args and (not kwargs or kwargs.keys() <= {"training"}):
        return None
    names = _call_parameters(cls)[1:]
    found = {name: value for name, value in zip(names, args) if _is_tensor_argument(value)}
    found.update((name, value) for name, value in kwargs.items()
                 if name not in ("mask", "training") and _is_tensor_argument(value))
    return found


def _fill_named_masks(cls, inputs, args, others, kwargs):
    names = _call_parameters(cls)
    if not names:
        return
    for name, value in [(names[0], inputs), *others.items()]:
        key = f"{name}_mask"
        if key in names and kwargs.get(key) is None and names.index(key) > len(args):
            value_mask = _input_masks(value)
            if value_mask is not None:
                kwargs[key] = value_mask


def _first_by_keyword(layer, kwargs):
    """The first argument of `layer.call` taken out of `kwargs`, for a call that names it
    (`endpoint(logits=x, targets=y)`), as Keras allows."""
    params = list(inspect.signature(type(layer).call).parameters.values())[1:]
    if params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        if params[0].name in kwargs:
            return kwargs.pop(params[0].name)
    raise TypeError(
        f"Layer {layer.name!r} was called without inputs: pass them as the first argument, "
        f"e.g. layer(x), or by the name of the first argument of its `call` "
        f"({params[0].name if params else 'none'}=...); received only {sorted(kwargs)}."
    )


def training_default(cls):
    """The default of `training` in `cls.call` (e.g. `call(self, x, training=True)`), or
    None: a call with no `training` argument and no outer training phase runs with it,
    as the layer's author wrote it."""
    try:
        return _TRAINING_DEFAULTS[cls]
    except KeyError:
        param = inspect.signature(cls.call).parameters.get("training")
        default = None if param is None or param.default is param.empty else param.default
        _TRAINING_DEFAULTS[cls] = default
        return default


_TRAINING_DEFAULTS = {}


def _input_masks(inputs):
    """The mask riding on the input: one Tensor's mask, or for a list / tuple of Tensors
    the list / tuple of their masks (None entries for unmasked ones) when any has one
    (Keras passes a call on several tensors their masks in the inputs' structure)."""
    if isinstance(inputs, Tensor):
        return inputs._keras_mask
    if isinstance(inputs, (list, tuple)) and inputs:
        masks = [x._keras_mask if isinstance(x, Tensor) else None for x in inputs]
        if any(m is not None for m in masks):
            return tuple(masks) if isinstance(inputs, tuple) else masks
    return None


def _any_mask(mask):
    return any(m is not None for m in (mask if isinstance(mask, (list, tuple)) else [mask]))


def _attach_output_masks(outputs, mask):
    """Gives the output tensors the masks `compute_mask` returned: one mask for one
    output; a list / tuple of masks entry by entry for several outputs (Keras pairs
    the flattened outputs with the flattened masks)."""
    if isinstance(outputs, Tensor) and not isinstance(mask, (list, tuple)):
        outputs._keras_mask = mask
        return
    flat_outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    flat_masks = list(mask) if isinstance(mask, (list, tuple)) else [mask]
    for tensor, each in zip(flat_outputs, flat_masks):
        if isinstance(tensor, Tensor) and each is not None and tensor._keras_mask is None:
            tensor._keras_mask = each


def _contains(structure, kind):
    if isinstance(structure, kind):
        return True
    if isinstance(structure, (list, tuple)):
        return any(_contains(s, kind) for s in structure)
    if isinstance(structure, dict):
        return any(_contains(s, kind) for s in structure.values())
    return False


def _shape_structure(x):
    if isinstance(x, (list, tuple)):
        return [_shape_structure(v) for v in x]
    if isinstance(x, dict):
        return {k: _shape_structure(v) for k, v in x.items()}
    return tuple(x.shape)


def _is_shape(s):
    return isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)


def _is_shape_list(s):
    return isinstance(s, list) and all(d is None or isinstance(d, int) for d in s)


def _zeros_structure(shape, fill, layer):
    from kerasx import ops

    if _is_shape(shape):
        dims = tuple(fill if d is None else d for d in shape)
        return ops.zeros(dims, dtype=layer.compute_dtype)
    if isinstance(shape, dict):
        return {k: _zeros_structure(v, fill, layer) for k, v in shape.items()}
    return [_zeros_structure(tuple(s) if isinstance(s, list) and _is_shape(tuple(s)) else s, fill, layer)
            for s in shape]


def _merge_shapes(a, b):
    if _is_shape(a):
        return tuple(x if x == y else None for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _merge_shapes(a[k], b[k]) for k in a}
    return type(a)(_merge_shapes(x, y) for x, y in zip(a, b))


def _check_backend_has(layer, dtype):
    """Refuses a compute dtype the active backend lacks (float16 and bfloat16 are not in
    the array API standard), naming the backends that have it."""
    backend = current()
    try:
        backend.dtype(dtype)
    except TypeError:
        where = ("the numpy and cupy backends" if dtype == "float16" else
                 "the numpy and cupy backends with the `ml_dtypes` package installed")
        raise ValueError(
            f"Layer {layer.name!r}: its dtype policy computes in {dtype}, which the "
            f"{backend.name!r} backend does not have ({dtype} is not in the array API "
            f"standard). {dtype} is available on {where}; use a 'float32' policy here, or "
            "select another backend with KERASX_BACKEND."
        ) from None


def _refuse_python_values(values):
    """Keras's error for a Python number or string among a call's positional arguments
    (lists and tuples of them included; None is allowed)."""
    if isinstance(values, (list, tuple)):
        for value in values:
            _refuse_python_values(value)
    elif isinstance(values, (bool, int, float, complex, str, bytes)):
        raise ValueError(
            "Only input tensors may be passed as positional arguments. The following "
            f"argument value should be passed as a keyword argument: {values} (of type "
            f"{type(values)}). Pass tensors or NumPy arrays positionally (e.g. "
            "np.array([1, 2])), or the value by keyword.")


def _cast_floats(inputs, dtype):
    """`inputs` as Tensors, float ones cast to `dtype` (recorded: gradients flow back in
    the input's own dtype), as Keras's layers convert their inputs."""
    from kerasx import ops

    if isinstance(inputs, (list, tuple)):
        return sequence_like(inputs, [_cast_floats(x, dtype) for x in inputs])
    if isinstance(inputs, dict):
        return {k: _cast_floats(v, dtype) for k, v in inputs.items()}
    if inputs is None or isinstance(inputs, (bool, int, str)) or host.is_string_array(inputs):
        return inputs
    backend = current()
    if not isinstance(inputs, TensorOps):
        inputs = Tensor(to_dense(inputs, backend) if is_sparse(inputs)
                        else backend.asarray(inputs))
    value = inputs.value
    if backend.isdtype(value.dtype, "real floating") and dtype_name(value.dtype) != dtype:
        mask = getattr(inputs, "_keras_mask", None)
        inputs = ops.cast(inputs, dtype)
        inputs._keras_mask = mask
    return inputs


@functools.cache
def _graph_models():
    from kerasx.models.functional import Functional
    from kerasx.models.sequential import Sequential

    return Functional, Sequential


@functools.cache
def _outputs_in_compute_dtype(cls):
    """Whether `cls`'s outputs are cast to its half-precision compute dtype: those of
    kerasx's own layers (not graph models, whose layers cast their own, nor Lambda)."""
    module = getattr(cls.call, "__module__", None) or ""
    return (module.startswith("kerasx.") and module != "kerasx.layers.core.lambda_layer"
            and not issubclass(cls, _graph_models()))


def _widen_half_floats(inputs, dtype):
    """`inputs` with float16 / bfloat16 arrays cast to the float `dtype` of a layer
    that does not take the policy path; anything else unchanged."""
    if not dtype.startswith("float") or dtype == "float16":
        return inputs
    if isinstance(inputs, dict):
        return {k: _widen_half_floats(v, dtype) for k, v in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        return sequence_like(inputs, [_widen_half_floats(x, dtype) for x in inputs])
    return _cast_floats(inputs, dtype) if _is_half(inputs) else inputs


def _is_half(x):
    dtype = getattr(getattr(x, "value", x), "dtype", None)
    return dtype is not None and dtype_name(dtype) in ("float16", "bfloat16")


def _is_graph_model(layer):
    return isinstance(layer, _graph_models())


@functools.cache
def _symbolic():
    # imported on first use (input_layer imports this module); cached because every
    # layer call needs them
    from kerasx.layers.core.input_layer import KerasTensor, symbolic_call

    return KerasTensor, symbolic_call
