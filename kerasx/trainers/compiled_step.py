"""`compile(jit_compile="auto" or True)`: training, evaluation and prediction steps
recorded once and replayed.

On a backend that can record its array work (NumPy), the first step of each batch
signature (shapes and dtypes) runs as usual, building whatever is built lazily; the
second runs as usual while the backend writes its array operations down
(`kerasx.backends.numpy_trace`; a prediction waits for its signature's 201st batch, so
that a short `predict` is not slowed by recording). The third step with that signature
is run twice from the same state, once by replaying the recording and once as usual,
and the recording is kept only if both leave every variable, the random generator and
the returned metrics (or predictions) bit for bit the same. (Values the recording took
unseen from its data would match on the very batch it was recorded on: a recording
checked on that batch only, such as one validation batch at every epoch, is checked
again on the first other batch.) The first step of a later
epoch (evaluation, prediction) is checked the same way once a few steps have been
replayed since the last check, so state a recording took as constant and that changed
since (an array kept outside the variables) has the signature recorded again, or run
eagerly. Otherwise steps of that signature replay the recording: the array work alone,
without the layers, tape, losses and metrics that decided it. The metric results the
default steps return are left out of it: as the eager step's, they are computed from
the metrics' state when something reads them (a callback wanting batch logs, the end
of the epoch), by a second, small recording of that computation. The optimizer's
update runs as Python at every replay (its step count and learning-rate schedule live
on the host), and so do random draws (new dropout masks every step; a draw seeded by a
`SeedGenerator` or a seeded layer takes the counter's next seed, as the eager step does).

A step the recording cannot reproduce (a C library handed an array's memory, an
array made without NumPy knowing, a replay that disagrees with the eager step)
keeps running eagerly, with the same results. A Python value read from the data
(whether a batch holds a label out of range), and the result of a kernel recorded as
one call (which may decline other data), is checked again at every replay: a
different one sends that batch to the eager step (and a recording whose checks keep
failing is given up). Checks come where the eager step made them, some after the
step changed variables (a batch normalization assigns its moving statistics in the
forward pass, before the backward pass's kernels); the replay makes the optimizer's
update after every check that does not depend on it (`Recorder.late_changes`), and a
replay failing a check gives back what it changed before (the moving statistics'
arrays, the metrics' totals, its random draws; every variable where a check follows
the update) before the eager step runs.

With `KERASX_OWN_THREADS=1` (for machines whose cores other processes keep busy), on
NumPy with the BLAS at two threads, a recording whose large work is matrix products
(and no kernel recorded as a call) replays on two threads of its own with the BLAS
at one thread (`kerasx.backends.numpy_threads`), and is checked against an eager step
run at one BLAS thread as well. Its values are those of eager steps at one BLAS
thread: OpenBLAS on two threads sums long inner dimensions in another order, so they
can differ in the last bits from a `jit_compile=False` run.

On NumPy with the BLAS at two threads, the steps of large models whose samples
cannot meet in a step are recorded split in two halves of the batch
(`kerasx.trainers.split_step`), whose replays run the halves on two threads at once,
each with the BLAS at one thread; the eager steps they are checked against are split
the same way, at one BLAS thread.

One step is recorded or compared at a time in the process (`ONE_AT_A_TIME`): other
threads' steps meanwhile run eagerly, and their random draws, kernels and optimizer
updates pass through the recording untouched.

The model's own `train_step`, `test_step` and `predict_step` are recorded, custom
ones too: every optimizer's `apply` inside them (the model's optimizer or others its
attributes hold, as in a GAN's step) is recorded as one Python call.
"""

import contextlib
import functools
import hashlib
import threading
import warnings

from kerasx import tree
from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.autodiff.variable import TRAINABLE_CHANGES, Variable
from kerasx.backends import current
from kerasx.backends import random as backend_random
from kerasx.layers.call_context import failure_detail
from kerasx.models.batch_norm_folding import folded_weights_not_kept
from kerasx.random.counted_seed import CountedSeed, counter_states, restore_counters
from kerasx.trainers.step_loop import MetricResults


