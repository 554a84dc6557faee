"""`Normalization`: shifts and scales features by a mean and variance learned by `adapt`."""

__all__ = ["Normalization"]

import math

from kerasx import ops
from kerasx.backends import current
from kerasx.backends.host import to_host
from kerasx.config import epsilon
from kerasx.layers.layer import Layer
from kerasx.layers.preprocessing._data_layer import DataLayer
from kerasx.layers.preprocessing._adapt_data import adapt_batches, float64_values
from kerasx.layers.preprocessing._dtypes import as_dtype


class Normalization(DataLayer, Layer):
    """Maps inputs to `(inputs - mean) / sqrt(variance)`, per index of `axis`.

    The mean and variance are either given (`mean=`, `variance=`) or computed
    from data by `adapt(data)` and kept as the non-trainable weights `mean`,
    `variance` and `count` (the number of values per statistic that `adapt`
    read; Keras leaves it 0), which `save`, `save_weights` and their loaders
    restore, also from files Keras wrote. Calling the layer before it has
    statistics is an error. The divisor is `max(sqrt(variance), epsilon())`,
    so a constant feature does not divide by zero. Gradients pass through to
    the inputs.

    Args:
        axis: an integer, a tuple of integers or None: the axes that keep their
            own mean and variance (`-1`: one per feature of the last axis; None:
            one scalar mean and variance for all values).
        mean, variance: the statistics to use instead of `adapt`, given together;
            each broadcasts to the kept axes (a scalar, or the trailing sizes).
        invert: if True, map normalized values back: `mean + inputs * sqrt(variance)`.

    Input shape: any; the sizes of the kept axes are fixed at build.
    Output shape: the same as the input. The output has the layer's float dtype.
    """

    def __init__(self, axis=-1, mean=None, variance=None, invert=False, **kwargs):
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int) and not isinstance(axis, bool):
            axis = (axis,)
        elif isinstance(axis, (list, tuple)) and all(
                isinstance(a, int) and not isinstance(a, bool) for a in axis):
            axis = tuple(axis)
        else:
            raise TypeError(f"Normalization: axis must be an integer, a tuple of integers or "
                            f"None, received axis={axis!r}.")
        self.axis = axis
        if (mean is None) != (variance is None):
            raise ValueError(
                "Normalization: both `mean` and `variance` must be set together (or neither, "
                f"and the statistics come from adapt()). Received mean={mean!r} and "
                f"variance={variance!r}.")
        if mean is not None:
            mean_shape, variance_shape = _shape_of(mean), _shape_of(variance)
            if mean_shape != variance_shape:
                raise ValueError(
                    f"Normalization: mean and variance must have the same shape, received "
                    f"shapes {mean_shape} and {variance_shape}.")
            if len(mean_shape) > len(axis):
                raise ValueError(
                    f"Normalization: mean has rank {len(mean_shape)} (shape {mean_shape}) but "
                    f"axis={axis} keeps {len(axis)} axes; give one value per kept axis index "
                    "or a scalar.")
        self.input_mean = mean
        self.input_variance = variance
        self.invert = bool(invert)
        self.supports_masking = True
        self.adapt_mean = self.adapt_variance = self.count = None
        self._given_mean = self._given_variance = None

    @property
    def mean(self):
        """The mean the layer applies, in the input's broadcast shape and the compute
        dtype: the given one, or that of the `mean` weight (as adapted, set or loaded);
        None before build."""
        return self._statistic(self._given_mean, self.adapt_mean)

    @property
    def variance(self):
        """The variance the layer applies (see `mean`)."""
        return self._statistic(self._given_variance, self.adapt_variance)

    def _statistic(self, given, weight):
        if self.input_mean is not None or weight is None:
            return given
        return ops.cast(ops.reshape(weight, self._broadcast_shape), self.compute_dtype)

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        ndim = len(input_shape)
        if any(not -ndim <= a < ndim for a in self.axis):
            raise ValueError(
                f"Normalization layer {self.name!r}: axis={self.axis} is out of range for "
                f"inputs of rank {ndim} (shape {input_shape}). All `axis` values must be in "
                f"the range [{-ndim}, {ndim - 1}].")
        keep = tuple(sorted(a % ndim for a in self.axis))
        unknown = [a for a in keep if input_shape[a] is None]
        if unknown:
            raise ValueError(
                f"Normalization layer {self.name!r}: All `axis` values to be kept must have "
                f"known sizes, but axis {unknown[0]} of input shape {input_shape} is unknown.")
        self._build_input_shape = input_shape
        self._keep_axis = keep
        self._reduce_axis = tuple(d for d in range(ndim) if d not in keep)
        self._broadcast_shape = tuple(input_shape[d] if d in keep else 1 for d in range(ndim))
        stats_shape = tuple(input_shape[d] for d in keep)
        if self.input_mean is None:
            # as Keras, a layer not adapted yet normalizes with mean 0 and variance 1
            self.adapt_mean = self.add_weight(stats_shape, "zeros", name="mean", trainable=False)
            self.adapt_variance = self.add_weight(stats_shape, "ones", name="variance",
                                                  trainable=False)
            self.count = self.add_weight((), "zeros", dtype="int32", name="count",
                                         trainable=False)
        else:
            self._given_mean = self._given(self.input_mean, "mean")
            self._given_variance = self._given(self.input_variance, "variance")
        self.built = True

    def _given(self, value, what):
        value = ops.convert_to_tensor(value, dtype=self.dtype)
        shape = tuple(value.shape)
        target = self._broadcast_shape
        if shape:
            expanded = [1] * len(target)
            for i, size in enumerate(reversed(shape), start=1):
                expanded[self._keep_axis[-i]] = size
            value = ops.reshape(value, tuple(expanded))
        try:
            return ops.broadcast_to(value, target)
        except ValueError:
            raise ValueError(
                f"Normalization layer {self.name!r}: {what} of shape {shape} does not "
                f"broadcast to the kept axes {self._keep_axis} of input shape "
                f"{self._build_input_shape} (statistics shape {target}).") from None

    def adapt(self, data, batch_size=None, steps=None):
        """Computes the mean and variance of `data` and stores them in the weights.

        Args:
            data: a NumPy or backend array, a `kerasx.utils.PyDataset` or an
                iterable of batches (a batch `(x, y, ...)` contributes `x`). The
                statistics are merged batch by batch (Chan's parallel update) in
                float64: host data on the host, backend arrays on their device.
            batch_size: read an array in batches of this many rows.
            steps: read at most this many batches.
        """
        if self.input_mean is not None:
            raise ValueError(
                f"Normalization layer {self.name!r} was given mean and variance; adapt() "
                "would not change them. Create the layer without mean and variance to adapt it.")
        count, mean, m2 = 0, None, None
        for batch in adapt_batches(data, batch_size, steps, "Normalization.adapt"):
            backend, values = float64_values(batch)
            shape = tuple(values.shape)
            if not self.built:
                self._build_shape = shape
                self.build(shape)
            self._check_batch_shape(shape)
            n = math.prod(shape[d] for d in self._reduce_axis)
            if n == 0:
                continue
            xp = backend.xp
            batch_mean = xp.mean(values, axis=self._reduce_axis)
            centered = values - xp.reshape(batch_mean, self._broadcast_shape)
            batch_m2 = xp.sum(centered * centered, axis=self._reduce_axis)
            batch_mean, batch_m2 = to_host(backend.to_numpy(batch_mean)), \
                to_host(backend.to_numpy(batch_m2))
            if mean is None:
                count, mean, m2 = n, batch_mean, batch_m2
                continue
            total = count + n
            delta = batch_mean - mean
            mean = mean + delta * (n / total)
            m2 = m2 + batch_m2 + delta * delta * (count * n / total)
            count = total
        if mean is None:
            raise ValueError(f"Normalization.adapt: the data of layer {self.name!r} holds no "
                             "values along the reduced axes.")
        self.adapt_mean.assign(mean)
        self.adapt_variance.assign(m2 / count)
        self.count.assign(min(count, 2**31 - 1))
        self.finalize_state()

    def finalize_state(self):
        """Keras's step that copies the adapted weights into `mean` and `variance`;
        nothing to do here, as those and the calls read the weights themselves (weights
        set by `set_weights`, `assign` or loading apply at once, where Keras's copies
        keep the old values until `finalize_state` or a reload)."""

    def _check_batch_shape(self, shape):
        expected = self._build_input_shape
        if len(shape) != len(expected) or any(shape[d] != expected[d] for d in self._keep_axis):
            raise ValueError(
                f"Normalization layer {self.name!r} was built for inputs of shape {expected} "
                f"(axis={self.axis}), but adapt() received a batch with an incompatible shape "
                f"{shape}. The sizes of the kept axes must match.")

    def call(self, inputs):
        inputs = as_dtype(inputs, self.dtype)
        mean, variance = self._given_mean, self._given_variance
        if self.input_mean is None:
            mean = ops.reshape(ops.cast(self.adapt_mean, self.dtype), self._broadcast_shape)
            variance = ops.reshape(ops.cast(self.adapt_variance, self.dtype),
                                   self._broadcast_shape)
        scale = ops.maximum(ops.sqrt(variance), epsilon())
        try:
            if self.invert:
                return ops.add(mean, ops.multiply(inputs, scale))
            return ops.divide(ops.subtract(inputs, mean), scale)
        except ValueError as error:
            raise ValueError(
                f"Normalization layer {self.name!r} holds a mean and variance of shape "
                f"{tuple(mean.shape)} (axis={self.axis!r}), which do not fit inputs of shape "
                f"{tuple(inputs.shape)} ({str(error).strip()}). Adapt the layer (or give mean / "
                "variance) on data with the features of its inputs."
            ) from None

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "invert": self.invert,
                "mean": _listed(self.input_mean), "variance": _listed(self.input_variance)}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if isinstance(config.get("axis"), list):
            config["axis"] = tuple(config["axis"])
        return cls(**config)


def _shape_of(value):
    value = value.value if hasattr(value, "value") else value
    return tuple(value.shape) if hasattr(value, "shape") else tuple(to_host(value).shape)


def _listed(value):
    """A given statistic as JSON: None, a number or nested lists."""
    if value is None:
        return None
    if hasattr(value, "value"):
        value = value.value
    return to_host(current().to_numpy(value) if current().is_native(value) else value).tolist()
