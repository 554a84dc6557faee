"""The CuPy backend: CUDA GPUs. CuPy is imported only when this backend is selected."""

import numpy as np

from kerasx.backends.base import Backend
from kerasx.backends.random import RandomGenerator, global_generator


class CupyBackend(Backend):
    name = "cupy"

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
            return self._cupy.asarray(array, dtype=dtype)

    def to_numpy(self, x):
        if self.is_native(x):
            return self._cupy.asnumpy(x)
        return np.asarray(x)

    def synchronize(self):
        self._cupy.cuda.get_current_stream().synchronize()

    def _register_kernels(self):
        from kerasx.backends import cupy_conv, cupy_kernels, cupy_optim, cupy_rnn

        for module in (cupy_kernels, cupy_conv, cupy_rnn, cupy_optim):
            self.kernels.update(module.kernels(self._cupy))


class _CupyRandomGenerator(RandomGenerator):
    """Initial weights come from the shared host generator (equal on every
    backend); masks drawn every step come from CuPy's own generator on the GPU."""

    def __init__(self, backend):
        super().__init__(backend)
        self._device_gen = None
        self._seed = None

    def _device_bernoulli(self, shape, p, dtype):
        from kerasx.backends.random import _GLOBAL

        cupy = self.backend._cupy
        if self._device_gen is None or self._seed != _GLOBAL["seed"]:
            self._seed = _GLOBAL["seed"]
            seed = global_generator().integers(2**63) if self._seed is None else self._seed
            with self.backend.device:
                self._device_gen = cupy.random.default_rng(seed)
        with self.backend.device:
            return (self._device_gen.random(shape, dtype=cupy.float32) < p).astype(dtype)
