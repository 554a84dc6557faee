"""Turning what `fit`/`evaluate`/`predict` receive into checked batches.

A mixin of `Trainer`: arrays are standardized and validated once (lengths,
NaN/inf, input shape, labels against the model's output on two samples)
before any step runs; generators and datasets are checked batch by batch, and
so is every batch of `train_on_batch` / `test_on_batch` (the model runs only for
a batch of new shapes).
"""

import math

from kerasx.autodiff.tensor import TensorOps
from kerasx.backends import current, host
from kerasx.random.counted_seed import counter_states, restore_counters
from kerasx.trainers import checks
from kerasx.trainers.compile_loss import resolve_alias
from kerasx.trainers.data_adapter import (ArrayBatches, check_finite, check_lengths, flatten,
                                          num_samples, same_lengths, slice_rows, standardize,
                                          to_device)
from kerasx.trainers.foreign_data import check_stream_options, stream_kind
from kerasx.trainers.generator_batches import GeneratorBatches, is_stream


class DataPreparation:
    """Data standardization and up-front checks shared by the trainer's entry points."""

    def _no_arrays_with_stream(self, x, y, sample_weight, what):
        check_stream_options(x)  # a torch Dataset of samples: the DataLoader to use first
        kind = stream_kind(x)
        if y is not None:
            raise ValueError(
                f"{what}() received a {kind} as x and also y={type(y).__name__}. A {kind} must "
                "produce the targets itself, as (x, y) or (x, y, sample_weight) batches; "
                "pass y=None."
            )
        if sample_weight is not None:
            raise ValueError(
                f"{what}() received a {kind} as x and also sample_weight. Yield "
                f"(x, y, sample_weight) batches from the {kind} instead."
            )

    def _prepare_arrays(self, x, y, sample_weight, what, check_finite_values=True,
                        batching=None):
        """Standardizes and checks array data; `batching` (batch_size, steps,
        validation_split) gives the first batch an unbuilt model is built on.

        A single batch (`*_on_batch`) whose arrays have different numbers of rows
        (a graph batch: nodes, edges and per-graph labels) is accepted as Keras
        accepts it; `fit`, `evaluate` and `predict` refuse such data, as Keras's do,
        since they cannot split it into batches."""
        if x is None:
            raise ValueError(
                f"{_call(what)} needs input data x, received x=None. Pass arrays, a generator or a "
                "kerasx.utils.PyDataset."
            )
        x = standardize(x, "x")
        y = standardize(y, "y")
        sample_weight = standardize(sample_weight, "sample_weight")
        whole_batch = what in _ONE_BATCH and not same_lengths(x, y, sample_weight)
        if not whole_batch:
            check_lengths(x=x, y=y, sample_weight=sample_weight)
        if check_finite_values:
            check_finite(x, "x")
            check_finite(y, "y")
            check_finite(sample_weight, "sample_weight")
        if self._own_step_reads(what):
            self._later_labels_check = _no_check
            return x, y, sample_weight
        checks.check_input_shape(self, x)
        if what != "predict":
            if sample_weight is not None:
                checks.check_sample_weight(sample_weight, y)
            if what not in _ONE_BATCH:  # Keras checks it in its array adapter only
                checks.check_one_sample_weight_for_outputs(sample_weight, y)
            if y is None and self._compile_loss is not None and not self.losses:
                raise ValueError(
                    f"{_call(what)} received no target data y, but the model was compiled with "
                    f"a loss ({_loss_label(self.loss)}) that compares predictions with targets. "
                    "Pass y "
                    "(the labels), e.g. model.fit(x_train, y_train)."
                )
            rows = None if batching is None else first_batch_rows(num_samples(x), *batching)
            self._preflight(x, y, rows, whole_batch=whole_batch)
        return x, y, sample_weight

    def _own_step_reads(self, what):
        """True when the model's own `train_step` / `test_step` / `predict_step` reads the
        batches of `what`: they need not be (x, y) pairs of the model's input shape (a dict
        of source and target, a stack of anchors and positives), so neither the shapes,
        the labels nor a probe call of the model are checked up front."""
        from kerasx.trainers.trainer import Trainer

        step = _STEP_OF.get(what)
        return step is not None and getattr(type(self), step) is not getattr(Trainer, step)

    def _preflight(self, x, y, first_rows=None, whole_batch=False):
        """Runs the model on two samples to check the labels against its output before
        training. Keeps in `_later_labels_check` a function that checks the labels of
        later batches of the same shapes the same way, without running the model.
        As in Keras, an unbuilt model is built for the shape of the first batch (its
        `first_rows` samples; its summary shows it): a Sequential model symbolically,
        another by running on that batch instead of two samples. With `whole_batch`
        (arrays of different row counts, rows referring to each other by index) the
        model runs on the whole batch."""
        if num_samples(x) == 0:
            raise ValueError("x has no samples (0 rows); pass at least one sample.")
        # a model whose inputs fix the batch size (a graph batch, rows referring to each
        # other by index) runs on a whole batch, as Keras only ever runs it
        rows = _declared_batch_size(self) or 2
        if whole_batch:
            rows = max(int(leaf.shape[0]) for leaf in flatten(x) if len(leaf.shape))
        elif first_rows and not self.built:
            from kerasx.models.sequential import Sequential

            if isinstance(self, Sequential):
                self._build_for(slice_rows(x, 0, first_rows))  # symbolic: nothing computed
            else:
                rows = first_rows
        probe = slice_rows(x, 0, rows)
        counters = counter_states()  # the check draws nothing from the model's generators
        state = _saved_state(self)  # nor changes what the model's call assigns (counters)
        try:
            out = self(to_device(probe), training=False)
        except ValueError as e:
            if "Cannot reshape" not in str(e):
                raise
            # a model reshaping to a size fixed for its batch size (a mixture of experts
            # over `tokens_per_batch` rows) cannot run on two samples: only its output
            # structure is checked then
            from kerasx.ops.shape import reshape_sizes_unchecked

            with reshape_sizes_unchecked():
                out = self(to_device(probe), training=False)
        finally:
            restore_counters(counters)
            for variable, value in state:
                variable.assign(value)
        outs = out if isinstance(out, (list, tuple)) else [out]
        if isinstance(out, dict):
            outs = [out.get(n) for n in self._output_names()]
        self._last_output_shape = tuple(outs[0].shape) if isinstance(outs[0], TensorOps) else None
        self._later_labels_check = _no_check
        if y is None or self._compile_loss is None or overrides_compute_loss(self) or \
                self._compile_loss.structured is not None:
            # an own `compute_loss` may pair labels and outputs its own way, and a
            # structured loss may take whole structures
            return
        compile_loss = self._compile_loss
        ys, outs = compile_loss.per_output(y, out)
        backend = current()
        plan = []
        for loss, target, pred in zip(compile_loss.losses, ys, outs):
            if target is None or not isinstance(pred, TensorOps):
                plan.append(None)
                continue
            if backend.is_native(target):
                target = backend.to_numpy(target)
            loss = resolve_alias(loss, target, pred)
            checks.check_labels(loss, target, tuple(pred.shape))
            plan.append((loss, tuple(pred.shape)))

        self._check_metrics_on(slice_rows(y, 0, rows), out)

        def check_later(later_y):
            # labels already on the device are not brought back for a check
            for entry, target in zip(plan, compile_loss.per_output(later_y, out)[0]):
                if entry is not None and host.is_host_array(target):
                    checks.check_labels(entry[0], target, entry[1])

        self._later_labels_check = check_later

    def _check_metrics_on(self, y, out):
        """Updates the compiled metrics once with the labels `y` of the two samples that
        gave `out`, then puts their state back, so a metric that cannot read these labels
        fails before the first step instead of after it. The state is restored rather
        than reset: a metric whose `reset_state` keeps its totals (to accumulate over
        epochs) must not count the check's samples."""
        metrics = self._compile_metrics
        if metrics is None:
            return
        y = to_device(y)
        if not metrics.built:
            metrics.build(y, out)
        xp = current().xp
        saved = {id(v): (v, xp.asarray(v.value, copy=True)) for v in metrics.variables}
        try:
            metrics.update_state(y, out)
        finally:
            for metric in metrics.flat_metrics:
                if all(id(v) in saved for v in metric.variables):
                    for v in metric.variables:
                        v.assign(saved[id(v)][1])
                else:  # state made by this update: back to its initial values
                    metric.reset_state()

    def _stream_checker(self, what):
        """Checks each host batch of a generator / PyDataset: its data for NaN or inf, the
        first one (and each one of sizes not seen before) against the model, the labels of
        the others against the losses found on the first batch of their sizes."""
        state = {"first": True, "labels": {}}

        def check(parts, index):
            x, y, sw = parts
            for name, part in zip(("x", "y", "sample_weight"), parts):
                try:
                    check_finite(part, name)
                except ValueError as e:
                    raise ValueError(f"Batch {index}: {e}") from None
            sizes = tuple(tuple(leaf.shape[1:]) for leaf in flatten((x, y)))
            if not state["first"] and sizes in state["labels"]:
                if y is not None:
                    try:
                        state["labels"][sizes](y)
                    except ValueError as e:
                        raise ValueError(f"Batch {index}: {e}") from None
                return
            first, state["first"] = state["first"], False
            state["labels"][sizes] = _no_check
            if self._own_step_reads(what):
                return
            try:
                checks.check_input_shape(self, x)
            except ValueError as e:
                if first:
                    raise
                raise ValueError(f"Batch {index} (of new sizes {list(sizes)}): {e}") from None
            if what != "predict":
                if y is None and self._compile_loss is not None and not self.losses:
                    raise ValueError(
                        f"The batches for {_call(what)} carry no targets (batch {index} is x "
                        "alone), but the model was compiled with a loss that compares "
                        "predictions with targets. Yield (x, y) batches."
                    )
                self._preflight(x, y, num_samples(x))
                state["labels"][sizes] = self._later_labels_check

        return check

    def _apply_class_weight(self, class_weight, y):
        if isinstance(y, (list, tuple, dict)):
            raise ValueError(
                "class_weight is only supported for models with a single output; for several "
                "outputs pass sample_weight (a list or dict with one array per output)."
            )
        if y is None:
            raise ValueError("class_weight needs the labels y; received y=None.")
        backend = current()
        labels = backend.to_numpy(y) if backend.is_native(y) else y
        return checks.class_weights_to_sample_weights(class_weight, labels, self._n_classes())

    def _n_classes(self):
        shape = getattr(self, "_last_output_shape", None)
        return None if not shape else shape[-1]

    def _validation_batches(self, validation_data, batch_size, steps):
        if is_stream(validation_data):
            return GeneratorBatches(validation_data, steps, what="validation_data",
                                    check=self._stream_checker("validation"))
        if self._own_step_reads("validation_data") and not (
                isinstance(validation_data, (list, tuple)) and len(validation_data) in (2, 3)):
            # the model's test_step reads the batches: x alone (e.g. a dict) is the batch
            x_only = validation_data
            if isinstance(x_only, (list, tuple)) and len(x_only) == 1:
                x_only = x_only[0]
            validation_data = (x_only, None)
        if not isinstance(validation_data, (list, tuple)) or len(validation_data) not in (2, 3):
            if isinstance(validation_data, (list, tuple)):
                got = f"a {type(validation_data).__name__} of length {len(validation_data)}"
            else:
                got = f"{type(validation_data).__name__}"
                if hasattr(validation_data, "shape"):
                    got += f" of shape {tuple(validation_data.shape)}"
            raise ValueError(
                "validation_data must be a tuple (x_val, y_val) or (x_val, y_val, "
                f"sample_weight_val), a generator or a PyDataset; received {got}. Example: "
                "validation_data=(x_val, y_val)."
            )
        vx, vy, vsw = (list(validation_data) + [None])[:3]
        vx, vy, vsw = self._prepare_arrays(vx, vy, vsw, "validation_data")
        return ArrayBatches(vx, vy, vsw, batch_size, False, steps)

    def _prepare_batch(self, x, y, sample_weight, what):
        """`_prepare_arrays` for one batch: the checks that run the model once per batch
        signature; the data's NaN / inf and its labels on every batch."""
        x_std = standardize(x, "x")
        signature = tuple(tuple(a.shape[1:]) for a in flatten(x_std)) + (y is None,)
        check_labels = self._checked_batches.get(signature)
        if check_labels is None:
            out = self._prepare_arrays(x_std, y, sample_weight, what, batching=(None, 1, 0))
            self._checked_batches[signature] = self._later_labels_check
            return out
        y = standardize(y, "y")
        sample_weight = standardize(sample_weight, "sample_weight")
        # rows are not compared: a single batch may be a graph batch (see _prepare_arrays)
        check_finite(x_std, "x")
        check_finite(y, "y")
        check_finite(sample_weight, "sample_weight")
        if y is not None:
            check_labels(y)
        return x_std, y, sample_weight