class CompiledStep:
    """The train (test, predict) step of `model`, recorded and replayed per batch
    signature.

    `warn`: warn (once) when a step cannot be replayed and runs eagerly; `reasons`
    holds why, per batch signature (and under `"signatures"` when more than
    `MAX_SIGNATURES` were seen)."""

    def __init__(self, model, mode="train", warn=True):
        self.model = model
        self.mode = mode
        self.eager = {"train": model.train_step, "test": model.test_step,
                      "predict": self._flat_predict_step}[mode]
        self.structure = None  # predict: the structure of the model's outputs
        self.warn = warn
        # signature -> _Program, _EAGER (not replayed) or the number of its eager steps
        self.programs = {}
        # eager steps of a signature before it is recorded: recording and checking cost
        # about three steps, which a prediction's replays (free of Python overhead, not of
        # array work) win back only over a few hundred batches
        self._record_after = PREDICT_RECORD_AFTER if mode == "predict" else 1
        self.reasons = {}   # signature -> why it runs eagerly
        self._kernels_as_calls = set()  # signatures recorded again with opaque kernels
        # a signature of this step verified only with opaque kernels: the model's kernels
        # reach memory the recorder does not see, so new signatures start with them opaque
        self._kernels_as_calls_first = False
        self._backend = self._tracer = None
        self._replays = 0  # steps replayed since the last check
        self._recheck_after = RECHECK_AFTER  # replays before the next check
        # the variables a train step updates, as the recordings were made for them
        self._trainable = None
        self._trainable_checked = None  # `TRAINABLE_CHANGES` when last compared
        # signature -> the split step (`split_step`) its steps run, eager and recorded
        self._split = {}
        self.split_reasons = {}  # signature -> why its split step was given up

    def __call__(self, batch):
        results = self._step(batch)
        if self.mode != "predict":
            return results
        return tree.pack_sequence_as(self.structure, list(results.values()))

    # a function recorded in place of the predict step (None: the predict step)
    _recorded_call = None

    def _flat_predict_step(self, batch):
        outputs = self.model.predict_step(batch)
        self.structure = outputs
        return _flat_outputs(outputs)

    def _step(self, batch):
        """The step's results as a dict (predict: the outputs' leaves by position)."""
        backend = current()
        if backend is not self._backend:
            self._backend, self._tracer = backend, backend.step_recorder()
        tracer = self._tracer
        key, leaves = _signature(batch, backend)
        if tracer is None or key is None:
            return self.eager(batch)
        if self.mode == "train":
            self._forget_if_trainable_changed()
        program = self.programs.get(key)
        if program is None:
            if len(self.programs) >= MAX_SIGNATURES:
                # batches of ever new shapes (sequences of any length): each recording
                # would serve few steps and keep its buffers alive
                self._note_eager("signatures", f"more than {MAX_SIGNATURES} batch signatures "
                                 "were seen; steps on new ones are not recorded")
                return self.eager(batch)
            # the first step of a signature runs eagerly: it builds what is built lazily
            # (the optimizer's slots, a subclassed model's weights), outside any recording
            program = 0
        if type(program) is int:  # the signature's eager steps so far
            if program and (program >= self._record_after
                            or program == 1 and self._splits_early(tracer, key, batch)):
                return self._record(tracer, key, batch)
            self.programs[key] = program + 1
            return self.eager(batch)
        if program is _EAGER:
            return self.eager(batch)
        if not program.verified or program.recheck or (
                program.only_recorded_batch and _fingerprint(batch) != program.recorded_batch):
            return self._verify(tracer, key, program, batch)
        self._replays += 1
        undo = _before_replay(self.model, program)
        try:
            if program.owner is None:
                values = program.replay(*leaves)
            else:
                with program.owner:
                    values = program.replay(*leaves)
        except tracer.GuardFailed:
            if undo is not None:
                _undo(undo)
            program.misses += 1
            if program.misses > RECHECK_AFTER and 2 * program.misses > program.runs:
                self._give_up(key, "the values it reads from the data keep changing",
                              retry=False)
            return self._eager(key, batch)
        finally:
            program.runs += 1
        return program.results(values)

    def _forget_if_trainable_changed(self):
        """Drops the recordings once the model's trainable variables are no longer those
        they update (a layer frozen or unfrozen, a variable's `trainable` flag set):
        the next steps run eagerly and are recorded again for the new set, so a frozen
        weight is never updated by a replay."""
        if TRAINABLE_CHANGES[0] == self._trainable_checked:
            return  # no variable made, no flag set since the last look
        self._trainable_checked = TRAINABLE_CHANGES[0]
        trainable = [id(v) for v in self.model.trainable_weights]
        if trainable != self._trainable:
            if self._trainable is not None:
                self.programs = {}
                self._kernels_as_calls = set()
                self._split = {}
                self.split_reasons = {}
            self._trainable = trainable

    def recheck(self):
        """Called at every epoch of `fit`, and at every `evaluate` and `predict`: once
        `RECHECK_AFTER` steps have been replayed since the last check, the next step of
        every replayed signature runs both ways and is compared again, as the first
        was. State that a recording took as constant but that changed since (an array
        kept outside the variables) then has that signature recorded again, and the
        second time sends it to the eager step. (Checking at every call would run
        each batch of a loop of one-batch `predict` calls twice.) Evaluation and
        prediction steps double the replays between checks after each check passed, up
        to `RECHECK_AFTER_MOST`: a prediction of 13 batches at every call spent a fifth
        of its time in the check (an eager split step at one BLAS thread)."""
        if self._replays < self._recheck_after:
            return
        self._replays = 0
        for program in self.programs.values():
            if isinstance(program, _Program):
                program.recheck = True

    def _splits_early(self, tracer, key, batch):
        """True for a prediction of a model with convolutions whose batches split in
        halves (`split_step`): it is recorded at its second batch, not after
        `PREDICT_RECORD_AFTER`, since its replays run the halves' im2col and pooling
        passes on two cores: the MNIST convnet at batch 1024 predicted 13.8-16.6k
        samples/s replayed, against 6.5-9.3k eager on the machine's slower stretches and
        up to 16.4k on its faster ones. (Dense models' replays gain too little to pay
        for a recording in a call of a few dozen batches: `split_step._CONVOLUTIONS`.)"""
        from kerasx.trainers import split_step

        if self.mode != "predict" or self._recorded_call is not None \
                or key in self.split_reasons or not split_step.has_convolution(self.model):
            return False
        if key not in self._split:
            split = _split_step_for(tracer, self, batch)
            if split is None:
                return False
            self._split[key] = split
        return True

    # -- recording -------------------------------------------------------------------
    def _eager(self, key, batch):
        """The eager step for a batch of signature `key`: split in halves where its
        recording is (`split_step`), under the threads' owner as its replay."""
        split = self._split.get(key)
        if split is None:
            return self.eager(batch)
        with split.owner:
            return split(batch)

    def _record(self, tracer, key, batch):
        if not ONE_AT_A_TIME.acquire(blocking=False):
            return self.eager(batch)  # recorded at a later step
        try:
            return self._record_alone(tracer, key, batch)
        finally:
            ONE_AT_A_TIME.release()

    def _record_alone(self, tracer, key, batch):
        if self._kernels_as_calls_first:
            self._kernels_as_calls.add(key)
        split = self._split.get(key)
        if split is None and self._recorded_call is None and key not in self.split_reasons:
            split = _split_step_for(tracer, self, batch)
            if split is not None:
                self._split[key] = split
        before = _snapshot(self.model)
        # (`call` passed only when set: `_trace` keeps its signature for the predict step)
        call = {} if self._recorded_call is None else {"call": self._recorded_call}
        if split is not None:
            call = {"call": split}
        try:
            with split.owner if split is not None else contextlib.nullcontext():
                results, program = _trace(tracer, self.model, batch, self.mode,
                                          opaque_kernels=key in self._kernels_as_calls, **call)
        except Exception as e:  # noqa: BLE001 - the eager step then shows a genuine error
            failure = f"it cannot be recorded ({type(e).__name__}: {failure_detail(e)})"
        else:
            failure = None
        if failure is not None:
            # out of the `except` block: its traceback would keep the failed recording's
            # frames, and so its activations, alive through the eager step
            _restore(before)
            self._give_up(key, failure)
            return self.eager(batch)
        if split is not None:
            if not program.replay.segmented:
                # its segments would run one after the other at one BLAS thread: slower
                self._whole_steps(key, program.replay.segments_apart)
                return results
            program.owner = split.owner
        program.recorded_batch = _fingerprint(batch)
        self.programs[key] = program
        return results

    def _verify(self, tracer, key, program, batch):
        if not ONE_AT_A_TIME.acquire(blocking=False):
            return self._eager(key, batch)  # compared at a later step
        try:
            return self._verify_alone(tracer, key, program, batch)
        finally:
            ONE_AT_A_TIME.release()

    def _verify_alone(self, tracer, key, program, batch):
        # on the recorded batch again (one validation batch at every epoch), values the
        # recording took from its data unseen would pass the comparison: the first
        # other batch is then compared again
        same_batch = _fingerprint(batch) == program.recorded_batch
        # a prediction that writes no variable leaves nothing to compare but its outputs
        # and the random generator: no copies of the weights at every `predict`
        whole = self.mode != "predict" or program.writes_state
        before = _snapshot(self.model, whole)
        # a replay owning the threads is compared with an eager step run the same way
        owned = program.owner or contextlib.nullcontext()
        try:
            with owned:
                replayed = program.run(batch)
            replayed = {k: _copy(v) for k, v in replayed.items()}
            failure = None
        except tracer.GuardFailed:
            failure = "its replay read different values from the data"
        except Exception as e:  # noqa: BLE001
            failure = f"its replay failed ({type(e).__name__}: {failure_detail(e)})"
        after_replay = _snapshot(self.model, whole)
        _restore(before)
        with owned:
            results = self._eager(key, batch)
        if failure is not None:
            self._give_up(key, failure)
        elif not (_same_state(after_replay, _snapshot(self.model, whole))
                  and _same_values(replayed, results)):
            self._give_up(key, "its replay did not reproduce the eager step bit for bit")
        else:
            if program.recheck and self.mode != "train":
                self._recheck_after = min(2 * self._recheck_after, RECHECK_AFTER_MOST)
            program.verified = True
            program.recheck = False
            if key in self._kernels_as_calls:
                self._kernels_as_calls_first = True
            program.only_recorded_batch = program.only_recorded_batch and same_batch
        return results

    def _whole_steps(self, key, reason):
        """Gives up splitting the steps of signature `key`: they are recorded again whole."""
        self._split.pop(key, None)
        self.split_reasons[key] = reason
        self._kernels_as_calls.discard(key)
        self.programs[key] = self._record_after

    def _give_up(self, key, reason, retry=True):
        self._recheck_after = RECHECK_AFTER
        if key in self._split and (not retry or key in self._kernels_as_calls):
            self._whole_steps(key, reason)
            return
        if retry and key not in self._kernels_as_calls:
            # the backend's kernels may reach memory directly: record them as calls
            self._kernels_as_calls.add(key)
            self.programs[key] = self._record_after  # recorded again at its next step
            return
        self.programs[key] = _EAGER
        shapes = ", ".join(str(shape) for shape, _ in key[1:])
        self._note_eager(key, reason, f"on batches of shapes {shapes} ")

    def _note_eager(self, key, reason, where=""):
        """Records why steps run eagerly; under `jit_compile=True`, warns the first time."""
        if key in self.reasons:
            return
        self.reasons[key] = reason
        if self.warn and len(self.reasons) == 1:
            warnings.warn(f"jit_compile=True: the {self.mode} step {where}runs eagerly: "
                          f"{reason}.", stacklevel=5)


