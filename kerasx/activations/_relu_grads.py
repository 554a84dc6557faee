"""The differentiable VJP of `activations.relu` with Keras's options (a slope, a
threshold, a cap), for gradients of gradients (`kerasx.autodiff.higher_order`): the
gradient is `g` times a piecewise constant factor."""

from kerasx.activations import relu
from kerasx.autodiff.higher_order import differentiable_vjp
from kerasx.ops._helpers import Tensor, namespace, value_of


@differentiable_vjp(relu)
def _relu_rule(g, x, o, env):
    xp = namespace()
    v = value_of(x)
    cap = env["cap"]
    dtype = value_of(g).dtype
    if "t" not in env:  # the capped ReLU: 1 strictly between 0 and the cap
        return g * Tensor(xp.astype(xp.logical_and(v > 0.0, v < cap), dtype))
    above = xp.astype(v > env["t"], dtype)
    if cap is not None:  # clipped to [0, cap], as Keras clips
        above = above * xp.astype(xp.logical_and(v > 0.0, v < cap), dtype)
    below = xp.astype(v <= env["t"], dtype) * env["slope"]
    return g * Tensor(above + below)
