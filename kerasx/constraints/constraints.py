"""Weight constraints: projections applied to a variable after each optimizer step."""

import math

from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.backends import current


class Constraint:
    """Base class of constraints: `constraint(w)` returns the projected weights.

    A layer's `kernel_constraint` / `bias_constraint` is stored on its variable;
    the optimizer assigns `constraint(variable)` to it after every update step.
    Subclasses implement `__call__(w)` and `get_config()`.

    Example:

        class Clip(Constraint):
            def __call__(self, w):
                return kerasx.ops.clip(w, -1.0, 1.0)
    """

    def __call__(self, w):
        return w

    def get_config(self):
        """The constructor arguments as a JSON-able dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Rebuilds a constraint from the output of `get_config()`."""
        return cls(**config)

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        return f"{type(self).__name__}({args})"


def _weights(w):
    """`w` (Variable, Tensor, backend or host array) as a float backend array."""
    backend = current()
    value = w.value if isinstance(w, TensorOps) else backend.asarray(w)
    if not backend.xp.isdtype(value.dtype, "real floating"):
        from kerasx.config import floatx

        value = backend.xp.astype(value, backend.dtype(floatx()))
    return value


def _norms(xp, w, axis, who):
    """The L2 norms of `w` along `axis` (kept as size-1 axes, for broadcasting)."""
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for a in axes:
        if not -w.ndim <= a < w.ndim:
            raise ValueError(
                f"{who}: axis={axis!r} is out of range for weights of shape {tuple(w.shape)}. "
                "Use the axes that index one unit's incoming weights, e.g. 0 for a Dense "
                "kernel, [0, 1, 2] for a Conv2D kernel."
            )
    return xp.sqrt(xp.sum(w * w, axis=axes, keepdims=True))


def _check_axis(axis, who):
    items = [axis] if isinstance(axis, int) else axis
    if isinstance(axis, bool) or not isinstance(items, (list, tuple)) or not items \
            or not all(isinstance(a, int) and not isinstance(a, bool) for a in items):
        raise TypeError(
            f"{who}: axis must be an int or a list of ints, received axis={axis!r}."
        )
    return list(axis) if isinstance(axis, tuple) else axis


def _check_norm(value, name, who):
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) \
            or value < 0:
        raise ValueError(
            f"{who}: `{name}` must be a non-negative number (a norm), received {name}={value!r}."
        )


class MaxNorm(Constraint):
    """Rescales the weights of each unit whose L2 norm exceeds `max_value` back to it.

    Args:
        max_value: the largest allowed norm of the incoming weights of a unit.
        axis: the axis (or list of axes) along which the norms are taken: 0 for
            a Dense kernel `(input_dim, units)` (each unit's column), `[0, 1, 2]`
            for a Conv2D kernel `(rows, cols, in, out)`.
    """

    def __init__(self, max_value=2, axis=0):
        _check_norm(max_value, "max_value", "MaxNorm")
        self.max_value = max_value
        self.axis = _check_axis(axis, "MaxNorm")

    def __call__(self, w):
        from kerasx.config import epsilon

        xp = current().xp
        w = _weights(w)
        norms = _norms(xp, w, self.axis, "MaxNorm")
        desired = xp.clip(norms, 0.0, float(self.max_value))
        return Tensor(w * (desired / (epsilon() + norms)))

    def get_config(self):
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """Sets negative weights to 0.

    `axis` is accepted (and ignored: clipping is elementwise) for the spelling
    `constraints.non_neg(axis=0)` found in course material; Keras itself takes no argument.
    """

    def __init__(self, axis=None):
        del axis

    def __call__(self, w):
        return Tensor(current().xp.maximum(_weights(w), 0.0))


class UnitNorm(Constraint):
    """Divides the weights of each unit by their L2 norm.

    Args:
        axis: the axis (or list of axes) along which the norms are taken (see
            `MaxNorm`).
    """

    def __init__(self, axis=0):
        self.axis = _check_axis(axis, "UnitNorm")

    def __call__(self, w):
        from kerasx.config import epsilon

        xp = current().xp
        w = _weights(w)
        return Tensor(w / (epsilon() + _norms(xp, w, self.axis, "UnitNorm")))

    def get_config(self):
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Moves the L2 norm of each unit's weights into `[min_value, max_value]`.

    Each unit is rescaled to norm `rate * clip(norm, min_value, max_value) +
    (1 - rate) * norm`: `rate=1` enforces the bounds at once, smaller rates
    move towards them step by step.

    Args:
        min_value: the smallest allowed norm.
        max_value: the largest allowed norm (not less than `min_value`).
        rate: in `[0, 1]`, how far each step moves towards the bounds.
        axis: the axis (or list of axes) along which the norms are taken (see
            `MaxNorm`).
    """

    def __init__(self, min_value=0.0, max_value=1.0, rate=1.0, axis=0):
        _check_norm(min_value, "min_value", "MinMaxNorm")
        _check_norm(max_value, "max_value", "MinMaxNorm")
        if max_value < min_value:
            raise ValueError(
                f"MinMaxNorm: max_value must not be less than min_value, received "
                f"min_value={min_value!r}, max_value={max_value!r}."
            )
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate <= 1.0:
            raise ValueError(
                f"MinMaxNorm: rate must be a number in [0, 1], received rate={rate!r}.")
        self.min_value = min_value
        self.max_value = max_value
        self.rate = rate
        self.axis = _check_axis(axis, "MinMaxNorm")

    def __call__(self, w):
        from kerasx.config import epsilon

        xp = current().xp
        w = _weights(w)
        norms = _norms(xp, w, self.axis, "MinMaxNorm")
        clipped = xp.clip(norms, float(self.min_value), float(self.max_value))
        desired = self.rate * clipped + (1.0 - self.rate) * norms
        return Tensor(w * (desired / (epsilon() + norms)))

    def get_config(self):
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate,
                "axis": self.axis}
