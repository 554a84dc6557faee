"""`IndexLookup`: the vocabulary table shared by `StringLookup` and `IntegerLookup`."""

import collections
import math
import os

from kerasx import ops
from kerasx.backends import current
from kerasx.config import floatx
from kerasx.layers.preprocessing._host_layer import HostInputLayer
from kerasx.layers.preprocessing._encoding import encode_ids
from kerasx.layers.preprocessing._hash_buckets import hash_buckets, normalize_salt
from kerasx.layers.preprocessing._lookup_arguments import check_lookup_arguments
from kerasx.layers.preprocessing._host_values import (as_ints, flat_values, ragged_rows,
                                                      to_host_strings, to_tensor)
from kerasx.layers.preprocessing._vocabulary_data import (adapt_documents, read_vocabulary_file,
                                                          rows_of)

class IndexLookup(HostInputLayer):
    """Maps tokens to indices through a vocabulary (the base of the lookup layers).

    Index layout, as Keras's: in `"int"` mode with a `mask_token`, index 0 is
    the mask; then come `num_oov_indices` out-of-vocabulary indices, then the
    vocabulary terms. In the other modes the mask takes no index and masked
    tokens are dropped from the encoding.

    The vocabulary lives on the host (a Python list and dict); the ids the layer
    returns are backend arrays. Subclasses set `token_kind` (`"string"` or `"int"`).
    """

    token_kind = "string"

    def __init__(self, max_tokens, num_oov_indices, mask_token, oov_token, vocabulary=None,
                 idf_weights=None, invert=False, output_mode="int", sparse=False,
                 pad_to_max_tokens=False, oov_method="floormod", salt=None, name=None,
                 dtype=None, trainable=True, vocabulary_size=None, has_input_vocabulary=None):
        who = type(self).__name__
        output_mode = check_lookup_arguments(
            who, self.token_kind, max_tokens=max_tokens,
            num_oov_indices=num_oov_indices, oov_method=oov_method, salt=salt,
            output_mode=output_mode, invert=invert, sparse=sparse, idf_weights=idf_weights,
            pad_to_max_tokens=pad_to_max_tokens)
        # Keras drops a lookup layer's `dtype`: outputs are int64 ids or floatx encodings
        super().__init__(name=name, trainable=trainable)
        self.invert = invert
        self.max_tokens = max_tokens
        self.num_oov_indices = num_oov_indices
        self.mask_token = mask_token
        self.oov_token = oov_token
        self.output_mode = output_mode
        self.sparse = False
        self.pad_to_max_tokens = pad_to_max_tokens
        self.oov_method = oov_method
        self.salt = normalize_salt(salt, who)
        self._frozen_vocab_size = vocabulary_size
        self._tokens, self._index = [], {}
        self._idf = None
        self._set_untracked("_adapt_counts", _no_counts())
        self._has_input_vocabulary = (vocabulary is not None if has_input_vocabulary is None
                                      else bool(has_input_vocabulary))
        if output_mode == "tf_idf" and self._has_input_vocabulary and idf_weights is None:
            raise ValueError(f"{who}: with a vocabulary and output_mode='tf_idf', idf_weights "
                             "must be given too (one weight per vocabulary term).")
        # a Keras config of an adapted layer: the vocabulary was in the file's assets
        self._vocabulary_elsewhere = (vocabulary is None and vocabulary_size is not None
                                      and vocabulary_size > self._token_start_index())
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)

    # -- the index layout -------------------------------------------------------------------
    def _oov_start_index(self):
        return 1 if self.mask_token is not None and self.output_mode == "int" else 0

    def _token_start_index(self):
        return self._oov_start_index() + self.num_oov_indices

    def vocabulary_size(self):
        """The size of the vocabulary, mask and OOV indices included."""
        return len(self._tokens) + self._token_start_index()

    def get_vocabulary(self, include_special_tokens=True):
        """The vocabulary in index order; without the mask and OOV tokens when
        `include_special_tokens=False`."""
        vocab = ([self.oov_token] * self._token_start_index()) + list(self._tokens)
        if self.mask_token is not None and self.output_mode == "int":
            vocab[0] = self.mask_token
        if not include_special_tokens:
            vocab = vocab[self._token_start_index():]
        return vocab

    @property
    def idf_weights(self):
        """The inverse document frequency weights of `"tf_idf"` mode (a backend array), or None."""
        if self._idf is None:
            return None
        backend = current()
        return backend.asarray(self._idf, dtype=floatx())

    # -- setting the vocabulary -------------------------------------------------------------
    def set_vocabulary(self, vocabulary, idf_weights=None):
        """Sets the vocabulary (a list, array or path of a text file with one term per
        line) and, in `"tf_idf"` mode, its idf weights (one per term)."""
        who = f"{type(self).__name__} layer {self.name!r}"
        if self.output_mode == "tf_idf" and idf_weights is None:
            raise ValueError(f"{who}: idf_weights must be set with output_mode='tf_idf'.")
        if self.output_mode != "tf_idf" and idf_weights is not None:
            raise ValueError(f"{who}: idf_weights is only used with output_mode='tf_idf', but "
                             f"output_mode={self.output_mode!r}.")
        if isinstance(vocabulary, str):
            if self.output_mode == "tf_idf":
                raise ValueError(f"{who}: output_mode='tf_idf' cannot load its vocabulary from "
                                 "a file; pass the terms and idf_weights as lists.")
            vocabulary = read_vocabulary_file(vocabulary, self.token_kind, who)
        else:
            vocabulary = self._vocabulary_list(vocabulary, who)
        if not vocabulary:
            raise ValueError(f"{who}: cannot set an empty vocabulary.")
        special = ([self.mask_token] * self._oov_start_index()
                   + [self.oov_token] * self.num_oov_indices)
        start = len(special)
        found_special = vocabulary[:start] == special
        tokens = vocabulary[start:] if found_special else vocabulary
        repeated = [t for t, n in collections.Counter(tokens).items() if n > 1]
        if repeated:
            raise ValueError(f"{who}: the vocabulary repeats the terms {repeated}. Every term "
                             "must appear once; remove the duplicates.")
        for token, what in ((self.mask_token, "mask_token"),
                            (self.oov_token if self.invert else None, "oov_token")):
            if token is not None and token in tokens:
                raise ValueError(
                    f"{who}: the vocabulary holds the reserved {what} {token!r} at index "
                    f"{len(vocabulary) - 1 - vocabulary[::-1].index(token)}. Leave the mask and OOV tokens out of the "
                    f"vocabulary, or put them only at its start in exactly this order: "
                    f"{special}.")
        size = self._token_start_index() + len(tokens)
        if self.max_tokens is not None and size > self.max_tokens:
            raise ValueError(f"{who}: the vocabulary has {size} entries (mask and OOV included) "
                             f"but max_tokens={self.max_tokens}. Raise max_tokens or pass "
                             "fewer terms.")
        if idf_weights is not None:
            idf_weights = self._idf_list(idf_weights, vocabulary, found_special, who)
        self._install(tokens)
        self._has_input_vocabulary = True
        if idf_weights is not None:
            self._idf = idf_weights

    def _vocabulary_list(self, vocabulary, who):
        values, shape, kind = flat_values(vocabulary, who)
        if len(shape) != 1:
            raise ValueError(f"{who}: the vocabulary must be 1-D (one term per entry), received "
                             f"shape {shape}.")
        if kind != self.token_kind and not (kind == "float" and self.token_kind == "int"):
            raise TypeError(f"{who}: the vocabulary must hold {self.token_kind}s, received "
                            f"{kind} values.")
        return as_ints(values, who) if self.token_kind == "int" else values

    def _idf_list(self, idf_weights, vocabulary, found_special, who):
        weights, shape, _ = flat_values(idf_weights, who)
        if len(shape) != 1:
            raise ValueError(f"{who}: idf_weights must be 1-D, received shape {shape}.")
        if len(weights) != len(vocabulary):
            raise ValueError(f"{who}: idf_weights must have one weight per vocabulary entry: "
                             f"received {len(weights)} weights for {len(vocabulary)} entries.")
        weights = [float(w) for w in weights]
        if not found_special:
            mean = sum(weights) / len(weights)
            weights = [mean] * self._token_start_index() + weights
        return self._pad_idf(weights)

    def _pad_idf(self, weights):
        if self.pad_to_max_tokens:
            weights = weights + [0.0] * (self.max_tokens - len(weights))
        return weights

    def _install(self, tokens):
        """Makes `tokens` (no special tokens) the vocabulary and freezes its size."""
        start = self._token_start_index()
        new_size = start + len(tokens)
        if (self.output_mode != "int" and not self.pad_to_max_tokens
                and self._frozen_vocab_size is not None and new_size != self._frozen_vocab_size):
            raise RuntimeError(
                f"{type(self).__name__} layer {self.name!r}: with output_mode="
                f"{self.output_mode!r} and pad_to_max_tokens=False the vocabulary size cannot "
                f"change once set (it sets the output size); it was {self._frozen_vocab_size}, "
                f"the new vocabulary has {new_size}. Create a new layer.")
        self._tokens = list(tokens)
        self._index = {t: start + i for i, t in enumerate(self._tokens)}
        self._frozen_vocab_size = new_size

    # -- adapt ------------------------------------------------------------------------------
    def adapt(self, data, batch_size=None, steps=None):
        """Learns the vocabulary from `data`: the terms sorted by how often they occur
        (ties: the larger term first), at most `max_tokens` entries with the mask and
        OOV indices; in `"tf_idf"` mode also their inverse document frequencies.

        Args:
            data: an array or (nested) list of tokens (each row is a document),
                a `kerasx.utils.PyDataset` or an iterable of batches (a batch
                `(x, y, ...)` contributes `x`; a 1-D batch is one document).
            batch_size: accepted as in Keras; the vocabulary does not depend on it.
            steps: read at most this many batches of an iterable.
        """
        documents = adapt_documents(data, batch_size, steps,
                                    f"{type(self).__name__}.adapt", self._document_tokens)
        self._learn(documents)

    def _document_tokens(self, values, shape, kind, whole):
        """Documents as Keras reads them: the rows of a batch; each element of a
        whole 1-D array is a document, a 1-D batch of an iterable is one."""
        who = f"{type(self).__name__}.adapt"
        if kind != self.token_kind and not (kind == "float" and self.token_kind == "int"):
            raise TypeError(f"{who}: layer {self.name!r} learns {self.token_kind} tokens, "
                            f"received {kind} values.")
        tokens = as_ints(values, who) if self.token_kind == "int" else values
        if whole and len(shape) == 1:
            return [[t] for t in tokens]
        return rows_of(tokens, shape)

    def _learn(self, documents):
        """Builds the vocabulary from a list of documents (lists of tokens)."""
        self._check_adaptable()
        self.reset_state()
        self._count(documents)
        self.finalize_state()

    def _check_adaptable(self):
        if self._has_input_vocabulary:
            raise ValueError(f"Cannot adapt layer {self.name!r}: its vocabulary was set with "
                             "the vocabulary argument or set_vocabulary(). Create a new layer "
                             "to learn a vocabulary.")

    def _count(self, documents):
        counts = self._adapt_counts
        for doc in documents:
            counts["tokens"].update(doc)
            if self.output_mode == "tf_idf":
                counts["documents"].update(set(doc))
        counts["num_documents"] += len(documents)

    def update_state(self, data):
        """Counts the tokens of one batch `data` (a 1-D batch is one document, a
        2-D batch one document per row), for Keras's streaming `adapt`:
        `reset_state`, `update_state` for each batch, then `finalize_state`."""
        self._check_adaptable()
        who = f"{type(self).__name__}.update_state"
        documents = adapt_documents(
            data, None, None, who,
            lambda values, shape, kind, whole: self._document_tokens(values, shape, kind, False))
        self._count(documents)

    def finalize_state(self):
        """Sets the vocabulary learned from the counts of `update_state` (the terms
        sorted by count, ties: the larger term first), then forgets the counts.
        Without counts, or with a vocabulary that was given, it changes nothing."""
        counts = dict(self._adapt_counts["tokens"])
        for special in (self.mask_token, self.oov_token):
            counts.pop(special, None)
        if self._has_input_vocabulary or not counts:
            return
        order = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens:
            order = order[:self.max_tokens - self._token_start_index()]
        self._install(order)
        if self.output_mode == "tf_idf":
            self._idf = self._adapted_idf(order, self._adapt_counts["documents"],
                                          self._adapt_counts["num_documents"])
        self.reset_state()

    def reset_state(self):
        """Forgets the counts of `update_state` (not the vocabulary)."""
        if self._has_input_vocabulary:
            return
        # bookkeeping of adapt, not state of the layer
        self._set_untracked("_adapt_counts", _no_counts())

    def _adapted_idf(self, tokens, document_counts, num_documents):
        backend = current()
        idf = [math.log(1.0 + num_documents / (1.0 + document_counts[t])) for t in tokens]
        xp = backend.xp
        as_float = xp.asarray(idf, dtype=backend.dtype(floatx()), device=backend.device)
        mean = float(xp.mean(as_float))
        rounded = [float(v) for v in backend.to_numpy(as_float).tolist()]
        return self._pad_idf([mean] * self._token_start_index() + rounded)

    # -- calling ----------------------------------------------------------------------------
    def symbolic_dtype(self):
        if self.invert:
            return "int64" if self.token_kind == "int" else "string"
        return "int64" if self.output_mode == "int" else self.dtype

    def call(self, inputs):
        who = f"{type(self).__name__} layer {self.name!r}"
        if ragged_rows(inputs) and not self.invert and self.output_mode != "int":
            # a ragged batch (rows of different lengths) encodes row by row into one
            # dense (batch, depth) output, as Keras encodes a ragged tensor
            return ops.stack([self.call(row) for row in inputs])
        values, shape, kind = flat_values(inputs, who)
        if self.invert:
            return self._invert(values, shape, kind, who)
        if kind != self.token_kind and not (kind == "float" and self.token_kind == "int"):
            raise TypeError(f"{who}: expected {self.token_kind} inputs, received {kind} values.")
        if self.token_kind == "int":
            values = as_ints(values, who)
        self.check_vocabulary_present()
        if self.output_mode != "int" and not self.pad_to_max_tokens \
                and self._frozen_vocab_size is None:
            raise RuntimeError(
                f"{who}: with output_mode={self.output_mode!r} and pad_to_max_tokens=False the "
                "vocabulary sets the output size, so it must be known before the layer is "
                "called. Pass vocabulary=... or call adapt(data) first.")
        ids = self._lookup(values, who)
        if self.output_mode == "int":
            return to_tensor(ids, shape, "int64")
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        ids = to_tensor([depth if i is None else i for i in ids], shape, "int64")
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = encode_ids(ids, mode, depth, self.dtype)
        if self.output_mode == "tf_idf":
            if self._idf is None:
                raise ValueError(f"{who}: output_mode='tf_idf' needs idf weights: call "
                                 "adapt(data) or set_vocabulary(vocabulary, idf_weights).")
            out = ops.multiply(out, ops.convert_to_tensor(self.idf_weights, dtype=self.dtype))
        return out

    def check_vocabulary_present(self):
        """Raises when the layer came from a Keras config that kept its vocabulary
        outside the config (in a `.keras` file's assets) and none was set since."""
        if self._vocabulary_elsewhere and not self._tokens:
            raise ValueError(
                f"{type(self).__name__} layer {self.name!r} was restored from a config without "
                f"its vocabulary of {self._frozen_vocab_size} entries: Keras stores an adapted "
                "vocabulary in the assets/ folder of the .keras file, which was not read. Call "
                "layer.load_assets(folder) with that folder extracted, or "
                "layer.set_vocabulary(...).")

    def _lookup(self, values, who):
        """The index of each value; None for a mask token outside `"int"` mode."""
        int_mode = self.output_mode == "int"
        index, mask = self._index, self.mask_token
        ids, oov = [], []
        for pos, v in enumerate(values):
            if mask is not None and v == mask:
                ids.append(0 if int_mode else None)
                continue
            i = index.get(v)
            if i is None:
                oov.append(pos)
            ids.append(i)
        if oov:
            from kerasx.layers.core._shape_probes import PROBING

            if self.num_oov_indices == 0 and PROBING[0]:
                return [0 if i is None else i for i in ids]  # placeholder text: any index
            if self.num_oov_indices == 0:
                found = sorted({values[p] for p in oov}, key=str)[:10]
                raise ValueError(f"{who}: with num_oov_indices=0 every input must be in the "
                                 f"vocabulary, found out-of-vocabulary values {found}. Set "
                                 "num_oov_indices=1 (or more) to map unknown values to an OOV "
                                 "index.")
            start = self._oov_start_index()
            buckets = self._oov_buckets([values[p] for p in oov])
            for p, b in zip(oov, buckets):
                ids[p] = start + b
        return ids

    def _oov_buckets(self, values):
        n = self.num_oov_indices
        if n == 1:
            return [0] * len(values)
        if self.token_kind == "int" and self.oov_method != "farmhash":
            return [v % n for v in values]
        return hash_buckets(values, n, self.salt)

    def _invert(self, values, shape, kind, who):
        if kind not in ("int", "float"):
            raise TypeError(f"{who}: with invert=True the inputs are indices (integers), "
                            f"received {kind} values.")
        self.check_vocabulary_present()
        start = self._token_start_index()
        tokens, out = self._tokens, []
        for v in values:
            i = int(v)
            if self.mask_token is not None and i == 0:
                out.append(self.mask_token)
            elif start <= i < start + len(tokens):
                out.append(tokens[i - start])
            else:
                out.append(self.oov_token)
        if self.token_kind == "int":
            return to_tensor(out, shape, "int64")
        return to_host_strings(out, shape)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = self.max_tokens if self.pad_to_max_tokens else self._frozen_vocab_size
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                return input_shape[:-1] + (depth,)
            return input_shape + (depth,)
        return input_shape[:-1] + (depth,)

    # -- Keras's state hooks ----------------------------------------------------------------
    def save_own_variables(self, store):
        """Writes the `"tf_idf"` weights under `store["idf_weights"]`, as Keras does."""
        if self.output_mode == "tf_idf" and self._idf is not None:
            store["idf_weights"] = current().to_numpy(self.idf_weights)

    def load_own_variables(self, store):
        """Reads the `"tf_idf"` weights written by `save_own_variables` (or Keras)."""
        if self.output_mode == "tf_idf" and "idf_weights" in store:
            self._idf = [float(v) for v in flat_values(store["idf_weights"], self.name)[0]]

    def save_assets(self, dir_path):
        """Writes the vocabulary, special tokens first, to `dir_path/vocabulary.txt`
        (the asset Keras writes into a `.keras` file)."""
        if self._tokens:
            with open(os.path.join(dir_path, "vocabulary.txt"), "w", encoding="utf-8") as f:
                f.write("\n".join(str(t) for t in self.get_vocabulary()))

    def load_assets(self, dir_path):
        """Reads `dir_path/vocabulary.txt` (written by Keras or `save_assets`) unless the
        layer already has its vocabulary; keeps the idf weights already loaded."""
        if self._tokens:
            return
        who = f"{type(self).__name__} layer {self.name!r}"
        vocabulary = read_vocabulary_file(os.path.join(dir_path, "vocabulary.txt"),
                                          self.token_kind, who, check_safe_mode=False)
        idf = self._idf[:len(vocabulary)] if self.output_mode == "tf_idf" else None
        self.set_vocabulary(vocabulary, idf)

    # -- configuration ----------------------------------------------------------------------
    def get_config(self):
        """The config; the vocabulary (and idf weights) learned or set are part of it,
        with the special tokens first, so that a saved layer reloads with them."""
        has_vocab = bool(self._tokens)
        idf = None
        if has_vocab and self._idf is not None:
            idf = self._idf[:self.vocabulary_size()]
        return {**super().get_config(), "invert": self.invert, "max_tokens": self.max_tokens,
                "num_oov_indices": self.num_oov_indices, "oov_token": self.oov_token,
                "mask_token": self.mask_token, "output_mode": self.output_mode,
                "sparse": self.sparse, "pad_to_max_tokens": self.pad_to_max_tokens,
                "idf_weights": idf,
                "vocabulary": self.get_vocabulary() if has_vocab else None,
                "vocabulary_size": self._frozen_vocab_size, "oov_method": self.oov_method,
                "salt": self.salt}


def _no_counts():
    """The counts of `update_state` before any data."""
    return {"tokens": collections.Counter(), "documents": collections.Counter(),
            "num_documents": 0}
