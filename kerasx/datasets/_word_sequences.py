"""The word-index sequences of IMDB and Reuters: Keras's offsets, filters and vocabulary."""


def offset(sequences, start_char, index_from):
    """Each sequence as a list, its indices shifted by `index_from`, after `start_char`."""
    head = [] if start_char is None else [start_char]
    return [head + [w + index_from for w in seq] for seq in sequences]


def drop_long(maxlen, sequences, labels):
    """The sequences shorter than `maxlen` (strictly) and their labels, as lists."""
    kept = [(seq, label) for seq, label in zip(sequences, labels) if len(seq) < maxlen]
    return [seq for seq, _ in kept], [label for _, label in kept]


def limit_vocabulary(sequences, num_words, skip_top, oov_char):
    """Indices outside `[skip_top, num_words)` replaced by `oov_char`, or dropped when it
    is None. Without `num_words`, the limit is the largest index (which, as in Keras,
    is itself out of range)."""
    if not num_words:
        num_words = max(max(seq) for seq in sequences if seq)
    if oov_char is not None:
        return [[w if skip_top <= w < num_words else oov_char for w in seq]
                for seq in sequences]
    return [[w for w in seq if skip_top <= w < num_words] for seq in sequences]