# held while a step is recorded or compared with its replay, by one thread at a time:
# a recording lends the backend's random generator and kernels and `Optimizer.apply`
# to its recorder (other threads' draws, kernels and updates pass through it), and a
# comparison sets the random generator back; meanwhile other threads' steps run eagerly
ONE_AT_A_TIME = threading.RLock()
# batch signatures tracked per step function; steps on further ones run eagerly
MAX_SIGNATURES = 16
# replayed steps between two checks against the eager step
RECHECK_AFTER = 8
# ... at most, for evaluation and prediction steps (`CompiledStep.recheck`)
RECHECK_AFTER_MOST = 256
# eager prediction batches of a signature before it is recorded
PREDICT_RECORD_AFTER = 200
_EAGER = "eager"  # a signature whose steps are not replayed


class _Program:
    """A recorded step: the replay function and the names of the results it returns."""

    def __init__(self, replay, names, late_changes=None, lazy_results=None):
        self.replay = replay
        self.names = names
        # the function computing the step's results from the metrics' state when they
        # are read (a recording of the default steps' `compute_metrics`), or None: the
        # replay returns them
        self.lazy_results = lazy_results
        # what the replay changes before its last check (`Recorder.late_changes`), or None
        self.late_changes = late_changes
        self.writes_state = replay.writes_state  # it assigns or writes into variables
        # a context running the replay on threads of its own (`numpy_threads`), or None
        self.owner = getattr(replay, "owner", None)
        self.recorded_batch = None  # a digest of the batch it was recorded on
        self.verified = False  # one replay has reproduced the eager step
        self.only_recorded_batch = True  # ... on the recorded batch only, so far
        self.recheck = False   # the next step is to be compared again
        # it makes random draws and checks guards: a replay failing a guard may have drawn
        self.undoes_draws = False
        self.runs = self.misses = 0  # replays tried, and those whose guards failed

    def run(self, batch):
        return self.results(self.replay(*_leaves(batch)))

    def results(self, values):
        """The step's results from the values the replay returned."""
        if self.lazy_results is not None:
            return MetricResults(self.lazy_results)
        values = iter(values)
        return {name: next(values) if keys is None else {key: next(values) for key in keys}
                for name, keys in self.names}


