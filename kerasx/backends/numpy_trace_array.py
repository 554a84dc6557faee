"""`TraceArray`: a NumPy array whose operations a step recorder writes down.

Its ufuncs (`__array_ufunc__`), NumPy functions (`__array_function__`), methods,
indexing and reads into Python go to the recorder in effect
(`kerasx.backends.numpy_trace.Recorder`), which runs them and records them; with
no recorder in effect they are simply computed on plain arrays.
"""

import functools
import threading

import numpy as np


class _Active(threading.local):
    """The recorder in effect in this thread, if any: a step recorded in one thread
    leaves the array work other threads do meanwhile as it is."""

    recorder = None


_ACTIVE = _Active()


class UntraceableStep(Exception):
    """The step did something the recording cannot reproduce."""


class GuardFailed(Exception):
    """A replay read a Python value different from the one recorded."""

    def __init__(self, index):
        super().__init__(index)
        self.index = index


def _plain(x):
    return x.view(np.ndarray) if type(x) is TraceArray else x


def _unwrap(obj):
    """`obj` with every TraceArray in it (through tuples, lists, dicts) as a plain view."""
    t = type(obj)
    if t is TraceArray:
        return obj.view(np.ndarray)
    if t is tuple or t is list:
        return t(_unwrap(o) for o in obj)
    if t is dict:
        return {k: _unwrap(v) for k, v in obj.items()}
    return obj


def recordable_creation(fn):
    """`fn` (the namespace's `empty`, `zeros`, `ones` or `full`) made visible to a
    recording: while a step is recorded the array it makes is a recorded one, so that
    data later written into it by indexing (a padded copy: `out[inside] = x`) is
    followed; a plain array would be taken as a constant, holding the recorded
    step's values at every replay."""

    def create(*args, **kwargs):
        recorder = _ACTIVE.recorder
        if recorder is None:
            return fn(*args, **kwargs)
        return recorder.function(fn, args, kwargs)

    create.__name__ = create.__qualname__ = getattr(fn, "__name__", "create")
    create.__doc__ = fn.__doc__
    return create


def host_read(x):
    """`x` as the host may read it while a step is recorded: a recorded scalar's value
    becomes a guard (the replay checks it is the same, as for `float(x)`), and a
    recorded array of more values stops the recording (`UntraceableStep`: a hashing
    or lookup layer's Python work on it would be replayed as the recorded batch's
    constants). Anything else is returned as it is."""
    if type(x) is not TraceArray or _ACTIVE.recorder is None:
        return x
    if x.ndim == 0:
        return np.asarray(_host_read(x, _item), dtype=x.dtype)
    raise UntraceableStep(f"the step copied an array of shape {x.shape} to the host for "
                          "Python to work on, which a replay cannot repeat")


def recordable_conversion(fn):
    """`fn` (the namespace's `asarray`) made visible to a recording: NumPy's own
    conversion returns a recorded array (or a list of them) as a plain array, which
    the replay would then hold as a constant (a metric's result wrapped by `asarray`
    would repeat the recorded step's value)."""

    def asarray(obj, *args, **kwargs):
        recorder = _ACTIVE.recorder
        if recorder is None or not _holds_trace(obj):
            return fn(obj, *args, **kwargs)
        return recorder.function(fn, (obj,) + args, kwargs)

    asarray.__name__ = asarray.__qualname__ = getattr(fn, "__name__", "asarray")
    asarray.__doc__ = fn.__doc__
    return asarray


def recordable_helper(fn):
    """`fn` (a backend kernel or helper computing new arrays from its arguments, and
    writing into none of them) made visible to a recording: handed a recorded array
    while a step is recorded, its call is recorded as one line, run again at every
    replay on the replay's arrays. Its own NumPy work then need not be followed: a
    strided view (`as_strided`), a copy by a function that does not dispatch
    (`np.ascontiguousarray`), a buffer from `np.empty` filled by its products, a BLAS
    call on raw pointers would each turn a recorded array into a plain one, which the
    replay would hold as a constant. A None result (the kernel declined) records
    nothing. With no step recorded the cost is one call (about 0.15 us)."""

    def helper(*args, **kwargs):
        recorder = _ACTIVE.recorder
        if recorder is None or not (_holds_trace(args) or _holds_trace(tuple(kwargs.values()))):
            return fn(*args, **kwargs)
        return recorder.helper(fn, args, kwargs)

    functools.update_wrapper(helper, fn)
    return helper


