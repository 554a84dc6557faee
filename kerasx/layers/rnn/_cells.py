"""Pieces shared by the built-in recurrent cells (private: nothing is exported)."""

from kerasx import activations, ops
from kerasx.ops.rnn import ACTIVATIONS


def fused_name(fn):
    """The `kerasx.ops.rnn` name of activation `fn` when the fused op can run it, else None.

    Only the plain registered functions qualify (a partial or a custom callable
    with the same name runs through the per-step loop instead).
    """
    name = getattr(fn, "__name__", None)
    if name in ACTIVATIONS and activations.get(name) is fn:
        return name
    return None


def gate_matmul(x, kernel, masks):
    """`x @ kernel` with dropout masks on `x`: one shared mask `(batch, n)` or one per
    gate `(G, batch, n)`, gate k using columns k of `kernel`'s G equal blocks."""
    if masks is None:
        return ops.matmul(x, kernel)
    if len(masks.shape) == 2:
        return ops.matmul(ops.multiply(x, masks), kernel)
    n = kernel.shape[1] // masks.shape[0]
    return ops.concatenate(
        [ops.matmul(ops.multiply(x, masks[k, ...]), columns(kernel, k * n, (k + 1) * n))
         for k in range(masks.shape[0])], axis=-1)


def gate_masks(masks, lo, hi):
    """The mask(s) of gates lo..hi-1 (a shared mask passes through)."""
    if masks is None or len(masks.shape) == 2:
        return masks
    return masks[lo:hi, ...] if hi - lo > 1 else masks[lo, ...]


def columns(x, lo, hi):
    return ops.getitem(x, (slice(None), slice(lo, hi)))


def check_units(cls_name, units):
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise ValueError(
            f"{cls_name}: units must be a positive integer, received units={units!r}.")


def check_rate(cls_name, name, value):
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TypeError(f"{cls_name}: {name} must be a float in [0, 1], received {value!r}.")
    return min(1.0, max(0.0, float(value)))


def serialize(obj):
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


def cell_config(cell):
    """The regularizer/constraint/initializer/dropout entries every built-in cell shares."""
    from kerasx import initializers

    return {
        "kernel_initializer": initializers.serialize(cell.kernel_initializer),
        "recurrent_initializer": initializers.serialize(cell.recurrent_initializer),
        "bias_initializer": initializers.serialize(cell.bias_initializer),
        "kernel_regularizer": serialize(cell.kernel_regularizer),
        "recurrent_regularizer": serialize(cell.recurrent_regularizer),
        "bias_regularizer": serialize(cell.bias_regularizer),
        "kernel_constraint": serialize(cell.kernel_constraint),
        "recurrent_constraint": serialize(cell.recurrent_constraint),
        "bias_constraint": serialize(cell.bias_constraint),
        "dropout": cell.dropout,
        "recurrent_dropout": cell.recurrent_dropout,
    }


def init_common(cell, activation, kernel_initializer, recurrent_initializer, bias_initializer,
                kernel_regularizer, recurrent_regularizer, bias_regularizer, kernel_constraint,
                recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed):
    from kerasx import constraints, initializers, regularizers

    name = type(cell).__name__
    cell.activation = activations.get(activation)
    cell.kernel_initializer = initializers.get(kernel_initializer)
    cell.recurrent_initializer = initializers.get(recurrent_initializer)
    cell.bias_initializer = initializers.get(bias_initializer)
    cell.kernel_regularizer = regularizers.get(kernel_regularizer)
    cell.recurrent_regularizer = regularizers.get(recurrent_regularizer)
    cell.bias_regularizer = regularizers.get(bias_regularizer)
    cell.kernel_constraint = constraints.get(kernel_constraint)
    cell.recurrent_constraint = constraints.get(recurrent_constraint)
    cell.bias_constraint = constraints.get(bias_constraint)
    cell.dropout = check_rate(name, "dropout", dropout)
    cell.recurrent_dropout = check_rate(name, "recurrent_dropout", recurrent_dropout)
    if seed is not None and not isinstance(seed, int):
        raise TypeError(f"{name}: seed must be an int or None, received {seed!r}.")
    cell.seed = seed


def add_kernels(cell, input_shape, gates):
    """Creates `kernel` (input_dim, gates * units) and `recurrent_kernel` (units, gates * units)."""
    input_dim = input_shape[-1]
    if input_dim is None:
        raise ValueError(
            f"{type(cell).__name__} {cell.name!r} needs a known feature dimension, received "
            f"input shape {tuple(input_shape)}.")
    cell.kernel = cell.add_weight((input_dim, gates * cell.units), cell.kernel_initializer,
                                  regularizer=cell.kernel_regularizer,
                                  constraint=cell.kernel_constraint, name="kernel")
    cell.recurrent_kernel = cell.add_weight((cell.units, gates * cell.units),
                                            cell.recurrent_initializer,
                                            regularizer=cell.recurrent_regularizer,
                                            constraint=cell.recurrent_constraint,
                                            name="recurrent_kernel")


def add_bias(cell, shape, initializer):
    cell.bias = cell.add_weight(shape, initializer, regularizer=cell.bias_regularizer,
                                constraint=cell.bias_constraint, name="bias")


def check_step_input(cell, inputs):
    shape = tuple(inputs.shape)
    if len(shape) != 2 or shape[-1] != cell.kernel.shape[0]:
        raise ValueError(
            f"{type(cell).__name__} {cell.name!r} expects one timestep of shape (batch, "
            f"{cell.kernel.shape[0]}), received shape {shape}. Wrap the cell in "
            "keras.layers.RNN to run it over (batch, timesteps, features) sequences.")


def zero_states(cell, batch_size):
    from kerasx.config import floatx

    sizes = cell.state_size if isinstance(cell.state_size, (list, tuple)) else [cell.state_size]
    # the compute dtype, as Keras's cells (float16 states under "mixed_float16")
    dtype = getattr(cell, "compute_dtype", None) or getattr(cell, "dtype", None) or floatx()
    return [ops.zeros((batch_size, n), dtype=dtype) for n in sizes]


def fused_result(outputs, finals, mask, zero_output, return_sequences=True):
    """(outputs, last_output, final_states) from a fused op's results (an op called
    with `return_sequences=False` returned the last output in place of `outputs`)."""
    if not return_sequences:
        return None, outputs, list(finals)
    last = finals[0]
    if mask is not None and zero_output:
        last = ops.getitem(outputs, (slice(None), -1))
    return outputs, last, list(finals)


_CELL_ATTRS = frozenset((
    "units", "activation", "recurrent_activation", "use_bias", "unit_forget_bias",
    "reset_after", "kernel_initializer", "recurrent_initializer", "bias_initializer",
    "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
    "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout", "seed"))


def cell_attribute(layer, name):
    """The layer-level view of its cell's arguments (`LSTM(...).units`, ...)."""
    cell = layer.__dict__.get("cell")
    if cell is not None and name in _CELL_ATTRS and hasattr(cell, name):
        return getattr(cell, name)
    raise AttributeError(f"{type(layer).__name__!r} object has no attribute {name!r}")
