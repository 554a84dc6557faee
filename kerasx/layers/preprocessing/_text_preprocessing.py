"""The text steps of `TextVectorization` on host strings, as TensorFlow's string ops
compute them: ASCII lower-casing, Keras's punctuation pattern, ASCII whitespace
splitting, splitting into characters, and n-grams."""

import re

from kerasx.layers.preprocessing._host_values import flat_values, to_host_strings

# Keras's pattern; ",-\." is the range of "," "-" "."
PUNCTUATION = re.compile(r'[!"#$%&()\*\+,-\./:;<=>?@\[\\\]^_`{|}~\']')
# tf.strings.split without a separator splits on ASCII whitespace only
_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def standardize_strings(values, shape, standardize, who):
    """`values` (a flat list of strings) after `standardize`: a name or a callable
    that receives (and returns) a NumPy string array of `shape`."""
    if standardize in ("lower", "lower_and_strip_punctuation"):
        # tf.strings.lower without an encoding changes ASCII letters only
        values = [v.translate(_ASCII_LOWER) for v in values]
    if standardize in ("strip_punctuation", "lower_and_strip_punctuation"):
        values = [PUNCTUATION.sub("", v) for v in values]
    if callable(standardize):
        result = standardize(to_host_strings(values, shape))
        values, new_shape, kind = flat_values(result, who)
        if kind != "string" or new_shape != shape:
            raise ValueError(f"{who}: the standardize callable must return strings of the "
                             f"input's shape {shape}, returned {kind} values of shape "
                             f"{new_shape}.")
    return values


def split_strings(values, split, who):
    """One list of tokens per string of `values`."""
    if split == "whitespace":
        return [[t for t in _WHITESPACE.split(v) if t] for v in values]
    if split == "character":
        return [list(v) for v in values]
    result = split(to_host_strings(values, (len(values),)))
    rows = list(result.tolist() if hasattr(result, "tolist") else result)
    if len(rows) != len(values):
        raise ValueError(f"{who}: the split callable must return one row of tokens per input "
                         f"string ({len(values)}), returned {len(rows)} rows.")
    out = []
    for row in rows:
        row = list(row.tolist() if hasattr(row, "tolist") else row)
        out.append([t.decode("utf-8", "surrogateescape") if isinstance(t, bytes) else t for t in row])
    return out


def ngram_rows(rows, widths):
    """Each row's n-grams of every width in `widths`, joined by spaces, the widths in
    order (as `tf.strings.ngrams`; a row shorter than a width has none of it)."""
    out = []
    for row in rows:
        grams = []
        for n in widths:
            grams.extend(" ".join(row[i:i + n]) for i in range(len(row) - n + 1))
        out.append(grams)
    return out
