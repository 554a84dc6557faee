"""A convolution, the batch normalization after it (training, with the batch's
statistics), an activation that commutes with max and the max pooling after them, as
one tape node.

The result is `batch_norm_max_pool(conv(x) + bias)` (`kerasx.ops.batch_norm_pool`).
A backend may register `conv_batch_norm_max_pool(x, kernel, bias, scale, offset,
epsilon, strides, dilation, pool_size, relu, keep)` for a padded channels_last `x` and
non-overlapping "valid" pooling whose windows tile the convolution output, returning
`(out, mean, variance, backward)` or None to decline; `backward(g, want_x,
want_kernel)` returns the gradients of `(x, kernel, bias, scale, offset)`. The NumPy
backend does (`kerasx.backends.numpy_conv_bn_pool`: the convolution output in
pooling-offset-major row order, so every pass over it is contiguous). Where no kernel
takes the call, the two nodes run one after the other.
"""

from kerasx.ops._helpers import Tensor, current, input_like_weights, record, tracked, value_of
from kerasx.ops.batch_norm_pool import batch_norm_max_pool
from kerasx.ops.conv import (check_conv_arguments, conv, from_channels_last, interior,
                             normalize_padding, normalize_tuple, pad_for_conv, to_channels_last)


def conv_batch_norm_max_pool(inputs, kernel, bias, scale, offset, epsilon, strides=1,
                             padding="valid", data_format=None, dilation_rate=1, groups=None,
                             pool_size=2, pool_strides=None, pool_padding="valid", relu=False):
    """`max_pool(act(batch_norm(conv(inputs) + bias)))` with the statistics of this batch.

    Args:
        inputs, kernel, bias, strides, padding, data_format, dilation_rate, groups: as
            for `kerasx.ops.conv`.
        scale, offset, epsilon: the normalization's gamma and beta (or None) and the
            value added to the variance.
        pool_size, pool_strides, pool_padding: the max pooling's (strides default to
            `pool_size`).
        relu: apply the ReLU before pooling (else no activation; the caller applies any
            other activation that commutes with max to the result).

    Returns:
        `(outputs, mean, variance)`, as `kerasx.ops.batch_norm_max_pool`: `mean` and the
        biased `variance` of the convolution output are Tensors without gradient.
    """
    backend = current()
    fast = backend.kernel("conv_batch_norm_max_pool")
    wv = value_of(kernel)
    xv = input_like_weights(value_of(inputs), wv)
    checked = check_conv_arguments(xv, wv, strides, padding, data_format, dilation_rate, groups)
    data_format, groups, strides, dilation, padding = checked
    n = len(wv.shape) - 2
    pool_size = normalize_tuple(pool_size, n, "pool_size")
    pool_strides = pool_size if pool_strides is None else normalize_tuple(pool_strides, n,
                                                                          "strides")
    result = None
    if fast is not None and groups == 1 and pool_strides == pool_size \
            and normalize_padding(pool_padding) == "valid":
        xp = backend.xp
        x = to_channels_last(xp, xv, data_format)
        pads, xpad = pad_for_conv(backend, x, wv, strides, dilation, padding)
        values = [None if v is None else value_of(v) for v in (bias, scale, offset)]
        want = tracked(inputs, kernel, bias, scale, offset)
        result = fast(xpad, wv, *values, epsilon, strides, dilation, pool_size, relu, want)
    if result is None:
        y = conv(inputs, kernel, strides, padding, data_format, dilation_rate, groups,
                 bias=bias)
        return batch_norm_max_pool(y, scale, offset, epsilon, pool_size, pool_strides,
                                   pool_padding, data_format, relu)
    out, mean, variance, backward = result
    outputs = from_channels_last(xp, out, data_format)
    stats = (Tensor(mean), Tensor(variance))
    if not want:
        return (Tensor(outputs),) + stats
    x_shape = tuple(x.shape)
    del x, xpad, xv

    def vjp(g):
        g = to_channels_last(xp, g, data_format)
        gpad, gw, *rest = backward(g, getattr(inputs, "tracked", False),
                                   getattr(kernel, "tracked", False))
        gx = None
        if gpad is not None:
            gx = from_channels_last(xp, gpad[interior(x_shape, pads)], data_format)
        rest = [grad if getattr(v, "tracked", False) else None
                for grad, v in zip(rest, (bias, scale, offset))]
        return (gx, gw, *rest)

    # the arguments of the unfused ops, for the differentiable rule
    vjp.unfused = {"conv": (strides, padding, dilation, groups), "epsilon": epsilon,
                   "pool": (pool_size, pool_strides, pool_padding), "relu": relu}
    return (record(outputs, (inputs, kernel, bias, scale, offset), vjp),) + stats
