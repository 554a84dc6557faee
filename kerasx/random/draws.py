"""The `keras.random` functions: draws from the backend's generator as Tensors.

`seed` is None (the global generator, seeded by `kerasx.utils.set_random_seed`),
an integer (the same numbers at every call) or a `SeedGenerator` (new numbers
at every call, the same sequence for the same seed). The numbers are drawn on
the host, so a seed gives the same values on every backend.
"""

from kerasx.backends import current
from kerasx.random.seed_generator import draw_seed


def _shape(shape):
    if isinstance(shape, int) and not isinstance(shape, bool):
        shape = (shape,)  # Keras reads `normal(3)` as `normal((3,))`
    try:
        dims = tuple(int(d) for d in shape)
    except TypeError:
        raise ValueError(f"`shape` must be a tuple of integers, received {shape!r}.") from None
    if any(d < 0 for d in dims):
        raise ValueError(f"`shape` must hold non-negative sizes, received {shape!r}.")
    return dims


def _float_dtype(dtype, fn):
    from kerasx.backends.base import dtype_name
    from kerasx.config import floatx

    name = floatx() if dtype is None else dtype_name(dtype)
    if not (name.startswith("float") or name == "bfloat16"):
        raise ValueError(f"`keras.random.{fn}` requires a floating point `dtype`. Received: "
                         f"dtype={dtype}. Pass a float dtype such as 'float32'.")
    return name


def _drawn_as(name):
    """The dtype the generator draws `name` in: bfloat16 is drawn in float32, then cast."""
    return "float32" if name == "bfloat16" else name


def _tensor(value, dtype=None):
    from kerasx.autodiff.tensor import Tensor

    if dtype == "bfloat16":
        backend = current()
        value = backend.xp.astype(value, backend.dtype("bfloat16"))
    return Tensor(value)


def _scalars(*values):
    """`values` as Python floats, or None when one of them is an array of several
    entries (Keras broadcasts those against the drawn values)."""
    from kerasx.autodiff.tensor import value_of

    try:
        return [float(value_of(v)) for v in values]
    except TypeError:
        return None


def _scaled(drawn, scale, shift):
    """`drawn * scale + shift`, with array-valued `scale` / `shift` broadcast."""
    backend = current()
    scale = backend.asarray(_host_value(scale), dtype=drawn.dtype)
    shift = backend.asarray(_host_value(shift), dtype=drawn.dtype)
    return drawn * scale + shift


def normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Values from a normal distribution (`mean` and `stddev` may be arrays that
    broadcast to `shape`)."""
    dtype = _float_dtype(dtype, "normal")
    rng, scalars = current().rng, _scalars(mean, stddev)
    if scalars is None:
        drawn = rng.normal(_shape(shape), dtype=_drawn_as(dtype), seed=draw_seed(seed))
        return _tensor(_scaled(drawn, stddev, mean), dtype)
    return _tensor(rng.normal(_shape(shape), mean=scalars[0], stddev=scalars[1],
                              dtype=_drawn_as(dtype), seed=draw_seed(seed)), dtype)


def uniform(shape, minval=0.0, maxval=1.0, dtype=None, seed=None):
    """Values drawn uniformly from `[minval, maxval)` (bounds may be arrays that
    broadcast to `shape`)."""
    dtype = _float_dtype(dtype, "uniform")
    rng, scalars = current().rng, _scalars(minval, maxval)
    if scalars is None:
        drawn = rng.uniform(_shape(shape), dtype=_drawn_as(dtype), seed=draw_seed(seed))
        low = _host_value(minval)
        return _tensor(_scaled(drawn, _host_value(maxval) - low, low), dtype)
    return _tensor(rng.uniform(_shape(shape), minval=scalars[0], maxval=scalars[1],
                               dtype=_drawn_as(dtype), seed=draw_seed(seed)), dtype)


def truncated_normal(shape, mean=0.0, stddev=1.0, dtype=None, seed=None):
    """Normal values redrawn until they lie within two standard deviations of `mean`
    (`mean` and `stddev` may be arrays that broadcast to `shape`)."""
    dtype = _float_dtype(dtype, "truncated_normal")
    rng, scalars = current().rng, _scalars(mean, stddev)
    if scalars is None:
        drawn = rng.truncated_normal(_shape(shape), dtype=_drawn_as(dtype),
                                     seed=draw_seed(seed))
        return _tensor(_scaled(drawn, stddev, mean), dtype)
    return _tensor(rng.truncated_normal(_shape(shape), mean=scalars[0], stddev=scalars[1],
                                        dtype=_drawn_as(dtype), seed=draw_seed(seed)), dtype)


def randint(shape, minval, maxval, dtype="int32", seed=None):
    """Integers drawn uniformly from `[minval, maxval)`."""
    from kerasx.backend import is_int_dtype

    if not is_int_dtype(dtype):
        raise ValueError("`keras.random.randint` requires an integer `dtype`. Received: "
                         f"dtype={dtype}. Pass one such as 'int32'.")
    if int(maxval) <= int(minval):
        raise ValueError(f"keras.random.randint needs minval < maxval, received "
                         f"minval={minval!r}, maxval={maxval!r}.")
    return _tensor(current().rng.integers(_shape(shape), minval, maxval, dtype=dtype,
                                          seed=draw_seed(seed)))


def gamma(shape, alpha, dtype=None, seed=None):
    """Values from a gamma distribution of shape `alpha` and scale 1."""
    dtype = _float_dtype(dtype, "gamma")
    return _tensor(current().rng.gamma(_shape(shape), _host_value(alpha), dtype=_drawn_as(dtype),
                                       seed=draw_seed(seed)), dtype)


def beta(shape, alpha, beta, dtype=None, seed=None):
    """Values from a beta distribution of parameters `alpha` and `beta`."""
    dtype = _float_dtype(dtype, "beta")
    return _tensor(current().rng.beta(_shape(shape), _host_value(alpha), _host_value(beta),
                                      dtype=_drawn_as(dtype), seed=draw_seed(seed)), dtype)


def binomial(shape, counts, probabilities, dtype=None, seed=None):
    """Successes in `counts` trials of success probability `probabilities` (as floats)."""
    dtype = _float_dtype(dtype, "binomial")
    return _tensor(current().rng.binomial(_shape(shape), _host_value(counts),
                                          _host_value(probabilities), dtype=_drawn_as(dtype),
                                          seed=draw_seed(seed)), dtype)


def categorical(logits, num_samples, dtype="int32", seed=None):
    """`num_samples` class ids for each row of `logits` (batch, classes), class `j`
    drawn with probability `softmax(logits)[j]`; returns (batch, num_samples)."""
    value = _host_value(logits)
    if len(getattr(value, "shape", ())) != 2:
        raise ValueError("`logits` should be a 2-D tensor with shape [batch_size, "
                         "num_classes]. Received: logits of shape "
                         f"{tuple(getattr(value, 'shape', ()))}; pass logits of shape "
                         "(batch, classes).")
    return _tensor(current().rng.categorical(value, int(num_samples), dtype=dtype,
                                             seed=draw_seed(seed)))


def dropout(inputs, rate, noise_shape=None, seed=None):
    """Zeroes entries of `inputs` with probability `rate` and scales the rest by
    `1 / (1 - rate)`; `noise_shape` (None entries: the input's size) shares a mask
    along axes of size 1. Differentiable in `inputs`."""
    from kerasx import ops

    if not 0.0 <= float(rate) <= 1.0:
        raise ValueError(f"keras.random.dropout expects 0 <= rate <= 1, received rate={rate!r}.")
    if float(rate) == 1.0:  # every entry dropped, as Keras (which still draws the mask)
        draw_seed(seed)
        return ops.zeros_like(inputs)
    return ops.dropout(inputs, float(rate), noise_shape=noise_shape, seed=draw_seed(seed))


def shuffle(x, axis=0, seed=None):
    """`x` with its entries along `axis` in a random order. Differentiable in `x`."""
    from kerasx import ops

    shape = ops.shape(x)
    if isinstance(axis, bool) or not isinstance(axis, int) or not -len(shape) <= axis < len(shape):
        raise ValueError(f"keras.random.shuffle: axis={axis!r} is not an axis of an input of "
                         f"shape {tuple(shape)}.")
    size = shape[axis]
    order = current().rng.permutation(size, seed=draw_seed(seed))
    return ops.take(x, current().asarray(order), axis=axis)


def _host_value(value):
    """A backend array for a parameter given as a Tensor, array, list or number."""
    from kerasx.ops._helpers import value_of

    value = value_of(value)
    return value if current().is_native(value) else current().asarray(value)
