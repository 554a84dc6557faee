"""Random initializers: normal, uniform, truncated normal, variance scaling, orthogonal.

Values are drawn by the backend's random generator (`current().rng`) on the
host and moved to the device, so a seeded initializer gives bitwise the same
weights on every backend. A seeded initializer repeats its values on every
call; an unseeded one draws fresh values from the global generator (seeded by
`kerasx.utils.set_random_seed`) each time.
"""

import math

from kerasx.backends import current
from kerasx.initializers.initializer import Initializer, standardize_dtype, standardize_shape

# The standard deviation of a standard normal truncated to [-2, 2]; dividing by it
# gives the truncated draw the variance VarianceScaling asks for.
_TRUNCATED_STDDEV = 0.87962566103423978


class RandomInitializer(Initializer):
    """Base of initializers drawing from the backend generator.

    Args:
        seed: an int makes every call return the same values (on every backend);
            None draws new values from the global generator on each call; a
            `kerasx.random.SeedGenerator` gives new values at each call, the same
            sequence for the same generator seed.
    """

    def __init__(self, seed=None):
        from kerasx.random.seed_generator import SeedGenerator

        if isinstance(seed, dict) and seed.get("class_name") == "SeedGenerator":
            seed = SeedGenerator(**seed.get("config", {}))  # a serialized generator
        if seed is not None and not isinstance(seed, SeedGenerator) and (
                isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError(
                f"{type(self).__name__}: `seed` must be an integer or None, received "
                f"seed={seed!r} of type {type(seed).__name__} (a kerasx.random.SeedGenerator "
                "also works: new values at every call)."
            )
        self.seed = seed

    def _draw_seed(self):
        from kerasx.random.seed_generator import draw_seed

        return draw_seed(self.seed)

    def get_config(self):
        if isinstance(self.seed, (int, type(None))):
            return {"seed": self.seed}
        return {"seed": {"module": "keras.random", "class_name": "SeedGenerator",
                         "config": {"seed": self.seed.get_config()["seed"],
                                    "name": self.seed.name},
                         "registered_name": None}}


def _check_number(value, name, who, allow_zero=False):
    ok = (not isinstance(value, bool) and isinstance(value, (int, float)) and math.isfinite(value)
          and (value >= 0 if allow_zero else value > 0))
    if not ok:
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(
            f"{who}: `{name}` must be a {kind} finite number, received {name}={value!r}.")


class RandomNormal(RandomInitializer):
    """Values drawn from a normal distribution.

    Args:
        mean: the mean of the distribution.
        stddev: its standard deviation.
        seed: an int for repeatable values (see `RandomInitializer`).

    Example:

        layer = Dense(3, kernel_initializer=RandomNormal(stddev=0.01, seed=1))
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        _check_number(stddev, "stddev", "RandomNormal", allow_zero=True)
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape, "RandomNormal")
        dtype = standardize_dtype(dtype, "RandomNormal", floating=True)
        return current().rng.normal(shape, self.mean, self.stddev, dtype, self._draw_seed())

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class TruncatedNormal(RandomInitializer):
    """Values from a normal distribution, redrawn when more than two standard
    deviations from the mean.

    Args:
        mean: the mean of the (untruncated) distribution.
        stddev: its standard deviation before truncation.
        seed: an int for repeatable values (see `RandomInitializer`).
    """

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        _check_number(stddev, "stddev", "TruncatedNormal", allow_zero=True)
        self.mean = mean
        self.stddev = stddev
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape, "TruncatedNormal")
        dtype = standardize_dtype(dtype, "TruncatedNormal", floating=True)
        return current().rng.truncated_normal(shape, self.mean, self.stddev, dtype,
                                              self._draw_seed())

    def get_config(self):
        return {**super().get_config(), "mean": self.mean, "stddev": self.stddev}


class RandomUniform(RandomInitializer):
    """Values drawn uniformly from `[minval, maxval)`.

    Args:
        minval: the lower bound.
        maxval: the upper bound (not less than `minval`).
        seed: an int for repeatable values (see `RandomInitializer`).
    """

    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        if not maxval >= minval:
            raise ValueError(
                f"RandomUniform: `maxval` must not be less than `minval`, received "
                f"minval={minval!r}, maxval={maxval!r}."
            )
        self.minval = minval
        self.maxval = maxval
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape, "RandomUniform")
        dtype = standardize_dtype(dtype, "RandomUniform", floating=True)
        return current().rng.uniform(shape, self.minval, self.maxval, dtype, self._draw_seed())

    def get_config(self):
        return {**super().get_config(), "minval": self.minval, "maxval": self.maxval}


def compute_fans(shape, input_axes=None, output_axes=None):
    """`(fan_in, fan_out)` of a weight shape, as Keras computes them.

    Dense kernels `(in, out)` give `(in, out)`; convolution kernels
    `(*window, in, out)` multiply both by the window size; a vector uses its
    length for both, a scalar 1. `input_axes` / `output_axes` (both given)
    name the axes whose product is each fan instead.
    """
    shape = tuple(shape)
    if input_axes is not None and output_axes is not None:
        return (int(math.prod(shape[a] for a in input_axes)),
                int(math.prod(shape[a] for a in output_axes)))
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return int(shape[0]), int(shape[0])
    if len(shape) == 2:
        return int(shape[0]), int(shape[1])
    receptive_field = math.prod(shape[:-2])
    return int(shape[-2] * receptive_field), int(shape[-1] * receptive_field)


class VarianceScaling(RandomInitializer):
    """Values whose variance is `scale / n`, with `n` the fan-in, the fan-out or
    their average.

    With `distribution="truncated_normal"` (also accepted as `"normal"`) values
    come from a normal distribution truncated at two standard deviations whose
    standard deviation is rescaled so that the variance after truncation is
    `scale / n`; `"untruncated_normal"` uses a plain normal with standard
    deviation `sqrt(scale / n)`; `"uniform"` draws from `[-limit, limit]` with
    `limit = sqrt(3 * scale / n)`.

    Args:
        scale: positive scaling factor.
        mode: `"fan_in"`, `"fan_out"` or `"fan_avg"`.
        distribution: `"truncated_normal"`, `"untruncated_normal"` or `"uniform"`.
        seed: an int for repeatable values (see `RandomInitializer`).
        input_axes, output_axes: optional axes whose sizes multiply to the fans
            (both must be given), for kernels whose layout is not
            `(..., in, out)`.
    """

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None,
                 input_axes=None, output_axes=None):
        who = type(self).__name__
        if isinstance(scale, bool) or not isinstance(scale, (int, float)) \
                or not math.isfinite(scale) or scale <= 0:
            raise ValueError(
                f"Argument `scale` must be positive float. Received: scale={scale!r}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(
                f"Invalid `mode` argument: {mode}. Please use one of 'fan_in', 'fan_out', "
                "'fan_avg'."
            )
        dist = distribution.lower() if isinstance(distribution, str) else distribution
        if dist == "normal":
            dist = "truncated_normal"
        if dist not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                f"Invalid `distribution` argument: {distribution}. Please use one of "
                "'truncated_normal', 'untruncated_normal', 'uniform' ('normal' means "
                "'truncated_normal')."
            )
        if (input_axes is None) != (output_axes is None):
            raise ValueError(
                f"{who}: pass both `input_axes` and `output_axes` or neither, received "
                f"input_axes={input_axes!r}, output_axes={output_axes!r}."
            )
        self.scale = scale
        self.mode = mode
        self.distribution = dist
        self.input_axes = None if input_axes is None else list(input_axes)
        self.output_axes = None if output_axes is None else list(output_axes)
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        who = type(self).__name__
        shape = standardize_shape(shape, who)
        dtype = standardize_dtype(dtype, who, floating=True)
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        variance = self.scale / max(1.0, fan)
        rng = current().rng
        if self.distribution == "truncated_normal":
            stddev = math.sqrt(variance) / _TRUNCATED_STDDEV
            return rng.truncated_normal(shape, 0.0, stddev, dtype, self._draw_seed())
        if self.distribution == "untruncated_normal":
            return rng.normal(shape, 0.0, math.sqrt(variance), dtype, self._draw_seed())
        limit = math.sqrt(3.0 * variance)
        return rng.uniform(shape, -limit, limit, dtype, self._draw_seed())

    def get_config(self):
        return {**super().get_config(), "scale": self.scale, "mode": self.mode,
                "distribution": self.distribution, "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class _FixedVarianceScaling(VarianceScaling):
    """A named VarianceScaling preset: only `seed` and the fan axes are arguments."""

    _preset = (1.0, "fan_in", "truncated_normal")

    def __init__(self, seed=None, input_axes=None, output_axes=None):
        scale, mode, distribution = self._preset
        super().__init__(scale=scale, mode=mode, distribution=distribution, seed=seed,
                         input_axes=input_axes, output_axes=output_axes)

    def get_config(self):
        return {**RandomInitializer.get_config(self), "input_axes": self.input_axes,
                "output_axes": self.output_axes}


class GlorotUniform(_FixedVarianceScaling):
    """Glorot (Xavier) uniform: `U[-limit, limit]`, `limit = sqrt(6 / (fan_in + fan_out))`.

    Args:
        seed: an int for repeatable values (see `RandomInitializer`).
    """

    _preset = (1.0, "fan_avg", "uniform")


class GlorotNormal(_FixedVarianceScaling):
    """Glorot (Xavier) normal: truncated normal with `stddev = sqrt(2 / (fan_in + fan_out))`.

    Args:
        seed: an int for repeatable values (see `RandomInitializer`).
    """

    _preset = (1.0, "fan_avg", "truncated_normal")


class HeUniform(_FixedVarianceScaling):
    """He uniform: `U[-limit, limit]`, `limit = sqrt(6 / fan_in)`.

    Args:
        seed: an int for repeatable values (see `RandomInitializer`).
    """

    _preset = (2.0, "fan_in", "uniform")


class HeNormal(_FixedVarianceScaling):
    """He normal: truncated normal with `stddev = sqrt(2 / fan_in)`.

    Args:
        seed: an int for repeatable values (see `RandomInitializer`).
    """

    _preset = (2.0, "fan_in", "truncated_normal")


class LecunUniform(_FixedVarianceScaling):
    """LeCun uniform: `U[-limit, limit]`, `limit = sqrt(3 / fan_in)`.

    Args:
        seed: an int for repeatable values (see `RandomInitializer`).
    """

    _preset = (1.0, "fan_in", "uniform")


class LecunNormal(_FixedVarianceScaling):
    """LeCun normal: truncated normal with `stddev = sqrt(1 / fan_in)`.

    Args:
        seed: an int for repeatable values (see `RandomInitializer`).
    """

    _preset = (1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix times `gain`.

    The weights are reshaped to `(prod(shape[:-1]), shape[-1])`; a standard
    normal matrix of that size (transposed when it is wide) is factored as
    `Q R` and `Q` (with column signs fixed by `diag(R)`, so the result is
    uniformly distributed) fills it: the rows are orthonormal when there are
    fewer rows than columns, the columns otherwise.

    Args:
        gain: multiplicative factor.
        seed: an int for repeatable values (see `RandomInitializer`).
    """

    def __init__(self, gain=1.0, seed=None):
        self.gain = gain
        super().__init__(seed=seed)

    def __call__(self, shape, dtype=None):
        shape = standardize_shape(shape, "Orthogonal")
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal initializer needs a shape of rank >= 2, received shape={shape} of "
                f"rank {len(shape)}. Use it for kernels (e.g. recurrent kernels), not for "
                "biases or scalars; use e.g. 'zeros' or RandomNormal for those."
            )
        dtype = standardize_dtype(dtype, "Orthogonal", floating=True)
        backend = current()
        xp = backend.xp
        rows, cols = math.prod(shape[:-1]), shape[-1]
        # QR in float64 where the backend has it: orthogonality to ~1e-15, then one cast.
        work = "float64" if "float64" in backend._dtypes else dtype
        a = backend.rng.normal((max(rows, cols), min(rows, cols)), 0.0, 1.0, work,
                               self._draw_seed())
        q, r = xp.linalg.qr(a)
        q = q * xp.sign(xp.linalg.diagonal(r))[None, :]
        if rows < cols:
            # flattened to copy it row-major: the transposed view would leave the kernel
            # column-major, a layout the in-place optimizer kernels and cuBLAS treat apart
            q = xp.reshape(xp.matrix_transpose(q), (-1,))
        q = xp.reshape(q, shape)
        if self.gain != 1:
            q = q * self.gain
        return xp.astype(q, backend.dtype(dtype))

    def get_config(self):
        return {**super().get_config(), "gain": self.gain}
