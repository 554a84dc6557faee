"""Tracking of the `Variable`s a layer holds as attributes, as Keras's `Tracker` does."""

from kerasx.autodiff.variable import Variable


def track_variables(layer, value):
    """Adds to `layer`'s own variables every `Variable` in `value` (a variable, or one
    inside lists, tuples and dicts, at any depth) that it does not hold yet, in the order
    met. Keras lists a layer's own variables in the order they were tracked, an
    attribute variable among those `add_weight` made, trainable ones first."""
    if isinstance(value, Variable):
        own = layer._own_variables
        if not any(v is value for v in own):
            own.append(value)
    elif isinstance(value, (list, tuple)):
        for item in value:
            track_variables(layer, item)
    elif isinstance(value, dict):
        for item in value.values():
            track_variables(layer, item)
