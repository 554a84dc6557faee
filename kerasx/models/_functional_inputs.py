"""What a model call does with the arrays it is given, before its layers run.

Converts each input to a backend tensor of its Input's dtype, squeezes or adds a
trailing axis of size 1 as Keras does, and words the error for an input whose sizes
after the batch axis differ from its Input's (shared by functional and Sequential
models).
"""

from kerasx.layers.call_context import failure_detail, mark_context_given


def to_tensor(value, dtype):
    from kerasx.autodiff.tensor import Tensor
    from kerasx.backends import current

    backend = current()
    array = backend.asarray(value)
    if backend.dtype(dtype) != array.dtype:
        array = backend.xp.astype(array, backend.dtype(dtype))
    return Tensor(array)


def cast(tensor, dtype):
    from kerasx import ops

    return tensor if tensor.dtype == dtype else ops.cast(tensor, dtype)


def size_mismatch(model, values):
    """The message for the first input whose sizes after the batch axis differ from its
    Input's, or None. (As in Keras, an Input's static batch size is not enforced:
    `Input(shape, batch_size=128)` still predicts on a batch of 4.)"""
    for tensor, value, name in zip(model.inputs, values, model.input_names):
        if value is None or tensor.dtype == "string":
            continue
        mismatch = input_size_mismatch(model.name, name, tuple(tensor.shape), tuple(value.shape))
        if mismatch is not None:
            return mismatch
    return None


def input_size_mismatch(model_name, input_name, want, got):
    """The message for an input of shape `got` whose sizes after the batch axis differ
    from its Input's `want`, or None."""
    if any(w is not None and g != w for g, w in zip(got[1:], want[1:])):
        # any batch size runs (a model built by its first batch keeps that batch's size)
        shown = (None,) + tuple(want[1:]) if want else want
        return (f"Input {input_name!r} of model {model_name!r} is incompatible with the model: "
                f"expected shape {shown}, found shape {got}. The data's dimensions after the "
                "batch axis must match the Input's shape")
    return None


def input_mismatch_error(mismatch, error):
    """The error for a model whose layers failed on an input of the wrong size: the
    model's input is what to fix, so no layer adds its call context to it."""
    return mark_context_given(ValueError(f"{mismatch} ({failure_detail(error)})"))


def adjust_rank(value, expected, name, model_name):
    """Squeezes or adds a trailing axis of size 1 when that is the only difference (as Keras)."""
    from kerasx import ops

    want = expected.shape
    got = tuple(value.shape)
    if len(got) == len(want) + 1 and got[-1] == 1:
        value, got = ops.squeeze(value, axis=-1), got[:-1]
    elif len(got) == len(want) - 1 and want[-1] == 1:
        value, got = ops.expand_dims(value, axis=-1), got + (1,)
    if len(got) != len(want):
        raise ValueError(
            f"Input {name!r} of model {model_name!r} is incompatible with the model: expected "
            f"shape {want}, found shape {got}. The data's dimensions after the batch axis must "
            "match the Input's shape."
        )
    return value


def adjust_string_rank(value, expected):
    """`adjust_rank` for host string arrays (a string column of shape (n,) for an
    `Input(shape=(1,), dtype="string")` becomes (n, 1))."""
    from kerasx.backends import host

    if isinstance(value, (list, tuple)):
        value = host.to_host(value)
    if not host.is_string_array(value):
        return value
    shape, want = tuple(value.shape), expected.shape
    if len(shape) == len(want) - 1 and want[-1] == 1:
        return value.reshape(shape + (1,))
    if len(shape) == len(want) + 1 and shape[-1] == 1:
        return value.reshape(shape[:-1])
    return value
