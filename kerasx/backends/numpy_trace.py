"""Recording one training step's NumPy work once and replaying it as straight-line code.

While a `Recorder` is active, the step runs on `TraceArray`s: NumPy arrays whose
ufuncs (`__array_ufunc__`), NumPy functions (`__array_function__`), methods and
indexing are executed as usual and also written down as one line of Python each,
`r12 = _c3(r7, r9)`. The lines become one function (`Recorder.compile`) that does
exactly that NumPy work again on new inputs, without the layers, tape, losses and
metric objects that decided it: the per-step Python cost of a small model falls to
about that of the same step written by hand.

Arrays the backend's namespace makes while recording (`empty`, `zeros`, `ones`,
`full`) are recorded arrays too, so data later written into them by indexing (a
padded copy of the input) is followed. A kernel recorded as one call may return the
state its backward needs (an object of a `kerasx.backends` module): the replay hands
the backward its own object, by name. A kernel whose own NumPy work a recording cannot
follow (strided views, copies by functions that do not dispatch, buffers filled by a
BLAS call) is marked `recordable_helper` (`numpy_trace_array`): handed a recorded array,
it is recorded as one line, run again at every replay.

What cannot be written down stops the recording (`UntraceableStep`): a derived
array NumPy made without telling us, or a raw pointer handed to a C library. A
value read into Python (`bool(x)`, `float(x)`, `int(x)`) becomes a guard: the
replay checks that it reads the same value and raises `GuardFailed` otherwise,
so data-dependent decisions (a label out of range, a NaN check) are never skipped
silently; so does a kernel recorded as one call that declines (returns None) or gives
another structure than it gave the recording. Work the caller wants run as Python at
every replay (an optimizer's update with its host-side step count, random draws)
goes through `Recorder.call`. Checks stay where the step made them, after changes
to variables too; `compile` moves an optimizer's update after the checks that follow
it where they touch nothing it reads or writes, and `Recorder.late_changes` tells the
caller what a replay failing a check has changed before it (to be given back;
`numpy_trace_checks`).
The caller still checks a replay against an eager run of the same step before
trusting it: code can reach memory in ways no recording sees.
"""

import contextlib
import math
import weakref

import numpy as np

from kerasx.backends import numpy_threads, numpy_trace_segments
from kerasx.backends.numpy_optim import private_buffer
from kerasx.backends.numpy_trace_checks import (PythonCall, changes_before_last_check,
                                               checks_first)
from kerasx.backends.numpy_trace_array import (_ACTIVE, _INPLACE, _STATIC, GuardFailed,
                                               TraceArray, UntraceableStep, _plain, _unwrap)

__all__ = ["GuardFailed", "Recorder", "TraceArray", "UntraceableStep", "segment",
           "segment_owner"]


class _Ref:
    """A weak link from a recorded array to its name (`id`s are reused once it dies)."""

    __slots__ = ("ref", "name")

    def __init__(self, array, name):
        self.ref = weakref.ref(array)
        self.name = name


