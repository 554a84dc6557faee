"""The output sizes of ops that depend on the input's values, for symbolic calls.

A call on KerasTensors learns its output shapes by running the op on zero-filled
probes; `nonzero(x)` (and `where(x)`) or `unique(x)` of zeros has a size that says
nothing about real inputs. These sizes are unknown (None), as in Keras.
"""

__all__ = ["unknown_value_sizes"]


def unknown_value_sizes(op, spec, args, config):
    """`spec` (the KerasTensors a probe gave for `op(*args, **config)`) with the sizes
    that depend on the values set to None."""
    if op == "nonzero" or (op == "where" and (len(args) < 2 or args[1] is None)):
        for tensor in spec:
            tensor.shape = (None,)
    elif op == "unique" and config.get("size") is None:
        outputs = spec if isinstance(spec, (tuple, list)) else (spec,)
        axis = config.get("axis")
        values = outputs[0]
        dim = 0 if axis is None else axis % len(values.shape)
        values.shape = values.shape[:dim] + (None,) + values.shape[dim + 1:]
        extras = [config.get(flag, False) for flag in
                  ("return_index", "return_inverse", "return_counts")]
        position = 1
        for flag, present in zip(("index", "inverse", "counts"), extras):
            if present:
                if flag != "inverse":
                    outputs[position].shape = (None,)
                position += 1
    return spec
