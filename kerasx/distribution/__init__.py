"""`kerasx.distribution`: Keras 3's distribution API on one device per process.

kerasx runs each process on one device (the CPU for the NumPy and
`array_api_strict` backends, one GPU for CuPy) and has no communication between
devices or processes. The objects of this module (`DeviceMesh`, `TensorLayout`,
`LayoutMap`, `DataParallel`, `ModelParallel`) validate and answer layout
questions with Keras's semantics, and a distribution over the one device is an
exact no-op: a model fit under `with DataParallel().scope():` trains exactly as
without it. A mesh of more devices than this process has, or of devices it
does not have, raises a `ValueError` that says so; so does `initialize` with
more than one process.
"""

from kerasx.distribution.devices import get_device_count, initialize, list_devices
from kerasx.distribution.distributions import (DataParallel, Distribution, ModelParallel,
                                               distribute_tensor, distribution, set_distribution)
from kerasx.distribution.layout_map import LayoutMap
from kerasx.distribution.layouts import DeviceMesh, TensorLayout

__all__ = ["DataParallel", "DeviceMesh", "Distribution", "LayoutMap", "ModelParallel",
           "TensorLayout", "distribute_tensor", "distribution", "get_device_count", "initialize",
           "list_devices", "set_distribution"]
