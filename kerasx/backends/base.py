"""The `Backend` object: everything kerasx needs to know about one array library."""

import threading

import numpy as np

from kerasx.backends.numpy_trace_array import host_read
from kerasx.backends.random import RandomGenerator

# float16 is no array API dtype: a backend has it when its namespace does (NumPy, CuPy)
_DTYPE_NAMES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64",
                "uint8", "uint16", "uint32", "uint64", "bool", "complex64", "complex128")


class Backend:
    """One array library seen through the array API.

    A backend owns the array namespace `xp` (resolved once), the device arrays
    live on, host <-> device transfer, the random generator, and an optional
    table of fast kernels that replace portable implementations of hot ops.
    Subclasses set `name` and implement `_namespace` and `_device`; the shared
    code path only ever talks to this interface.
    """

    name = "base"
    # inference convolutions run in batch chunks whose im2col matrix has about this many
    # bytes (None: the whole batch at once, as a GPU prefers)
    inference_chunk_bytes = None
    # True where reading a value to the host waits for queued device work: metric logs
    # are then stacked and brought over in one transfer instead of one per scalar
    host_reads_sync = False

    def __init__(self):
        self._xp = None
        self._device = None
        self._dtypes = {}
        self._kinds = {}
        self.kernels = {}
        self.rng = RandomGenerator(self)

    @property
    def xp(self):
        """The array-API namespace, resolved once per backend."""
        if self._xp is None:
            self._xp = self._namespace()
            self._device = self._default_device()
            self._dtypes = {n: getattr(self._xp, n) for n in _DTYPE_NAMES if hasattr(self._xp, n)}
            self._register_kernels()
        return self._xp

    @property
    def device(self):
        """The device every array of this backend is created on."""
        self.xp
        return self._device

    def _namespace(self):
        raise NotImplementedError

    def _default_device(self):
        raise NotImplementedError

    def _register_kernels(self):
        """Fills `self.kernels` with fast paths; the default has none."""

    def kernel(self, name):
        """The fast kernel registered for op `name`, or None (use the portable path,
        as inside `kernels_set_aside()`)."""
        if _ASIDE_ANYWHERE[0] and _ASIDE.depth:
            return None
        return self.kernels.get(name)

    def dtype(self, name):
        """The namespace dtype object for a dtype name such as `"float32"` (or, as in
        Keras, the Python types `int`, `float`, `complex`, `bool` and the name `"int"`)."""
        if isinstance(name, type) and name in _PYTHON_DTYPES:
            name = _PYTHON_DTYPES[name]
        elif not isinstance(name, str):
            name = dtype_name(name)
        elif name == "int":
            name = "int32"
        self.xp
        try:
            return self._dtypes[name]
        except KeyError:
            if name == "bfloat16" and self._add_bfloat16():
                return self._dtypes[name]
            raise TypeError(
                f"dtype {name!r} is not available on the {self.name!r} backend; "
                f"available: {sorted(self._dtypes)}."
            ) from None

    def _add_bfloat16(self):
        """Adds `ml_dtypes.bfloat16` to the dtypes of NumPy and CuPy (which take NumPy
        dtypes), when ml_dtypes is installed; True if it did."""
        if self.name not in ("numpy", "cupy"):
            return False
        try:
            import ml_dtypes
        except ImportError:
            return False
        self._dtypes["bfloat16"] = np.dtype(ml_dtypes.bfloat16)
        return True

    def finfo(self, dtype):
        """`xp.finfo(dtype)`, also for ml_dtypes' bfloat16, which array-api-compat's
        `finfo` cannot read (it has `bits`, `eps`, `max`, `min`, `tiny` as well)."""
        if dtype_name(dtype) == "bfloat16" and self.name in ("numpy", "cupy"):
            import ml_dtypes

            return ml_dtypes.finfo(ml_dtypes.bfloat16)
        return self.xp.finfo(dtype)

    def isdtype(self, dtype, kind):
        """`xp.isdtype(dtype, kind)`, remembered per dtype and kind: the namespace's own
        check takes ~1.5 us, a price the hot path pays several times a step."""
        key = (dtype, kind)
        try:
            return self._kinds[key]
        except KeyError:
            try:
                result = self.xp.isdtype(dtype, kind)
            except TypeError:
                if dtype_name(dtype) != "bfloat16":  # ml_dtypes' type, which NumPy cannot classify
                    raise
                result = kind in ("real floating", "numeric") or (
                    isinstance(kind, tuple) and bool({"real floating", "numeric"} & set(kind)))
            self._kinds[key] = result
            return result

    def is_native(self, x):
        """True when `x` is an array of this backend (not a host NumPy array)."""
        raise NotImplementedError

    def step_recorder(self):
        """The module that records a step's array work for replay
        (`compile(jit_compile=True)`), or None where the backend cannot."""
        return None

    def asarray(self, x, dtype=None):
        """Moves host data (NumPy arrays, lists, scalars) onto this backend's device."""
        xp = self.xp
        if dtype is not None:
            dtype = self.dtype(dtype)
        if self.is_native(x):
            return x if dtype is None or x.dtype == dtype else xp.astype(x, dtype)
        if is_foreign_array(x):
            raise TypeError(
                f"Received an array of type {type(x).__module__}.{type(x).__name__} while the "
                f"active backend is {self.name!r}. Arrays of different libraries cannot be mixed: "
                "convert it to NumPy first (`x.get()` for CuPy, `np.asarray(x)` for a CPU "
                "tensor of another library), or select the matching backend with "
                "KERASX_BACKEND. (fit, evaluate and predict convert PyTorch, JAX and "
                "TensorFlow data themselves.)"
            )
        return self._from_host(np.asarray(x), dtype)

    def _from_host(self, array, dtype):
        return self.xp.asarray(array, dtype=dtype, device=self.device)

    def to_numpy(self, x):
        """Copies a backend array (or anything array-like) to a host NumPy array."""
        return np.asarray(host_read(x))

    def synchronize(self):
        """Waits for queued device work; a no-op on synchronous backends."""

    def release_cached_memory(self):
        """Hands memory the array library keeps cached for reuse back to the system
        (`clear_session(free_memory=True)`); a no-op where there is no such cache."""

    def __repr__(self):
        return f"<kerasx backend {self.name!r}>"


