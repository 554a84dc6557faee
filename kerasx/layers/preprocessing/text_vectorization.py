"""`TextVectorization`: raw strings to token indices or token-count vectors."""

__all__ = ["TextVectorization"]

from kerasx import ops
from kerasx.config import floatx
from kerasx.layers.preprocessing._host_layer import HostInputLayer
from kerasx.layers.preprocessing._encoding import encode_ids
from kerasx.layers.preprocessing._host_values import flat_values, to_tensor
from kerasx.layers.preprocessing._lookup_arguments import check_text_arguments
from kerasx.layers.preprocessing._text_preprocessing import (ngram_rows, split_strings,
                                                             standardize_strings)
from kerasx.layers.preprocessing._vocabulary_data import adapt_documents
from kerasx.layers.preprocessing.string_lookup import StringLookup

class TextVectorization(HostInputLayer):
    """Turns strings into token indices (`"int"`) or per-string token vectors, as
    Keras's `TextVectorization`: standardize, split, form n-grams, then look the
    tokens up in a vocabulary (index 0 is padding, 1 the OOV token).

    Args:
        max_tokens: the largest vocabulary size (padding and OOV included).
        standardize: `"lower_and_strip_punctuation"` (default), `"lower"`,
            `"strip_punctuation"`, None, or a callable taking and returning a
            NumPy string array. Lower-casing changes ASCII letters only and the
            punctuation removed is Keras's ASCII set, as in TensorFlow.
        split: `"whitespace"` (ASCII whitespace), `"character"`, None (each
            string is one token), or a callable taking a 1-D NumPy string
            array and returning one list of tokens per string.
        ngrams: None, an integer n (all 1..n-grams) or a tuple of widths.
        output_mode: `"int"` (int64 indices, padded with 0), `"multi_hot"`,
            `"count"`, `"tf_idf"` (float vectors of the vocabulary size) or
            `"one_hot"` (only with `split=None`).
        output_sequence_length: in `"int"` mode, pad or cut every row to this length.
        pad_to_max_tokens: pad the vectors of the other modes to `max_tokens`.
        vocabulary, idf_weights: a given vocabulary (list or file) and, for
            `"tf_idf"`, its weights; otherwise call `adapt(data)`.
        sparse, ragged: only False is supported.
        encoding: kept in the config (inputs are Unicode strings or UTF-8 bytes).

    Input: strings of shape `(batch,)` or `(batch, 1)` (or one string). The
    strings stay on the host; outputs are backend arrays.
    """

    def __init__(self, max_tokens=None, standardize="lower_and_strip_punctuation",
                 split="whitespace", ngrams=None, output_mode="int",
                 output_sequence_length=None, pad_to_max_tokens=False, vocabulary=None,
                 idf_weights=None, sparse=False, ragged=False, encoding="utf-8", name=None,
                 **kwargs):
        output_mode = check_text_arguments(standardize, split, ngrams, output_mode,
                                           output_sequence_length, sparse, ragged)
        has_input_vocabulary = kwargs.pop("has_input_vocabulary", vocabulary is not None)
        vocabulary_size = kwargs.pop("vocabulary_size", None)
        super().__init__(name=name, **kwargs)
        self._standardize = standardize
        self._split = split
        self._ngrams_arg = ngrams
        self._ngrams = tuple(range(1, ngrams + 1)) if isinstance(ngrams, int) else ngrams
        self._output_mode = output_mode
        self._output_sequence_length = output_sequence_length
        self._encoding = encoding
        self._lookup_layer = StringLookup(
            max_tokens=max_tokens, vocabulary=vocabulary, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens, mask_token="", output_mode=output_mode,
            has_input_vocabulary=has_input_vocabulary, encoding=encoding,
            vocabulary_size=vocabulary_size)

    def build(self, input_shape=None):
        """Creates nothing (the vocabulary is host state), as Keras's: with a `build` of
        its own the layer is not traced to build its lookup sublayer."""

    def symbolic_dtype(self):
        # encodings are floatx whatever `dtype` says: Keras's lookup sublayer drops it
        return "int64" if self._output_mode == "int" else floatx()

    # -- vocabulary -------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary of the tokens of `data` (an array or list of strings,
        a `kerasx.utils.PyDataset` or an iterable of batches of strings): the tokens
        sorted by count (ties: the larger token first), at most `max_tokens`
        entries; each string is a document for the `"tf_idf"` weights."""
        documents = adapt_documents(data, batch_size, steps, "TextVectorization.adapt",
                                    self._documents)
        self._lookup_layer._learn(documents)

    def update_state(self, data):
        """Counts the tokens of one batch of strings `data` (each string a document),
        for Keras's streaming `adapt`: `reset_state`, `update_state` for each batch,
        then `finalize_state`."""
        self._lookup_layer._check_adaptable()
        self._lookup_layer._count(adapt_documents(data, None, None,
                                                  "TextVectorization.update_state",
                                                  self._documents))

    def finalize_state(self):
        """Sets the vocabulary learned from the counts of `update_state`."""
        self._lookup_layer.finalize_state()

    def reset_state(self):
        """Forgets the counts of `update_state` (not the vocabulary)."""
        self._lookup_layer.reset_state()

    def _documents(self, values, shape, kind, whole):
        if whole and len(shape) == 1:
            shape = shape + (1,)
        return self._preprocess(values, shape, kind)[0]

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary in index order (`""` and `"[UNK]"` first unless
        `include_special_tokens=False`)."""
        return self._lookup_layer.get_vocabulary(include_special_tokens)

    def vocabulary_size(self):
        """The size of the vocabulary, padding and OOV indices included."""
        return self._lookup_layer.vocabulary_size()

    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (and, in `"tf_idf"` mode, its idf weights)."""
        self._lookup_layer.set_vocabulary(vocabulary, idf_weights=idf_weights)

    # -- calling ----------------------------------------------------------------------------
    def _preprocess(self, values, shape, kind):
        """`(rows of tokens, shape)`; with `split=None` the rows are those of the
        input and `shape` its shape, otherwise one row per string."""
        who = f"TextVectorization layer {self.name!r}"
        if kind != "string":
            raise TypeError(f"{who}: expected strings, received {kind} values.")
        values = standardize_strings(values, shape, self._standardize, who)
        if self._split is None:
            rows = [[v] for v in values] if len(shape) <= 1 else [
                values[i:i + shape[-1]] for i in range(0, len(values), shape[-1] or 1)]
        else:
            if len(shape) > 1:
                if shape[-1] != 1:
                    raise ValueError(f"{who}: to split strings the input must be 1-D or have a "
                                     f"last axis of size 1, received shape {shape}.")
                shape = shape[:-1]
            rows = split_strings(values, self._split, who)
        if self._ngrams is not None:
            rows = ngram_rows(rows, self._ngrams)
        return rows, shape

    def call(self, inputs):
        values, shape, kind = flat_values(inputs, f"TextVectorization layer {self.name!r}")
        rows, shape = self._preprocess(values, shape, kind)
        lookup = self._lookup_layer
        lookup.check_vocabulary_present()
        who = f"TextVectorization layer {self.name!r}"
        if self._output_mode != "int" and not lookup.pad_to_max_tokens \
                and lookup._frozen_vocab_size is None:
            raise RuntimeError(f"{who}: the vocabulary sets the output size of output_mode="
                               f"{self._output_mode!r}; pass vocabulary=... or call "
                               "adapt(data) before calling the layer.")
        ids = lookup._lookup([t for row in rows for t in row], who)
        if self._output_mode == "int":
            return self._padded(ids, rows, shape)
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size
        ids = [depth if i is None else i for i in ids]  # masked tokens encode as nothing
        if self._output_mode == "one_hot":
            return encode_ids(to_tensor(ids, shape, "int64"), "one_hot", depth, floatx())
        width = max([len(r) for r in rows] + [1])
        flat, pos = [], 0
        for row in rows:
            flat.extend(ids[pos:pos + len(row)])
            flat.extend([depth] * (width - len(row)))
            pos += len(row)
        padded = to_tensor(flat, (len(rows), width), "int64")
        mode = "count" if self._output_mode == "tf_idf" else self._output_mode
        out = encode_ids(padded, mode, depth, floatx())
        if self._output_mode == "tf_idf":
            out = ops.multiply(out, ops.convert_to_tensor(lookup.idf_weights, dtype=floatx()))
        return out if shape else ops.reshape(out, (depth,))

    def _padded(self, ids, rows, shape):
        """The ids of each row, cut or padded with 0 to one length (the longest row,
        or `output_sequence_length`)."""
        if self._split is None and len(shape) <= 1:
            return to_tensor(ids, shape, "int64")
        rows_ids, pos = [], 0
        for r in rows:
            rows_ids.append(ids[pos:pos + len(r)])
            pos += len(r)
        width = self._output_sequence_length
        if width is None:
            width = max([len(r) for r in rows_ids] + [0])
        flat = []
        for r in rows_ids:
            r = r[:width]
            flat.extend(r + [0] * (width - len(r)))
        lead = shape[:-1] if self._split is None else shape
        return to_tensor(flat, lead + (width,), "int64")

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self._output_mode == "int":
            return (input_shape[0] if input_shape else None, self._output_sequence_length)
        lookup = self._lookup_layer
        depth = lookup.max_tokens if lookup.pad_to_max_tokens else lookup._frozen_vocab_size
        return (input_shape[0] if input_shape else None, depth)

    # -- Keras's state hooks (the state is the lookup layer's) -----------------------------
    def save_own_variables(self, store):
        self._lookup_layer.save_own_variables(store)

    def load_own_variables(self, store):
        self._lookup_layer.load_own_variables(store)

    def save_assets(self, dir_path):
        self._lookup_layer.save_assets(dir_path)

    def load_assets(self, dir_path):
        self._lookup_layer.load_assets(dir_path)

    # -- configuration ----------------------------------------------------------------------
    def get_config(self):
        """The config; the vocabulary learned or set (and idf weights) are part of
        it, so that a saved layer reloads with them."""
        lookup = self._lookup_layer.get_config()
        return {**super().get_config(), "max_tokens": lookup["max_tokens"],
                "standardize": self._standardize, "split": self._split,
                "ngrams": self._ngrams_arg, "output_mode": self._output_mode,
                "output_sequence_length": self._output_sequence_length,
                "pad_to_max_tokens": lookup["pad_to_max_tokens"], "sparse": False,
                "ragged": False, "vocabulary": lookup["vocabulary"],
                "idf_weights": lookup["idf_weights"], "encoding": self._encoding,
                "vocabulary_size": self.vocabulary_size()}

    @classmethod
    def from_config(cls, config):
        from kerasx.saving.serialization import deserialize_keras_object

        config = dict(config)
        for key in ("standardize", "split"):
            if config.get(key) is not None and not isinstance(config[key], str) \
                    and not callable(config[key]):
                config[key] = deserialize_keras_object(config[key])
        if isinstance(config.get("ngrams"), list):
            config["ngrams"] = tuple(config["ngrams"])
        return cls(**config)
