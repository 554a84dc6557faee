"""Half-precision inputs of the normalization layers are normalized in float32.

Their statistics overflow in float16: a variance of inputs around 300 is past float16's
largest value (65504), and the output would be 0 or NaN. Keras upcasts the same way."""

__all__ = []

from kerasx import ops

_HALF = ("float16", "bfloat16")


def upcast(x):
    """`x` in float32 when it is float16 or bfloat16, else unchanged."""
    return ops.cast(x, "float32") if x.dtype in _HALF else x


def in_compute_dtype(layer, y):
    """`y` cast to the layer's compute dtype (a no-op when it has it already)."""
    return y if y.dtype == layer.compute_dtype else ops.cast(y, layer.compute_dtype)
