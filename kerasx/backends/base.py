"""The `Backend` object: everything kerasx needs to know about one array library."""

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
        """The fast kernel registered for op `name`, or None (use the portable path)."""
        return self.kernels.get(name)

    def dtype(self, name):
        """The namespace dtype object for a dtype name such as `"float32"`."""
        if not isinstance(name, str):
            name = dtype_name(name)
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
                "convert it to NumPy first (e.g. `x.get()` for CuPy) or pass it through "
                "`kerasx.backends.current().asarray`."
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


def is_foreign_array(x):
    """True for an array of an array library other than NumPy (CuPy, array_api_strict,
    PyTorch, JAX): never taken silently, since which device it lives on is unknown."""
    module = type(x).__module__.split(".", 1)[0]
    return module in ("cupy", "cupyx", "array_api_strict", "torch", "jax", "jaxlib")