def _split_step_for(tracer, compiled, batch):
    """The split step (`split_step`) of `compiled`'s mode for `batch`'s signature, with
    the threads' owner its replays run under as `.owner`; None where steps run whole."""
    from kerasx.trainers import split_step

    leaves = _leaves(batch)
    owner = tracer.segment_owner()
    if owner is None or not leaves or not hasattr(leaves[0], "shape") or not leaves[0].shape:
        return None
    split = split_step.step_for(compiled.model, leaves[0].shape[0], compiled.mode, compiled)
    if split is not None:
        split.owner = owner
    return split


def _trace(tracer, model, batch, mode, opaque_kernels=False, call=None):
    """Runs the model's train (test, predict) step on `batch` while recording it;
    returns its results and the `_Program` that replays it. With `opaque_kernels`, the
    backend's kernels are recorded as calls, not as the array work inside them. `call`,
    when given, is recorded in place of the predict step (it returns a flat dict)."""
    backend = current()
    recorder = tracer.Recorder()
    holders = _state_variables(model)
    random_draws = backend.rng
    recorded_draws = _RecordedDraws(recorder, random_draws)
    kernels = backend.kernels
    with recorder, folded_weights_not_kept(), _updates_recorded_as_calls(recorder):
        for v in holders:
            recorder.read_variable(v)
        try:
            backend.rng = recorded_draws
            if opaque_kernels:
                backend.kernels = recorder.opaque_kernels(kernels)
            leaves = [recorder.param(leaf) for leaf in _leaves(batch)]
            data = _rebuild(batch, leaves)
            if mode == "train":
                results = (call or model.train_step)(data)
            elif mode == "test":
                results = (call or model.test_step)(data)
            elif call is not None:
                results = call(data)
            else:
                results = _flat_outputs(model.predict_step(data))
            lazy = _lazy_results(results)
            names = [] if lazy is not None else _result_names(results)
            values = [_value(results[n] if keys is None else results[n][key])
                      for n, keys in names for key in (keys or (None,))]
            for v in holders:
                recorder.rebind(v)
            replay = recorder.compile(values)
        finally:
            backend.rng = random_draws
            backend.kernels = kernels
            for v in holders:
                _release(tracer, v)
    if lazy is not None:
        program = _Program(replay, names, recorder.late_changes,
                           _recorded_results(tracer, model, lazy))
    else:
        program = _Program(replay, names, recorder.late_changes)
        results = program.results([_plain_copy(tracer, v) for v in values])
    program.undoes_draws = recorded_draws.made and recorder.guards > 0
    return results, program


