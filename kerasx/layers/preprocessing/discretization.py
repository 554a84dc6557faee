"""`Discretization`: buckets continuous values by bin boundaries."""

__all__ = ["Discretization"]

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current, get_backend
from kerasx.config import floatx
from kerasx.layers.layer import Layer
from kerasx.layers.preprocessing._data_layer import DataLayer
from kerasx.layers.preprocessing._adapt_data import adapt_batches, float64_values
from kerasx.layers.preprocessing._encoding import encode_ids
from kerasx.layers.preprocessing._quantile_summary import (bin_boundaries, empty_summary,
                                                           merge_summaries, summarize)

_MODES = ("int", "one_hot", "multi_hot", "count")


class Discretization(DataLayer, Layer):
    """Maps each value to the index of its bin: bin `i` holds the values `v` with
    `bin_boundaries[i - 1] <= v < bin_boundaries[i]`.

    The boundaries are given, or computed by `adapt(data)` as the quantiles that
    split the data into `num_bins` bins of equal count, with Keras's approximate
    quantile summary (`_quantile_summary.py`): exact for fewer than `1 / epsilon`
    values (value `k` of the `n` sorted values sits at fraction `(k + 1) / n`,
    linear in between), a summary of about `1 / epsilon` weighted values beyond;
    a large `epsilon` can leave fewer boundaries than `num_bins - 1`, as in Keras.

    Args:
        bin_boundaries: a sorted list of boundaries (`len + 1` bins).
        num_bins: the number of bins `adapt` computes boundaries for.
        epsilon: the error tolerance of the approximate quantiles (default 0.01).
        output_mode: `"int"` (the bin index, int32), or `"one_hot"`,
            `"multi_hot"`, `"count"` as in `CategoryEncoding`, with one entry per bin.
        sparse: only False is supported.

    Input shape: any. Output shape: the input shape for `"int"`; otherwise as
    `CategoryEncoding`'s with `num_tokens` bins.
    """

    def __init__(self, bin_boundaries=None, num_bins=None, epsilon=0.01, output_mode="int",
                 sparse=False, dtype=None, name=None):
        # values are binned as they come (the dtype is the output's), as in Keras
        super().__init__(name=name, dtype=dtype, autocast=False)
        if output_mode not in _MODES:
            raise ValueError(f"Discretization: output_mode must be one of {list(_MODES)}, "
                             f"received output_mode={output_mode!r}.")
        if sparse:
            raise ValueError("Discretization: sparse=True is not supported; kerasx returns a "
                             "dense array. Use sparse=False.")
        if num_bins is not None and (isinstance(num_bins, bool) or not isinstance(num_bins, int)
                                     or num_bins < 0):
            raise ValueError(f"Discretization: num_bins must be an integer >= 0, received "
                             f"num_bins={num_bins!r}.")
        if num_bins is not None and bin_boundaries is not None:
            raise ValueError(
                f"Discretization: Both `num_bins` and `bin_boundaries` should not be set; give "
                f"num_bins (and call adapt) or bin_boundaries. Received num_bins={num_bins!r} and bin_boundaries={bin_boundaries!r}.")
        if num_bins is None and bin_boundaries is None:
            raise ValueError("Discretization: you need to set either `num_bins` or "
                             "`bin_boundaries`: give bin_boundaries, or num_bins and then call "
                             "adapt(data).")
        if bin_boundaries is not None:
            bin_boundaries = [float(b) for b in bin_boundaries]
            if any(b > a for a, b in zip(bin_boundaries[1:], bin_boundaries)):
                raise ValueError(f"Discretization: bin_boundaries must be sorted in increasing "
                                 f"order, received {bin_boundaries}.")
        self.bin_boundaries = bin_boundaries
        self.num_bins = num_bins
        self.epsilon = epsilon
        self.output_mode = output_mode
        self.sparse = sparse
        # the quantile summary of the values seen by update_state (bookkeeping, no state)
        self._set_untracked("_summary", empty_summary())

    def adapt(self, data, batch_size=None, steps=None):
        """Sets `bin_boundaries` to the quantiles of all values in `data` that split
        it into `num_bins` bins of equal count.

        Args:
            data: a NumPy or backend array, a `kerasx.utils.PyDataset` or an
                iterable of batches (a batch `(x, y, ...)` contributes `x`).
            batch_size: read an array in batches of this many rows.
            steps: read at most this many batches.
        """
        if self.num_bins is None:
            raise ValueError(
                f"Discretization layer {self.name!r} was created with bin_boundaries; create it "
                "with num_bins instead to compute the boundaries with adapt().")
        self.reset_state()
        for batch in adapt_batches(data, batch_size, steps, "Discretization.adapt"):
            self.update_state(batch)
        if not self._summary.shape[1]:
            raise ValueError(f"Discretization.adapt: the data of layer {self.name!r} holds no "
                             "values.")
        self.finalize_state()

    @property
    def output_dtype(self):
        """The dtype of the output: int32 for `"int"`, else the layer's dtype."""
        return "int32" if self.output_mode == "int" else self.dtype

    def update_state(self, data):
        """Adds the values of one batch `data` (an array of any shape) to those the
        boundaries are computed from (Keras's streaming `adapt`: `reset_state`,
        `update_state` for each batch, then `finalize_state`)."""
        if self.num_bins is None:
            raise ValueError(
                f"Discretization layer {self.name!r} was created with bin_boundaries, so it "
                "takes no data to adapt to; create it with num_bins instead.")
        host = get_backend("numpy")
        backend, values = float64_values(data)
        values = host.xp.astype(host.asarray(backend.to_numpy(values)), host.xp.float32)
        self._set_untracked("_summary", merge_summaries(
            summarize(values, self.epsilon), self._summary, self.epsilon))

    def finalize_state(self):
        """Sets `bin_boundaries` to the quantiles of all values given to
        `update_state` since the last `reset_state` (no values: one bin, as in
        Keras). Does nothing for a layer created with `bin_boundaries`."""
        if self.num_bins is None:
            return
        self.bin_boundaries = bin_boundaries(self._summary, self.num_bins)

    def reset_state(self):
        """Forgets the values given to `update_state` (the boundaries stay until the
        next `finalize_state`)."""
        if self.num_bins is None:
            return
        self._set_untracked("_summary", empty_summary())

    def call(self, inputs):
        if self.bin_boundaries is None:
            raise ValueError(
                f"Discretization layer {self.name!r} has no bin boundaries yet. You need "
                "to either pass the `bin_boundaries` argument at construction time or "
                "call `adapt(data)` before using the layer.")
        backend = current()
        xp = backend.xp
        # an integer dtype is the output's: values are compared as floats, as in Keras
        compare_in = self.dtype if "float" in self.dtype else floatx()
        inputs = ops.cast(inputs, compare_in)
        boundaries = xp.asarray(self.bin_boundaries, dtype=backend.dtype(compare_in),
                                device=backend.device)
        v = value_of(inputs)
        ids = xp.reshape(xp.searchsorted(boundaries, xp.reshape(v, (-1,)), side="right"),
                         tuple(v.shape))
        ids = ops.cast(ops.convert_to_tensor(ids), "int32")
        if self.output_mode == "int":
            return ids
        return encode_ids(ids, self.output_mode, len(self.bin_boundaries) + 1, self.dtype)

    def compute_output_shape(self, input_shape):
        input_shape = tuple(input_shape)
        if self.output_mode == "int":
            return input_shape
        depth = len(self.bin_boundaries) + 1 if self.bin_boundaries is not None else self.num_bins
        if self.output_mode == "one_hot":
            if len(input_shape) > 1 and input_shape[-1] == 1:
                input_shape = input_shape[:-1]
            return input_shape + (depth,)
        if len(input_shape) >= 2:
            return (input_shape[0],) + input_shape[2:] + (depth,)
        return (depth,)

    def get_config(self):
        return {"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins,
                "epsilon": self.epsilon, "output_mode": self.output_mode, "sparse": self.sparse,
                "name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        boundaries = config.pop("bin_boundaries", None)
        if config.get("num_bins") is None:
            return cls(bin_boundaries=boundaries, **config)
        layer = cls(**config)
        layer.bin_boundaries = boundaries
        return layer

