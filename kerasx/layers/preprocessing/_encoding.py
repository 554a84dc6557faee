"""Integer ids as one-hot, multi-hot or count vectors (shared by CategoryEncoding and
Discretization)."""

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current


def check_ids(ids, depth, caller):
    """Raises unless every id is in `[0, depth)`."""
    xp = current().xp
    v = value_of(ids)
    if v.size and bool(xp.any((v < 0) | (v >= depth))):
        low, high = int(xp.min(v)), int(xp.max(v))
        raise ValueError(
            f"{caller}: every input id must be in [0, num_tokens) = [0, {depth}), received "
            f"ids from {low} to {high}. Raise num_tokens or map the ids into range first.")


def encode_ids(ids, output_mode, depth, dtype, count_weights=None):
    """`ids` (integers) encoded along a new last axis of size `depth`.

    A scalar counts as one sample of one id. `"one_hot"` encodes each id (a
    trailing axis of size 1 is replaced); `"multi_hot"` and `"count"` combine
    the ids of a sample (axis 1, or axis 0 for 1-D ids, as Keras does) into one
    vector that marks, or counts (weighted by `count_weights`), each id.
    """
    ids = ops.cast(ids, "int32")
    if len(ids.shape) == 0:
        ids = ops.reshape(ids, (1,))
    if output_mode == "one_hot":
        if len(ids.shape) > 1 and ids.shape[-1] == 1:
            ids = ops.reshape(ids, tuple(ids.shape[:-1]))
        return ops.one_hot(ids, depth, dtype=dtype)
    axis = 1 if len(ids.shape) > 1 else 0
    if output_mode == "multi_hot":
        return ops.max(ops.one_hot(ids, depth, dtype=dtype), axis=axis)
    if count_weights is None:
        return ops.sum(ops.one_hot(ids, depth, dtype=dtype), axis=axis)
    hot = ops.one_hot(ids, depth, dtype=count_weights.dtype)
    return ops.sum(ops.multiply(hot, ops.expand_dims(count_weights, -1)), axis=axis)