def _result_names(results):
    """`(name, keys)` for each of a step's results: `keys` None for a value, the keys of
    a dict of values (a custom step logging the compiled metrics' results), which the
    replay returns one by one."""
    return [(name, list(value) if type(value) is dict else None)
            for name, value in results.items()]


def _lazy_results(results):
    """The function behind `results` when they are metric results not yet computed
    (`compute_metrics`' mapping, as the default steps return it): they depend on the
    metrics' state alone, so the replay leaves them out and they are computed from
    that state when read, as the eager step's are. None otherwise (a custom step's
    own dict, or results it has already read or added to)."""
    if type(results) is MetricResults and results._values is None:
        return results._compute
    return None


def _recorded_results(tracer, model, compute):
    """`compute` (the metric results from the metrics' state) as a function running its
    recording: the results a callback reads after every replayed step cost a few array
    operations, not the metrics' Python (37 against about 10 us for a loss and an
    accuracy). `compute` itself where the recording fails, and for a replay whose
    guards fail."""
    recorder = tracer.Recorder()
    holders = _state_variables(model, metrics_only=True)
    with recorder:
        for v in holders:
            recorder.read_variable(v)
        try:
            results = compute()
            names = list(results)
            replay = recorder.compile([_value(results[n]) for n in names])
        except Exception:  # noqa: BLE001 - the results are then computed as Python
            replay = None
        finally:
            for v in holders:
                _release(tracer, v)
    if replay is None:
        return compute

    def recorded():
        try:
            return dict(zip(names, replay()))
        except tracer.GuardFailed:
            return compute()

    return recorded


