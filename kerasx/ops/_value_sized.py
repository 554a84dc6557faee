"""The output sizes of ops that depend on the input's values, for symbolic calls.

A call on KerasTensors learns its output shapes by running the op on zero-filled
probes; `nonzero(x)` (and `where(x)`) or `unique(x)` of zeros has a size that says
nothing about real inputs, nor has `segment_sum(data, ids)` without `num_segments`,
nor `slice(x, start, (-1, ...))` with a symbolic `start`.
These sizes are unknown (None), as in Keras. `shape` is read-only on KerasTensors,
so the sizes are written to the private `_shape` of the tensors the probe just made.
"""

__all__ = ["unknown_value_sizes"]


def unknown_value_sizes(op, spec, args, config):
    """`spec` (the KerasTensors a probe gave for `op(*args, **config)`) with the sizes
    that depend on the values set to None."""
    if op == "nonzero" or (op == "where" and (len(args) < 2 or args[1] is None)):
        for tensor in spec:
            tensor._shape = (None,)
    elif op == "unique" and config.get("size") is None:
        outputs = spec if isinstance(spec, (tuple, list)) else (spec,)
        axis = config.get("axis")
        values = outputs[0]
        dim = 0 if axis is None else axis % len(values.shape)
        values._shape = values.shape[:dim] + (None,) + values.shape[dim + 1:]
        extras = [config.get(flag, False) for flag in
                  ("return_index", "return_inverse", "return_counts")]
        position = 1
        for flag, present in zip(("index", "inverse", "counts"), extras):
            if present:
                if flag != "inverse":
                    outputs[position]._shape = (None,)
                position += 1
    elif op.startswith("segment_") and config.get("num_segments") is None:
        spec._shape = (None,) + tuple(spec.shape[1:])  # one row per segment id value
    elif op == "slice" and len(args) > 1 and _is_symbolic(args[1]):
        # a size of -1 runs to the end of its axis from a start known only when it runs
        sizes = config.get("shape") or ()
        spec._shape = tuple(None if n == -1 else d for d, n in zip(spec.shape, sizes))
    return spec


def _is_symbolic(value):
    from kerasx.layers.core.input_layer import KerasTensor

    return isinstance(value, KerasTensor)
