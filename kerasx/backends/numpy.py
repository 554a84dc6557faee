"""The NumPy backend: CPU arrays, the default."""

import numpy as np

from kerasx.backends.base import Backend


class NumpyBackend(Backend):
    name = "numpy"

    def _namespace(self):
        import array_api_compat.numpy as xp

        return xp

    def _default_device(self):
        return "cpu"

    def is_native(self, x):
        return type(x) is np.ndarray

    def _from_host(self, array, dtype):
        return np.asarray(array, dtype=dtype)

    def _register_kernels(self):
        from kerasx.backends import numpy_conv, numpy_kernels, numpy_optim, numpy_rnn

        for module in (numpy_kernels, numpy_conv, numpy_rnn, numpy_optim):
            self.kernels.update(module.KERNELS)