def _flat_outputs(outputs):
    return {str(i): leaf for i, leaf in enumerate(tree.flatten(outputs))}


@contextlib.contextmanager
def _updates_recorded_as_calls(recorder):
    """While recording, every optimizer's `apply` (the default `train_step`'s, a custom
    step's, `apply_gradients`') is recorded as one Python call, run at every replay:
    its step count and schedules live on the host."""
    from kerasx.optimizers.optimizer import Optimizer

    original = Optimizer.__dict__["apply"]

    def apply(optimizer, grads, trainable_variables=None):
        if not recorder.active_here() or trainable_variables is None and not optimizer.built:
            # another thread's update, or its error
            return original(optimizer, grads, trainable_variables)
        variables = list(optimizer._trainable_variables if trainable_variables is None
                         else trainable_variables)
        grads = [g.value if isinstance(g, TensorOps) else g for g in grads]
        recorder.mark_mutation()
        _record_update(recorder, optimizer, original, grads, variables)

    Optimizer.apply = apply
    try:
        yield
    finally:
        Optimizer.apply = original


def _record_update(recorder, optimizer, apply, grads, variables):
    """The optimizer's update, run as Python at every replay: `apply` now (it checks
    the gradients and builds the optimizer), `apply_checked` on the gradients it
    keeps at replays when they need no conversion."""
    kept = [(g, v) for g, v in zip(grads, variables) if g is not None]
    if len(grads) == len(variables) and all(
            g.dtype == v.value.dtype and g.shape == v.value.shape for g, v in kept):
        recorder.call_as(optimizer.apply_checked, ([g for g, _ in kept], [v for _, v in kept]),
                         {}, run=lambda: apply(optimizer, recorder.plain(grads), variables))
    else:
        recorder.call(functools.partial(apply, optimizer), grads, variables)


