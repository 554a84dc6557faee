"""`CategoryEncoding`: integer ids as one-hot, multi-hot or count vectors."""

__all__ = ["CategoryEncoding"]

from kerasx import ops
from kerasx.layers.layer import Layer
from kerasx.layers.preprocessing._data_layer import DataLayer
from kerasx.layers.preprocessing._encoding import check_ids, encode_ids

_MODES = ("multi_hot", "one_hot", "count")


class CategoryEncoding(DataLayer, Layer):
    """Encodes integer ids in `[0, num_tokens)` as dense float vectors of size `num_tokens`.

    Args:
        num_tokens: the number of distinct ids; ids outside `[0, num_tokens)`
            are an error.
        output_mode: `"multi_hot"` (1 where an id occurs in the sample),
            `"one_hot"` (one vector per id) or `"count"` (how often each id
            occurs, weighted by `count_weights` when given). `"binary"` is an
            alias of `"multi_hot"`.
        sparse: only False is supported (the output is a dense array).

    Call arguments:
        inputs: integer ids of shape `(batch,)`, `(batch, n)` or a scalar. For
            `"multi_hot"` and `"count"` the ids of one sample are those along
            axis 1 (a 1-D input is one sample).
        count_weights: for `"count"` only, a weight per id (the inputs' shape).

    Output shape: `"one_hot"`: the input shape (less a trailing axis of size 1)
    plus `(num_tokens,)`; otherwise `(batch, num_tokens)`. The dtype is the
    layer's float dtype (that of `count_weights` when given).
    """

    def __init__(self, num_tokens=None, output_mode="multi_hot", sparse=False, **kwargs):
        super().__init__(**kwargs)
        if output_mode == "binary":
            output_mode = "multi_hot"
        if output_mode not in _MODES:
            raise ValueError(f"CategoryEncoding: Unknown arg for output_mode: {output_mode}. "
                             f"output_mode must be one of {list(_MODES)}.")
        if num_tokens is None:
            raise ValueError("CategoryEncoding: num_tokens must be set to use this layer (the "
                             "number of distinct ids). If it is not known beforehand, map the ids to a known range "
                             "first.")
        if isinstance(num_tokens, bool) or not isinstance(num_tokens, int) or num_tokens < 1:
            raise ValueError(f"CategoryEncoding: `num_tokens` must be >= 1 (an integer), received "
                             f"num_tokens={num_tokens!r}.")
        if sparse:
            raise ValueError("CategoryEncoding: sparse=True is not supported; kerasx returns a "
                             "dense array. Use sparse=False.")
        self.num_tokens = num_tokens
        self.output_mode = output_mode
        self.sparse = sparse

    def call(self, inputs, count_weights=None):
        # as Keras, a Python list of ids is one tensor of them
        inputs = ops.convert_to_tensor(inputs)
        if count_weights is not None:
            if self.output_mode != "count":
                raise ValueError(
                    f"CategoryEncoding layer {self.name!r}: `count_weights` is not used when "
                    f"`output_mode` is not 'count' (received output_mode="
                    f"{self.output_mode!r}).")
            count_weights = ops.convert_to_tensor(count_weights, dtype=self.dtype)
            if tuple(count_weights.shape) != tuple(inputs.shape):
                raise ValueError(
                    f"CategoryEncoding layer {self.name!r}: count_weights must have the shape "
                    f"of the inputs {tuple(inputs.shape)}, received "
                    f"{tuple(count_weights.shape)}.")
        check_ids(inputs, self.num_tokens, f"CategoryEncoding layer {self.name!r}")
        return encode_ids(inputs, self.output_mode, self.num_tokens, self.dtype, count_weights)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if not input_shape:
            return (self.num_tokens,)
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                input_shape = input_shape[:-1]
            return input_shape + (self.num_tokens,)
        if len(input_shape) == 1:
            return (self.num_tokens,)
        return (input_shape[0],) + input_shape[2:] + (self.num_tokens,)

    def get_config(self):
        return {**super().get_config(), "num_tokens": self.num_tokens,
                "output_mode": self.output_mode}
