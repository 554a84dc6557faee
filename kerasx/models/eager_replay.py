"""Eager calls of a functional or Sequential model on plain arrays, replayed.

`model(x)` in a loop (an inference service, an agent choosing actions, a custom loop's
validation) pays for the layers' Python at every call: argument handling, shape checks,
the choice of kernels. On a backend that records array work (NumPy), a functional or
Sequential model made of kerasx's own layers records such a call as `predict` records
its steps (`kerasx.trainers.compiled_step`): after `CALL_RECORD_AFTER` eager calls
with one input signature (shapes, dtypes, structure, `training` None or False), the
next call is recorded, the one after runs both ways and is compared bit for bit (then
once more on the batch's values rolled by one place, so that a recording that took
its input for a constant is caught even when a loop calls the model on one array),
and from then on calls of that signature run the recorded array work alone. The
outputs are fresh Tensors with the values, and the `logits` (the pre-activation a
following cross-entropy reads), of the eager call's.

Only calls that change nothing but their outputs are replayed: inputs that are arrays
of the backend (or a list, tuple or dict of them; not Tensors, which may carry masks),
no gradient tape open, not inside another layer's call, a `StatelessScope` or a
recording, no `mask` or other argument, and a model whose layers are kerasx's own (no
`Lambda`, no subclass, no user activation function), none stateful, none with an
activity regularizer, none unbuilt. `compile(jit_compile=False)` or `run_eagerly=True`
keep every call of the model eager, as its steps. A call whose outputs carry a mask
stops the replays of that model. Setting or deleting an attribute of any layer (a new
weight variable, `Sequential.add`, an activation swapped; a call that does so is not
recorded; not a model's bookkeeping of its `fit` / `evaluate` / `predict` runs, which no
call reads: `layer._RUN_BOOKKEEPING`) drops every recording, which is made again from eager calls, until
recordings dropped after a few calls each (`MAX_RESTARTS`) leave the model's calls
eager; values assigned to the variables are read at each replay. Every `RECHECK_CALLS`
replays, one call is compared with the eager call again. One call in the process is
recorded or compared at a time (the recorder follows its own thread's array work
only; calls in other threads meanwhile run eagerly); replays run on any thread. A
comparison sets the random generator's state back after the replay it checks: a
random draw another thread makes in that moment is made again.
"""

import threading

from kerasx import tree
from kerasx.autodiff import tape
from kerasx.autodiff.tensor import Tensor
from kerasx.backends import current
from kerasx.layers import layer as layer_module
from kerasx.layers._layer_scopes import _SCOPE, _stateless_scope
from kerasx.trainers.compiled_step import ONE_AT_A_TIME, CompiledStep, _restore, _snapshot

# eager calls of a signature before it is recorded (a model called once or twice, as
# in a script or a test, is never recorded)
CALL_RECORD_AFTER = 3
# replayed calls between two comparisons with the eager call
RECHECK_CALLS = 1000
# recordings dropped soon after they were made before a model's calls stay eager (code
# that sets a layer attribute between calls would otherwise record again and again)
MAX_RESTARTS = 4
# a recording that served at least this many calls before it was dropped was worth it
# (recording and checking cost about four eager calls)
_WORTHWHILE = 20
# layer classes of kerasx that run code of the user's (or of another library)
_OPAQUE_LAYERS = frozenset({"Lambda", "TorchModuleWrapper", "JaxLayer", "FlaxLayer",
                            "TFSMLayer"})


def replayed_call(model, args, kwargs):
    """`model(*args, **kwargs)` from the model's recording, or None when the call is to
    run as usual (see the module docstring)."""
    if len(args) != 1 or (kwargs and (len(kwargs) != 1 or kwargs.get("training", True)
                                      not in (None, False))):
        return None
    if tape.is_recording() or layer_module._CALL_WATCHERS or _SCOPE.get():
        return None
    calls = model.__dict__.get("_eager_calls")
    if calls is None or calls.version != layer_module.LAYER_CHANGES[0] \
            or calls.model is not model:
        calls = _EagerCalls.renewed(model, calls)
    if calls.off:
        return None
    backend = current()
    if backend is not calls.backend:
        calls.restart(backend)
    tracer = calls.tracer
    if tracer is None or tracer._ACTIVE.recorder is not None or _stateless_scope() is not None \
            or not _plain_arrays(args[0], backend.is_native):
        return None
    training = kwargs.get("training")
    step = calls.steps.get(training)
    if step is None:
        step = calls.steps[training] = _CallStep(model, calls, training)
    return step((args[0],))