_ONE_BATCH = ("train_on_batch", "test_on_batch")

_STEP_OF = {"fit": "train_step", "train_on_batch": "train_step", "evaluate": "test_step",
            "validation_data": "test_step", "validation": "test_step",
            "test_on_batch": "test_step", "predict": "predict_step",
            "predict_on_batch": "predict_step"}


def first_batch_rows(n, batch_size, steps, validation_split):
    """The size of the first batch `ArrayBatches` makes of `n` samples (after the
    validation split)."""
    if validation_split:
        n = int(math.floor(n * (1.0 - validation_split)))
    if not batch_size:
        batch_size = int(math.ceil(n / steps)) if steps else 32
    return max(1, min(batch_size, n))


def _declared_batch_size(model):
    """The largest batch size a functional model's inputs fix (`Input(batch_shape=(20,
    6))`; a graph batch's inputs may fix several), else None."""
    if getattr(model, "_inputs_struct", None) is None:
        return None
    sizes = {t.shape[0] for t in model.inputs if len(t.shape)} - {None}
    return max(sizes) if sizes else None


def _no_check(y):
    """The labels check of a model without a compiled loss or a batch without labels."""


def _call(what):
    """`fit()` for a method, `validation_data` as is."""
    return what if what.startswith("validation") else f"{what}()"


def _loss_label(loss):
    if isinstance(loss, str):
        return repr(loss)
    return getattr(loss, "name", None) or getattr(loss, "__name__", None) or type(loss).__name__


def overrides_compute_loss(model):
    """Whether the model's class overrides `compute_loss`."""
    from kerasx.trainers.trainer import Trainer

    return getattr(type(model), "compute_loss", None) is not Trainer.compute_loss


def _saved_state(model):
    """`(variable, value)` for the model's non-trainable variables (Keras builds a model
    symbolically, so a call that assigns to them changes nothing before training). An
    assignment replaces a variable's array, so keeping the arrays is enough (no copies of
    frozen weights)."""
    return [(v, v.value) for v in model.non_trainable_variables]
