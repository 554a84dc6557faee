"""Weight regularizers: scalar penalties added to the training loss.

The penalties are single tape nodes with their VJP beside the forward: a
regularized model pays one node per regularized weight per step.
"""

import math
from importlib import import_module

from kerasx.autodiff.tape import record, tracked
from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.backends import current


class Regularizer:
    """Base class of regularizers: `regularizer(x)` returns a scalar penalty.

    A layer's `kernel_regularizer` / `bias_regularizer` penalize its weights;
    its `activity_regularizer` penalizes its output (divided by the batch
    size). The penalties appear in `layer.losses` / `model.losses` and are
    added to the loss `fit` minimizes and logs. Subclasses implement
    `__call__(x)` with `kerasx.ops` (so it is differentiable) and `get_config()`.

    Example:

        class L3(Regularizer):
            def __init__(self, l3=0.01):
                self.l3 = l3

            def __call__(self, x):
                return self.l3 * kerasx.ops.sum(kerasx.ops.abs(x) ** 3)

            def get_config(self):
                return {"l3": self.l3}
    """

    def __call__(self, x):
        return 0.0

    def get_config(self):
        """The constructor arguments as a JSON-able dict."""
        raise NotImplementedError(
            f"{type(self).__name__} does not implement get_config(); add one returning its "
            "constructor arguments so it can be saved and rebuilt."
        )

    @classmethod
    def from_config(cls, config):
        """Rebuilds a regularizer from the output of `get_config()`."""
        return cls(**config)

    def __repr__(self):
        try:
            args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items())
        except NotImplementedError:
            args = ""
        return f"{type(self).__name__}({args})"


def validate_float_arg(value, name):
    """`value` as a float, or a clear error when it is not a non-negative finite number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value < 0:
        raise ValueError(
            f"Invalid value for argument {name}: expected a non-negative float. "
            f"Received: {name}={value!r}"
        )
    return float(value)


def _value(x):
    """The backend array behind `x` (a Variable, Tensor, backend or host array)."""
    if isinstance(x, TensorOps):
        return x.value
    return current().asarray(x)


def l1_l2_penalty(x, l1=0.0, l2=0.0):
    """`l1 * sum(|x|) + l2 * sum(x**2)` as one differentiable op."""
    xp = current().xp
    v = _value(x)
    out = xp.zeros((), dtype=v.dtype, device=current().device)
    if l1:
        out = out + l1 * xp.sum(xp.abs(v))
    if l2:
        out = out + l2 * xp.sum(v * v)
    if not (l1 or l2) or not tracked(x):
        return Tensor(out)

    def vjp(g):
        grad = 0.0
        if l1:
            grad = l1 * xp.sign(v)
        if l2:
            grad = grad + (2.0 * l2) * v
        return (g * grad,)

    return record(out, (x,), vjp)


class L1L2(Regularizer):
    """The penalty `l1 * sum(|x|) + l2 * sum(x**2)`.

    The string `"l1_l2"` gives `L1L2(l1=0.01, l2=0.01)`.

    Args:
        l1: non-negative L1 factor.
        l2: non-negative L2 factor.
    """

    def __init__(self, l1=0.0, l2=0.0):
        self.l1 = validate_float_arg(0.0 if l1 is None else l1, "l1")
        self.l2 = validate_float_arg(0.0 if l2 is None else l2, "l2")

    def __call__(self, x):
        return l1_l2_penalty(x, self.l1, self.l2)

    def get_config(self):
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """The penalty `l1 * sum(|x|)`.

    Args:
        l1: non-negative factor (the string `"l1"` uses 0.01).
    """

    def __init__(self, l1=0.01):
        self.l1 = validate_float_arg(0.01 if l1 is None else l1, "l1")

    def __call__(self, x):
        return l1_l2_penalty(x, l1=self.l1)

    def get_config(self):
        return {"l1": self.l1}


class L2(Regularizer):
    """The penalty `l2 * sum(x**2)`.

    Args:
        l2: non-negative factor (the string `"l2"` uses 0.01).
    """

    def __init__(self, l2=0.01):
        self.l2 = validate_float_arg(0.01 if l2 is None else l2, "l2")

    def __call__(self, x):
        return l1_l2_penalty(x, l2=self.l2)

    def get_config(self):
        return {"l2": self.l2}


def orthogonal_penalty(x, factor, mode="rows"):
    """`factor` times the mean absolute cosine between distinct rows (or columns) of
    the 2-D `x`, as one differentiable op (0 when there is only one row)."""
    backend = current()
    xp = backend.xp
    v = _value(x)
    if mode == "columns":
        v = xp.matrix_transpose(v)
    n = v.shape[0]
    if n < 2:
        return Tensor(xp.zeros((), dtype=v.dtype, device=backend.device))
    from kerasx.config import epsilon

    eps = epsilon()
    sq = xp.sum(v * v, axis=1, keepdims=True)
    # Keras caps the inverse norm at 1/epsilon, so an all-zero row stays zero.
    capped = sq <= eps * eps
    inv = xp.where(capped, 1.0 / eps, 1.0 / xp.sqrt(xp.where(capped, 1.0, sq)))
    u = v * inv
    product = u @ xp.matrix_transpose(u)
    off_diagonal = 1.0 - xp.eye(n, dtype=v.dtype, device=backend.device)
    scale = float(factor) * 0.5 / (n * (n - 1) / 2.0)
    out = scale * xp.sum(xp.abs(product * off_diagonal))
    if not tracked(x):
        return Tensor(out)

    def vjp(g):
        gp = (g * scale) * xp.sign(product) * off_diagonal
        gu = 2.0 * (gp @ u)  # gp is symmetric
        radial = xp.sum(gu * u, axis=1, keepdims=True)
        gv = inv * gu - xp.where(capped, 0.0, inv * u * radial)
        return (xp.matrix_transpose(gv) if mode == "columns" else gv,)

    return record(out, (x,), vjp)


class OrthogonalRegularizer(Regularizer):
    """Pushes the rows (or columns) of a 2-D weight towards mutual orthogonality.

    The penalty is `factor` times the mean absolute dot product between
    distinct L2-normalized rows (`mode="rows"`) or columns (`mode="columns"`).

    Args:
        factor: non-negative factor.
        mode: `"rows"` or `"columns"`.

    Example:

        Dense(4, kernel_regularizer=OrthogonalRegularizer(factor=0.01))
    """

    def __init__(self, factor=0.01, mode="rows"):
        self.factor = validate_float_arg(factor, "factor")
        if mode not in ("rows", "columns"):
            raise ValueError(
                'Invalid value for argument `mode`. Expected one of {"rows", "columns"}. '
                f"Received: mode={mode}"
            )
        self.mode = mode

    def __call__(self, x):
        if len(x.shape) != 2:
            raise ValueError(
                f"Inputs to OrthogonalRegularizer must have rank 2. Received: "
                f"inputs.shape={tuple(x.shape)}"
            )
        return orthogonal_penalty(x, self.factor, self.mode)

    def get_config(self):
        return {"factor": self.factor, "mode": self.mode}


# registers the differentiable rules
import_module("kerasx.ops.regularizer_grads")
