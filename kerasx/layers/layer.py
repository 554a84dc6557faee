"""`Layer`: the base class of every layer and model."""

import functools
import inspect
import warnings

from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.autodiff.variable import TRAINABLE_CHANGES, Variable
from kerasx.backends import current, host
from kerasx.backends.sparse import is_sparse, to_dense
from kerasx.layers._build_shapes import (_is_shape_list, _merge_shapes, _shape_structure,
                                         _zeros_structure, argument_shapes, build_on,
                                         builds_by_tracing, name_traced_outputs)
from kerasx.layers._call_arguments import (_TRAINING, _any_mask, _attach_output_masks,
                                           _call_signature, _contains, _fill_named_masks,
                                           _first_by_keyword, _input_masks,
                                           _other_tensor_arguments, _refuse_python_values,
                                           refuse_missing_training, training_default)
from kerasx.layers._dtype_casting import (_FLOATS, _cast_arguments, _cast_floats,
                                          _check_backend_has, _is_graph_model,
                                          _outputs_in_compute_dtype)
from kerasx.layers._layer_scopes import (_SCOPE, _STATE_CHANGING_METHODS, _enter_scope,
                                         _exit_scope, _scoped_build, _stateless_scope,
                                         _unlocking)
from kerasx.layers._layer_weights import LayerWeights
from kerasx.layers.auto_config import init_arguments, with_init_arguments
from kerasx.layers.call_context import with_call_context
from kerasx.layers.variable_tracking import (StateStore, StateTracker, no_tracking,
                                             tracking_enabled)
from kerasx.per_thread import ThreadCounter, ThreadWatchers
from kerasx.utils.naming import to_snake_case, uniquify
from kerasx.tree import sequence_like
from kerasx.utils.shape_args import standardize_shape

# callables told of every layer about to run its call (`kerasx.scopes.remat` follows
# the layers a rematerialized function calls), each of its own thread's calls only;
# empty, it costs one test
_CALL_WATCHERS = ThreadWatchers()
# above 0 while a layer's declared output shape is asked for as a shortcut past a probe
# run (`kerasx.layers.core._shape_probes`): the default then refuses to run the layer
DECLARED_ONLY = ThreadCounter()
# counts the attributes set or deleted on any layer: a model's replayed eager calls
# (`kerasx.models.eager_replay`) are recorded again when it moves
LAYER_CHANGES = [0]
# a model's bookkeeping of `fit` / `evaluate` / `predict` runs and their step functions,
# which no call reads: set at every run, it would otherwise have the eager calls recorded
# again after each
_RUN_BOOKKEEPING = frozenset({
    "stop_training", "stop_evaluating", "stop_predicting", "history", "_initial_epoch",
    "_last_step_result", "_last_output_shape", "_later_labels_check", "train_function",
    "test_function", "predict_function", "_compiled_train_step", "_compiled_test_step",
    "_compiled_predict_step"})


