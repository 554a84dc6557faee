"""The rest of `keras.ops.nn`: pixel (un)shuffles, PSNR, polar coordinates, multi-hot
encoding and the cross-entropies as elementwise ops."""

from kerasx.config import epsilon, floatx
from kerasx.ops._helpers import Tensor, as_dtype, current, keras_common_dtype, shape_of, value_of
from kerasx.ops.exp_log import log10
from kerasx.ops.math import clip, divide, log, multiply, negative, square, subtract, where
from kerasx.ops.nn import sigmoid_cross_entropy, softmax_cross_entropy
from kerasx.ops.reduction import max as reduce_max
from kerasx.ops.reduction import mean, sum
from kerasx.ops.shape import (cast, convert_to_tensor, one_hot, reshape, squeeze, take_along_axis,
                              transpose)

_FORMATS = ("channels_last", "channels_first")


def _check_blocks(name, x, block_size, data_format):
    shape = shape_of(value_of(x))
    if data_format not in _FORMATS:
        raise ValueError(f"{name}: data_format must be 'channels_last' or 'channels_first', "
                         f"received {data_format!r}.")
    if isinstance(block_size, bool) or not isinstance(block_size, int) or block_size < 2:
        raise ValueError(f"{name}: `block_size` must be at least 2 (an int; 1 would leave "
                         f"the input as it is), received block_size={block_size!r}.")
    if len(shape) != 4:
        raise ValueError(f"{name} expects a 4-D input (batch, height, width, channels) or "
                         f"(batch, channels, height, width); received shape {shape}.")
    return shape


def depth_to_space(x, block_size, data_format="channels_last"):
    """Moves channels into `block_size x block_size` spatial blocks (pixel shuffle):
    `(N, H, W, C)` -> `(N, H * b, W * b, C / b^2)` (channels_first alike)."""
    n, *rest = _check_blocks("depth_to_space", x, block_size, data_format)
    b = block_size
    if data_format == "channels_last":
        h, w, c = rest
    else:
        c, h, w = rest
    if c % (b * b):
        raise ValueError(f"depth_to_space: the {c} channels are not a multiple of "
                         f"block_size**2 = {b * b}.")
    depth = c // (b * b)
    if data_format == "channels_last":
        blocks = transpose(reshape(x, (n, h, w, b, b, depth)), (0, 1, 3, 2, 4, 5))
        return reshape(blocks, (n, h * b, w * b, depth))
    blocks = transpose(reshape(x, (n, depth, b, b, h, w)), (0, 1, 4, 2, 5, 3))
    return reshape(blocks, (n, depth, h * b, w * b))


