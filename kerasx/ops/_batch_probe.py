"""One more probe of a symbolic op, with a longer batch, for sizes that two short
probes miss.

A call on KerasTensors probes an unknown batch axis with 1 and 2 rows. Some ops give
the same size for both and another for longer batches: `diff(x, n=2, axis=0)` has
no rows left for either, `array_split(x, 2)[0]` one row for either. Keras gives
None for such sizes; a third probe with 5 rows (and 41 for the other unknown axes)
finds them.
"""

__all__ = ["with_long_batch_probe"]

_LONG_BATCH_FILLS = (5, 41)


def with_long_batch_probe(layer, spec, args, kwargs):
    """`spec` (the KerasTensors the first probes of `layer(*args, **kwargs)` gave), with
    None for each size a probe with long unknown axes changes. An op that cannot take
    that probe keeps `spec`."""
    from kerasx.layers.core._nested_structure import flatten
    from kerasx.layers.core._shape_probes import probe_once
    from kerasx.layers.core.keras_tensor import KerasTensor

    flat = [t for t in flatten((list(args), kwargs)) if isinstance(t, KerasTensor)]
    outputs = [t for t in flatten(spec) if isinstance(t, KerasTensor)]
    if not outputs or not any(d is None for t in flat for d in t.shape):
        return spec
    shapes = probe_once(layer, flat, args, kwargs, _LONG_BATCH_FILLS)
    if shapes is None or len(shapes) != len(outputs):
        return spec
    for tensor, shape in zip(outputs, shapes):
        if len(shape) == len(tensor.shape):
            tensor._shape = tuple(a if a == b else None for a, b in zip(tensor.shape, shape))
    return spec
