"""Activation functions by name: `get("relu")`, `serialize(fn)`, `deserialize(name)`."""

import functools

from kerasx import ops
from kerasx.ops import nn as _nn


def relu(x, negative_slope=0.0, max_value=None, threshold=0.0):
    """Rectified linear unit with Keras's options, as one tape node.

    `x` above `threshold` (clipped to `[0, max_value]` when `max_value` is
    given, as Keras clips it), and `negative_slope * (x - threshold)` below it.
    """
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    from kerasx.ops.math import _unary
    from kerasx.ops.nn import _masked

    slope, t = float(negative_slope), float(threshold)
    cap = None if max_value is None else float(max_value)
    if slope == 0.0 and t == 0.0:  # a capped ReLU: one clip, and a 0/1 mask for the gradient
        return _unary(x, lambda xp, v: xp.clip(v, 0.0, cap),
                      lambda xp, g, v, o: _masked(xp, g, v, 0.0, cap))

    def forward(xp, v):
        main = xp.where(v > t, v, 0.0)
        if cap is not None:  # Keras clips from 0 too: a negative threshold lets x < 0 in
            main = xp.clip(main, 0.0, cap)
        y = xp.where(v > t, main, (v - t) * slope) if slope else main
        return _bfloat16_kept(xp, y, v)

    def grad(xp, g, v, o):
        above = v > t
        if cap is not None:
            above = xp.logical_and(above, xp.logical_and(v > 0.0, v < cap))
        below = xp.where(v > t, 0.0, g * slope) if slope else 0.0
        return _bfloat16_kept(xp, xp.where(above, g, below), v)

    return _unary(x, forward, grad)


def _bfloat16_kept(xp, y, x):
    """`y` in the type of `x` where that is bfloat16, which ml_dtypes widens when it
    meets a Python float and Keras keeps."""
    from kerasx.backends.base import dtype_name

    if y.dtype != x.dtype and dtype_name(x.dtype) == "bfloat16":
        return xp.astype(y, x.dtype)
    return y


def sigmoid(x):
    return ops.sigmoid(x)


def softmax(x, axis=-1):
    return ops.softmax(x, axis=axis)


def log_softmax(x, axis=-1):
    return ops.log_softmax(x, axis=axis)


def tanh(x):
    return ops.tanh(x)


def linear(x):
    return x


def elu(x, alpha=1.0):
    return ops.elu(x, alpha=alpha)


def selu(x):
    return ops.selu(x)


def softplus(x):
    return ops.softplus(x)


def softsign(x):
    return ops.softsign(x)


def exponential(x):
    return ops.exp(x)


def gelu(x, approximate=False):
    return ops.gelu(x, approximate=approximate)


def silu(x):
    return ops.silu(x)


swish = silu


def hard_sigmoid(x):
    return ops.hard_sigmoid(x)


def hard_silu(x):
    return ops.hard_silu(x)


hard_swish = hard_silu


def relu6(x):
    return ops.relu6(x)


def leaky_relu(x, negative_slope=0.2):
    return ops.leaky_relu(x, negative_slope=negative_slope)


def mish(x):
    return ops.mish(x)


def celu(x, alpha=1.0):
    return _nn.celu(x, alpha=alpha)


def glu(x, axis=-1):
    return _nn.glu(x, axis=axis)


def hard_shrink(x, threshold=0.5):
    return _nn.hard_shrink(x, threshold=threshold)


def soft_shrink(x, threshold=0.5):
    return _nn.soft_shrink(x, threshold=threshold)


def hard_tanh(x):
    return _nn.hard_tanh(x)


def tanh_shrink(x):
    return _nn.tanh_shrink(x)


def log_sigmoid(x):
    return _nn.log_sigmoid(x)


def sparse_plus(x):
    return _nn.sparse_plus(x)


def sparse_sigmoid(x):
    return _nn.sparse_sigmoid(x)


def sparsemax(x, axis=-1):
    return _nn.sparsemax(x, axis=axis)


def squareplus(x, b=4):
    return _nn.squareplus(x, b=b)


def threshold(x, threshold, default_value):
    return _nn.threshold(x, threshold, default_value)


_BY_NAME = {f.__name__: f for f in (relu, sigmoid, softmax, log_softmax, tanh, linear, elu, selu,
                                    softplus, softsign, exponential, gelu, silu, hard_sigmoid,
                                    hard_silu, relu6, leaky_relu, mish, celu, glu, hard_shrink,
                                    soft_shrink, hard_tanh, tanh_shrink, log_sigmoid, sparse_plus,
                                    sparse_sigmoid, sparsemax, squareplus, threshold)}
_BY_NAME.update(swish=silu, hard_swish=hard_silu)


def get(identifier):
    """An activation function from a name, a callable, a config dict or None (linear)."""
    if identifier is None:
        return linear
    if callable(identifier):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier)
        if fn is None:
            from kerasx.utils.suggest import unknown_identifier

            raise unknown_identifier("activation", identifier, _BY_NAME)
        return fn
    raise ValueError(f"Could not interpret activation function identifier: {identifier!r}. "
                     "Expected an activation name (such as 'relu') or a callable.")


def serialize(activation):
    """The name Keras uses for `activation` in configs."""
    if isinstance(activation, functools.partial):
        activation = activation.func
    name = getattr(activation, "__name__", None)
    if name in _BY_NAME:
        return name
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(activation)


def deserialize(config, custom_objects=None):
    if isinstance(config, str):
        if custom_objects and config in custom_objects:
            return custom_objects[config]
        return get(config)
    from kerasx.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects, module_objects=_BY_NAME)


from kerasx.activations import _relu_grads  # noqa: E402,F401  (registers the differentiable rule)
