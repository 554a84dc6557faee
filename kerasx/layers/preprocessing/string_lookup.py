"""`StringLookup`: strings to vocabulary indices (and back with `invert=True`)."""

__all__ = ["StringLookup"]

from kerasx.layers.preprocessing._index_lookup import IndexLookup


class StringLookup(IndexLookup):
    """Maps strings to integer indices through a vocabulary, as Keras's `StringLookup`.

    The vocabulary is given (`vocabulary=` a list, array or text file with one
    term per line) or learned by `adapt(data)`: the terms sorted by count, ties
    broken by the larger term first, cut to `max_tokens`. Index layout in
    `"int"` mode: the mask (index 0, when `mask_token` is set), then
    `num_oov_indices` OOV indices, then the terms. With several OOV indices an
    unknown string goes to OOV index `FarmHash64(string) % num_oov_indices`
    (keyed SipHash-2-4 when `salt` is given), as in TensorFlow.

    Args:
        max_tokens: the largest vocabulary size (special indices included), or None.
        num_oov_indices: how many indices unknown strings share (0: unknown
            strings are an error).
        mask_token: a string that maps to index 0 in `"int"` mode and is
            dropped in the other modes; None for no mask.
        oov_token: what `invert=True` returns for OOV indices (default `"[UNK]"`).
        vocabulary: the terms, or the path of a vocabulary file.
        idf_weights: with `output_mode="tf_idf"` and a vocabulary, one weight per term.
        invert: map indices back to strings (a NumPy string array).
        output_mode: `"int"` (int64 indices of the input's shape), `"one_hot"`,
            `"multi_hot"`, `"count"` or `"tf_idf"` (float vectors of the
            vocabulary's size, or `max_tokens` with `pad_to_max_tokens=True`).
        pad_to_max_tokens: pad the encoded outputs to `max_tokens`.
        sparse: only False is supported.
        encoding: the text encoding of byte inputs (kept in the config).
        salt: an integer or a pair of integers: hash OOV strings with SipHash.
        oov_method: kept for Keras compatibility; strings are always hashed.

    The strings stay on the host; the integer outputs are backend arrays.
    """

    token_kind = "string"

    def __init__(self, max_tokens=None, num_oov_indices=1, mask_token=None, oov_token="[UNK]",
                 vocabulary=None, idf_weights=None, invert=False, output_mode="int",
                 pad_to_max_tokens=False, sparse=False, encoding="utf-8", name=None, salt=None,
                 **kwargs):
        for token, what in ((mask_token, "mask_token"), (oov_token, "oov_token")):
            if token is not None and not isinstance(token, str):
                raise TypeError(f"StringLookup: {what} must be a string or None, received "
                                f"{what}={token!r}.")
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices,
                         mask_token=mask_token, oov_token=oov_token, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode,
                         sparse=sparse, pad_to_max_tokens=pad_to_max_tokens, name=name,
                         salt=salt, **kwargs)

    def get_config(self):
        return {**super().get_config(), "encoding": self.encoding}
