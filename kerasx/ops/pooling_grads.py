"""The differentiable VJP of max and average pooling, for gradients of gradients
(`kerasx.autodiff.higher_order`).

Pooling's gradient is linear in the output gradient: each window offset sends its
share (the winner's mask for max pooling, `1 / count` for average pooling) into
the padded input through a strided slice. Written as recorded `scatter_into_zeros`
and products with those constant shares, it differentiates again to any order.
"""

import math

from kerasx.autodiff.higher_order import captured, differentiable_vjp
from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.conv import interior, pad_spatial, to_channels_last, window_slices
from kerasx.ops.conv_grads import _channels_first, _channels_last
from kerasx.ops.pooling import pool
from kerasx.ops.shape import getitem, scatter_into_zeros


@differentiable_vjp(pool)
def _pool_rule(g, parents, out, env):
    backend = current()
    xp = backend.xp
    data_format = env["data_format"]
    inner = captured(env["vjp_last"])
    pool_size, strides, pads = inner["pool_size"], inner["strides"], inner["pads"]
    mode, counts = inner["mode"], inner["counts"]
    g = _channels_last(g, data_format)
    y = to_channels_last(xp, value_of(out), data_format)
    taken = None
    if mode == "max":  # the winners: the first maximal element of each window
        x = to_channels_last(xp, value_of(parents[0]), data_format)
        xpad = pad_spatial(xp, x, pads, -float("inf"), backend.device)
    else:
        share = Tensor(1.0 / (math.prod(pool_size) if counts is None else counts))
    total = None
    for index in window_slices(pool_size, (1,) * len(pool_size), strides, tuple(y.shape[1:-1])):
        if mode == "max":
            hit = xpad[index] == y
            if taken is not None:
                hit = hit & ~taken
            taken = hit if taken is None else taken | hit
            share = Tensor(xp.astype(hit, y.dtype))
        part = scatter_into_zeros(g * share, index, inner["padded_shape"])
        total = part if total is None else total + part
    if inner["padded"]:
        total = getitem(total, interior(inner["full_shape"], pads))
    return (_channels_first(total, data_format),)