def _rolled(xp, inputs):
    """`inputs` (an array, or a list, tuple or dict of them) with each array's values
    moved one place along its flattened order, in a new array of the same shape."""
    if type(inputs) in (list, tuple):
        return type(inputs)(_rolled(xp, x) for x in inputs)
    if type(inputs) is dict:
        return {k: _rolled(xp, x) for k, x in inputs.items()}
    return xp.reshape(xp.roll(xp.reshape(inputs, (-1,)), 1), inputs.shape)


def _plain_arrays(inputs, is_native):
    """Whether `inputs` is an array of the backend, or a list, tuple or dict of them (not
    Tensors, which may carry masks)."""
    if is_native(inputs):
        return True
    if type(inputs) in (list, tuple):
        return all(is_native(x) for x in inputs)
    if type(inputs) is dict:
        return all(is_native(x) for x in inputs.values())
    return False


class _EagerCalls:
    """A model's replayed calls: one `_CallStep` per `training` value, valid while no
    layer attribute changes (`LAYER_CHANGES`)."""

    def __init__(self, model, restarts=0):
        self.model = model
        self.version = layer_module.LAYER_CHANGES[0]
        self.restarts = restarts
        self.eligible = _replayable(model)
        self.off = restarts > MAX_RESTARTS or not self.eligible
        self.backend = self.tracer = None
        self.steps = {}

    @classmethod
    def renewed(cls, model, old):
        """The model's calls after a change: recorded again, unless recordings keep being
        dropped before they served `_WORTHWHILE` calls."""
        restarts = 0
        if old is not None and old.model is model:
            served = sum(step.served for step in old.steps.values())
            restarts = 0 if served >= _WORTHWHILE else old.restarts + old.eligible
        calls = cls(model, restarts)
        object.__setattr__(model, "_eager_calls", calls)  # not a tracked attribute
        return calls

    def restart(self, backend):
        self.backend, self.tracer = backend, backend.step_recorder()
        self.steps = {}

    def stop(self):
        """Runs the model's calls as usual from now on (until a layer changes)."""
        self.off = True
        self.steps = {}

    # a copied model must not replay the original's variables
    def __deepcopy__(self, memo):
        return None

    def __reduce__(self):
        return (type(None), ())


def _replayable(model):
    """Whether the model's calls may be replayed: a functional or Sequential model of
    kerasx's own layers, built, that keeps no state across calls and adds no losses."""
    from kerasx.models.functional import Functional
    from kerasx.models.sequential import Sequential

    if type(model) not in (Functional, Sequential) or not model.built \
            or model.jit_compile is False or model.run_eagerly:
        return False
    for layer in [model] + model._flatten_layers():
        kind = type(layer)
        if (not _ours(kind) or kind.__name__ in _OPAQUE_LAYERS
                or not getattr(layer, "built", False) or not getattr(layer, "supports_jit", True)
                or getattr(layer, "_autocasts", True)
                or getattr(layer, "activity_regularizer", None) is not None
                or getattr(layer, "_remat_mode", None) is not None
                or getattr(layer, "stateful", False)):
            return False
        # `activation`, `recurrent_activation`...: a function of the user's runs at each call
        if any(name.endswith("activation") and callable(value) and not _ours(value)
               for name, value in vars(layer).items()):
            return False
    return True


def _ours(obj):
    return (getattr(obj, "__module__", None) or "").startswith("kerasx.")


class _NotReplayable(Exception):
    pass


