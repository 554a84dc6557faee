"""Fast NumPy layer normalization over the last axis, checked against the portable
`kerasx.ops.normalization.layer_normalization`.

NumPy reduces each short row of a `(rows, features)` matrix with one inner loop per
row; a matrix-vector product with ones sums them in one call. The kernels take every
row mean that way and work in place: the forward makes about seven passes over the
input and the backward about eight, where the portable expression makes some twenty
with as many fresh arrays. A `LayerNormalization` layer's forward and gradient,
alternating with the portable path in one process: 3.06 -> 1.81 ms at 64 x 100 x 64
float32, 1.83 -> 1.00 at 64 x 100 x 32, 5.58 -> 4.02 at 32 x 128 x 256.
"""

import numpy as np

from kerasx.backends.numpy_kernels import ones_vector as _ones


def _vector(v, features, dtype):
    """A per-feature parameter as a `(features,)` vector of `dtype`, or None when it is
    missing or has another shape or dtype (the portable path then runs)."""
    if v is None:
        return None
    if v.dtype != dtype or v.size != features:
        return False
    return v.reshape(features)


def layer_norm_last_axis(x, gamma, beta, epsilon):
    """`(out, saved)` normalizing each row of `x` over its last axis, then scaling by
    `gamma` and shifting by `beta` (per-feature vectors, or None); `saved` feeds
    `layer_norm_last_axis_grad`. None for calls it does not take (non-float input,
    parameters of another dtype or size)."""
    if x.dtype.kind != "f" or x.ndim < 1 or x.size == 0:
        return None
    features = x.shape[-1]
    gamma, beta = _vector(gamma, features, x.dtype), _vector(beta, features, x.dtype)
    if gamma is False or beta is False:
        return None
    x2 = x.reshape(-1, features)
    ones = _ones(features, x.dtype)
    scale = x.dtype.type(1.0 / features)
    mean = x2 @ ones
    mean *= scale
    xhat = np.subtract(x2, mean[:, None])
    squares = np.multiply(xhat, xhat)
    var = squares @ ones
    var *= scale
    var += x.dtype.type(epsilon)
    rinv = np.sqrt(var, out=var)
    np.divide(x.dtype.type(1), rinv, out=rinv)
    xhat *= rinv[:, None]
    if gamma is None:
        out = xhat.copy()  # never the saved array itself: later ops may write over outputs
    else:
        out = np.multiply(xhat, gamma, out=squares)
    if beta is not None:
        out += beta
    return out.reshape(x.shape), (xhat, rinv)


def layer_norm_last_axis_grad(g, saved, gamma, want_x, want_gamma, want_beta):
    """`(gx, ggamma, gbeta)` of `layer_norm_last_axis` for the output gradient `g`;
    each is None unless wanted."""
    xhat, rinv = saved
    features = xhat.shape[1]
    g2 = g.reshape(-1, features)
    gx = ggamma = gbeta = None
    rows_ones = _ones(g2.shape[0], g2.dtype)
    if want_gamma:
        ggamma = rows_ones @ np.multiply(g2, xhat)
    if want_beta:
        gbeta = rows_ones @ g2
    if want_x:
        # dx = rinv * (d - mean(d) - xhat * mean(d * xhat)) with d = g * gamma
        ones = _ones(features, g2.dtype)
        scale = g2.dtype.type(1.0 / features)
        d = np.multiply(g2, gamma.reshape(features)) if gamma is not None else g2.copy()
        t = np.multiply(d, xhat)
        m2 = t @ ones
        m2 *= scale
        m1 = d @ ones
        m1 *= scale
        np.multiply(xhat, m2[:, None], out=t)
        d -= t
        d -= m1[:, None]
        d *= rinv[:, None]
        gx = d.reshape(g.shape)
    return gx, ggamma, gbeta


KERNELS = {"layer_norm_last_axis": layer_norm_last_axis,
           "layer_norm_last_axis_grad": layer_norm_last_axis_grad}
