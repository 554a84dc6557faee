"""`Trainer`: compile, fit, evaluate and predict; one implementation for every backend.

Separation of concerns:

- data_adapter.ArrayBatches / generator_batches.GeneratorBatches: x, y,
  sample_weight, class_weight (generators), shuffle, batch_size,
  steps_per_epoch; batches go to the device as they are drawn.
- checks: argument and data validation before anything runs.
- data_preparation.DataPreparation: standardizing and checking what the entry
  points receive, once, before any step runs.
- step_loop.StepLoop: one epoch of steps, callbacks every steps_per_execution
  steps, host transfer of metric results.
- Trainer (here): compile, fit/evaluate/predict and the *_on_batch methods,
  validation (split, data, freq, steps, batch size), callbacks, initial_epoch.
"""

import contextlib
import inspect
import warnings

from kerasx import ops, tree
from kerasx.autodiff.tape import GradientTape
from kerasx.autodiff.tensor import TensorOps
from kerasx.backends import current
from kerasx.layers.variable_tracking import without_tracking
from kerasx.callbacks.callback_list import CallbackList, check_callbacks
from kerasx.metrics.reduction_metrics import Mean
from kerasx.models.batch_norm_folding import kept_folded_weights
from kerasx.trainers import checks
from kerasx.trainers.compile_loss import CompileLoss
from kerasx.trainers.compile_metrics import CompileMetrics
from kerasx.trainers.compile_outputs import nests_containers
from kerasx.trainers.compiled_shims import CompiledShims
from kerasx.trainers.data_adapter import (ArrayBatches, flatten, rows_explained,
                                          split_validation, standardize, to_device)
from kerasx.trainers.data_preparation import DataPreparation, overrides_compute_loss
from kerasx.trainers.generator_batches import GeneratorBatches, is_stream
from kerasx.trainers.step_limits import capped_epochs
from kerasx.trainers.step_loop import MetricResults, StepLoop, with_validation_logs
from kerasx.utils.per_class_cache import remember

# id(model class) -> whether its `compute_loss` takes a `training` argument
# (`kerasx.utils.per_class_cache`: the class is not kept alive)
_TAKES_TRAINING = {}


class NotCompiledError(ValueError, RuntimeError):
    """Raised by `fit`, `evaluate` and the `*_on_batch` methods before `compile()`."""


