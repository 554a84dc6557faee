"""The step loop: groups of `steps_per_execution` batches through the model's step
functions (`model.train_function`, ...), callbacks around each group, and metric
results brought to the host in one transfer only when something reads them."""

import itertools
from collections.abc import Mapping, MutableMapping

from kerasx.autodiff.tensor import TensorOps
from kerasx.backends import current


class StepLoop:
    """Runs one epoch of steps for `fit`, `evaluate` and `predict` (a mixin of `Trainer`)."""

    def _run_steps(self, batches, function, cbs, mode, on_output=None, in_fit=False):
        """Runs `function` (`model.train_function`, ...) on every group of
        `steps_per_execution` batches of one epoch, calling the batch callbacks around
        each group; returns the number of steps run."""
        from kerasx.callbacks.progbar_logger import ProgbarLogger

        every = self.steps_per_execution
        begin = getattr(cbs, f"on_{mode}_batch_begin")
        end = getattr(cbs, f"on_{mode}_batch_end")
        hook = f"on_{mode}_batch_end"
        # Logs are brought to the host once per group for callbacks that read them. The
        # progress bar alone gets them lazily: it reads them only when it redraws (every
        # 0.05 s at most), and inside fit it ignores validation batches altogether.
        wants_logs = cbs.needs(hook, exclude=(ProgbarLogger,))
        lazy_logs = not wants_logs and not in_fit and cbs.needs(hook)
        stop_flag = {"train": "stop_training", "test": "stop_evaluating",
                     "predict": "stop_predicting"}[mode]
        batches.steps_per_execution = every
        drawn = map(step_data, batches.epoch())
        step = 0
        result = None
        # groups of one batch without `islice` and a list each: per-step cost counts
        groups = ((b,) for b in drawn) if every == 1 else iter(
            lambda: list(itertools.islice(drawn, every)), [])
        for group in groups:
            begin(step)
            result = function(group)
            # as Keras, a group ends at index begin + steps_per_execution - 1, also the
            # last one of an epoch that holds fewer batches
            end(step + every - 1, self._batch_logs(result, on_output, wants_logs, lazy_logs))
            step += len(group)
            if getattr(self, stop_flag, False):
                break
        self._last_step_result = result
        return step

    def _epoch_results(self):
        """Keras's rule: the metrics' results, unless a custom step returned other keys."""
        results = self.get_metrics_result()
        last = getattr(self, "_last_step_result", None)
        if isinstance(last, Mapping) and set(last) != set(results):
            return last
        return results

    def _batch_logs(self, result, on_output, wants_logs, lazy_logs):
        if on_output is not None:
            outputs = on_output(result)
            # as Keras, whose batch logs are flattened: dict outputs come by name
            if isinstance(outputs, Mapping):
                return dict(_flat_items(outputs))
            return {"outputs": outputs}
        if wants_logs:
            return self._host_logs(result)
        return MetricResults(lambda: self._host_logs(result)) if lazy_logs else {}

    def _host_logs(self, results):
        """Metric results as Python floats, sorted by name; where host reads wait for the
        device, the scalars of one dtype come over in one transfer."""
        backend = current()
        batch_scalars = backend.host_reads_sync
        out = {}
        scalars = {}
        for name, value in _flat_items(results):
            value = value.value if isinstance(value, TensorOps) else value
            if backend.is_native(value):
                if value.ndim == 0 and not batch_scalars:
                    out[name] = float(backend.to_numpy(value))
                elif value.ndim == 0:
                    out[name] = None  # keeps its place in the order of the logs
                    scalars.setdefault(str(value.dtype), []).append((name, value))
                else:
                    out[name] = backend.to_numpy(value)
            else:
                try:
                    out[name] = float(value)
                except (TypeError, ValueError):
                    out[name] = value
        for group in scalars.values():
            if len(group) == 1:
                values = [backend.to_numpy(group[0][1])]
            else:
                values = backend.to_numpy(backend.xp.stack([v for _, v in group]))
            for (name, _), v in zip(group, values):
                out[name] = float(v)
        return out


