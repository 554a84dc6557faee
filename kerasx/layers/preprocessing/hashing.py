"""`Hashing`: values to hash bins (FarmHash64, or keyed SipHash with a salt)."""

__all__ = ["Hashing"]

from kerasx.config import floatx
from kerasx.layers.preprocessing._host_layer import HostInputLayer
from kerasx.layers.preprocessing._encoding import encode_ids
from kerasx.layers.preprocessing._hash_buckets import hash_buckets, normalize_salt
from kerasx.layers.preprocessing._host_values import flat_values, to_tensor

_MODES = ("int", "one_hot", "multi_hot", "count")


class Hashing(HostInputLayer):
    """Hashes strings or integers into `num_bins` bins, exactly as Keras (through
    TensorFlow) does: bin = `FarmHash64(text) % bins`, or keyed SipHash-2-4 when
    `salt` is given, where the text of an integer is its decimal form (floats
    are first truncated to integers).

    Args:
        num_bins: the number of bins, the mask bin included.
        mask_value: a value that goes to bin 0; the others then hash into
            bins `1 .. num_bins - 1`. None: no mask.
        salt: an integer or a pair of integers (the SipHash key); None for FarmHash64.
        output_mode: `"int"` (the bin of each value, in the layer's integer
            dtype, int64 by default) or `"one_hot"`, `"multi_hot"`, `"count"`
            (float vectors of size `num_bins`, as in `CategoryEncoding`).
        sparse: only False is supported.

    The values are read on the host; the outputs are backend arrays.
    """

    def __init__(self, num_bins, mask_value=None, salt=None, output_mode="int", sparse=False,
                 **kwargs):
        if kwargs.get("dtype") is None:
            kwargs["dtype"] = "int64" if output_mode == "int" else floatx()
        super().__init__(**kwargs)
        if num_bins is None or isinstance(num_bins, bool) or not isinstance(num_bins, int) \
                or num_bins <= 0:
            raise ValueError(f"Hashing: The `num_bins` for `Hashing` cannot be `None` or "
                             f"non-positive; num_bins must be a positive integer, received "
                             f"num_bins={num_bins!r}.")
        if output_mode not in _MODES:
            raise ValueError(f"Hashing: Invalid value for argument `output_mode`. Expected one "
                             f"of {list(_MODES)}, received output_mode={output_mode!r}.")
        if output_mode == "int" and self.dtype not in ("int32", "int64"):
            raise ValueError(f"Hashing: When `output_mode=\"int\"`, `dtype` should be an "
                             f"integer type, so the dtype must be 'int32' or 'int64', received "
                             f"dtype={self.dtype!r}.")
        if sparse:
            raise ValueError("Hashing: sparse=True is not supported; kerasx returns a dense "
                             "array. Use sparse=False.")
        self.num_bins = num_bins
        self.mask_value = mask_value
        self.salt = normalize_salt(salt, "Hashing")
        self.strong_hash = self.salt is not None
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs):
        values, shape, kind = flat_values(inputs, f"Hashing layer {self.name!r}")
        bins = self.num_bins
        masked = None
        if self.mask_value is not None and bins > 1:
            bins -= 1
            masked = [v == self.mask_value for v in values]
        if kind == "bool":
            values = ["true" if v else "false" for v in values]
        ids = hash_buckets(values, bins, self.salt)
        if masked is not None:
            ids = [0 if m else i + 1 for i, m in zip(ids, masked)]
        if self.output_mode == "int":
            return to_tensor(ids, shape, self.dtype)
        return encode_ids(to_tensor(ids, shape, "int64"), self.output_mode, self.num_bins,
                          self.dtype)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        if not input_shape:
            return (self.num_bins,)
        return input_shape[:-1] + (self.num_bins,)

    def get_config(self):
        return {**super().get_config(), "num_bins": self.num_bins, "salt": self.salt,
                "mask_value": self.mask_value, "output_mode": self.output_mode,
                "sparse": self.sparse}