class Recorder:
    """Runs NumPy work on TraceArrays and writes it down as straight-line Python."""

    def __init__(self):
        self._lines = []       # (source, names read, names written, pure)
        # lines emitted inside `segment(k)`: id(line) -> (k, kind), kind "draw" for a
        # random draw, "call" for another Python call, None for array work
        self._segment_tags = {}
        self._segment = None
        self._kind = None  # the kind of Python call whose lines are being emitted
        self._consts = {}      # name -> object
        self._const_names = {}  # id(object) -> name
        self._refs = {}        # id(array) -> _Ref
        self._objects = {}     # id(object) -> (object, name): kernels' saved state
        self._count = 0
        self._guards = 0
        self._params = []
        # id(holder) -> [holder, attribute, weak link to the array the replay has there]
        self._bound = {}
        self._reads = {}        # name of a holder's array read -> the holder's constant name
        self._variable_names = set()
        self._mutated = False
        # id(line) -> what the line changes: `(holder, attribute, in_place)` for a
        # holder's array replaced (or written in place), `PythonCall`s
        self._effects = {}
        self._checks = set()  # id(line) of the lines that may raise GuardFailed
        self.late_changes = None  # set by `compile`
        # whether the step silenced floating-point warnings somewhere: the replay, which
        # does not know where, then silences them throughout
        self.quiet = False
        # large matrix products the replay can split over two threads, other large
        # products, and kernels recorded as calls (whose products it cannot split)
        self.split_products = self.other_products = self.opaque_calls = 0

    # -- naming -------------------------------------------------------------------------
    def _new_name(self):
        self._count += 1
        return f"r{self._count}"

    def _register(self, array, name):
        self._refs[id(array)] = _Ref(array, name)

    def _name_of(self, array):
        ref = self._refs.get(id(array))
        if ref is not None and ref.ref() is array:
            return ref.name
        return None

    def const(self, obj):
        """The name the program gives the constant `obj` (kept alive by the program)."""
        name = self._const_names.get(id(obj))
        if name is None or self._consts[name] is not obj:
            name = f"_c{len(self._consts)}"
            self._consts[name] = obj
            self._const_names[id(obj)] = name
        return name

    def src(self, obj, reads):
        """Python source that evaluates to `obj` at replay; names read go into `reads`."""
        t = type(obj)
        if t is TraceArray or t is np.ndarray:
            name = self._name_of(obj)
            if name is not None:
                reads.add(name)
                return name
            if t is TraceArray:
                raise UntraceableStep(
                    f"an array of shape {obj.shape} was derived without being recorded")
            name = self._alias(obj)
            if name is not None:
                reads.add(name)
                return name
            return self.const(obj)
        known = self._objects.get(id(obj))
        if known is not None and known[0] is obj:
            reads.add(known[1])
            return known[1]
        if t is tuple:
            inner = "".join(self.src(o, reads) + ", " for o in obj)
            return f"({inner})"
        if t is list:
            return "[" + ", ".join(self.src(o, reads) for o in obj) + "]"
        if t is dict and all(type(k) is str for k in obj):
            return "{" + ", ".join(f"{k!r}: {self.src(v, reads)}" for k, v in obj.items()) + "}"
        if t is slice and not any(type(p) in (TraceArray, np.ndarray)
                                  for p in (obj.start, obj.stop, obj.step)):
            return repr(obj)
        if obj is None or obj is Ellipsis or t is bool or t is int or t is str:
            return repr(obj)
        return self.const(obj)

    def _written(self, array, reads):
        """The name of a recorded array that an op writes into (`out=`). An array made
        outside the recording (a buffer `np.empty` gave, a constant) would carry the
        result past the recording, and work on it would be taken as constant."""
        if type(array) is np.ndarray and self._name_of(array) is None \
                and self._alias(array) is None:
            raise UntraceableStep(f"an array of shape {array.shape} made outside the "
                                  "recording was written into")
        return self.src(array, reads)

    def _alias(self, array):
        """The name of a recorded array that `array` (a plain view NumPy made of it,
        as `np.asarray` does) shows exactly; raises if it shows part of one."""
        base = array.base
        if base is None:
            return None
        for ref in list(self._refs.values()):
            known = ref.ref()
            if known is None:
                continue
            if not np.shares_memory(known, array):
                continue
            if (known.__array_interface__["data"][0] == array.__array_interface__["data"][0]
                    and known.shape == array.shape and known.strides == array.strides
                    and known.dtype == array.dtype):
                return ref.name
            raise UntraceableStep(
                f"an array of shape {array.shape} shares memory with a recorded one "
                "without being recorded")
        return None

    def _emit(self, source, reads, writes=(), pure=False, effects=()):
        """Adds a line; a `pure` one only computes its `writes` (dropped if none is read).
        `effects`: what it changes besides its `writes` (`_effects`)."""
        line = (source, frozenset(reads), tuple(writes), pure)
        changed = [(self._consts[self._reads[w]], "_value", True) if w in self._reads
                   else PythonCall((), ())  # (the array of a holder's other attribute)
                   for w in writes if w in self._variable_names]
        if changed or effects:
            self._mutated = True
            self._effects[id(line)] = tuple(changed) + tuple(effects)
        self._lines.append(line)
        if self._segment is not None:
            self._segment_tags[id(line)] = (self._segment, self._kind)
        return line

    def active_here(self):
        """Whether this recorder records the calling thread's work now (not another
        thread's, nor the inside of a call it records)."""
        return _ACTIVE.recorder is self

    def segment(self, index):
        """A context whose work is segment `index` of a step split in independent parts
        (the halves of a batch): the replay may run the segments on two threads at
        once (`kerasx.backends.numpy_trace_segments`)."""
        return _Segment(self, index)

    def mark_mutation(self):
        """Declares that from here on the step changes state the recording does not
        follow (an optimizer's update): a check failing later has the replay's caller
        undo every change (`late_changes`) before running the step eagerly."""
        self._mutated = True

    def _check(self):
        """The index of a new check (`GuardFailed(index)`), whose line the caller
        marks with `_mark_check` once emitted."""
        self._guards += 1
        return self._guards - 1

    def _mark_check(self, first):
        """Marks the line at `first` in `_lines` (the one just emitted for a check,
        before any lines unpacking its result) as a check."""
        self._checks.add(id(self._lines[first]))

    def _outputs(self, call, reads, result, pure=True):
        """Records `name = call` for a fresh result and returns it as TraceArrays."""
        if type(result) is tuple and all(isinstance(r, np.ndarray) for r in result):
            names = [self._new_name() for _ in result]
            self._emit(", ".join(names) + ", = " + call, reads, names, pure)
            out = tuple(self._wrap(r, n) for r, n in zip(result, names))
            return out
        if isinstance(result, (np.ndarray, np.generic)):
            name = self._new_name()
            self._emit(f"{name} = {call}", reads, (name,), pure)
            return self._wrap(result, name)
        if result is None:
            self._emit(call, reads)
            return None
        name = self._new_name()
        self._emit(f"{name} = {call}", reads, (name,), pure)
        return self._unpack(name, result)

    def _unpack(self, name, value):
        """`value` (a call's result held in `name`) with its arrays recorded as
        `r = name[i][j]` and its Python numbers guarded."""
        t = type(value)
        if t is tuple or t is list:
            parts = []
            for i, item in enumerate(value):
                if item is None or type(item) in (str, type(Ellipsis)):
                    parts.append(item)
                    continue
                sub = self._new_name()
                self._emit(f"{sub} = {name}[{i}]", {name}, (sub,), True)
                parts.append(self._unpack(sub, item))
            return t(parts)
        if isinstance(value, (np.ndarray, np.generic)):
            return self._wrap(value, name)
        if t in (bool, int, float):
            self.guard_value(name, value)
            return value
        if value is None or isinstance(value, np.dtype):
            return value
        if callable(value):
            return _RecordedCallable(self, name, value, self._kind or "call")
        if getattr(t, "__module__", "").startswith("kerasx.backends."):
            # what a kernel's forward hands its backward: later calls are given the
            # replay's own object by name
            self._objects[id(value)] = (value, name)
            return value
        raise UntraceableStep(f"a recorded call returned a {t.__name__}")

    def _wrap(self, result, name):
        if isinstance(result, np.generic):
            result = np.asarray(result)
        elif type(result) is not np.ndarray:
            raise UntraceableStep(f"a recorded call returned a {type(result).__name__}")
        wrapped = result.view(TraceArray)
        self._register(wrapped, name)
        return wrapped

    # -- what TraceArrays report -----------------------------------------------------------
    def ufunc(self, ufunc, method, inputs, kwargs):
        reads = set()
        args = [self.src(x, reads) for x in inputs]
        out = kwargs.get("out")
        writes = ()
        if out is not None:
            writes = [self._written(o, reads) for o in out]
        elif method == "at":  # `ufunc.at(a, ...)` writes into `a`
            writes = [self._written(inputs[0], reads)]
        args += [f"{k}={self.src(v, reads)}" for k, v in kwargs.items()]
        target = self.const(ufunc) if method == "__call__" else f"{self.const(ufunc)}.{method}"
        call = f"{target}({', '.join(args)})"
        result = getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs))
        if ufunc is np.matmul:
            self._count_product(inputs, kwargs)
        if out is not None:
            self._emit(call, reads, writes)
            return out[0] if len(out) == 1 else out
        if method == "at":
            self._emit(call, reads, writes)
            return None
        return self._outputs(call, reads, result)

    def function(self, func, args, kwargs):
        if func in _STATIC:
            return func(*_unwrap(args), **_unwrap(kwargs))
        reads = set()
        parts = [self.src(a, reads) for a in args]
        parts += [f"{k}={self.src(v, reads)}" for k, v in kwargs.items()]
        keywords = _METHOD_FORMS.get(func)
        if keywords is not None and args and type(args[0]) in (TraceArray, np.ndarray) \
                and keywords.issuperset(kwargs):
            # the array's own method: NumPy's function reaches it through a Python
            # wrapper costing more than the method itself (`np.reshape` 1.8 us, 0.2)
            call = f"{parts[0]}.{func.__name__}({', '.join(parts[1:])})"
        else:
            call = f"{self.const(func)}({', '.join(parts)})"
        plain_kwargs = _unwrap(kwargs)
        result = func(*_unwrap(args), **plain_kwargs)
        if func in _OTHER_PRODUCTS and _work(args) >= _LARGE_OPERANDS:
            self.other_products += 1
        out = kwargs.get("out")
        # (the array it wrote into is the plain view it was handed of a recorded `out`)
        if out is not None and result is plain_kwargs["out"]:
            self._emit(call, reads, [self._written(out, reads)])
            return out
        return self._outputs(call, reads, result)

    def helper(self, func, args, kwargs):
        """Records `func(*args, **kwargs)` as one line (`recordable_helper`): `func`
        runs on plain arrays with the recording paused, and its results are recorded.
        A None result (it declined) is recorded as a check that it declines again."""
        _ACTIVE.recorder = None
        try:
            result = func(*_unwrap(args), **_unwrap(kwargs))
        finally:
            _ACTIVE.recorder = self
        reads = set()
        parts = [self.src(a, reads) for a in args]
        parts += [f"{k}={self.src(v, reads)}" for k, v in kwargs.items()]
        # as for a kernel recorded as a call: one declining other data, accepting data
        # it declined, or giving another structure fails a check at replay
        call = f"_same_form({self.const(func)}({', '.join(parts)}), " \
               f"{self.const(_form(result))}, {self._check()})"
        first = len(self._lines)
        if result is None:
            self._emit(call, reads)
            outputs = None
        else:
            if _work(args) >= _LARGE_OPERANDS:
                self.other_products += 1  # its products, if any, are not split
            outputs = self._outputs(call, reads, result)
        self._mark_check(first)
        return outputs

    def method(self, array, name, args, kwargs):
        reads = set()
        target = self.src(array, reads)
        parts = [self.src(a, reads) for a in args]
        parts += [f"{k}={self.src(v, reads)}" for k, v in kwargs.items()]
        if name == "__getitem__":
            call = f"{target}[{parts[0]}]"
        else:
            call = f"{target}.{name}({', '.join(parts)})"
        result = getattr(array.view(np.ndarray), name)(*_unwrap(args), **_unwrap(kwargs))
        if name in _INPLACE:
            self._emit(call, reads, [target])
            return result
        return self._outputs(call, reads, result)

    def setitem(self, array, key, value):
        reads = set()
        target = self.src(array, reads)
        source = f"{target}[{self.src(key, reads)}] = {self.src(value, reads)}"
        np.ndarray.__setitem__(array.view(np.ndarray), _unwrap(key), _plain(value))
        reads.add(target)
        self._emit(source, reads, [target])

    def _count_product(self, inputs, kwargs):
        a, b = inputs[0], inputs[1]
        if not (hasattr(a, "ndim") and hasattr(b, "ndim")):
            return
        if a.ndim == b.ndim == 2 and set(kwargs) <= {"out"}:
            if a.shape[0] * a.shape[1] * b.shape[1] >= numpy_threads.SPLIT_PRODUCT:
                self.split_products += 1
        elif a.size * (b.shape[-1] if b.ndim > 1 else 1) >= numpy_threads.SPLIT_PRODUCT:
            self.other_products += 1  # a stack of products, or a vector's

    def guard(self, array, convert, value):
        reads = set()
        name = self._new_name()
        self._emit(f"{name} = {self.const(convert)}({self.src(array, reads)})", reads, (name,),
                   True)
        self.guard_value(name, value)

    @property
    def guards(self):
        """The number of checks the replay makes of values it reads (`GuardFailed`)."""
        return self._guards

    def guard_value(self, name, value):
        if type(value) is float and math.isnan(value):
            test = f"{name} == {name}"
        elif type(value) in (bool, int, str) or value is None:
            test = f"{name} != {value!r}"
        elif type(value) is float:
            test = f"{name} != {self.const(value)}"
        else:
            raise UntraceableStep(f"the step read a {type(value).__name__} from an array")
        self._emit(f"if {test}: raise _GuardFailed({self._check()})", {name})
        self._mark_check(len(self._lines) - 1)

    @staticmethod
    def plain(obj):
        """`obj` with its recorded arrays as plain NumPy views (through lists, tuples, dicts)."""
        return _unwrap(obj)

    def opaque_kernels(self, kernels):
        """`kernels` (a name -> function table) with each function recorded as one
        `call` (its own work unrecorded, run again at each replay) unless it is handed
        an object holding an array (a Variable), whose array work is recorded instead."""
        return {name: self._opaque(fn) for name, fn in kernels.items()}

    def _opaque(self, fn):
        def kernel(*args, **kwargs):
            if _ACTIVE.recorder is not self or any(hasattr(a, "_value") for a in args):
                return fn(*args, **kwargs)
            self.opaque_calls += 1
            return self._call(self.const(fn), fn, args, kwargs, kind="kernel")

        return kernel

    # -- what the caller records ---------------------------------------------------------
    def param(self, array):
        """`array` as an argument of the program (a batch's array); returns its TraceArray."""
        name = self._new_name()
        self._params.append(name)
        return self._wrap(_plain(array), name)

    def read_variable(self, holder, attribute="_value"):
        """Replaces `holder.<attribute>` (an array) by a TraceArray that owns a copy of it,
        read from the holder at the start of each replay. Returns the original array."""
        original = getattr(holder, attribute)
        owned = np.ndarray.__new__(TraceArray, original.shape, original.dtype)
        np.copyto(owned.view(np.ndarray), _plain(original))
        name = self._new_name()
        self._emit(f"{name} = {self.const(holder)}.{attribute}", (), (name,), True)
        self._register(owned, name)
        self._variable_names.add(name)
        if attribute == "_value":
            self._reads[name] = self.const(holder)
        # a weak link: a strong one would look like a second holder to `private_buffer`
        self._bound[id(holder)] = [holder, attribute, weakref.ref(owned)]
        setattr(holder, attribute, owned)
        return original

    def rebind(self, holder, attribute="_value"):
        """Records `holder.<attribute> = <its current value>` when recorded work gave
        it a new array since the replay last set it (an array set by a `call` is set
        again by that call at replay)."""
        entry = self._bound.get(id(holder))
        value = getattr(holder, attribute)
        if entry is not None and value is entry[2]():
            return
        if entry is not None:
            entry[2] = weakref.ref(value)
        if self._name_of(value) is None:
            return
        reads = set()
        source = self.src(value, reads)
        self._emit(f"{self.const(holder)}.{attribute} = {source}", reads,
                   effects=[(holder, attribute, False)])

    def _rebind_all(self):
        for holder, attribute, _ in list(self._bound.values()):
            self.rebind(holder, attribute)

    def call(self, fn, *args, **kwargs):
        """Runs `fn` as Python now and at every replay (recording paused inside it),
        with recorded arrays passed as plain arrays; array results are recorded."""
        return self.call_as(fn, args, kwargs)

    def call_as(self, fn, args, kwargs, run=None):
        """Like `call`, but runs `run()` now instead of `fn(*args, **kwargs)`: the first
        call may do checks and setup (building an optimizer) that replays can skip."""
        return self._call(self.const(fn), fn, args, kwargs, run)

    def draw(self, fn, *args, **kwargs):
        """Like `call`, for a random draw: a split step's replay makes its segments'
        draws before running them, in the recorded order."""
        return self._call(self.const(fn), fn, args, kwargs, kind="draw")

    def _call(self, target, fn, args, kwargs, run=None, kind="call"):
        self._rebind_all()  # what the call reads from a holder is what the step assigned
        outer, self._kind = self._kind, kind
        try:
            return self._call_lines(target, fn, args, kwargs, run)
        finally:
            self._kind = outer

    def _call_lines(self, target, fn, args, kwargs, run):
        reads = {target}
        parts = [self.src(a, reads) for a in args]
        parts += [f"{k}={self.src(v, reads)}" for k, v in kwargs.items()]
        call = f"{target}({', '.join(parts)})"
        holders = self._holders_in((args, kwargs))
        effect = None
        if self._kind == "call":
            # what it may write: any holder it is given, any array the step holds that
            # shares memory with theirs
            effect = PythonCall({self.const(self._bound[k][0]) for k in holders},
                                 self._sharing([getattr(*self._bound[k][:2]) for k in holders]))
        elif self._kind == "draw":
            effect = PythonCall((), (), draw=True)
        _ACTIVE.recorder = None
        try:
            result = run() if run is not None else fn(*_unwrap(args), **_unwrap(kwargs))
        finally:
            _ACTIVE.recorder = self
        if self._kind == "kernel":
            # a kernel may decline (return None) or give another structure for other
            # data (or accept data it declined): the replay checks it gets the recorded
            # one before using it, or the path taken in its place
            call = f"_same_form({call}, {self.const(_form(result))}, {self._check()})"
        first = len(self._lines)
        if result is None:
            self._emit(call, reads)
            outputs = None
        elif type(result) is TraceArray:
            raise UntraceableStep("a Python call returned a recorded array")
        else:
            outputs = self._outputs(call, reads, result, pure=False)
        if self._kind == "kernel":
            self._mark_check(first)
        elif effect is not None:
            self._mutated = True
            self._effects[id(self._lines[first])] = (effect,)
        for key in holders:
            # later work reads the array the call left a holder it was given (at replay,
            # the call may give it a new array where it wrote in place now: the
            # replay's own names still hold the old one); reads nothing uses are dropped
            holder, attribute, _ = self._bound[key]
            self.read_variable(holder, attribute)
        return outputs

    def _sharing(self, arrays):
        """The names of the recorded arrays that may share memory with any of `arrays`."""
        names = set()
        for ref in self._refs.values():
            known = ref.ref()
            if known is not None and any(np.may_share_memory(known, a) for a in arrays):
                names.add(ref.name)
        return frozenset(names)

    def _holders_in(self, obj):
        """The keys in `_bound` of the holders in `obj` (nested lists, tuples, dicts)."""
        if isinstance(obj, (list, tuple)):
            return {k for item in obj for k in self._holders_in(item)}
        if isinstance(obj, dict):
            return self._holders_in(list(obj.values()))
        return {id(obj)} if id(obj) in self._bound else set()

    # -- the recording session ---------------------------------------------------------------
    def __enter__(self):
        if _ACTIVE.recorder is not None:
            raise UntraceableStep("a step is already being recorded")
        _watch_errstate()
        _ACTIVE.recorder = self
        return self

    def __exit__(self, *exc):
        _ACTIVE.recorder = None
        return False

    def _private_reads(self, lines):
        """Lines reading a holder's array that the step then writes in place read it
        through `private_buffer`: the holder gets its own copy first when anything
        else holds the array, as the eager kernels do."""
        times = {}
        for _, _, writes, _ in lines:
            for w in writes:
                times[w] = times.get(w, 0) + 1
        out = []
        for source, reads, writes, pure in lines:
            if len(writes) == 1 and writes[0] in self._reads and times[writes[0]] > 1 \
                    and source.endswith("._value") and not reads:
                name = writes[0]
                source = f"{name} = _private({self._reads[name]})"
            out.append((source, reads, writes, pure))
        return out

    def compile(self, outputs):
        """The recorded work as a function of the `param` arrays returning `outputs`'
        values (a flat list of arrays and plain Python values)."""
        reads = set()
        returned = [self.src(o, reads) for o in outputs]
        lines = list(self._lines)
        lines.append(("return (" + "".join(r + ", " for r in returned) + ")", frozenset(reads), (),
                      False))
        lines = checks_first(_without_dead_lines(lines), self._checks, self._effects,
                             self.const, self._variable_names, self._reads)
        self.late_changes = changes_before_last_check(lines, self._checks, self._effects)
        self.segments_apart = None  # why recorded segments run one after the other
        laid_out, exported = (None, None)
        if self._segment_tags:
            laid_out, exported = numpy_trace_segments.layout(lines, self._segment_tags,
                                                            self._params)
            if laid_out is None:
                self.segments_apart = exported
        if laid_out is None:
            lines = self._private_reads(lines)
            body = _with_deletions(_without_dead_lines(lines), set(self._params))
        else:
            lines, groups = laid_out
            lines = self._private_reads(lines)
            group_of = dict(zip(map(id, lines), groups))  # the lines stay alive: ids hold
            lines = _without_dead_lines(lines)
            groups = [group_of[id(line)] for line in lines]
            body = numpy_trace_segments.source(groups, lines, exported, self._params,
                                               _with_deletions, self.quiet)
        indent = "    "
        if self.quiet:
            body = ["with _errstate(all='ignore'):"] + ["    " + line for line in body]
        source = f"def _replay({', '.join(self._params)}):\n" + "".join(
            f"{indent}{line}\n" for line in body)
        scope = dict(self._consts)
        owner = self._thread_owner()
        if owner is not None:
            for name, obj in self._consts.items():
                if obj is np.matmul:
                    scope[name] = numpy_threads.matmul
        scope["_GuardFailed"] = GuardFailed
        scope["_same_form"] = _same_form
        scope["_errstate"] = np.errstate
        scope["_private"] = private_buffer
        scope["_segments"] = numpy_threads.both
        exec(compile(source, "<kerasx replayed step>", "exec"), scope)
        replay = scope["_replay"]
        replay.source = source
        replay.writes_state = self._mutated or "_private(" in source
        replay.owner = owner
        replay.segmented = laid_out is not None
        return replay

    def _thread_owner(self):
        """The ThreadOwner the replay runs under (`numpy_threads`), or None: steps whose
        large products are all matrix products it can split, kernels recorded as
        calls excepted (their products stay whole)."""
        if not self.split_products or self.other_products or self.opaque_calls:
            return None
        return numpy_threads.owner()


