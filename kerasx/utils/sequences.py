"""`pad_sequences`: lists of sequences of different lengths as one host array."""

_SIDES = ("pre", "post")


def pad_sequences(sequences, maxlen=None, dtype="int32", padding="pre", truncating="pre",
                  value=0.0):
    """Sequences of different lengths as one NumPy array of shape (n, maxlen, ...).

    Sequences longer than `maxlen` lose entries at the start (`truncating="pre"`)
    or the end (`"post"`); shorter ones are filled with `value` before
    (`padding="pre"`) or after (`"post"`) their entries. `maxlen=None` uses the
    longest sequence. Entries may be numbers or equally shaped arrays.
    """
    from kerasx.backends.host import full, to_host

    for name, side in (("padding", padding), ("truncating", truncating)):
        if side not in _SIDES:
            raise ValueError(f"pad_sequences: `{name}` must be 'pre' or 'post', received {side!r}.")
    if not hasattr(sequences, "__len__"):
        raise ValueError("pad_sequences expects a list of sequences (lists or arrays), "
                         f"received {type(sequences).__name__}.")
    lengths, sample_shape = [], None
    for i, seq in enumerate(sequences):
        if not hasattr(seq, "__len__"):
            raise ValueError(f"pad_sequences expects a list of sequences, but the entry at "
                             f"position {i} is {seq!r:.50} of type {type(seq).__name__}; "
                             "wrap single values in a list.")
        lengths.append(len(seq))
        if sample_shape is None and len(seq):
            sample_shape = to_host(seq).shape[1:]
    if maxlen is None:
        maxlen = max(lengths, default=0)
    elif isinstance(maxlen, bool) or not isinstance(maxlen, int) or maxlen < 0:
        raise ValueError(f"pad_sequences: `maxlen` must be None or a non-negative integer, "
                         f"received {maxlen!r}.")
    sample_shape = () if sample_shape is None else sample_shape
    if isinstance(value, str) and to_host([], dtype).dtype.kind not in "OUS":
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type: "
                         f"{type(value)}\nYou should set `dtype=object` for variable length "
                         "strings.")
    out = full((len(lengths), maxlen) + tuple(sample_shape), value, dtype)
    for i, seq in enumerate(sequences):
        if not lengths[i] or not maxlen:
            continue
        kept = to_host(seq)
        kept = kept[-maxlen:] if truncating == "pre" else kept[:maxlen]
        if kept.shape[1:] != sample_shape:
            raise ValueError(f"pad_sequences: the entries of the sequence at position {i} have "
                             f"shape {kept.shape[1:]}, the first non-empty sequence's have "
                             f"{sample_shape}; every entry must have the same shape.")
        if padding == "post":
            out[i, :len(kept)] = kept
        else:
            out[i, maxlen - len(kept):] = kept
    return out