_NAME_CACHE = {}


# Keras's dtypes for Python types (its non-TensorFlow backends)
_PYTHON_DTYPES = {int: "int32", float: "float32", complex: "complex64", bool: "bool"}


def dtype_name(dtype):
    """The standard name of a dtype object of any array library (`"float32"`, ...)."""
    if isinstance(dtype, str):
        return dtype
    key = (type(dtype), dtype)  # the type first: strict and NumPy dtypes hash alike
    try:
        return _NAME_CACHE[key]
    except (KeyError, TypeError):
        pass
    if isinstance(dtype, type):  # NumPy's scalar types, which CuPy's namespace uses as dtypes
        name = np.dtype(dtype).name
    else:
        name = (getattr(dtype, "name", None) or str(dtype)).rsplit(".", 1)[-1]
    try:
        _NAME_CACHE[key] = name
    except TypeError:
        pass
    return name


# The libraries kerasx has a backend for. An array of one of them reaching another
# backend means the data was prepared for that backend, so it is refused rather than
# copied (a CuPy array on the NumPy backend would be a device-to-host copy every epoch).
_BACKEND_LIBRARIES = ("cupy", "cupyx", "array_api_strict")
# Frameworks whose tensors the data pipeline converts, as Keras does on every backend.
_FRAMEWORK_LIBRARIES = ("torch", "jax", "jaxlib", "tensorflow")
# DLPack device types (`__dlpack_device__()[0]`) whose memory a backend's namespace
# imports without a copy: CUDA and CUDA managed memory for CuPy.
_DLPACK_DEVICE_TYPES = {"cupy": (2, 13)}
_DLPACK_CPU, _DLPACK_CUDA_HOST = 1, 3


def array_library(x):
    """The top-level module of the library `x`'s type comes from (`"torch"`, `"numpy"`)."""
    return type(x).__module__.split(".", 1)[0]