class Layer(LayerWeights):
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
    # whether float tensors among the call's other arguments are cast to the compute
    # dtype with the inputs (layers reading host values, whose inputs are not, say no)
    _casts_call_arguments = True

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
        if name not in _RUN_BOOKKEEPING:
            LAYER_CHANGES[0] += 1
        if not name.startswith("__"):
            tracker = self.__dict__.get("_tracker")
            if tracker is None:
                self._init_tracking()
                tracker = self.__dict__["_tracker"]
            if tracking_enabled():
                value = tracker.track(value)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        LAYER_CHANGES[0] += 1
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
        except ValueError as refusal:
            if not isinstance(dtype, str) or not _is_dtype_name(dtype):
                raise refusal from None  # neither a policy nor a dtype: Keras's ValueError
            policy = None  # a dtype name policies do not know: kept as the one dtype
        resolved = policy[self.name] if isinstance(policy, DTypePolicyMap) else policy
        compute = variable = dtype
        if resolved is not None:
            compute, variable = resolved.compute_dtype, resolved.variable_dtype
        self._dtype_policy = policy
        self.dtype = variable
        self._compute_dtype = compute
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

    def _has_seed_generators(self):
        return bool(self._seed_generators) or any(
            layer._has_seed_generators() for layer in self._tracked_layers
            if isinstance(layer, Layer))

    # -- losses -------------------------------------------------------------------------
    @property
    def losses(self):
        """The losses of the last call (`add_loss`, activity penalties) of the layer
        and its sublayers, then the weight regularizers' penalties of the trainable
        weights (as Keras, a frozen layer's penalty is not trained). Inside a
        `StatelessScope`, the call's losses are those the scope collected."""
        scope = _stateless_scope()
        out = []
        for layer in [self] + self._layers_in_loss_order():
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
        inputs = self._convert_inputs(inputs)
        if (args or kwargs) and self.autocast and self._casts_call_arguments \
                and not _is_graph_model(self):
            args, kwargs = _cast_arguments(args, kwargs, self._compute_dtype)
        if getattr(self, "input_spec", None) is not None:
            from kerasx.layers.core.input_spec import assert_input_compatibility

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
            if (args or kwargs) and self._casts_call_arguments:
                args, kwargs = _cast_arguments(args, kwargs, self._compute_dtype)
        else:
            inputs = self._convert_inputs(inputs)
        if getattr(self, "input_spec", None) is not None:
            from kerasx.layers.core.input_spec import assert_input_compatibility

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
            _CALL_WATCHERS.tell(self)
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
        if accepts_training and "training" not in kwargs:
            refuse_missing_training(self, kwargs)
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
        backend = current()
        if backend.is_native(inputs) and not host.is_string_array(inputs):
            # an array of the backend, the common eager input: what the steps below
            # give it (the float cast alone), without their type checks
            dtype = inputs.dtype
            if self.autocast and dtype != backend.dtype(self.dtype) \
                    and backend.isdtype(dtype, "real floating"):
                inputs = backend.xp.astype(inputs, backend.dtype(self.dtype))
            return Tensor(inputs)
        if isinstance(inputs, (list, tuple)):
            kind = type(inputs)
            if kind is list or kind is tuple:
                return kind(self._convert_inputs(x) for x in inputs)
            return sequence_like(inputs, [self._convert_inputs(x) for x in inputs])
        if isinstance(inputs, dict):
            return {k: self._convert_inputs(v) for k, v in inputs.items()}
        if isinstance(inputs, TensorOps):
            # as Keras, an autocast layer reads float tensors in its compute dtype (a graph
            # model leaves that to its layers); one dtype comparison when they agree
            dtype = inputs.dtype
            if dtype != self._compute_dtype and dtype in _FLOATS and self.autocast \
                    and not _is_graph_model(self):
                return _cast_floats(inputs, self._compute_dtype)
            return inputs
        if inputs is None or host.is_string_array(inputs):
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
        from kerasx.layers.core._symbolic_call import output_spec

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

        if DECLARED_ONLY[0]:
            raise NotImplementedError(f"{type(self).__name__} declares no output shape")

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
        """The policy's config as Keras 3 writes it (`{"module": "keras", "class_name":
        "DTypePolicy", "config": {"name": "float32"}, ...}`, a quantized policy's or a
        policy map's), or the dtype name where no policy describes the dtype."""
        if self._dtype_policy is None:
            return self.dtype
        from kerasx.dtype_policies import serialize

        return serialize(self._dtype_policy)

    @classmethod
    def from_config(cls, config):
        if isinstance(config.get("dtype"), dict):
            from kerasx.dtype_policies import layer_dtype_argument

            config = {**config, "dtype": layer_dtype_argument(config["dtype"])}
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
        from kerasx.layers.core._call_node import layer_tensor

        return layer_tensor(self, "input")

    @property
    def output(self):
        """The symbolic output of the layer's only call on KerasTensors."""
        from kerasx.layers.core._call_node import layer_tensor

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




@functools.cache
def _symbolic():
    # imported on first use (the symbolic call imports this module); cached because
    # every layer call needs them
    from kerasx.layers.core._symbolic_call import symbolic_call
    from kerasx.layers.core.keras_tensor import KerasTensor

    return KerasTensor, symbolic_call


def _is_dtype_name(name):
    """Whether `name` names a dtype ("int32", "string"), as a layer's `dtype` may."""
    from kerasx.backend import standardize_dtype

    try:
        standardize_dtype(name)
    except (TypeError, ValueError):
        return False
    return True