def _holds_trace(obj):
    t = type(obj)
    if t is TraceArray:
        return True
    return (t is list or t is tuple) and any(_holds_trace(o) for o in obj)


class TraceArray(np.ndarray):
    """An array whose NumPy operations are recorded while a `Recorder` is active
    (and simply computed, on plain arrays, otherwise)."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        recorder = _ACTIVE.recorder
        if recorder is None:
            return getattr(ufunc, method)(*_unwrap(inputs), **_unwrap(kwargs))
        return recorder.ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        recorder = _ACTIVE.recorder
        if recorder is None:
            return func(*_unwrap(args), **_unwrap(kwargs))
        return recorder.function(func, args, kwargs)

    # -- indexing and the attributes that make views -----------------------------------
    def __getitem__(self, key):
        return _method(self, "__getitem__", (key,), {})

    def __setitem__(self, key, value):
        recorder = _ACTIVE.recorder
        if recorder is None:
            np.ndarray.__setitem__(self.view(np.ndarray), _unwrap(key), _plain(value))
            return
        recorder.setitem(self, key, value)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    @property
    def T(self):
        return _method(self, "transpose", (), {})

    @property
    def mT(self):
        return _method(self, "swapaxes", (-1, -2), {})

    @property
    def ctypes(self):
        if _ACTIVE.recorder is not None:
            raise UntraceableStep("a C library was handed an array's memory")
        return self.view(np.ndarray).ctypes

    # -- values read into Python: guards ----------------------------------------------
    def __bool__(self):
        return _host_read(self, bool)

    def __float__(self):
        return _host_read(self, float)

    def __int__(self):
        return _host_read(self, int)

    def __index__(self):
        return _host_read(self, int)

    def item(self, *args):
        if args:
            return _method(self, "__getitem__", (args if len(args) > 1 else args[0],), {}).item()
        return _host_read(self, _item)

    def tolist(self):
        return _host_read(self, _tolist)


def _item(x):
    return x.item()


def _tolist(x):
    return x.tolist()


def _host_read(array, convert):
    value = convert(array.view(np.ndarray))
    recorder = _ACTIVE.recorder
    if recorder is not None:
        recorder.guard(array, convert, value)
    return value


def _method(array, name, args, kwargs):
    recorder = _ACTIVE.recorder
    if recorder is None:
        return getattr(array.view(np.ndarray), name)(*_unwrap(args), **_unwrap(kwargs))
    return recorder.method(array, name, args, kwargs)


def _make_method(name):
    def method(self, *args, **kwargs):
        return _method(self, name, args, kwargs)

    method.__name__ = name
    return method


# ndarray methods that do not go through a ufunc or `__array_function__`
_METHODS = ("reshape", "astype", "copy", "transpose", "swapaxes", "ravel", "flatten",
            "squeeze", "view", "argmax", "argmin", "argsort", "sum", "mean", "max", "min",
            "prod", "any", "all", "std", "var", "cumsum", "cumprod", "take", "repeat", "clip",
            "dot", "round", "conj", "nonzero", "diagonal", "trace", "fill", "sort", "put",
            "partition", "argpartition", "compress", "searchsorted", "__copy__",
            "__deepcopy__", "byteswap", "choose", "resize", "setfield", "getfield", "tobytes")
for _name in _METHODS:
    if _name != "view":
        setattr(TraceArray, _name, _make_method(_name))


def _view(self, *args, **kwargs):
    # numpy calls `view` itself to make subclass instances: only record the user's calls
    if _ACTIVE.recorder is None or (args and isinstance(args[0], type)
                              and issubclass(args[0], np.ndarray)):
        return np.ndarray.view(self, *args, **kwargs)
    return _method(self, "view", args, kwargs)


TraceArray.view = _view
_INPLACE = {"fill", "sort", "put", "resize", "setfield"}
# functions of shapes and dtypes alone
_STATIC = {np.shape, np.ndim, np.size, np.result_type, np.can_cast, np.min_scalar_type,
           np.may_share_memory, np.shares_memory, np.iscomplexobj, np.isrealobj}


