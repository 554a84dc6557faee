"""Arrays between the active backend and PyTorch, for `TorchModuleWrapper`.

NumPy arrays reach torch without a copy (`torch.from_numpy`, and back with
`Tensor.numpy()`), CuPy arrays through DLPack (the module then lives on the
backend's GPU); `array_api_strict` and any other backend go through a host copy.
torch is imported only here, and only when a wrapper is made.
"""

from kerasx.backends import current


def import_torch():
    """torch, or an ImportError that says how to install it."""
    try:
        import torch
    except ImportError:
        raise ImportError(
            "TorchModuleWrapper needs PyTorch, which is not installed. Install it with "
            "`pip install torch` (the CPU wheel is enough for the numpy backend)."
        ) from None
    return torch


def torch_device(backend=None):
    """The torch device that shares memory with the backend's arrays."""
    torch = import_torch()
    backend = backend or current()
    if backend.name == "cupy":
        return torch.device("cuda", backend.device_id)
    return torch.device("cpu")


def dtype_name_of(tensor_or_dtype):
    """`"float32"`, `"int64"`, ... for a torch tensor or dtype."""
    return str(getattr(tensor_or_dtype, "dtype", tensor_or_dtype)).rsplit(".", 1)[-1]


def to_torch(value, announce=True):
    """A torch tensor holding the backend array `value`, sharing its memory where the
    backend allows (a read-only or negatively strided NumPy array is copied).

    `announce`: tell a NumPy step recorder that a C library receives the array's
    memory (it then leaves the step to run eagerly: torch's work is invisible to it).
    """
    torch = import_torch()
    backend = current()
    if backend.name == "numpy":
        if announce:
            value.ctypes  # a recorded step's array raises UntraceableStep here
        if not value.flags.writeable:
            value = value.copy()
        try:
            return torch.from_numpy(value)
        except ValueError:  # negative strides, which torch tensors cannot have
            return torch.from_numpy(value.copy())
    if backend.name == "cupy":
        if any(s < 0 for s in value.strides):
            value = value.copy()
        return torch.from_dlpack(value)
    return torch.tensor(backend.to_numpy(value))


def from_torch(tensor):
    """The backend array of a torch tensor (sharing its memory on NumPy and CuPy)."""
    backend = current()
    tensor = tensor.detach()
    if backend.name == "numpy":
        return tensor.cpu().numpy()
    if backend.name == "cupy":
        return backend.xp.from_dlpack(tensor)
    return backend.asarray(tensor.cpu().numpy())