# NumPy functions running a product through the BLAS (`matmul` is a ufunc), and the
# number of elements of their operands from which a product is taken as large
_LARGE_OPERANDS = 1 << 18
_OTHER_PRODUCTS = frozenset({np.dot, np.vdot, np.inner, np.outer, np.tensordot, np.einsum,
                             np.kron, np.linalg.multi_dot})


# NumPy functions that only call the array's method of the same name, and the
# keywords that method takes the same way
_METHOD_FORMS = {np.reshape: frozenset(), np.swapaxes: frozenset(), np.transpose: frozenset(),
                 np.argmax: frozenset({"axis", "keepdims"}),
                 np.argmin: frozenset({"axis", "keepdims"}),
                 np.squeeze: frozenset({"axis"}), np.ravel: frozenset({"order"})}


def _form(value):
    """The structure of a kernel's result: None, `(shape, dtype)` for an array, a tuple
    of the items' forms for a tuple or list, the type for anything else."""
    if value is None:
        return None
    if isinstance(value, np.ndarray):
        return value.shape, value.dtype
    if type(value) in (tuple, list):
        return tuple(_form(item) for item in value)
    return type(value)


def _same_form(value, form, index):
    """`value` when its structure is `form` (`_form`); raises `GuardFailed(index)`
    otherwise."""
    if _form(value) != form:
        raise GuardFailed(index)
    return value


