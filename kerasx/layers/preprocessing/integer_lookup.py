"""`IntegerLookup`: integer values to vocabulary indices (and back with `invert=True`)."""

__all__ = ["IntegerLookup"]

from kerasx.layers.preprocessing._index_lookup import IndexLookup


class IntegerLookup(IndexLookup):
    """Maps integer values (ids, codes) to contiguous indices through a vocabulary,
    as Keras's `IntegerLookup`.

    The vocabulary is given or learned by `adapt(data)` (values sorted by count,
    ties broken by the larger value first). With several OOV indices an unknown
    value `v` goes to OOV index `v % num_oov_indices` (`oov_method="floormod"`),
    or `FarmHash64(str(v)) % num_oov_indices` with `oov_method="farmhash"`
    (keyed SipHash-2-4 when `salt` is also given), as in TensorFlow.

    Args:
        max_tokens, num_oov_indices, vocabulary, idf_weights, invert,
        output_mode, pad_to_max_tokens, sparse: as in `StringLookup`.
        mask_token: an integer that maps to index 0 in `"int"` mode (dropped in
            the other modes); None for no mask.
        oov_token: what `invert=True` returns for OOV indices (default -1).
        vocabulary_dtype: only `"int64"`.
        oov_method: `"floormod"` or `"farmhash"` (see above).
        salt: an integer or a pair of integers, with `oov_method="farmhash"`.

    Outputs are int64 backend arrays in `"int"` mode (also with `invert=True`).
    """

    token_kind = "int"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token=-1,
                 vocabulary=None, vocabulary_dtype="int64", idf_weights=None, invert=False,
                 output_mode="int", sparse=False, pad_to_max_tokens=False,
                 oov_method="floormod", salt=None, name=None, **kwargs):
        if vocabulary_dtype != "int64":
            raise ValueError(f"IntegerLookup: only vocabulary_dtype='int64' is supported, "
                             f"received vocabulary_dtype={vocabulary_dtype!r}.")
        for token, what in ((mask_token, "mask_token"), (oov_token, "oov_token")):
            if token is not None and (isinstance(token, bool) or not isinstance(token, int)):
                raise TypeError(f"IntegerLookup: {what} must be an integer or None, received "
                                f"{what}={token!r}.")
        self.vocabulary_dtype = vocabulary_dtype
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens,
                         oov_method=oov_method, salt=salt, name=name, **kwargs)

    def get_config(self):
        return {**super().get_config(), "vocabulary_dtype": self.vocabulary_dtype}
