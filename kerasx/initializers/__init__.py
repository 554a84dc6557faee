"""Weight initializers: classes, Keras's string names and the function-style aliases."""

import math

from kerasx.backends import current


class Initializer:
    """Base class: `initializer(shape, dtype)` returns a backend array."""

    def __call__(self, shape, dtype=None):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def clone(self):
        return type(self).from_config(self.get_config())


def _dtype(dtype):
    from kerasx.config import floatx

    return dtype or floatx()


class Zeros(Initializer):
    def __call__(self, shape, dtype=None):
        backend = current()
        return backend.xp.zeros(tuple(shape), dtype=backend.dtype(_dtype(dtype)), device=backend.device)


class Ones(Initializer):
    def __call__(self, shape, dtype=None):
        backend = current()
        return backend.xp.ones(tuple(shape), dtype=backend.dtype(_dtype(dtype)), device=backend.device)


class Constant(Initializer):
    def __init__(self, value=0.0):
        self.value = value

    def __call__(self, shape, dtype=None):
        backend = current()
        return backend.xp.full(tuple(shape), self.value, dtype=backend.dtype(_dtype(dtype)),
                               device=backend.device)

    def get_config(self):
        return {"value": self.value}


class RandomInitializer(Initializer):
    """An initializer drawing from the backend RNG; a `seed` makes every call repeat."""

    def __init__(self, seed=None):
        if seed is not None and not isinstance(seed, int):
            raise TypeError(f"{type(self).__name__}: seed must be an int or None, got {seed!r}.")
        self.seed = seed

    def get_config(self):
        return {"seed": self.seed}


class RandomNormal(RandomInitializer):
    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return current().rng.normal(shape, self.mean, self.stddev, _dtype(dtype), self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class RandomUniform(RandomInitializer):
    def __init__(self, minval=-0.05, maxval=0.05, seed=None):
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape, dtype=None):
        return current().rng.uniform(shape, self.minval, self.maxval, _dtype(dtype), self.seed)

    def get_config(self):
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class TruncatedNormal(RandomInitializer):
    """Normal values cut at two standard deviations (redrawn outside)."""

    def __init__(self, mean=0.0, stddev=0.05, seed=None):
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape, dtype=None):
        return current().rng.truncated_normal(shape, self.mean, self.stddev, _dtype(dtype), self.seed)

    def get_config(self):
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


def compute_fans(shape):
    """(fan_in, fan_out) as Keras computes them for Dense and convolution kernels."""
    shape = tuple(shape)
    if len(shape) == 0:
        return 1, 1
    if len(shape) == 1:
        return shape[0], shape[0]
    if len(shape) == 2:
        return shape[0], shape[1]
    receptive = math.prod(shape[:-2])
    return shape[-2] * receptive, shape[-1] * receptive


class VarianceScaling(RandomInitializer):
    """Scale divided by fan_in, fan_out or their mean; normal, truncated or uniform."""

    def __init__(self, scale=1.0, mode="fan_in", distribution="truncated_normal", seed=None):
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"VarianceScaling: scale must be positive, got {scale}.")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"VarianceScaling: mode must be 'fan_in', 'fan_out' or 'fan_avg', got {mode!r}.")
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("truncated_normal", "untruncated_normal", "uniform"):
            raise ValueError(
                "VarianceScaling: distribution must be 'truncated_normal', 'untruncated_normal' "
                f"or 'uniform', got {distribution!r}."
            )
        self.scale, self.mode, self.distribution = scale, mode, distribution

    def __call__(self, shape, dtype=None):
        fan_in, fan_out = compute_fans(shape)
        fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2.0}[self.mode]
        scale = self.scale / max(1.0, fan)
        rng = current().rng
        if self.distribution == "truncated_normal":
            return rng.truncated_normal(shape, 0.0, math.sqrt(scale) / 0.87962566103423978,
                                        _dtype(dtype), self.seed)
        if self.distribution == "untruncated_normal":
            return rng.normal(shape, 0.0, math.sqrt(scale), _dtype(dtype), self.seed)
        limit = math.sqrt(3.0 * scale)
        return rng.uniform(shape, -limit, limit, _dtype(dtype), self.seed)

    def get_config(self):
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution,
                "seed": self.seed}