class _RecordedDraws:
    """The backend's random generator seen through a recording: every draw is made
    again (new numbers) at each replay."""

    def __init__(self, recorder, draws):
        self._recorder = recorder
        self._draws = draws
        self.made = False  # a draw was recorded

    def __getattr__(self, name):
        method = getattr(self._draws, name)
        if not callable(method):
            return method
        return lambda *args, **kwargs: self._draw(method, args, kwargs)

    def _draw(self, method, args, kwargs):
        if not self._recorder.active_here():  # another thread's draw
            return method(*args, **kwargs)
        self.made = True
        seed = kwargs.get("seed")
        if type(seed) is CountedSeed:  # a counter's seed: each replay takes its next one
            rest = {k: v for k, v in kwargs.items() if k != "seed"}
            return self._recorder.draw(_CountedDraw(method, seed), *args, **rest)
        return self._recorder.draw(method, *args, **kwargs)


class _CountedDraw:
    """A draw seeded by a counter (a `SeedGenerator`, a seeded layer's stream), as a
    recorded call: the recording's draw uses the seed it was given, every replay the
    counter's next one, so replayed steps draw and count as eager ones do."""

    __slots__ = ("method", "counter", "first")

    def __init__(self, method, seed):
        self.method, self.counter, self.first = method, seed.counter, seed

    def __call__(self, *args, **kwargs):
        seed, self.first = self.first, None
        return self.method(*args, seed=self.counter.next() if seed is None else seed,
                           **kwargs)


def _release(tracer, holder):
    """Gives `holder` a plain array of its own after recording (as the eager kernels
    do before writing into an array someone else may hold)."""
    value = holder._value
    if type(value) is tracer.TraceArray:
        holder._value = value.view(tracer.TraceArray.__base__).copy()


def _plain_copy(tracer, value):
    if type(value) is tracer.TraceArray:
        return value.view(tracer.TraceArray.__base__).copy()
    return value


def _value(result):
    return result.value if isinstance(result, TensorOps) else result


def _state_variables(model, metrics_only=False):
    """The variables the step reads and writes besides the optimizer's own: the
    model's weights and the metrics' running totals (those alone with `metrics_only`)."""
    out, seen = [], set()
    metric_variables = [v for m in model.metrics for v in m.variables]
    for v in metric_variables if metrics_only else list(model.variables) + metric_variables:
        # every Variable but a HostScalar (an AutocastVariable of a mixed-precision layer too)
        if id(v) not in seen and isinstance(v, Variable) and not hasattr(v, "host_value"):
            seen.add(id(v))
            out.append(v)
    return out


def _all_state(model):
    out, seen = [], set()
    for v in (list(model.variables) + [v for m in model.metrics for v in m.variables]
              + [v for optimizer in _optimizers(model) for v in optimizer.variables]):
        if id(v) not in seen:
            seen.add(id(v))
            out.append(v)
    return out


def _optimizers(model):
    """The model's optimizer and any other its attributes hold (a custom `train_step`
    may update parts of the model with optimizers of their own)."""
    from kerasx.optimizers.optimizer import Optimizer

    return [value for value in vars(model).values() if isinstance(value, Optimizer)]


def _snapshot(model, variables=True):
    """The random generator's state, the seed counters' and (with `variables`) a copy
    of every variable."""
    backend = current()
    return (backend_random.get_state(), counter_states(),
            [(v, backend.to_numpy(v.value).copy()) for v in _all_state(model)]
            if variables else [])


