"""`HashedCrossing`: crosses of categorical features hashed into bins."""

__all__ = ["HashedCrossing"]

from kerasx.layers.preprocessing._host_layer import HostInputLayer
from kerasx.layers.preprocessing._encoding import encode_ids
from kerasx.layers.preprocessing._farmhash import fingerprint64, fingerprint_cat64
from kerasx.layers.preprocessing._host_values import flat_values, to_tensor

_MASK = (1 << 64) - 1
_HASH_KEY = 0xDECAFCAFFE  # TensorFlow's default key of `sparse.cross_hashed`


class HashedCrossing(HostInputLayer):
    """Hashes the cross of two or more categorical features into `num_bins` bins,
    as Keras does with TensorFlow's `sparse.cross_hashed`: the fingerprints of the
    values (FarmHash64 of a string; an integer is its own fingerprint) are chained
    with `FingerprintCat64`, starting from TensorFlow's key, and taken modulo
    `num_bins`.

    Args:
        num_bins: the number of bins.
        output_mode: `"int"` (the bin, int64 by default) or `"one_hot"` (float
            vectors of size `num_bins`).
        sparse: only False is supported.

    Call argument: a list or tuple of at least two features of equal shape
    `()`, `(batch,)` or `(batch, 1)`, each of strings or integers.
    """

    _takes_feature_list = True

    def __init__(self, num_bins, output_mode="int", sparse=False, name=None, dtype=None,
                 **kwargs):
        if output_mode == "int" and dtype is None:
            dtype = "int64"
        super().__init__(name=name, dtype=dtype, **kwargs)
        if isinstance(num_bins, bool) or not isinstance(num_bins, int) or num_bins <= 0:
            raise ValueError(f"HashedCrossing: num_bins must be a positive integer, received "
                             f"num_bins={num_bins!r}.")
        if output_mode not in ("int", "one_hot"):
            raise ValueError(f"HashedCrossing: output_mode must be one of ['int', 'one_hot'], "
                             f"received output_mode={output_mode!r}.")
        if sparse:
            raise ValueError("HashedCrossing: sparse=True is not supported; kerasx returns a "
                             "dense array. Use sparse=False.")
        self.num_bins = num_bins
        self.output_mode = output_mode
        self.sparse = False

    def call(self, inputs):
        who = f"HashedCrossing layer {self.name!r}"
        if not isinstance(inputs, (list, tuple)) or len(inputs) < 2:
            how = ("needs at least two inputs" if isinstance(inputs, (list, tuple))
                   else "should be called on a list or tuple of features")
            raise ValueError(f"{who} {how}: expected a list or tuple of at least two features, "
                             f"received {type(inputs).__name__}"
                             f"{'' if not isinstance(inputs, (list, tuple)) else ' of ' + str(len(inputs))}.")
        features = [flat_values(x, who) for x in inputs]
        shape = features[0][1]
        if len(shape) > 2 or (len(shape) == 2 and shape[-1] != 1):
            raise ValueError(f"{who}: inputs should have shape (), (batch,) or (batch, 1), "
                             f"received a feature of shape {shape}.")
        for values, other, kind in features:
            if other != shape:
                raise ValueError(f"{who}: every feature must have the same shape, received "
                                 f"{[f[1] for f in features]}.")
            if kind not in ("string", "int"):
                raise ValueError(f"{who}: every feature should have an integer or string "
                                 f"dtype, received {kind} values.")
        columns = [[fingerprint64(v.encode("utf-8", "surrogateescape")) if kind == "string" else v & _MASK
                    for v in values] for values, _, kind in features]
        ids = []
        for row in zip(*columns):
            h = _HASH_KEY
            for fp in row:
                h = fingerprint_cat64(h, fp)
            ids.append(h % self.num_bins)
        if self.output_mode == "int":
            return to_tensor(ids, shape, self.dtype)
        return encode_ids(to_tensor(ids, shape, "int64"), "one_hot", self.num_bins, self.dtype)

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape[0])
        if self.output_mode == "int":
            return shape
        if shape and shape[-1] == 1:
            shape = shape[:-1]
        return shape + (self.num_bins,)

    def get_config(self):
        return {"num_bins": self.num_bins, "output_mode": self.output_mode,
                "sparse": self.sparse, "name": self.name, "dtype": self.dtype}