class Trainer(DataPreparation, StepLoop, CompiledShims):
    """The training API mixed into `Model`."""

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.stop_evaluating = False
        self.stop_predicting = False
        self.history = None
        self._set_untracked("_compile_loss", None)
        self._set_untracked("_compile_metrics", None)
        self._set_untracked("_loss_tracker", None)
        self._initial_epoch = None
        self._checked_batches = {}
        self.steps_per_execution = 1
        self.run_eagerly = False
        self.jit_compile = "auto"
        self.auto_scale_loss = True
        self.train_function = self.test_function = self.predict_function = None

    # -- compile -------------------------------------------------------------------------
    @without_tracking
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1, jit_compile="auto",
                auto_scale_loss=True):
        """Configures the model for training.

        Args:
            optimizer: name (`"adam"`) or `Optimizer` instance.
            loss: name, function, `Loss` instance, or a list/dict of them (one per output).
            loss_weights: scalars weighting each output's loss.
            metrics: names, functions or `Metric`s (lists or per-output dicts).
            weighted_metrics: metrics that take `sample_weight` / `class_weight` into account.
            run_eagerly: `True` runs every step eagerly, through the layers, tape,
                losses and metric objects (no recorded replay, whatever `jit_compile`
                says): for debugging, as in Keras.
            steps_per_execution: the number of batches run between two host
                synchronisations. Metrics come back to the host, and batch-level
                callbacks and the progress bar run, once every `steps_per_execution`
                batches, so an asynchronous device (CuPy) can queue that many steps
                of work without waiting. Epoch-level callbacks are unaffected.
            jit_compile: `"auto"` (the default) and `True` record the array work of a
                training, evaluation or prediction step once per batch shape and replay
                it afterwards, without the layers, tape, losses and metric objects
                (`kerasx.trainers.compiled_step`; NumPy backend, custom `train_step`,
                `test_step` and `predict_step` too; elsewhere steps run eagerly). A
                recording is used only after one replay reproduced the eager step bit for
                bit; a step that cannot be replayed runs eagerly, with a warning under
                `True` and silently under `"auto"`. As with a compiled Keras step, Python side
                effects in `call()` (prints, counters) happen only while a step is
                recorded, and changes to `trainable`, to Python attributes of layers
                (keep values that change during training in Variables) or to
                `kerasx.config` settings such as layer fusion take effect at the next
                `compile()`. `False` runs eagerly.
            auto_scale_loss: when the model's dtype policy is `"mixed_float16"`, wrap
                the optimizer in a `LossScaleOptimizer` (dynamic loss scaling), as Keras.
        """
        from kerasx import optimizers

        if not isinstance(steps_per_execution, int) or isinstance(steps_per_execution, bool) \
                or steps_per_execution < 1:
            raise ValueError(
                f"steps_per_execution must be a positive integer (the number of batches between "
                f"host synchronisations), received steps_per_execution={steps_per_execution!r}."
            )
        if jit_compile not in ("auto", True, False):
            raise ValueError(
                f"jit_compile must be 'auto', True or False, received {jit_compile!r}."
            )
        if not isinstance(run_eagerly, bool):
            raise ValueError(f"run_eagerly must be True or False, received {run_eagerly!r}.")
        if run_eagerly and jit_compile is True:
            warnings.warn("run_eagerly=True and jit_compile=True: steps cannot be both; "
                          "disabling jit_compile.", stacklevel=2)
            jit_compile = False
        self.optimizer = optimizers.get(optimizer)
        # Keras saves the optimizer compile() received, not the loss scaling around it
        self._loss_scale_added = bool(
            auto_scale_loss and self.optimizer is not None
            and getattr(self, "dtype_policy", None) is not None
            and self.dtype_policy.name == "mixed_float16"
            and not isinstance(self.optimizer, optimizers.LossScaleOptimizer))
        if self._loss_scale_added:
            self.optimizer = optimizers.LossScaleOptimizer(self.optimizer,
                                                           name="loss_scale_optimizer")
        self.loss = loss
        names = self._output_names()
        # a functional model's output structure and output layers' names, which name the
        # logs of nested outputs and check structured losses at compile time, as Keras
        structure = getattr(self, "_outputs_struct", None)
        layer_names = getattr(self, "output_names", None) if structure is not None else None
        # set untracked: `metrics` lists these itself, in Keras's order
        self._set_untracked("_compile_loss", CompileLoss(
            loss, loss_weights, names, outputs_known=not overrides_compute_loss(self),
            output_structure=structure, layer_names=layer_names)
            if loss is not None else None)
        _check_metric_names(metrics, "metrics")
        _check_metric_names(weighted_metrics, "weighted_metrics")
        self._set_untracked("_compile_metrics", CompileMetrics(
            metrics, weighted_metrics, names,
            losses=self._compile_loss.losses if self._compile_loss else None,
            # nested outputs: Keras prefixes metric names with the output layers' names
            prefixes=layer_names if nests_containers(structure) else None))
        self._set_untracked("_loss_tracker", Mean(name="loss"))
        self.steps_per_execution = steps_per_execution
        self.run_eagerly = run_eagerly
        self.jit_compile = jit_compile
        self._compiled_train_step = self._compiled_test_step = None
        self._compiled_predict_step = None
        self.train_function = self.test_function = self.predict_function = None
        self.auto_scale_loss = bool(auto_scale_loss)
        self._checked_batches = {}
        self._compile_args = {
            "optimizer": self.optimizer, "loss": loss, "loss_weights": loss_weights,
            "metrics": metrics, "weighted_metrics": weighted_metrics, "run_eagerly": run_eagerly,
            "steps_per_execution": steps_per_execution, "jit_compile": jit_compile,
        }
        self.compiled = True
        self.stop_training = False

    def _output_names(self):
        return ["output"]

    def _require_compiled(self, what):
        if not getattr(self, "compiled", False):
            raise NotCompiledError(
                f"You must call compile() before {what}(): the model does not know its loss and "
                "optimizer yet. Example: model.compile(optimizer='adam', "
                "loss='sparse_categorical_crossentropy', metrics=['accuracy'])."
            )

    def get_compile_config(self):
        """The arguments `compile` received, serialized as Keras 3 saves them (`{}` if not
        compiled, as Keras)."""
        if not getattr(self, "compiled", False):
            return {}
        from kerasx.saving.serialization import serialize_keras_object

        args = self._compile_args
        config = {k: serialize_keras_object(args[k]) for k in
                  ("optimizer", "loss", "loss_weights", "metrics", "weighted_metrics")}
        if getattr(self, "_loss_scale_added", False):
            config["optimizer"] = serialize_keras_object(args["optimizer"].inner_optimizer)
        config.update(run_eagerly=bool(args["run_eagerly"]),
                      steps_per_execution=int(args["steps_per_execution"]),
                      jit_compile=args["jit_compile"] is not False)
        return config

    def compile_from_config(self, config):
        """Compiles with the arguments saved by `get_compile_config`."""
        from kerasx import optimizers
        from kerasx.saving.serialization import deserialize_keras_object

        def restore(value):
            if isinstance(value, dict) and "class_name" in value:
                return deserialize_keras_object(value)
            if isinstance(value, dict):
                return {k: restore(v) for k, v in value.items()}
            if isinstance(value, list):
                return [restore(v) for v in value]
            return value

        optimizer = config.get("optimizer", "rmsprop")
        self.compile(optimizer=optimizers.get(restore(optimizer)),
                     **{k: restore(config.get(k)) for k in
                        ("loss", "loss_weights", "metrics", "weighted_metrics")},
                     run_eagerly=bool(config.get("run_eagerly", False)),
                     steps_per_execution=int(config.get("steps_per_execution") or 1))
        if self.built and self.optimizer is not None:
            # as Keras: the optimizer's variables exist once a built model is compiled from
            # its config, so a loaded file's optimizer state can be checked against them
            self.optimizer.build(self.trainable_variables)

    @property
    def metrics(self):
        """The model's metrics: the loss tracker, the compiled metrics, then per-output losses."""
        out = []
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        compiled = self._compile_metrics
        if compiled is not None:
            if hasattr(compiled, "result") and hasattr(compiled, "name"):
                if getattr(compiled, "has_metrics", True):  # Keras lists only "loss" otherwise
                    out.append(compiled)
            else:
                out.extend(entry[-1] if isinstance(entry, tuple) else entry
                           for entry in compiled.metrics or [])
        if self._compile_loss is not None:
            out.extend(getattr(self._compile_loss, "trackers", None) or [])
        # metrics held as attributes of the model and of its layers (not of nested models)
        held = list(self.__dict__.get("_tracked_metrics", ()))
        for layer in self._tracked_layers:
            if not isinstance(layer, Trainer):
                held.extend(layer.metrics)
        out.extend(m for m in dict.fromkeys(held) if m not in out)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

    def get_state_tree(self, value_format="backend_tensor"):
        """The model's variables as nested dicts by path, in four sections (trainable,
        non-trainable, optimizer and metrics variables): `kerasx.models.state_tree`."""
        from kerasx.models.state_tree import get_state_tree

        return get_state_tree(self, value_format)

    def set_state_tree(self, state_tree):
        """Assigns a tree `get_state_tree` returned (or part of one) to the variables."""
        from kerasx.models.state_tree import set_state_tree

        set_state_tree(self, state_tree)

    # -- steps ---------------------------------------------------------------------------
    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """The compiled loss plus every regularization penalty in `model.losses`."""
        total = None
        if self._compile_loss is not None and y is not None:
            total = self._compile_loss(y, y_pred, sample_weight)
        for penalty in self.losses:
            total = penalty if total is None else ops.add(total, penalty)
        if total is None:
            raise ValueError(
                "No loss to compute: compile() was given no loss and the model added none. "
                "Pass loss=... to compile(), and y to fit()."
            )
        return total

    def _compute_loss(self, x, y, y_pred, sample_weight, training):
        """`compute_loss`, passed `training` only when its signature names it, as Keras
        does for overrides written before Keras 3.3 added the argument."""
        method = self.compute_loss
        takes = _TAKES_TRAINING.get(id(type(self))) if "compute_loss" not in vars(self) else None
        if takes is None:
            takes = "training" in inspect.signature(method).parameters
            if "compute_loss" not in vars(self):
                remember(_TAKES_TRAINING, type(self), takes)
        if takes:
            return method(x, y, y_pred, sample_weight, training=training)
        return method(x, y, y_pred, sample_weight)

    def stateless_compute_loss(self, trainable_variables, non_trainable_variables,
                               metrics_variables, x=None, y=None, y_pred=None,
                               sample_weight=None, training=True):
        """`compute_loss` with the model's variables reading the given values (the
        weight penalties too), changing none of them.

        Args:
            trainable_variables, non_trainable_variables, metrics_variables: one
                value per variable of `model.trainable_variables`,
                `model.non_trainable_variables` and `model.metrics_variables`.
            x, y, y_pred, sample_weight, training: as in `compute_loss`.

        Returns:
            `(loss, (trainable_variables, non_trainable_variables,
            metrics_variables))`: the given trainable values, and the others as
            the computation left them (the compiled loss updates its per-output
            trackers). A `GradientTape` watching the model's variables around the
            call gives the gradient of the loss at the given values.
        """
        from kerasx.scopes.stateless import StatelessScope
        from kerasx.scopes.stateless_methods import _check_count

        groups = [(trainable_variables, self.trainable_variables, "trainable_variables"),
                  (non_trainable_variables, self.non_trainable_variables,
                   "non_trainable_variables"),
                  (metrics_variables, self.metrics_variables, "metrics_variables")]
        mapping = []
        for given, variables, argument in groups:
            _check_count(given, variables, argument, f"{type(self).__name__}().{argument}")
            mapping.extend(zip(variables, given))
        with StatelessScope(mapping) as scope:
            loss = self._compute_loss(x, y, y_pred, sample_weight, training=training)
        return loss, (trainable_variables,
                      [scope.get_current_value(v) for v in groups[1][1]],
                      [scope.get_current_value(v) for v in groups[2][1]])

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        """Updates the compiled metrics; returns their results as a mapping that is
        computed only when read (most steps nobody reads it, so no work is done)."""
        if self._compile_metrics is not None and y is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return MetricResults(self.get_metrics_result)

    def get_metrics_result(self):
        """Each metric's current result as a Tensor (no host transfer yet)."""
        out = {}
        for metric in self.metrics:
            result = metric.result()
            if isinstance(result, dict):
                out.update(result)
            else:
                out[metric.name] = result
        return out

    def _replays_steps(self):
        """Whether `fit`, `evaluate` and `predict` replay recorded steps (`jit_compile`):
        not when a layer has `supports_jit = False` (as Keras, which warns under
        `jit_compile=True` and proceeds without)."""
        if self.jit_compile is False or self.run_eagerly:
            return False
        if not all(layer.supports_jit for layer in [self] + self._flatten_layers()):
            if self.jit_compile is True:
                warnings.warn("Model doesn't support `jit_compile=True`. Proceeding with "
                              "`jit_compile=False`.", stacklevel=4)
            return False
        return True

    def _replayed(self, mode, step):
        """`step`, or a new recorded replay of it (`compile(jit_compile=...)`)."""
        if not self._replays_steps():
            setattr(self, f"_compiled_{mode}_step", None)
            return step
        from kerasx.trainers.compiled_step import CompiledStep

        compiled = CompiledStep(self, mode, warn=self.jit_compile is True)
        setattr(self, f"_compiled_{mode}_step", compiled)
        return compiled

    def _recheck_replays(self, mode):
        """Lets the recorded replays of `mode` be checked against the eager step again
        now and then (`CompiledStep.recheck`: once per epoch, evaluation or prediction)."""
        compiled = getattr(self, f"_compiled_{mode}_step", None)
        if compiled is not None:
            compiled.recheck()

    def make_train_function(self, force=False):
        """Builds `model.train_function` and returns None, or returns the one built
        before (as Keras: read `model.train_function` after building it).

        `train_function(data)` runs `train_step` on each of the next
        `steps_per_execution` batches of `data` (a list of batches, or an
        iterator shared between calls) and returns the logs of the last step
        (it raises `StopIteration` when `data` holds no batch). `fit` and
        `train_on_batch` call `model.train_function`, so a callable assigned to it
        replaces the step. It is kept until `compile()`; `force=True` builds it
        again (a recorded step, `jit_compile`, is then recorded again), e.g. after
        changing `steps_per_execution`, `run_eagerly` or `jit_compile`.
        """
        from kerasx.trainers.step_loop import steps_function

        if self.train_function is not None and not force:
            return self.train_function
        if getattr(self.optimizer, "replays_steps", True):
            step = self._replayed("train", self.train_step)
        else:  # the optimizer keeps state a replay would freeze
            self._compiled_train_step = None
            step = self.train_step
        self.train_function = steps_function(step, self.steps_per_execution)

    def make_test_function(self, force=False):
        """Builds `model.test_function` (as `make_train_function`, with `test_step`),
        which `evaluate`, the validation of `fit` and `test_on_batch` call."""
        from kerasx.trainers.step_loop import steps_function

        if self.test_function is not None and not force:
            return self.test_function
        self.test_function = steps_function(self._replayed("test", self.test_step),
                                            self.steps_per_execution)

    def make_predict_function(self, force=False):
        """Builds `model.predict_function` (as `make_train_function`, with
        `predict_step`), which `predict` and `predict_on_batch` call; it returns the
        outputs of the steps it ran, joined along the batch axis."""
        from kerasx.trainers.step_loop import predict_steps_function

        if self.predict_function is not None and not force:
            return self.predict_function
        self.predict_function = predict_steps_function(
            self._replayed("predict", self.predict_step), self.steps_per_execution)

    def train_step(self, data):
        """One optimization step on a batch `(x, y, sample_weight)`; returns the metric results."""
        x, y, sample_weight = _unpack(data)
        with GradientTape() as tape:
            y_pred = self(x, **_training_argument(self, True))
            loss = self._compute_loss(x, y, y_pred, sample_weight, training=True)
            # the optimizer divides the gradients by its loss_scale_factor again
            scale = getattr(self.optimizer, "scale_loss", None)
            scaled = scale(loss) if scale is not None else loss
        variables = self.trainable_weights
        grads = tape.gradient(scaled, variables)
        self._update_weights(grads, variables)
        self._loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def _build_optimizer(self):
        """Creates the optimizer's variables for the trainable weights once the model's
        weights all exist, as Keras does when fit / evaluate / *_on_batch first run: the
        summary and saved files then count them even when a custom step never uses this
        optimizer (a GAN's own optimizers) or no step has run yet (evaluate)."""
        optimizer = self.optimizer
        if optimizer is None or getattr(optimizer, "built", True):
            return
        own_build = not type(self).build.__module__.startswith("kerasx.")
        if (own_build and not self.built) or not all(
                layer.built for layer in self._flatten_layers()):
            return  # weights still to come: building now would leave them out
        optimizer.build(self.trainable_weights)

    def _update_weights(self, grads, variables):
        """The optimizer's step in `train_step` (a recorded step runs it as a Python call)."""
        self.optimizer.apply(grads, variables)

    def test_step(self, data):
        x, y, sample_weight = _unpack(data)
        y_pred = self(x, **_training_argument(self, False))
        loss = self._compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = _unpack(data)
        return self(x, **_training_argument(self, False))

    # -- fit -----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Trains the model for `epochs` epochs and returns a `History`.

        Args:
            x: input data: a NumPy array (or backend array, or nested list of
                numbers), a list/tuple/dict of arrays for a model with several
                inputs, a Python generator yielding `(x, y)` or
                `(x, y, sample_weight)` batches, or a `kerasx.utils.PyDataset`.
            y: target data like `x` (arrays only; a generator yields its own targets).
            batch_size: samples per gradient step for array data (default 32, or
                `ceil(samples / steps_per_epoch)` when `steps_per_epoch` is given).
            epochs: train until epoch index `epochs` (the last epoch is `epochs - 1`).
            verbose: `"auto"` (= 1), 0 (silent), 1 (progress bar), 2 (one line per epoch).
            callbacks: a list of `kerasx.callbacks.Callback` instances.
            validation_split: fraction of the array data held out for validation,
                taken from the last samples before shuffling.
            validation_data: `(x_val, y_val)`, `(x_val, y_val, sample_weight_val)`,
                a generator or a `PyDataset`; evaluated at the end of epochs.
            shuffle: reshuffle the array samples before every epoch (`True`), keep
                their order (`False`), or shuffle within batch-sized chunks only
                (`"batch"`). For a `PyDataset`, shuffles the order of its batches.
            class_weight: `{class_id: weight}` weighting the loss of each sample by
                its class (becomes a per-sample `sample_weight`).
            sample_weight: per-sample loss weights for array data, shape `(samples,)`.
            initial_epoch: the epoch to start at (to resume a previous run).
            steps_per_epoch: batches per epoch; the next epoch continues where the
                previous stopped. Required for infinite generators.
            validation_steps: validation batches per evaluation.
            validation_batch_size: batch size for array validation data (default `batch_size`).
            validation_freq: validate every `validation_freq` epochs, or after the
                (1-based) epochs in a list.

        Returns:
            A `History` whose `history` dict maps `loss`, metrics and `val_*` keys
            to one value per epoch.
        """
        self._require_compiled("fit")
        verbose_param, verbose = verbose, checks.check_verbose(verbose)
        stream = is_stream(x)
        (batch_size, epochs, initial_epoch, steps_per_epoch, validation_steps,
         validation_batch_size, validation_freq) = checks.plain_ints(
            batch_size, epochs, initial_epoch, steps_per_epoch, validation_steps,
            validation_batch_size, validation_freq)
        checks.check_fit_arguments(batch_size, epochs, validation_split, not stream, initial_epoch,
                                   validation_freq, shuffle, steps_per_epoch, validation_steps,
                                   validation_batch_size)
        user_callbacks = _user_callbacks(callbacks)
        epochs = capped_epochs(epochs)
        if class_weight is not None and sample_weight is not None:
            raise ValueError(
                "You cannot use class_weight and sample_weight at the same time. Fold the class "
                "weights into the sample weights: sample_weight * class_weight_table[y]."
            )
        if stream:
            self._no_arrays_with_stream(x, y, sample_weight, "fit")
            train = GeneratorBatches(x, steps_per_epoch, shuffle=shuffle, class_weight=class_weight,
                                     check=self._stream_checker("fit"))
        else:
            x, y, sample_weight = self._prepare_arrays(
                x, y, sample_weight, "fit",
                batching=(batch_size, steps_per_epoch,
                          validation_split if validation_data is None else 0))
            if validation_split and validation_data is None:
                (x, y, sample_weight), validation_data = split_validation(
                    x, y, sample_weight, validation_split)
            if class_weight is not None:
                sample_weight = self._apply_class_weight(class_weight, y)
            train = ArrayBatches(x, y, sample_weight, batch_size, shuffle, steps_per_epoch)
        val = None
        try:
            if validation_data is not None:
                val = self._validation_batches(validation_data, validation_batch_size or batch_size,
                                               validation_steps)
            if isinstance(user_callbacks, CallbackList):
                cbs = user_callbacks
                cbs.set_model(self)
            else:
                cbs = CallbackList(user_callbacks, add_history=True, add_progbar=verbose != 0,
                                   model=self)
            cbs.set_params({"verbose": verbose_param, "epochs": epochs, "steps": train.steps})
            self.stop_training = False
            self._initial_epoch = None
            logs = {}
            self.make_train_function()
            self._build_optimizer()
            cbs.on_train_begin()
            start = self._initial_epoch or initial_epoch
            for epoch in range(start, epochs):
                self.reset_metrics()
                cbs.on_epoch_begin(epoch)
                self._recheck_replays("train")
                done = self._run_steps(train, self.train_function, cbs, "train")
                if done == 0:
                    raise ValueError(
                        f"The training data produced no batches in epoch {epoch + 1}. A Python "
                        "generator is used up after one pass: make it loop forever (while True: "
                        "... yield) and pass steps_per_epoch, or use a kerasx.utils.PyDataset. "
                        "For arrays, check that x is not empty."
                    )
                results = self._epoch_results()
                logs = self._host_logs(results)
                if val is not None and _should_eval(epoch, validation_freq):
                    val_logs = self._run_evaluation(val, cbs, in_fit=True,
                                                    keep_folds=not user_callbacks)
                    logs = with_validation_logs(results, logs, val_logs)
                cbs.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
            finalize = getattr(self.optimizer, "finalize_variable_values", None)
            if finalize is not None and epochs > start:
                finalize(self.trainable_weights)  # e.g. swaps in the EMA weights (use_ema=True)
            self._build_optimizer()
            cbs.on_train_end(logs)
        finally:
            self._initial_epoch = None
            train.close()
            if val is not None:
                val.close()
        history = cbs.history
        if history is not None:
            self.history = history
        return history


    # -- evaluate ------------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """Returns the loss and metrics of the model on the data.

        Args:
            x, y, sample_weight: as in `fit` (a generator or `PyDataset` yields its own y).
            batch_size: samples per batch for array data (default 32).
            verbose: `"auto"` (= 1), 0 or 1 (progress bar), 2 (one line).
            steps: number of batches to evaluate (default: all).
            callbacks: callbacks receiving the `on_test_*` hooks.
            return_dict: return `{name: value}` instead of a list.

        Returns:
            The loss alone when there are no metrics, else `[loss, metric, ...]`
            (in `metrics_names` order), or a dict with `return_dict=True`.
        """
        self._require_compiled("evaluate")
        verbose_param, verbose = verbose, checks.check_verbose(verbose)
        batch_size, steps = checks.plain_ints(batch_size, steps)
        checks.check_positive_int("batch_size", batch_size)
        checks.check_positive_int("steps", steps)
        user_callbacks = _user_callbacks(callbacks)
        if is_stream(x):
            self._no_arrays_with_stream(x, y, sample_weight, "evaluate")
            batches = GeneratorBatches(x, steps, check=self._stream_checker("evaluate"))
        else:
            x, y, sample_weight = self._prepare_arrays(x, y, sample_weight, "evaluate",
                                                       batching=(batch_size, steps, 0))
            batches = ArrayBatches(x, y, sample_weight, batch_size, False, steps)
        try:
            cbs = user_callbacks if isinstance(user_callbacks, CallbackList) else CallbackList(
                user_callbacks, add_progbar=verbose != 0, model=self)
            cbs.set_params({"verbose": verbose_param, "epochs": 1, "steps": batches.steps})
            logs = self._run_evaluation(batches, cbs, keep_folds=not user_callbacks)
        finally:
            batches.close()
        if return_dict:
            return logs
        return self._flatten_metrics_in_order(logs)

    def _run_evaluation(self, batches, cbs, in_fit=False, keep_folds=False):
        self.reset_metrics()
        self.stop_evaluating = False
        cbs.on_test_begin()
        # with no user callback, only an overridden step could change the weights
        keep = keep_folds and type(self).test_step is Trainer.test_step
        self.make_test_function()
        self._recheck_replays("test")
        if hasattr(batches, "restart"):
            # every evaluation (validation_steps in fit too) starts at the first batch
            batches.restart()
        with kept_folded_weights() if keep else contextlib.nullcontext():
            done = self._run_steps(batches, self.test_function, cbs, "test", in_fit=in_fit)
        if done == 0:
            what = ("The validation data (validation_data) produced no batches. A finite "
                    "generator given as validation_data runs out after the first evaluation"
                    if in_fit else "The evaluation data produced no batches")
            raise ValueError(
                f"{what}. A Python generator is used up after one pass: pass steps / "
                "validation_steps with a generator that loops forever, or use a "
                "kerasx.utils.PyDataset."
            )
        logs = self._host_logs(self._epoch_results())
        self._build_optimizer()
        cbs.on_test_end(logs)
        return logs

    def _flatten_metrics_in_order(self, logs):
        names = []
        for metric in self.metrics:
            inner = getattr(metric, "metrics", None)
            if isinstance(inner, (list, tuple)) and hasattr(metric, "result"):
                names.extend(getattr(m[-1] if isinstance(m, tuple) else m, "name", None)
                             for m in inner)
            else:
                names.append(metric.name)
        # as Keras, a name two metrics share (each logged once, the second as `acc_1`)
        # repeats the first one's value; the renamed entries follow with the others
        names = [n for n in names if n in logs]
        values = [logs[n] for n in names]
        values += [logs[k] for k in sorted(logs) if k not in names]
        return values[0] if len(values) == 1 else values

    # -- predict -------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Generates predictions for the input samples, batch by batch.

        Args:
            x: arrays (or a list/dict of arrays), a generator or a `PyDataset`
                (targets in its batches are ignored).
            batch_size: samples per batch for array data (default 32).
            verbose: `"auto"` (= 1), 0, 1 or 2.
            steps: number of batches to predict (default: all).
            callbacks: callbacks receiving the `on_predict_*` hooks.

        Returns:
            NumPy arrays: one array, or a list/dict of arrays for a model with
            several outputs.
        """
        verbose_param, verbose = verbose, checks.check_verbose(verbose)
        batch_size, steps = checks.plain_ints(batch_size, steps)
        checks.check_positive_int(
            "batch_size", batch_size,
            hint=" predict() takes no labels: its second argument is batch_size, so pass x only."
            if getattr(batch_size, "shape", None) is not None else "")
        checks.check_positive_int("steps", steps)
        user_callbacks = _user_callbacks(callbacks)
        if is_stream(x):
            batches = GeneratorBatches(x, steps, inputs_only=True,
                                       check=self._stream_checker("predict"))
        else:
            x, _, _ = self._prepare_arrays(x, None, None, "predict", check_finite_values=False)
            batches = ArrayBatches(x, None, None, batch_size, False, steps)
        host_parts = []

        def to_host(outputs):
            # callbacks read the host copy, as Keras's NumPy arrays in `logs`
            host_parts.append(_structure_to_numpy(outputs))
            return host_parts[-1]

        try:
            cbs = user_callbacks if isinstance(user_callbacks, CallbackList) else CallbackList(
                user_callbacks, add_progbar=verbose != 0, model=self)
            cbs.set_params({"verbose": verbose_param, "epochs": 1, "steps": batches.steps})
            self.stop_predicting = False
            cbs.on_predict_begin()
            # nothing but a user callback or an overridden step can change the weights
            # between batches: the folded inference weights are then made once
            keep = not user_callbacks and type(self).predict_step is Trainer.predict_step
            self.make_predict_function()
            self._recheck_replays("predict")
            with kept_folded_weights() if keep else contextlib.nullcontext():
                self._run_steps(batches, self.predict_function, cbs, "predict",
                                on_output=to_host)
            cbs.on_predict_end()
        finally:
            batches.close()
        if not host_parts:
            raise ValueError(
                "predict() received no data: the input produced 0 batches. Pass at least one "
                "sample."
            )
        return _concat_host(host_parts)

    # -- single batches ------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """Runs one optimization step on exactly this batch.

        Metrics are reset first, so the returned values describe this batch alone.
        Every batch is checked as `fit` checks its data (NaN or inf, labels against
        the loss) before the step; the model runs on two of its samples for that only
        when a batch has new shapes.

        Returns:
            The loss, `[loss, metric, ...]`, or a dict with `return_dict=True`.
        """
        self._require_compiled("train_on_batch")
        if class_weight is not None and sample_weight is not None:
            raise ValueError(
                "Arguments sample_weight and class_weight cannot be specified at the same time; "
                "fold the class weights into the sample weights."
            )
        with rows_explained("train_on_batch", x=x, y=y, sample_weight=sample_weight):
            x, y, sample_weight = self._prepare_batch(x, y, sample_weight, "train_on_batch")
            if class_weight is not None:
                sample_weight = self._apply_class_weight(class_weight, y)
            batch = tuple(to_device(p) for p in (x, y, sample_weight))
            self.make_train_function()
            self._recheck_replays("train")
            self.reset_metrics()
            logs = self._host_logs(self.train_function([batch]))
        self._build_optimizer()
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        """Evaluates the model on exactly this batch (metrics reset first), checked as in
        `train_on_batch`."""
        self._require_compiled("test_on_batch")
        with rows_explained("test_on_batch", x=x, y=y, sample_weight=sample_weight):
            x, y, sample_weight = self._prepare_batch(x, y, sample_weight, "test_on_batch")
            batch = tuple(to_device(p) for p in (x, y, sample_weight))
            self.make_test_function()
            self._recheck_replays("test")
            self.reset_metrics()
            logs = self._host_logs(self.test_function([batch]))
        self._build_optimizer()
        return logs if return_dict else self._flatten_metrics_in_order(logs)

    def predict_on_batch(self, x):
        """Predictions for exactly this batch, as NumPy arrays."""
        x = standardize(x, "x")
        self.make_predict_function()
        self._recheck_replays("predict")
        return _structure_to_numpy(self.predict_function([(to_device(x),)]))


def _user_callbacks(callbacks):
    return callbacks if isinstance(callbacks, CallbackList) else check_callbacks(callbacks)


def _check_metric_names(spec, what):
    """Resolves every metric given by name now, so a typo fails in compile()."""
    from kerasx import metrics as metrics_module

    if spec is None:
        return
    if isinstance(spec, dict):
        for value in spec.values():
            _check_metric_names(value, what)
        return
    if isinstance(spec, (list, tuple)):
        for value in spec:
            _check_metric_names(value, what)
        return
    if isinstance(spec, str) and spec not in ("accuracy", "acc", "crossentropy", "ce"):
        try:
            metrics_module.get(spec)
        except ValueError as e:
            raise ValueError(f"compile({what}=...): {e}") from None


def _should_eval(epoch, validation_freq):
    if isinstance(validation_freq, (list, tuple)):
        return epoch + 1 in validation_freq
    return (epoch + 1) % validation_freq == 0


def _training_argument(model, training):
    """`{"training": training}` for a model whose `call` names a `training` parameter,
    else nothing: as Keras's steps, which then leave its layers to their own defaults
    (a subclassed model without it trains with BatchNormalization in inference mode)."""
    from kerasx.layers._call_arguments import _call_parameters

    return {"training": training} if "training" in _call_parameters(type(model)) else {}


def _unpack(data):
    if isinstance(data, tuple):
        if len(data) == 3:
            return data
        if len(data) == 2:
            return data[0], data[1], None
        if len(data) == 1:
            return data[0], None, None
    return data, None, None


def _batch_size(x):
    return flatten(x)[0].shape[0]


def _structure_to_numpy(structure):
    backend = current()
    if isinstance(structure, (list, tuple)):
        return _same_sequence(structure, [_structure_to_numpy(s) for s in structure])
    if isinstance(structure, dict):
        # predictions come back as Keras's flatten-and-pack leaves them: keys sorted
        try:
            keys = sorted(structure)
        except TypeError:
            keys = list(structure)
        return {k: _structure_to_numpy(structure[k]) for k in keys}
    value = structure.value if isinstance(structure, TensorOps) else structure
    return backend.to_numpy(value)


def _same_sequence(like, values):
    """`values` as a list, or as a tuple of `like`'s type (namedtuples kept, as Keras)."""
    return tree.sequence_like(like, values) if isinstance(like, tuple) else values


def _concat_host(parts):
    from kerasx.backends import host

    first = parts[0]
    if isinstance(first, (list, tuple)):  # a tuple stays one, as in Keras
        return _same_sequence(first, [_concat_host([p[i] for p in parts])
                                      for i in range(len(first))])
    if isinstance(first, dict):
        return {k: _concat_host([p[k] for p in parts]) for k in first}
    return first if len(parts) == 1 else host.concatenate(parts, axis=0)
