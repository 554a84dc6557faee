"""The output sizes of ops that depend on the input's values, for symbolic calls.

A call on KerasTensors learns its output shapes by running the op on zero-filled
probes; `nonzero(x)` (and `where(x)`) or `unique(x)` of zeros has a size that says
nothing about real inputs, nor has `segment_sum(data, ids)` without `num_segments`,
nor `slice(x, start, (-1, ...))` with a symbolic `start`, nor `reshape(x, newshape)`
with a symbolic `newshape` (its values are the sizes).
These sizes are unknown (None), as in Keras. `shape` is read-only on KerasTensors,
so the sizes are written to the private `_shape` of the tensors the probe just made.
"""

__all__ = ["unknown_value_sizes"]


def unknown_value_sizes(op, spec, args, config, kwargs=None):
    """`spec` (the KerasTensors a probe gave for `op(*args, **kwargs, **config)`) with
    the sizes that depend on the values set to None."""
    kwargs = kwargs or {}
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
    elif op == "reshape" and _has_symbolic_size(kwargs.get("newshape")):
        spec._shape = _symbolic_newshape(kwargs["newshape"])
    return spec


def _has_symbolic_size(newshape):
    return _is_symbolic(newshape) or (
        isinstance(newshape, (tuple, list)) and any(_is_symbolic(n) for n in newshape))


def _symbolic_newshape(newshape):
    """The output shape of `reshape` to a `newshape` holding KerasTensors: the sizes it
    gives as ints (-1 unknown), None for the symbolic ones; a 1-D KerasTensor `newshape`
    of length k gives k unknown sizes, as in Keras."""
    if _is_symbolic(newshape):
        return (None,) * (newshape.shape[0] or 0)
    return tuple(n if isinstance(n, int) and n >= 0 else None for n in newshape)


def _is_symbolic(value):
    from kerasx.layers.core.keras_tensor import KerasTensor

    return isinstance(value, KerasTensor)