def is_foreign_array(x):
    """True for an array of an array library other than NumPy (CuPy, array_api_strict,
    PyTorch, JAX, TensorFlow): never taken silently by the ops, since which device it
    lives on is unknown. The trainer's data pipeline converts framework tensors
    (`is_framework_array`) before it gets here."""
    return array_library(x) in _BACKEND_LIBRARIES + _FRAMEWORK_LIBRARIES


def is_framework_array(x):
    """True for a tensor the data pipeline converts: one of PyTorch, JAX or TensorFlow,
    or of any other library that exports DLPack (`__dlpack__` and
    `__dlpack_device__`), but not NumPy's nor a kerasx backend library's."""
    library = array_library(x)
    if library in _FRAMEWORK_LIBRARIES:
        return hasattr(x, "shape") and not isinstance(x, type)
    if library in _BACKEND_LIBRARIES + ("kerasx",) or isinstance(x, (np.ndarray, np.generic)):
        return False  # kerasx's own tensors export DLPack too
    return hasattr(x, "__dlpack__") and hasattr(x, "__dlpack_device__")


def framework_array_to_backend(x, backend):
    """A framework tensor (`is_framework_array`) as data `backend` takes, found by duck
    typing, so that no framework is imported here.

    A tensor in memory the backend's namespace imports through DLPack (a CUDA
    tensor on the CuPy backend) becomes a backend array without a copy. Anything
    else becomes a host NumPy array: a CPU tensor through DLPack or `__array__`
    (sharing its memory where the library allows), a device tensor copied to the
    host as Keras's NumPy and JAX paths do (`.cpu()` for PyTorch, `__array__` for
    JAX and TensorFlow). A tensor that records gradients is detached first, and a
    PyTorch bfloat16 one, which NumPy cannot import, is widened to float32.
    """
    if getattr(x, "requires_grad", False) and callable(getattr(x, "detach", None)):
        x = x.detach()
    device_type = _dlpack_device_type(x)
    if device_type in _DLPACK_DEVICE_TYPES.get(backend.name, ()):
        on_device = backend.xp.from_dlpack(x)
        if getattr(on_device, "device", backend.device) == backend.device:
            return on_device
        return backend.to_numpy(on_device)  # another GPU: through the host to this one
    if device_type in (_DLPACK_CPU, _DLPACK_CUDA_HOST):
        try:
            return np.from_dlpack(x)
        except (TypeError, BufferError, RuntimeError, ValueError):
            pass  # a dtype NumPy's DLPack import lacks (bfloat16): the copies below
    if device_type not in (None, _DLPACK_CPU) and callable(getattr(x, "cpu", None)):
        x = x.cpu()  # a PyTorch device tensor refuses `__array__`
    if str(getattr(x, "dtype", "")).endswith("bfloat16") and callable(getattr(x, "float", None)):
        x = x.float()
    if hasattr(x, "__array__"):
        return np.asarray(x)
    if callable(getattr(x, "numpy", None)):
        return np.asarray(x.numpy())
    raise TypeError(
        f"Cannot read the {type(x).__module__}.{type(x).__name__} as an array: it is on "
        f"DLPack device {_dlpack_device(x)} and has neither `__array__` nor `.numpy()`. "
        "Copy it to host memory (or to NumPy) first.")


def _dlpack_device(x):
    try:
        return tuple(x.__dlpack_device__())
    except Exception:  # no DLPack, or an object that cannot export (sparse, ...)
        return None


def _dlpack_device_type(x):
    device = _dlpack_device(x)
    return None if device is None else int(device[0])


class _Aside(threading.local):
    depth = 0  # this thread's open `kernels_set_aside` contexts


_ASIDE = _Aside()
# contexts open in all threads: while 0, `kernel` learns it from one list read
_ASIDE_ANYWHERE = [0]
_ASIDE_CHANGE = threading.Lock()


class kernels_set_aside:
    """A context in which this thread's ops take the portable path, every backend's
    fast kernels set aside (`StatelessScope`: kernels may write a variable's array in
    place); other threads keep them."""

    def __enter__(self):
        with _ASIDE_CHANGE:
            _ASIDE_ANYWHERE[0] += 1
        _ASIDE.depth += 1
        return self

    def __exit__(self, *exc):
        _ASIDE.depth -= 1
        with _ASIDE_CHANGE:
            _ASIDE_ANYWHERE[0] -= 1
        return False
