"""The step loop: batches through a step function, callbacks every
`steps_per_execution` steps, and metric results brought to the host in one
transfer only when something reads them."""

from collections.abc import Mapping

from kerasx.autodiff.tensor import TensorOps
from kerasx.backends import current


class StepLoop:
    """Runs one epoch of steps for `fit`, `evaluate` and `predict` (a mixin of `Trainer`)."""

    def _run_steps(self, batches, step_fn, cbs, mode, on_output=None, in_fit=False):
        """Runs `step_fn` on every batch of one epoch, calling batch callbacks every
        `steps_per_execution` steps; returns the number of steps run."""
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
        step = -1
        open_group = False
        group = []
        result = None
        for step, batch in enumerate(batches.epoch()):
            if not open_group:
                begin(step)
                open_group = True
            result = step_fn(batch)
            if on_output is not None:
                group.append(result)
            if (step + 1) % every == 0:
                open_group = False
                end(step, self._batch_logs(result, group, on_output, wants_logs, lazy_logs))
                group = []
                if getattr(self, stop_flag, False):
                    break
        if open_group:
            end(step, self._batch_logs(result, group, on_output, wants_logs, lazy_logs))
        self._last_step_result = result
        return step + 1

    def _epoch_results(self):
        """Keras's rule: the metrics' results, unless a custom step returned other keys."""
        results = self.get_metrics_result()
        last = getattr(self, "_last_step_result", None)
        if isinstance(last, Mapping) and set(last) != set(results):
            return last
        return results

    def _batch_logs(self, result, group, on_output, wants_logs, lazy_logs):
        if on_output is not None:
            outputs = on_output(group)
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
        for name, value in results.items():
            value = value.value if isinstance(value, TensorOps) else value
            if backend.is_native(value):
                if value.ndim == 0 and not batch_scalars:
                    out[name] = float(backend.to_numpy(value))
                elif value.ndim == 0:
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
        return {k: out[k] for k in sorted(out)}


class MetricResults(Mapping):
    """The mapping returned by `compute()` (metric results, or their host logs), computed
    on first access and then kept."""

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
