"""The NumPy backend: CPU arrays, the default."""

import ctypes
import os
import sys

import numpy as np

from kerasx.backends.base import Backend


# NumPy arrays, and the arrays a step being recorded runs on
_NATIVE = {np.ndarray}


class NumpyBackend(Backend):
    name = "numpy"
    # small enough that the matrix and the convolution output stay in cache for the bias,
    # activation and pooling; a whole predict batch's matrix is written to fresh pages
    # on every call (1024x32x32x32 -> 32 filters 3x3: 445 -> 274 ms; textcnn predict
    # at batch 1024: 5,078 -> 8,278 samples/s)
    inference_chunk_bytes = 2 << 20

    def _namespace(self):
        import array_api_compat.numpy as xp

        from kerasx.backends.numpy_namespace import namespace

        _keep_freed_memory()
        return namespace(xp)

    def _default_device(self):
        return "cpu"

    def is_native(self, x):
        return type(x) in _NATIVE

    def step_recorder(self):
        from kerasx.backends import numpy_trace

        _NATIVE.add(numpy_trace.TraceArray)
        return numpy_trace

    def _from_host(self, array, dtype):
        return np.asarray(array, dtype=dtype)

    def _register_kernels(self):
        from kerasx.backends import (numpy_activations, numpy_concat, numpy_conv,
                                     numpy_conv_bn_pool, numpy_conv_global_pool,
                                     numpy_conv_grid, numpy_conv_pool, numpy_depthwise,
                                     numpy_grouped, numpy_kernels, numpy_layer_norm,
                                     numpy_normalization, numpy_optim, numpy_optim_many,
                                     numpy_rnn, numpy_winograd)

        for module in (numpy_kernels, numpy_activations, numpy_concat, numpy_conv,
                       numpy_conv_grid, numpy_conv_pool, numpy_conv_global_pool,
                       numpy_conv_bn_pool, numpy_depthwise, numpy_grouped, numpy_rnn,
                       numpy_optim, numpy_optim_many, numpy_normalization, numpy_layer_norm):
            self.kernels.update(module.KERNELS)
        if numpy_winograd.ENABLED:
            self.kernels.update(numpy_winograd.KERNELS)
        # bfloat16 arrays may come from ml_dtypes directly, before kerasx names the type
        if "ml_dtypes" in sys.modules:
            self.dtype("bfloat16")

    def _add_bfloat16(self):
        """Adds ml_dtypes' bfloat16 and makes the ops keep it, as Keras's NumPy backend
        does (NumPy's promotion widens it to float32 or float64)."""
        if not super()._add_bfloat16():
            return False
        from kerasx.ops import _bfloat16

        _bfloat16.enable(self)
        return True


def _keep_freed_memory():
    """Training frees and reallocates the same 10-30 MB arrays every step; by default
    glibc returns them to the OS and faults them back in each time (measured: a
    convnet step went from 65 to 55 ms with this). KERASX_MALLOC_TUNING=0 turns it off."""
    if os.environ.get("KERASX_MALLOC_TUNING", "1") == "0" or not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(-3, 32 << 20)  # M_MMAP_THRESHOLD: serve blocks up to 32 MB from the heap
        libc.mallopt(-1, 1 << 30)   # M_TRIM_THRESHOLD: keep up to 1 GB of freed heap
    except (OSError, AttributeError):
        pass
