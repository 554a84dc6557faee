"""Arrays between the active backend and JAX, for `JaxLayer` and `FlaxLayer`.

NumPy and array_api_strict arrays go to JAX's default device by a copy, and come back as
fresh writable arrays (a JAX array's host view is read-only, and kerasx's kernels write
into arrays they own). CuPy arrays go through DLPack when JAX runs on the GPU, by the
host otherwise. JAX is imported only here, and only when such a layer is made.
"""

from kerasx.backends import current, host


def import_jax():
    """jax, or an ImportError that says how to install it."""
    try:
        import jax
    except ImportError:
        raise ImportError(
            "JaxLayer and FlaxLayer need JAX, which is not installed. Install it with "
            "`pip install jax` (and `pip install flax` for FlaxLayer)."
        ) from None
    return jax


def _jax_on_gpu(jax):
    return jax.default_backend() in ("gpu", "cuda", "rocm")


def to_jax(value):
    """A JAX array holding the backend array `value`.

    On NumPy, `value.ctypes` tells a step recorder that a library outside NumPy reads
    the array (the step then runs eagerly: JAX's work is invisible to it)."""
    jax = import_jax()
    backend = current()
    wide = is_float_dtype(value.dtype) and str(value.dtype).endswith("64")
    if wide and not jax.config.jax_enable_x64:
        raise TypeError(
            "A JaxLayer received float64 values, but JAX runs in 32-bit mode and would round "
            "them to float32. Enable 64-bit JAX with `jax.config.update('jax_enable_x64', "
            "True)` (or the `jax.enable_x64(True)` context), or use float32 inputs and layers.")
    if backend.name == "numpy":
        value.ctypes
        return jax.numpy.asarray(value)
    if backend.name == "cupy" and _jax_on_gpu(jax):
        return jax.dlpack.from_dlpack(value)
    return jax.numpy.asarray(backend.to_numpy(value))


def from_jax(array):
    """The backend array of a JAX array (a copy the backend owns)."""
    jax = import_jax()
    backend = current()
    if backend.name == "cupy" and _jax_on_gpu(jax):
        return backend.xp.from_dlpack(array).copy()
    values = host.to_host(array)
    if not values.flags.writeable:
        values = values.copy()
    return backend.asarray(values)


def is_jax_array(value):
    jax = import_jax()
    return isinstance(value, jax.Array)


def is_float_dtype(dtype):
    """True for a floating dtype of JAX's or of a backend's (bfloat16 too; JAX's float0,
    the dtype of integer inputs' tangents, is not)."""
    name = str(dtype).rsplit(".", 1)[-1]
    return name.startswith(("float", "bfloat")) and name != "float0"