class _CallStep(CompiledStep):
    """The model's eager call with one `training` value (None or False), recorded and
    replayed per input signature as `CompiledStep` does a prediction step."""

    def __init__(self, model, calls, training):
        super().__init__(model, "predict", warn=False)
        self.calls = calls
        self.training = training
        self.eager = self._flat_call
        self._record_after = CALL_RECORD_AFTER
        self.served = 0  # calls replayed
        self._local = threading.local()  # `outputs`: those of this thread's eager call

    def __call__(self, batch):
        local = self._local
        local.outputs = None
        results = self._step(batch)
        if self._replays >= RECHECK_CALLS:
            self.recheck()
        if local.outputs is not None:  # this call ran eagerly: its own outputs
            outputs, local.outputs = local.outputs, None
            return outputs
        self.served += 1
        return self._outputs(results)

    # one recording or comparison at a time in the process (`ONE_AT_A_TIME`, taken by
    # `CompiledStep._record` and `_verify` too): the comparison on other values as well
    def _verify(self, tracer, key, program, batch):
        if not ONE_AT_A_TIME.acquire(blocking=False):
            return self.eager(batch)
        try:
            results = super()._verify(tracer, key, program, batch)
            if program.verified and program.only_recorded_batch \
                    and self.programs.get(key) is program:
                self._verify_on_other_values(tracer, key, program, batch)
            return results
        finally:
            ONE_AT_A_TIME.release()

    def _verify_on_other_values(self, tracer, key, program, batch):
        """Compares the replay with the eager call once more on the batch's values rolled
        by one place: a loop calling the model on one array (refilled in place or not)
        would otherwise have every call's values hashed, to tell whether the recording
        still runs on the batch it was recorded on (`CompiledStep._verify`). The outputs,
        random state and seed counters of the call are left as they were."""
        xp = current().xp
        other = tuple(_rolled(xp, x) for x in batch)
        outputs, state = self._local.outputs, _snapshot(self.model, False)
        try:
            super()._verify(tracer, key, program, other)
        except Exception:  # noqa: BLE001 - values the model refuses: the hashes then
            pass
        finally:
            _restore(state)
            self._local.outputs = outputs

    def _recorded_call(self, data):
        flat = self._flat_call(data, recording=True)
        self._local.outputs = None
        return flat

    def _flat_call(self, batch, recording=False):
        """The eager call's outputs as the flat dict a recording returns: output `i`
        under `"i"`, its logits' pre-activation under `"i:kind"` and their kept parts
        under `"i:kind:j"`."""
        from kerasx.layers.layer import Layer

        model = self.model
        kwargs = {} if self.training is None else {"training": self.training}
        version = layer_module.LAYER_CHANGES[0]
        outputs = Layer.__call__(model, batch[0], **kwargs)
        self.structure = outputs
        if recording and layer_module.LAYER_CHANGES[0] != version:
            # (an eager call that sets a layer attribute has the recordings dropped at
            # the next call, which counts towards `MAX_RESTARTS`)
            raise _NotReplayable("the call sets a layer attribute")
        flat, replayable = {}, True
        for i, out in enumerate(tree.flatten(outputs)):
            if type(out) is not Tensor or out._keras_mask is not None or out.tracked:
                replayable = False
                break
            flat[str(i)] = out
            if out.logits is not None:
                kind, pre, parts = out.logits
                if not isinstance(pre, Tensor) or not (parts is None
                                                       or type(parts) is tuple):
                    replayable = False
                    break
                flat[f"{i}:{kind}"] = pre
                for j, part in enumerate(parts or ()):
                    flat[f"{i}:{kind}:{j}"] = part
        if not replayable:
            if recording:
                raise _NotReplayable("the call returns masked outputs or other values")
            self.calls.stop()
            flat = {"0": outputs}
        self._local.outputs = outputs
        return flat

    def _outputs(self, results):
        """The Tensors of a recorded or replayed call, packed as the eager outputs."""
        flat, logits = [], {}
        for name, value in results.items():
            if ":" not in name:
                flat.append(Tensor(value))
                continue
            index, kind, *part = name.split(":")
            entry = logits.setdefault(int(index), [kind, None, None])
            if part:
                entry[2] = (entry[2] or ()) + (value,)
            else:
                entry[1] = Tensor(value)
        for index, (kind, pre, parts) in logits.items():
            flat[index].logits = (kind, pre, parts)
        structure = self.structure
        if type(structure) is Tensor:
            return flat[0]
        return tree.pack_sequence_as(structure, flat)