def space_to_depth(x, block_size, data_format="channels_last"):
    """Moves `block_size x block_size` spatial blocks into channels (pixel unshuffle):
    `(N, H, W, C)` -> `(N, H / b, W / b, C * b^2)` (channels_first alike)."""
    n, *rest = _check_blocks("space_to_depth", x, block_size, data_format)
    b = block_size
    if data_format == "channels_last":
        h, w, c = rest
    else:
        c, h, w = rest
    if h % b or w % b:
        raise ValueError(f"space_to_depth: the spatial size {h} x {w} is not a multiple of "
                         f"block_size = {b}.")
    if data_format == "channels_last":
        blocks = transpose(reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5))
        return reshape(blocks, (n, h // b, w // b, c * b * b))
    blocks = transpose(reshape(x, (n, c, h // b, b, w // b, b)), (0, 1, 3, 5, 2, 4))
    return reshape(blocks, (n, c * b * b, h // b, w // b))


def psnr(x1, x2, max_val):
    """Peak signal-to-noise ratio, `20 log10(max_val) - 10 log10(mean((x1 - x2)^2))`, over
    all entries (a scalar)."""
    s1, s2 = shape_of(value_of(x1)), shape_of(value_of(x2))
    if s1 != s2:
        raise ValueError(f"psnr: the inputs must have the same shape; received {s1} and {s2}.")
    mse = mean(square(subtract(x1, x2)))
    peak = multiply(log10(convert_to_tensor(max_val, dtype=value_of(mse).dtype)), 20.0)
    return subtract(peak, multiply(log10(mse), 10.0))


def polar(abs_, angle):
    """The complex numbers `abs_ * (cos(angle) + 1j * sin(angle))` (complex64 for float32
    inputs, complex128 for float64). Complex results carry no gradient in kerasx."""
    backend = current()
    xp = backend.xp
    r, a = value_of(abs_), value_of(angle)
    r = r if backend.is_native(r) else backend.asarray(r, dtype=floatx())
    a = a if backend.is_native(a) else backend.asarray(a, dtype=floatx())
    # Keras's `result_type(abs_, angle, float)` (integers: floatx; float16 with
    # bfloat16: float32)
    real_type = keras_common_dtype((r.dtype, a.dtype), floating=True)
    complex_type = xp.complex128 if real_type == "float64" else xp.complex64
    r, a = as_dtype(r, real_type), as_dtype(a, real_type)
    try:
        real, imag = r * xp.cos(a), r * xp.sin(a)
    except ValueError:
        raise ValueError(f"polar: abs_ of shape {shape_of(r)} and angle of shape "
                         f"{shape_of(a)} do not broadcast together.") from None
    return Tensor(xp.astype(real, complex_type) + xp.astype(imag, complex_type) * 1j)


def multi_hot(inputs, num_classes=None, axis=-1, dtype=None, sparse=False, **kwargs):
    """Multi-hot vectors of integer labels: 1 at each class a row names, else 0.

    As in Keras, the one-hot encodings are combined (maximum) over axis 1 of a
    batched input (over axis 0 of a 1-D one): `(batch, k)` labels give
    `(batch, num_classes)`. Negative labels are ignored. `num_tokens` is accepted
    as an alias of `num_classes`.
    """
    if num_classes is None and "num_tokens" in kwargs:
        num_classes = kwargs.pop("num_tokens")
    if kwargs:
        raise TypeError(f"multi_hot got unexpected keyword arguments {sorted(kwargs)}.")
    if num_classes is None or isinstance(num_classes, bool) or \
            not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"multi_hot: `num_classes` must be a positive integer, received "
                         f"{num_classes!r}.")
    if sparse:
        raise ValueError("multi_hot: sparse=True is not supported; kerasx has no sparse "
                         "tensors. Pass sparse=False.")
    backend = current()
    labels = value_of(inputs)
    if not backend.is_native(labels):
        labels = backend.asarray(labels)
    if not backend.isdtype(labels.dtype, "integral"):
        labels = backend.xp.astype(labels, backend.dtype("int32"))
    rank = len(shape_of(labels))
    hot = one_hot(Tensor(labels), num_classes, axis=axis, dtype=dtype or floatx())
    return reduce_max(hot, axis=1 if rank > 1 else 0)


def binary_crossentropy(target, output, from_logits=False):
    """Elementwise binary cross-entropy of probabilities `output` (clipped to
    `[eps, 1 - eps]`) or, with `from_logits`, of `sigmoid(output)` computed stably."""
    target, output = _same_shapes("binary_crossentropy", target, output)
    output = _float32_for_bfloat16(output)
    if from_logits:
        return sigmoid_cross_entropy(target, output)
    p = clip(output, epsilon(), 1.0 - epsilon())
    return negative(multiply(target, log(p)) + multiply(1.0 - target, log(1.0 - p)))


def categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy along `axis` between class distributions `target` and predictions
    `output`: probabilities (renormalised along `axis`, clipped to `[eps, 1 - eps]`) or,
    with `from_logits`, logits (one fused log-softmax step)."""
    target, output = _same_shapes("categorical_crossentropy", target, output)
    if not shape_of(value_of(output)):
        raise ValueError("categorical_crossentropy: target and output must be at least rank "
                         "1; received scalars.")
    if from_logits:
        return softmax_cross_entropy(target, output, axis=axis)
    output = _float32_for_bfloat16(output)
    return negative(sum(multiply(target, _clipped_log(output, axis)), axis=axis))


def sparse_categorical_crossentropy(target, output, from_logits=False, axis=-1):
    """Cross-entropy between integer class ids `target` and predictions `output` over
    `axis`, as `categorical_crossentropy` of the one-hot ids. A trailing axis of size 1
    on `target` is dropped; ids outside `[0, classes)` give 0."""
    backend = current()
    out_shape = shape_of(value_of(output))
    if not out_shape:
        raise ValueError("sparse_categorical_crossentropy: output must be at least rank 1; "
                         "received a scalar.")
    ids = value_of(target)
    if not backend.is_native(ids):
        ids = backend.asarray(ids)
    ids = backend.xp.astype(ids, backend.dtype("int64"))
    if len(shape_of(ids)) == len(out_shape) and shape_of(ids)[-1] == 1:
        ids = backend.xp.squeeze(ids, axis=-1)
    ax = axis % len(out_shape)
    expected = out_shape[:ax] + out_shape[ax + 1:]
    if shape_of(ids) != expected:
        raise ValueError(f"sparse_categorical_crossentropy: target must hold one class id per "
                         f"prediction, shape {expected} for output of shape {out_shape}; "
                         f"received target of shape {shape_of(ids)}.")
    output = _float32_for_bfloat16(output)
    if from_logits:
        return softmax_cross_entropy(Tensor(ids), output, sparse=True, axis=ax)
    xp = backend.xp
    valid = (ids >= 0) & (ids < out_shape[ax])
    safe = xp.expand_dims(xp.where(valid, ids, xp.zeros_like(ids)), axis=ax)
    picked = squeeze(take_along_axis(_clipped_log(output, ax), Tensor(safe), axis=ax), axis=ax)
    return where(Tensor(valid), negative(picked), 0.0)


def _float32_for_bfloat16(output):
    """bfloat16 predictions as float32: Keras's NumPy backend clips them between Python
    floats (or takes a float32 log-softmax of them), which ml_dtypes computes, and
    returns, in float32."""
    from kerasx.backends.base import dtype_name

    bfloat16 = dtype_name(getattr(value_of(output), "dtype", "float32")) == "bfloat16"
    return cast(output, "float32") if bfloat16 else output


def _same_shapes(name, target, output):
    backend = current()
    out = value_of(output)
    if not backend.is_native(out):
        output = Tensor(backend.asarray(out))
    tv = value_of(target)
    if not backend.is_native(tv):
        target = Tensor(backend.asarray(tv))
    ts, os = shape_of(value_of(target)), shape_of(value_of(output))
    if ts != os:
        raise ValueError(f"{name}: target and output must have the same shape; received "
                         f"target.shape={ts}, output.shape={os}.")
    return cast(target, value_of(output).dtype), output


def _clipped_log(output, axis):
    probs = divide(output, sum(output, axis=axis, keepdims=True))
    return log(clip(probs, epsilon(), 1.0 - epsilon()))