def _work(args):
    """The number of elements of the arrays among `args` (lists of arrays too)."""
    total = 0
    for a in args:
        if isinstance(a, (list, tuple)):
            total += _work(a)
        elif hasattr(a, "size") and hasattr(a, "ndim"):
            total += a.size
    return total


class _RecordedCallable:
    """A function returned by a recorded call (a kernel's backward pass): calling it
    while recording records the call of the function the replay gets at that point."""

    def __init__(self, recorder, name, fn, kind):
        self._recorder = recorder
        self._name = name
        self._fn = fn
        self._kind = kind  # that of the call that returned it

    def __call__(self, *args, **kwargs):
        if _ACTIVE.recorder is not self._recorder:
            return self._fn(*_unwrap(args), **_unwrap(kwargs))
        return self._recorder._call(self._name, self._fn, args, kwargs, kind=self._kind)


def segment(index):
    """`Recorder.segment(index)` of the recording in effect in this thread, or a context
    doing nothing when no step is being recorded."""
    recorder = _ACTIVE.recorder
    return recorder.segment(index) if recorder is not None else _NO_SEGMENT


def segment_owner():
    """The ThreadOwner a split step runs under (its segments on two threads of their
    own, the BLAS at one thread each), or None where the BLAS's threads are not two."""
    return numpy_threads.segment_owner()


