"""The `array_api_strict` backend: proves the shared path is pure array API.

Arrays live on `Device("device1")`, so an array created without `device=`
lands elsewhere and mixing the two fails, as it would on a GPU.
"""

import numpy as np

from kerasx.backends.base import Backend


class StrictBackend(Backend):
    name = "array_api_strict"

    def _namespace(self):
        import array_api_strict as xp

        self._array_type = type(xp.asarray(0))
        return xp

    def _default_device(self):
        return self._xp.Device("device1")

    def is_native(self, x):
        self.xp
        return type(x) is self._array_type

    def to_numpy(self, x):
        if self.is_native(x):
            x = x.to_device(self.xp.Device("CPU_DEVICE"))
        return np.asarray(x)
