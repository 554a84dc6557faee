"""Checks of a symbolic call's arguments that the zero-filled probes cannot make.

A call on KerasTensors runs the op on probes in which every unknown size (None) is
filled in, so the op itself never sees a None. Keras's Fourier transforms need the
transformed axes known when the graph is built; their sizes are checked here,
before probing, with Keras's wording.
"""

__all__ = ["check_symbolic_arguments"]

# op -> (argument, axes that must be known, how Keras names them)
_FULLY_DEFINED = {
    "fft": ("x", (-1,), "its last dimension"),
    "fft2": ("x", (-2, -1), "its (-2, -1) axes"),
    "ifft2": ("x", (-2, -1), "its (-2, -1) axes"),
}


def check_symbolic_arguments(op, bound):
    """Raises the ValueError Keras raises for `op(**bound)` on KerasTensors whose sizes
    it needs but that are unknown; does nothing for other ops."""
    rule = _FULLY_DEFINED.get(op)
    if rule is None:
        return
    name, axes, words = rule
    value = bound.get(name)
    for part in value if isinstance(value, (tuple, list)) else (value,):
        shape = getattr(part, "shape", None)
        if shape is None or len(shape) < len(axes):
            continue  # the op's own checks name a missing rank
        if any(shape[a] is None for a in axes):
            raise ValueError(
                f"{op}: Input should have {words} fully-defined. Received: input.shape = "
                f"{tuple(shape)}. Give the transformed axes a known size (e.g. "
                f"`keras.Input(shape=(..., 64))`).")