def _variance_family(class_name, scale, mode, distribution):
    def __init__(self, seed=None):
        VarianceScaling.__init__(self, scale=scale, mode=mode, distribution=distribution, seed=seed)

    def get_config(self):
        return {"seed": self.seed}

    return type(class_name, (VarianceScaling,), {
        "__init__": __init__, "get_config": get_config, "__module__": __name__,
        "__doc__": f"VarianceScaling(scale={scale}, mode={mode!r}, distribution={distribution!r})."})


GlorotUniform = _variance_family("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _variance_family("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _variance_family("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _variance_family("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _variance_family("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _variance_family("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    """A (semi-)orthogonal matrix from the QR decomposition of a normal one, times `gain`."""

    def __init__(self, gain=1.0, seed=None):
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape, dtype=None):
        shape = tuple(shape)
        if len(shape) < 2:
            raise ValueError(
                f"Orthogonal initializer needs a shape of rank >= 2, received shape {shape}. "
                "Use it for kernels (e.g. recurrent kernels), not biases."
            )
        backend = current()
        xp = backend.xp
        rows = math.prod(shape[:-1])
        cols = shape[-1]
        flat = (max(rows, cols), min(rows, cols))
        a = backend.rng.normal(flat, 0.0, 1.0, "float64" if "float64" in backend._dtypes else None,
                               self.seed)
        q, r = xp.linalg.qr(a)
        d = xp.sign(xp.linalg.diagonal(r))
        q = q * d[None, :]
        if rows < cols:
            q = xp.matrix_transpose(q)
        return xp.astype(self.gain * xp.reshape(q, shape), backend.dtype(_dtype(dtype)))

    def get_config(self):
        return {"gain": self.gain, "seed": self.seed}


class Identity(Initializer):
    """`gain` times the identity matrix (2-D shapes only)."""

    def __init__(self, gain=1.0):
        self.gain = gain

    def __call__(self, shape, dtype=None):
        if len(shape) != 2:
            raise ValueError(f"Identity initializer needs a 2-D shape, received {tuple(shape)}.")
        backend = current()
        return self.gain * backend.xp.eye(shape[0], shape[1], dtype=backend.dtype(_dtype(dtype)),
                                          device=backend.device)

    def get_config(self):
        return {"gain": self.gain}


IdentityInitializer = Identity
OrthogonalInitializer = Orthogonal

_CLASSES = {c.__name__: c for c in (Zeros, Ones, Constant, RandomNormal, RandomUniform,
                                    TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal,
                                    HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal,
                                    Identity)}
_NAMES = {
    "zeros": Zeros, "ones": Ones, "constant": Constant, "random_normal": RandomNormal,
    "random_uniform": RandomUniform, "truncated_normal": TruncatedNormal,
    "variance_scaling": VarianceScaling, "glorot_uniform": GlorotUniform,
    "glorot_normal": GlorotNormal, "he_uniform": HeUniform, "he_normal": HeNormal,
    "lecun_uniform": LecunUniform, "lecun_normal": LecunNormal, "orthogonal": Orthogonal,
    "identity": Identity, "Zeros": Zeros,
}


def _function_style(cls):
    def make(*args, **kwargs):
        return cls(*args, **kwargs)

    make.__doc__ = f"Function-style alias of `{cls.__name__}` (as `initializers.{cls.__name__}`)."
    return make


zeros = _function_style(Zeros)
ones = _function_style(Ones)
constant = _function_style(Constant)
random_normal = _function_style(RandomNormal)
random_uniform = _function_style(RandomUniform)
truncated_normal = _function_style(TruncatedNormal)
variance_scaling = _function_style(VarianceScaling)
glorot_uniform = _function_style(GlorotUniform)
glorot_normal = _function_style(GlorotNormal)
he_uniform = _function_style(HeUniform)
he_normal = _function_style(HeNormal)
lecun_uniform = _function_style(LecunUniform)
lecun_normal = _function_style(LecunNormal)
orthogonal = _function_style(Orthogonal)
identity = _function_style(Identity)


def get(identifier):
    """An initializer from a name, a class, an instance, a config dict or a callable."""
    if identifier is None:
        return None
    if isinstance(identifier, Initializer):
        return identifier
    if isinstance(identifier, str):
        cls = _NAMES.get(identifier) or _CLASSES.get(identifier)
        if cls is None:
            from kerasx.utils.suggest import unknown_identifier

            raise unknown_identifier("initializer", identifier, _NAMES)
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Initializer):
        return identifier()
    if callable(identifier):
        return identifier
    raise TypeError(f"Could not interpret initializer identifier {identifier!r}.")


def serialize(initializer):
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    from kerasx.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects, module_objects=_CLASSES)