_NO_SEGMENT = contextlib.nullcontext()


class _Segment:
    def __init__(self, recorder, index):
        self.recorder, self.index = recorder, index

    def __enter__(self):
        if self.recorder._segment is not None:
            raise UntraceableStep("a segment was opened inside another")
        self.recorder._segment = self.index

    def __exit__(self, *exc):
        self.recorder._segment = None
        return False


def _without_dead_lines(lines):
    """The lines less the pure ones whose results nothing reads (work the eager step
    did for values it then dropped)."""
    live = set()
    kept = []
    for line in reversed(lines):
        _, reads, writes, pure = line
        if pure and not any(w in live for w in writes):
            continue
        live.update(reads)
        kept.append(line)
    return kept[::-1]


def _with_deletions(lines, params, only=None):
    """The lines with `del` statements after each name's last read, so that the
    replay frees intermediate arrays as the recorded step did (and holds no
    reference to a variable's array when an optimizer checks who else holds it);
    with `only`, for those names alone."""
    last = {}
    for i, (_, reads, writes, _) in enumerate(lines):
        for name in reads:
            last[name] = i
        for name in writes:
            last.setdefault(name, i)
    dying = {}
    for name, i in last.items():
        if name.startswith("r") and (only is None or name in only):
            dying.setdefault(i, []).append(name)
    out = []
    for i, (source, _, _, _) in enumerate(lines):
        out.append(source)
        names = dying.get(i)
        if names and not source.startswith("return"):
            out.append("del " + ", ".join(sorted(names)))
    return out


def _watch_errstate():
    """Has `np.errstate` tell the recorder in effect in the calling thread that the step
    silences floating-point warnings (`Recorder.quiet`); installed once, as other
    threads may be inside an `errstate` of their own at any time."""
    if getattr(np.errstate.__enter__, "_kerasx_watch", False):
        return
    enter = np.errstate.__enter__

    def watched(state):
        recorder = _ACTIVE.recorder
        if recorder is not None:
            recorder.quiet = True
        return enter(state)

    watched._kerasx_watch = True
    np.errstate.__enter__ = watched
