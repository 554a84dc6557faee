"""`Trainer`: compile, fit, evaluate and predict; one implementation for every backend."""

from kerasx import ops
from kerasx.autodiff.tape import GradientTape
from kerasx.autodiff.tensor import TensorOps
from kerasx.backends import current
from kerasx.callbacks.callback_list import CallbackList
from kerasx.metrics.reduction_metrics import Mean
from kerasx.trainers import checks
from kerasx.trainers.compile_utils import CompileLoss, CompileMetrics
from kerasx.trainers.data_adapter import (ArrayBatches, check_finite, check_lengths, flatten,
                                          map_structure, num_samples, split_validation,
                                          standardize)
from kerasx.trainers.generator_batches import GeneratorBatches, is_stream


class Trainer:
    """The training API mixed into `Model`."""

    def _init_trainer(self):
        self.compiled = False
        self.optimizer = None
        self.loss = None
        self.stop_training = False
        self.history = None
        self._compile_loss = None
        self._compile_metrics = None
        self._loss_tracker = None
        self.steps_per_execution = 1

    # -- compile -------------------------------------------------------------------------
    def compile(self, optimizer="rmsprop", loss=None, loss_weights=None, metrics=None,
                weighted_metrics=None, run_eagerly=False, steps_per_execution=1, jit_compile="auto",
                auto_scale_loss=True):
        """Configures training.

        Args:
            optimizer: name or `Optimizer` instance.
            loss: name, function, `Loss` instance, or a list/dict of them (one per output).
            loss_weights: scalars weighting each output's loss.
            metrics, weighted_metrics: names, functions or `Metric`s (lists or per-output dicts);
                weighted metrics take `sample_weight`/`class_weight` into account.
            run_eagerly, jit_compile: accepted for compatibility; kerasx always runs eagerly.
            steps_per_execution: run this many steps between host synchronisations: batch
                callbacks and progress updates happen every `steps_per_execution` steps.
            auto_scale_loss: accepted; loss scaling only matters for float16, which the
                array API does not have.
        """
        from kerasx import optimizers

        if not isinstance(steps_per_execution, int) or steps_per_execution < 1:
            raise ValueError(f"steps_per_execution must be a positive integer, received {steps_per_execution!r}.")
        self.optimizer = optimizers.get(optimizer)
        self.loss = loss
        names = self._output_names()
        self._compile_loss = CompileLoss(loss, loss_weights, names) if loss is not None else None
        self._compile_metrics = CompileMetrics(
            metrics, weighted_metrics, names,
            losses=self._compile_loss.losses if self._compile_loss else None)
        self._loss_tracker = Mean(name="loss")
        self.steps_per_execution = steps_per_execution
        self.run_eagerly = run_eagerly
        self.jit_compile = jit_compile
        self.compiled = True
        self.stop_training = False

    def _output_names(self):
        return ["output"]

    def _require_compiled(self, what):
        if not getattr(self, "compiled", False):
            raise RuntimeError(
                f"You must call compile() before {what}(): the model does not know its loss and "
                "optimizer yet. Example: model.compile(optimizer='adam', "
                "loss='sparse_categorical_crossentropy', metrics=['accuracy'])."
            )

    @property
    def metrics(self):
        """Every metric the trainer reports, compile metrics first, then the loss."""
        out = []
        if self._compile_metrics is not None and self._compile_metrics.metrics:
            out.extend(m for _, _, m in self._compile_metrics.metrics)
        if self._loss_tracker is not None:
            out.append(self._loss_tracker)
        if self._compile_loss is not None:
            out.extend(self._compile_loss.trackers)
        return out

    @property
    def metrics_names(self):
        return [m.name for m in self.metrics]

    def reset_metrics(self):
        for m in self.metrics:
            m.reset_state()

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

    def compute_metrics(self, x, y, y_pred, sample_weight=None):
        if self._compile_metrics is not None and y is not None:
            self._compile_metrics.update_state(y, y_pred, sample_weight)
        return self.get_metrics_result()

    def get_metrics_result(self):
        """Each metric's current result as a Tensor (no host transfer yet)."""
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        """One optimization step on a batch `(x, y, sample_weight)`; returns the metric results."""
        x, y, sample_weight = _unpack(data)
        with GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(x, y, y_pred, sample_weight, training=True)
        variables = self.trainable_weights
        grads = tape.gradient(loss, variables)
        self.optimizer.apply(grads, variables)
        self._loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def test_step(self, data):
        x, y, sample_weight = _unpack(data)
        y_pred = self(x, training=False)
        loss = self.compute_loss(x, y, y_pred, sample_weight, training=False)
        self._loss_tracker.update_state(loss, sample_weight=_batch_size(x))
        return self.compute_metrics(x, y, y_pred, sample_weight)

    def predict_step(self, data):
        x, _, _ = _unpack(data)
        return self(x, training=False)

    # -- fit -----------------------------------------------------------------------------
    def fit(self, x=None, y=None, batch_size=None, epochs=1, verbose="auto", callbacks=None,
            validation_split=0.0, validation_data=None, shuffle=True, class_weight=None,
            sample_weight=None, initial_epoch=0, steps_per_epoch=None, validation_steps=None,
            validation_batch_size=None, validation_freq=1):
        """Trains for `epochs` epochs and returns a `History` (see Keras's `Model.fit`)."""
        self._require_compiled("fit")
        stream = is_stream(x)
        checks.check_fit_arguments(batch_size, epochs, validation_split, not stream,
                                   initial_epoch, validation_freq)
        if stream:
            if y is not None:
                raise ValueError("When x is a generator or dataset it must yield (x, y) pairs; y must be None.")
            train = GeneratorBatches(x, steps_per_epoch)
        else:
            x, y, sample_weight = self._prepare_arrays(x, y, sample_weight, "fit")
            if validation_split:
                (x, y, sample_weight), validation_data = split_validation(x, y, sample_weight,
                                                                          validation_split)
            if class_weight is not None:
                sample_weight = self._apply_class_weight(class_weight, y, sample_weight)
            train = ArrayBatches(x, y, sample_weight, batch_size or 32, shuffle, steps_per_epoch)
        val = None
        if validation_data is not None:
            val = self._validation_batches(validation_data, validation_batch_size or batch_size or 32,
                                           validation_steps)
        verbose = 1 if verbose == "auto" else verbose
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_history=True, add_progbar=verbose != 0, model=self)
        cbs.set_model(self)
        cbs.set_params({"verbose": verbose, "epochs": epochs, "steps": train.steps})
        self.stop_training = False
        logs = {}
        cbs.on_train_begin()
        every = self.steps_per_execution
        for epoch in range(initial_epoch, epochs):
            self.reset_metrics()
            cbs.on_epoch_begin(epoch)
            results = {}
            step = -1
            for step, batch in enumerate(train.epoch()):
                if (step + 1) % every == 0 or every == 1:
                    cbs.on_train_batch_begin(step)
                results = self.train_step(batch)
                if (step + 1) % every == 0:
                    cbs.on_train_batch_end(step, _to_floats(results))
                if self.stop_training:
                    break
            if step < 0:
                raise ValueError(
                    "The training data produced no batches in this epoch. Check that x is not empty "
                    "and that a generator yields at least steps_per_epoch batches."
                )
            logs = _to_floats(self.get_metrics_result())
            if val is not None and (epoch + 1) % validation_freq == 0:
                val_logs = self._run_evaluation(val, cbs)
                logs.update({f"val_{k}": v for k, v in val_logs.items()})
            cbs.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cbs.on_train_end(logs)
        return cbs.history

    def _prepare_arrays(self, x, y, sample_weight, what):
        if x is None:
            raise ValueError(f"{what}() needs input data x, received x=None.")
        x = standardize(x, "x")
        y = standardize(y, "y")
        sample_weight = standardize(sample_weight, "sample_weight")
        check_lengths(x=x, y=y, sample_weight=sample_weight)
        check_finite(x, "x")
        check_finite(y, "y")
        check_finite(sample_weight, "sample_weight")
        checks.check_input_shape(self, x)
        if what != "predict":
            if y is None and self._compile_loss is not None and not self.losses:
                raise ValueError(
                    f"{what}() received no target data y, but the model was compiled with a loss "
                    "that compares predictions with targets. Pass y (the labels)."
                )
            self._preflight(x, y)
        return x, y, sample_weight

    def _preflight(self, x, y):
        """Runs the model on two samples to check labels against its output before training."""
        if num_samples(x) == 0:
            raise ValueError("x has no samples (0 rows).")
        probe = map_structure(lambda a: a[:2], x)
        from kerasx.trainers.data_adapter import to_device

        out = self(to_device(probe), training=False)
        outs = out if isinstance(out, (list, tuple)) else [out]
        self._last_output_shape = tuple(outs[0].shape) if isinstance(outs[0], TensorOps) else None
        if y is None or self._compile_loss is None:
            return
        ys = y if isinstance(y, (list, tuple)) else [y]
        if isinstance(y, dict):
            ys = [y.get(n) for n in self._output_names()]
        for loss, target, pred in zip(self._compile_loss.losses, ys, outs):
            if target is not None and isinstance(pred, TensorOps):
                checks.check_labels(loss, target, tuple(pred.shape))

    def _apply_class_weight(self, class_weight, y, sample_weight):
        if isinstance(y, (list, tuple, dict)):
            raise ValueError("class_weight is only supported for models with a single output.")
        weights = checks.class_weights_to_sample_weights(class_weight, y, self._n_classes())
        return weights if sample_weight is None else weights * sample_weight

    def _n_classes(self):
        shape = getattr(self, "_last_output_shape", None)
        return None if not shape else shape[-1]

    def _validation_batches(self, validation_data, batch_size, steps):
        if is_stream(validation_data):
            return GeneratorBatches(validation_data, steps)
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
            raise ValueError(
                "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, sample_weight_val), "
                f"or a generator/dataset; received {type(validation_data).__name__}"
                f"{' of length ' + str(len(validation_data)) if isinstance(validation_data, (list, tuple)) else ''}."
            )
        vx, vy, vsw = (list(validation_data) + [None])[:3]
        vx, vy, vsw = self._prepare_arrays(vx, vy, vsw, "validation")
        return ArrayBatches(vx, vy, vsw, batch_size, False, steps)

    # -- evaluate ------------------------------------------------------------------------
    def evaluate(self, x=None, y=None, batch_size=None, verbose="auto", sample_weight=None,
                 steps=None, callbacks=None, return_dict=False):
        """The loss and metrics on the data: a scalar, a list, or a dict (`return_dict`)."""
        self._require_compiled("evaluate")
        if is_stream(x):
            batches = GeneratorBatches(x, steps)
        else:
            x, y, sample_weight = self._prepare_arrays(x, y, sample_weight, "evaluate")
            batches = ArrayBatches(x, y, sample_weight, batch_size or 32, False, steps)
        verbose = 1 if verbose == "auto" else verbose
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self)
        cbs.set_params({"verbose": verbose, "epochs": 1, "steps": batches.steps})
        logs = self._run_evaluation(batches, cbs)
        if return_dict:
            return logs
        values = [logs["loss"]] + [v for k, v in logs.items() if k != "loss"]
        return values[0] if len(values) == 1 else values

    def _run_evaluation(self, batches, cbs):
        self.reset_metrics()
        cbs.on_test_begin()
        every = self.steps_per_execution
        results = {}
        for step, batch in enumerate(batches.epoch()):
            cbs.on_test_batch_begin(step)
            results = self.test_step(batch)
            if (step + 1) % every == 0:
                cbs.on_test_batch_end(step, _to_floats(results))
        logs = _to_floats(self.get_metrics_result())
        cbs.on_test_end(logs)
        return logs

    # -- predict -------------------------------------------------------------------------
    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """Predictions for every sample of `x` as NumPy arrays (one per output)."""
        if is_stream(x):
            batches = GeneratorBatches(x, steps, inputs_only=True)
        else:
            x, _, _ = self._prepare_arrays(x, None, None, "predict")
            if batch_size is not None and (not isinstance(batch_size, int) or batch_size <= 0):
                raise ValueError(f"batch_size must be a positive integer, received {batch_size!r}.")
            batches = ArrayBatches(x, None, None, batch_size or 32, False, steps)
        verbose = 1 if verbose == "auto" else verbose
        cbs = callbacks if isinstance(callbacks, CallbackList) else CallbackList(
            callbacks, add_progbar=verbose != 0, model=self)
        cbs.set_params({"verbose": verbose, "epochs": 1, "steps": batches.steps})
        cbs.on_predict_begin()
        outputs = []
        for step, batch in enumerate(batches.epoch()):
            cbs.on_predict_batch_begin(step)
            outputs.append(self.predict_step(batch))
            cbs.on_predict_batch_end(step, {"outputs": outputs[-1]})
        cbs.on_predict_end()
        if not outputs:
            raise ValueError("predict() received no data (0 batches).")
        return _concat_to_host(outputs)

    # -- single batches ------------------------------------------------------------------
    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """One training step on exactly this batch; returns the metrics like `evaluate`."""
        self._require_compiled("train_on_batch")
        x, y, sample_weight = self._prepare_arrays(x, y, sample_weight, "train_on_batch")
        if class_weight is not None:
            sample_weight = self._apply_class_weight(class_weight, y, sample_weight)
        batch = next(ArrayBatches(x, y, sample_weight, num_samples(x), False).epoch())
        self.reset_metrics()
        logs = _to_floats(self.train_step(batch))
        return logs if return_dict else _as_list(logs)

    def test_on_batch(self, x, y=None, sample_weight=None, return_dict=False):
        self._require_compiled("test_on_batch")
        x, y, sample_weight = self._prepare_arrays(x, y, sample_weight, "test_on_batch")
        batch = next(ArrayBatches(x, y, sample_weight, num_samples(x), False).epoch())
        self.reset_metrics()
        logs = _to_floats(self.test_step(batch))
        return logs if return_dict else _as_list(logs)

    def predict_on_batch(self, x):
        x, _, _ = self._prepare_arrays(x, None, None, "predict")
        batch = next(ArrayBatches(x, None, None, num_samples(x), False).epoch())
        return _concat_to_host([self.predict_step(batch)])


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


def _to_floats(logs):
    out = {}
    for k, v in logs.items():
        if isinstance(v, TensorOps):
            v = float(current().to_numpy(v.value))
        out[k] = float(v)
    return out


def _as_list(logs):
    values = [logs["loss"]] + [v for k, v in logs.items() if k != "loss"]
    return values[0] if len(values) == 1 else values


def _concat_to_host(outputs):
    backend = current()
    first = outputs[0]
    if isinstance(first, (list, tuple)):
        return [_concat_to_host([o[i] for o in outputs]) for i in range(len(first))]
    if isinstance(first, dict):
        return {k: _concat_to_host([o[k] for o in outputs]) for k in first}
    values = [o.value if isinstance(o, TensorOps) else o for o in outputs]
    joined = values[0] if len(values) == 1 else backend.xp.concat(values, axis=0)
    return backend.to_numpy(joined)

