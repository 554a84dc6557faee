"""`kerasx.ops`: differentiable array operations with the `keras.ops` names.

Every function accepts Tensors, Variables, backend arrays and Python scalars,
and returns a Tensor. While a `GradientTape` records, each call on a tracked
input adds one node whose VJP rule sits beside the forward in these modules.
"""

from kerasx.autodiff.tensor import TensorOps as _TensorOps
from kerasx.ops.conv import conv, conv_transpose, depthwise_conv, separable_conv
from kerasx.ops.linalg import dense, dot, matmul, norm
from kerasx.ops.math import (abs, add, ceil, clip, cos, divide, equal, exp, expm1, floor,
                             floor_divide, greater, greater_equal, isfinite, isnan, less,
                             less_equal, log, log1p, logical_and, logical_not, logical_or,
                             maximum, minimum, mod, multiply, negative, not_equal, power,
                             reciprocal, round, sign, sin, sqrt, square, subtract, where)
from kerasx.ops.nn import (dropout, elu, exponential, gelu, hard_sigmoid, hard_silu, leaky_relu,
                           log_softmax, mish, relu, relu6, selu, sigmoid, sigmoid_cross_entropy,
                           silu, softmax, softmax_cross_entropy, softplus, softsign, swish, tanh)
from kerasx.ops.reduction import (all, any, argmax, argmin, logsumexp, max, mean, min, prod, std,
                                  sum, var)
from kerasx.ops.shape import (arange, broadcast_to, cast, concatenate, convert_to_numpy,
                              convert_to_tensor, expand_dims, flatten, flip, getitem, moveaxis,
                              one_hot, ones, ones_like, pad, repeat, reshape, shape, split, squeeze,
                              stack, stop_gradient, swapaxes, take, take_along_axis, tile,
                              transpose, zeros, zeros_like)

from kerasx.ops.nn import (celu, glu, hard_shrink, hard_tanh, log_sigmoid, prelu, soft_shrink,
                           sparse_plus, sparse_sigmoid, sparsemax, squareplus, tanh_shrink,
                           threshold)
from kerasx.ops.pooling import average_pool, max_pool
from kerasx.ops.rnn import gru, lstm, simple_rnn
from kerasx.ops.normalization import (batch_normalization, layer_normalization, moments,
                                      normalize, rms_normalization)

absolute = abs
concat = concatenate
permute_dims = transpose


def _bind_operators(cls):
    """Gives Tensor and Variable the Python operators, routed through these ops."""
    ops = {
        "__add__": add, "__radd__": lambda a, b: add(b, a),
        "__sub__": subtract, "__rsub__": lambda a, b: subtract(b, a),
        "__mul__": multiply, "__rmul__": lambda a, b: multiply(b, a),
        "__truediv__": divide, "__rtruediv__": lambda a, b: divide(b, a),
        "__pow__": power, "__rpow__": lambda a, b: power(b, a),
        "__matmul__": matmul, "__rmatmul__": lambda a, b: matmul(b, a),
        "__neg__": negative, "__abs__": abs, "__pos__": lambda a: a,
        "__floordiv__": floor_divide, "__mod__": mod,
        "__lt__": less, "__le__": less_equal, "__gt__": greater, "__ge__": greater_equal,
        "__getitem__": getitem,
        "__and__": logical_and, "__or__": logical_or, "__invert__": logical_not,
    }
    for name, fn in ops.items():
        setattr(cls, name, fn)
    cls.T = property(lambda self: transpose(self))
    cls.reshape = lambda self, *shape: reshape(self, shape[0] if len(shape) == 1 else shape)


_bind_operators(_TensorOps)