def _before_replay(model, program):
    """What a replay failing a check leaves changed, saved for `_undo`, or None: the
    random draws it made before the check (the eager step then draws the numbers the
    replay took: the next dropout mask, seed counter), the arrays of the variables it
    assigned or wrote into (a batch normalization's moving statistics, updated in the
    forward pass before the backward's checks; copied only where written in place),
    and every variable where a Python call (an optimizer's update) precedes a check."""
    late = program.late_changes
    if late is not None and late[1]:
        return _snapshot(model), ()
    draws = _snapshot(model, False) if program.undoes_draws else None
    if late is None:
        return None if draws is None else (draws, ())
    arrays = []
    for holder, attribute, in_place in late[0]:
        value = getattr(holder, attribute)
        arrays.append((holder, attribute, value.copy() if in_place else value))
    return draws, arrays


def _undo(saved):
    """Puts back what `_before_replay` saved."""
    snapshot, arrays = saved
    if snapshot is not None:
        _restore(snapshot)
    for holder, attribute, value in arrays:
        setattr(holder, attribute, value)


def _restore(snapshot):
    state, counters, values = snapshot
    backend_random.set_state(state)
    restore_counters(counters)
    backend = current()
    for v, value in values:
        v.assign(backend.asarray(value.copy()))


def _same_state(a, b):
    if a[0] != b[0] or a[1] != b[1] or len(a[2]) != len(b[2]):
        return False
    return all(va is vb and _same_bits(x, y) for (va, x), (vb, y) in zip(a[2], b[2]))


def _same_values(a, b):
    if set(a) != set(b):
        return False
    backend = current()
    return all(_same_values(a[k], b[k]) if type(a[k]) is dict and type(b[k]) is dict
               else _same_bits(backend.to_numpy(_value(a[k])), backend.to_numpy(_value(b[k])))
               for k in a)


def _same_bits(x, y):
    return x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes()


def _copy(value):
    value = _value(value)
    return value.copy() if hasattr(value, "copy") else value


def _signature(batch, backend):
    """`(key, leaves)`: the key is the batch's structure and its arrays' shapes and
    dtypes (None when it holds anything but arrays of the backend)."""
    is_native = backend.is_native
    if type(batch) is tuple:  # `fit`'s `(x, y)` of single arrays, at every step: no walk
        leaves = [b.value if isinstance(b, TensorOps) else b for b in batch]
        if all(map(is_native, leaves)):
            return ((("tuple",) + ("array",) * len(leaves),)
                    + tuple((leaf.shape, leaf.dtype) for leaf in leaves)), leaves
    leaves = _leaves(batch)
    for leaf in leaves:
        if not is_native(leaf):
            return None, leaves
    return (_structure(batch),) + tuple((leaf.shape, leaf.dtype) for leaf in leaves), leaves


def _fingerprint(batch):
    """A digest of the batch's values (read on the host), to tell whether a step is
    checked on the very batch it was recorded on."""
    backend = current()
    digest = hashlib.blake2b(digest_size=16)
    for leaf in _leaves(batch):
        digest.update(backend.to_numpy(leaf).tobytes())
    return digest.digest()


def _leaves(batch):
    """The batch's arrays, in the order `_rebuild` puts them back."""
    if isinstance(batch, (list, tuple)):
        return [leaf for node in batch for leaf in _leaves(node)]
    if isinstance(batch, dict):
        return [leaf for node in batch.values() for leaf in _leaves(node)]
    if batch is None:
        return []
    return [batch.value if isinstance(batch, TensorOps) else batch]


def _structure(batch):
    if isinstance(batch, (list, tuple)):
        return (type(batch).__name__,) + tuple(_structure(b) for b in batch)
    if isinstance(batch, dict):
        return ("dict",) + tuple((k, _structure(v)) for k, v in batch.items())
    return "array" if batch is not None else "none"


def _rebuild(batch, leaves):
    it = iter(leaves)

    def build(node):
        if isinstance(node, (list, tuple)):
            return type(node)(build(n) for n in node)
        if isinstance(node, dict):
            return {k: build(v) for k, v in node.items()}
        if node is None:
            return None
        return Tensor(next(it)) if isinstance(node, TensorOps) else next(it)

    return build(batch)