def _flat_items(results):
    """`(name, value)` pairs of the results sorted by name, a nested mapping's entries (sorted
    too) in its place, as Keras orders its logs (a custom step returning `{m.name:
    m.result() for m in self.metrics}` nests the compiled metrics' dict under
    "compile_metrics": their entries come before "loss")."""
    try:
        items = sorted(results.items())
    except TypeError:
        items = list(results.items())
    for name, value in items:
        if isinstance(value, Mapping):
            yield from _flat_items(value)
        else:
            yield name, value


def with_validation_logs(results, logs, val_logs):
    """The epoch's `logs` (host values of `results`, in `_flat_items`'s order) with the
    validation logs as `val_<name>` entries, all in the order Keras's callbacks get them:
    sorted by top-level name, a nested mapping's entries in its place."""
    parents = {}
    try:
        tops = sorted(results.items())
    except TypeError:
        tops = list(results.items())
    for top, value in tops:
        for name, _ in _flat_items(value) if isinstance(value, Mapping) else ((top, None),):
            parents[name] = top
    items = list(logs.items()) + [(f"val_{k}", v) for k, v in val_logs.items()]
    try:
        items.sort(key=lambda item: parents.get(item[0], item[0]))
    except TypeError:
        pass
    return dict(items)


class MetricResults(MutableMapping):
    """The mapping returned by `compute()` (metric results, or their host logs), computed
    on first access and then kept. Writable as Keras's logs dict is (a custom
    `train_step` may add entries to what `super().train_step` returned)."""

    __slots__ = ("_compute", "_values")

    def __init__(self, compute):
        self._compute = compute
        self._values = None

    def _resolved(self):
        if self._values is None:
            self._values = self._compute()
        return self._values

    def __getitem__(self, key):
        return self._resolved()[key]

    def __iter__(self):
        return iter(self._resolved())

    def __len__(self):
        return len(self._resolved())

    def __setitem__(self, key, value):
        self._resolved()[key] = value

    def __delitem__(self, key):
        del self._resolved()[key]

    def copy(self):
        return dict(self._resolved())

    def __repr__(self):
        return repr(self._resolved())


def steps_function(step, steps_per_execution):
    """A function running `step` on each of the next `steps_per_execution` batches of
    an iterable (a list of batches, or an iterator shared between calls) and
    returning the last step's result; raises `StopIteration` when it holds none."""

    def function(data):
        result = ran = None
        for _, batch in zip(range(steps_per_execution), data):
            result, ran = step(batch), True
        if not ran:
            raise StopIteration("The step function received no batch: the data is used up.")
        return result

    def one_step(data):
        for batch in data:
            return step(batch)
        raise StopIteration("The step function received no batch: the data is used up.")

    return one_step if steps_per_execution == 1 else function


def predict_steps_function(step, steps_per_execution):
    """`steps_function` for predictions: the outputs of the steps it ran, joined
    along the batch axis (one step's outputs are returned as they are)."""

    def function(data):
        outputs = [step(batch) for _, batch in zip(range(steps_per_execution), data)]
        if not outputs:
            raise StopIteration("The predict function received no batch: the data is used up.")
        if len(outputs) == 1:
            return outputs[0]
        from kerasx import ops, tree

        return tree.map_structure(lambda *parts: ops.concatenate(parts, axis=0), *outputs)

    return function


def step_data(batch):
    """A batch `(x, y, sample_weight)` of `fit`, `evaluate` or `predict` as Keras hands it
    to `train_step`, `test_step` and `predict_step`: `x` itself without targets (`(x,)`
    when `x` is a tuple or list, which would otherwise read as `(x, y)`), `(x, y)`
    without sample weights, so that a custom step may unpack `x, y = data`. (The
    `*_on_batch` methods pass all three, as Keras's do.)"""
    if type(batch) is tuple and len(batch) == 3 and batch[2] is None:
        if batch[1] is not None:
            return batch[:2]
        return batch[:1] if isinstance(batch[0], (tuple, list)) else batch[0]
    return batch
