"""The constructor arguments of the lookup and text layers, checked as Keras checks them."""

MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")
STANDARDIZE = ("lower_and_strip_punctuation", "lower", "strip_punctuation")
SPLIT = ("whitespace", "character")


def check_lookup_arguments(who, token_kind, max_tokens, num_oov_indices, oov_method, salt,
                           output_mode, invert, sparse, idf_weights, pad_to_max_tokens):
    """Raises on a bad argument; returns `output_mode` with Keras's aliases resolved
    (`"binary"` is `"multi_hot"`, `"tf-idf"` is `"tf_idf"`)."""
    if max_tokens is not None and (isinstance(max_tokens, bool) or not isinstance(
            max_tokens, int) or max_tokens <= 1):
        raise ValueError(f"{who}: max_tokens must be None or an integer greater than 1, "
                         f"received max_tokens={max_tokens!r}.")
    if pad_to_max_tokens and max_tokens is None:
        raise ValueError(f"{who}: pad_to_max_tokens=True needs max_tokens, received "
                         "max_tokens=None. Set max_tokens (the padded size).")
    if isinstance(num_oov_indices, bool) or not isinstance(num_oov_indices, int) \
            or num_oov_indices < 0:
        raise ValueError(f"{who}: num_oov_indices must be an integer >= 0, received "
                         f"num_oov_indices={num_oov_indices!r}.")
    if oov_method not in ("floormod", "farmhash"):
        raise ValueError(f"{who}: oov_method must be 'floormod' or 'farmhash', received "
                         f"oov_method={oov_method!r}.")
    if salt is not None and token_kind == "int" and oov_method != "farmhash":
        raise ValueError(f"{who}: salt is only used with oov_method='farmhash', received "
                         f"oov_method={oov_method!r}.")
    output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
    if output_mode not in MODES:
        raise ValueError(f"{who}: output_mode must be one of {list(MODES)}, received "
                         f"output_mode={output_mode!r}.")
    if invert and output_mode != "int":
        raise ValueError(f"{who}: invert=True maps indices back to tokens, so output_mode "
                         f"must be 'int'; received output_mode={output_mode!r}.")
    if sparse:
        raise ValueError(f"{who}: sparse=True is not supported; kerasx returns a dense "
                         "array. Use sparse=False.")
    if idf_weights is not None and output_mode != "tf_idf":
        raise ValueError(f"{who}: idf_weights is only used with output_mode='tf_idf', "
                         f"received output_mode={output_mode!r}.")
    return output_mode


def check_text_arguments(standardize, split, ngrams, output_mode, output_sequence_length,
                         sparse, ragged):
    """Raises on a bad `TextVectorization` argument; returns `output_mode` with
    Keras's aliases resolved."""
    if sparse or ragged:
        raise ValueError("TextVectorization: sparse=True and ragged=True are not supported; "
                         "kerasx returns dense arrays (int rows padded with 0).")
    if not (standardize is None or callable(standardize) or standardize in STANDARDIZE):
        raise ValueError(f"TextVectorization: standardize must be one of "
                         f"{list(STANDARDIZE)}, None or a callable, received "
                         f"standardize={standardize!r}.")
    if not (split is None or callable(split) or split in SPLIT):
        raise ValueError(f"TextVectorization: split must be one of {list(SPLIT)}, None or "
                         f"a callable, received split={split!r}.")
    output_mode = {"binary": "multi_hot", "tf-idf": "tf_idf"}.get(output_mode, output_mode)
    if output_mode not in MODES:
        raise ValueError(f"TextVectorization: output_mode must be one of {list(MODES)}, "
                         f"received output_mode={output_mode!r}.")
    if not (ngrams is None or (isinstance(ngrams, int) and not isinstance(ngrams, bool))
            or (isinstance(ngrams, tuple) and all(isinstance(n, int) for n in ngrams))):
        raise ValueError(f"TextVectorization: ngrams must be None, an integer or a tuple of "
                         f"integers, received ngrams={ngrams!r}.")
    if output_mode == "int" and not (output_sequence_length is None or (
            isinstance(output_sequence_length, int)
            and not isinstance(output_sequence_length, bool))):
        raise ValueError(f"TextVectorization: output_sequence_length must be None or an "
                         f"integer, received {output_sequence_length!r}.")
    if output_mode != "int" and output_sequence_length is not None:
        raise ValueError(f"TextVectorization: `output_sequence_length` must not be set if "
                         f"`output_mode` is not 'int', received output_mode={output_mode!r} and "
                         f"output_sequence_length={output_sequence_length!r}.")
    if output_mode == "one_hot" and split is not None:
        raise ValueError("TextVectorization: output_mode='one_hot' encodes one token per "
                         "string, so it needs split=None; use 'multi_hot' or 'count' for "
                         "split text.")
    return output_mode
