"""The CuPy backend: CUDA GPUs. CuPy is imported only when this backend is selected."""

import numpy as np

from kerasx.backends.base import Backend
from kerasx.backends.random import (RandomGenerator, global_generator,
                                    mask_threshold)


class CupyBackend(Backend):
    name = "cupy"
    host_reads_sync = True

    def __init__(self, device_id=0):
        super().__init__()
        self.device_id = device_id
        self.rng = _CupyRandomGenerator(self)

    def _namespace(self):
        try:
            import cupy
            import array_api_compat.cupy as xp
        except ImportError as e:
            raise ImportError(
                "KERASX_BACKEND=cupy needs CuPy and a CUDA GPU, but CuPy could not be imported "
                f"({e}). Install it with `pip install kerasx[cuda12]` (or `kerasx[cuda13]`), "
                "or choose another backend (KERASX_BACKEND=numpy)."
            ) from None
        try:
            cupy.cuda.runtime.getDeviceCount()
        except Exception as e:  # CUDARuntimeError when there is no driver or device
            raise RuntimeError(
                f"KERASX_BACKEND=cupy but no CUDA device is usable ({e}). "
                "Run on a machine with an NVIDIA GPU, or choose KERASX_BACKEND=numpy."
            ) from None
        self._cupy = cupy
        return xp

    def _default_device(self):
        return self._cupy.cuda.Device(self.device_id)

    def is_native(self, x):
        return type(x) is self.xp.ndarray or type(x).__module__.startswith("cupy")

    def _from_host(self, array, dtype):
        with self.device:
            # row-major on the device whatever the host layout, so a loaded or assigned
            # weight takes the same cuBLAS kernels (and rounding) as the one it replaces
            return self._cupy.asarray(np.asarray(array, order="C"), dtype=dtype)

    def to_numpy(self, x):
        if self.is_native(x):
            return self._cupy.asnumpy(x)
        return np.asarray(x)

    def synchronize(self):
        self._cupy.cuda.get_current_stream().synchronize()

    def release_cached_memory(self):
        self.synchronize()
        self._cupy.get_default_memory_pool().free_all_blocks()
        self._cupy.get_default_pinned_memory_pool().free_all_blocks()

    def _register_kernels(self):
        from kerasx.backends import cupy_conv, cupy_kernels, cupy_optim, cupy_rnn, cupy_softmax

        for module in (cupy_kernels, cupy_conv, cupy_rnn, cupy_optim, cupy_softmax):
            self.kernels.update(module.kernels(self._cupy))


# SplitMix64 over the element index, from a key drawn on the host: a counter-based
# stream, so a mask depends only on the host generator's state (see `splitmix_bernoulli`)
_MASK_KERNEL = ("uint64 key, uint64 threshold", "T mask", """
    unsigned long long z = key + (unsigned long long)(i + 1) * 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    mask = (T)((z >> 32) < threshold ? 1.0f : 0.0f);""", "kerasx_bernoulli_mask")


class _CupyRandomGenerator(RandomGenerator):
    """Initial weights come from the shared host generator (equal on every
    backend). Masks drawn every step are made on the GPU from one 64-bit key
    drawn from that host generator, so `set_random_seed`, `random.get_state` and
    `set_state` (BackupAndRestore) govern them as they govern the host draws:
    the same seed gives the same masks, and a resumed run continues the
    interrupted one's stream. The masks are not those of the NumPy backend,
    which compares host random bits (`bernoulli_from_bits`)."""

    def __init__(self, backend):
        super().__init__(backend)
        self._kernel = None

    def _device_bernoulli(self, shape, p, dtype):
        cupy = self.backend._cupy
        if self._kernel is None:
            self._kernel = cupy.ElementwiseKernel(*_MASK_KERNEL)
        key = global_generator().bit_generator.random_raw()
        with self.backend.device:
            out = cupy.empty(shape, dtype=self.backend.dtype(dtype))
            return self._kernel(np.uint64(key), np.uint64(mask_threshold(p)), out)
