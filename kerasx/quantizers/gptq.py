"""The GPTQ algorithm: a layer's input Hessian accumulated from calibration batches
(`GPTQ`), then its kernel quantized one input row at a time, each row's rounding
error spread over the rows still to quantize through the inverse Hessian
(`gptq_quantize_matrix`).

The arithmetic is float32 throughout, as Keras computes it: the Hessian is
`2 / N * sum(x x^T)`, damped on its diagonal by `hessian_damping * mean(diagonal)`
(dead inputs, whose diagonal is 0, get 1), then inverted. Within a block of
`blocksize` rows the error of row `j` is `(w_j - q_j) / invH[j, j]` and row `k > j`
loses `error * invH[j, k]`; at the end of a block its errors reach the later rows
through `invH[block, later]`. The scale and zero point of a group come from the
weights as they stand at the start of the block that reaches the group.

As in Keras, the inverse Hessian is used as computed, not updated as rows are fixed
(the reference GPTQ reads the Cholesky factor of the inverse for that), so the files
hold the levels Keras computes. A group is given its parameters once, at its first
row; Keras gives a group that straddles two blocks a second set at the block start
(and then fails to store them), so the two agree whenever `blocksize` is a multiple
of the group size, as with the defaults.
"""

from kerasx.autodiff.tensor import Tensor
from kerasx.backends import current
from kerasx.backends.base import dtype_name

_JITTER = 1e-12  # orders equal activation-order metrics by position, as Keras does


def _value(x):
    from kerasx import ops

    return ops.convert_to_tensor(x).value


def compute_quantization_parameters(x, *, bits, symmetric=False, per_channel=False,
                                    group_size=-1, compute_dtype="float32", epsilon=0.0,
                                    signed=False):
    """`(scale, zero, maxq)` of the rows of the `(out, in)` matrix `x` quantized to
    `bits` bits: min / max per row (`per_channel`), per group of `group_size` columns
    (`per_channel` and `group_size > 0`, the last group padded with zeros) or over the
    whole matrix. `scale` and `zero` have shape `(out, groups)`; `zero` is uint8 for the
    range `[0, 2**bits - 1]` or int8 for the `signed` range `[-2**(bits-1), ...]`."""
    backend = current()
    xp = backend.xp
    xv = _value(x)
    if len(xv.shape) < 2:
        raise ValueError(f"Input weight tensor must have a rank of at least 2, but got rank "
                         f"{len(xv.shape)}.")
    if xv.shape[0] * xv.shape[1] == 0:
        raise ValueError("Input tensor 'x' cannot be empty.")
    out_features, in_features = xv.shape[0], xv.shape[1]
    groups = -(-in_features // group_size) if per_channel and group_size > 0 else 1
    if groups > 1:
        pad = groups * group_size - in_features
        if pad:
            xv = xp.concat([xv, xp.zeros((out_features, pad), dtype=xv.dtype,
                                         device=backend.device)], axis=1)
        grouped = xp.reshape(xv, (out_features, groups, group_size))
        low, high = xp.min(grouped, axis=2), xp.max(grouped, axis=2)
    else:
        rows = xp.reshape(xv, (out_features, -1) if per_channel else (1, -1))
        low, high = xp.min(rows, axis=1), xp.max(rows, axis=1)
    if symmetric:
        top = xp.maximum(xp.abs(low), high)
        low, high = xp.where(low < 0, -top, low), top
    flat = low == high
    low, high = xp.where(flat, low - 1, low), xp.where(flat, high + 1, high)
    dtype = backend.dtype(compute_dtype)
    maxq = float(2 ** bits - 1)
    spread = high - low
    if epsilon > 0:
        spread = spread + epsilon
    scale = xp.astype(spread / maxq, dtype)
    scale = xp.where(scale <= 0, xp.asarray(1e-8, dtype=dtype, device=backend.device), scale)
    if signed:
        qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        zero = (xp.full_like(scale, (maxq + 1) / 2 + qmin) if symmetric
                else xp.round(-low / scale) + qmin)
        zero = xp.astype(xp.clip(zero, qmin, qmax), backend.dtype("int8"))
    else:
        zero = xp.full_like(scale, (maxq + 1) / 2) if symmetric else xp.round(-low / scale)
        # a zero point outside [0, 255] (a group of one sign) saturates on its way to
        # uint8, as Keras's cast does on JAX
        zero = xp.astype(xp.clip(zero, 0.0, 255.0), backend.dtype("uint8"))
    if groups == 1:
        scale = xp.reshape(scale, (-1, 1))
        zero = xp.reshape(zero, (-1, 1))
        if not per_channel:
            scale = xp.tile(scale, (out_features, 1))
            zero = xp.tile(zero, (out_features, 1))
    return Tensor(scale), Tensor(zero), maxq


def quantize_with_zero_point(x, scale, zero, maxq):
    """`clip(round(x / scale + zero), 0, maxq)` (a zero scale counts as 1e-8), in the
    scale's float dtype."""
    xp = current().xp
    sv = _value(scale)
    sv = xp.where(sv == 0, xp.asarray(1e-8, dtype=sv.dtype, device=current().device), sv)
    q = xp.round(_value(x) / sv + xp.astype(_value(zero), sv.dtype))
    return Tensor(xp.clip(q, 0.0, float(maxq)))


def dequantize_with_zero_point(q, scale, zero):
    """`scale * (q - zero)`."""
    xp = current().xp
    sv = _value(scale)
    return Tensor(sv * (_value(q) - xp.astype(_value(zero), sv.dtype)))


def _stable_descending_order(metric):
    xp = current().xp
    n = metric.shape[0]
    position = xp.astype(xp.arange(n, device=current().device), metric.dtype) / float(n)
    return xp.argsort(metric + position * _JITTER, descending=True, stable=True)


def gptq_quantize_matrix(weights_transpose, inv_hessian, *, blocksize=128, group_size=-1,
                         activation_order=False, order_metric=None, compute_scale_zero=None):
    """GPTQ of the `(out, in)` matrix `weights_transpose` with the `(in, in)` inverse
    Hessian `inv_hessian` (see the module docstring).

    Args:
        blocksize: the input rows updated together before the error reaches later rows.
        group_size: the rows sharing a scale and zero point (-1: all of them).
        activation_order: quantize the rows by decreasing `order_metric` (default
            `1 / diag(inv_hessian)`; non-finite values count as 0).
        compute_scale_zero: `(out, k) matrix -> (scale, zero, maxq)` of one group.

    Returns:
        `(quantized, scale, zero, g_idx)`: the int32 levels `(out, in)` in the original
        row order, the scales and zero points `(out, groups)` in the order the groups
        were quantized, and the float32 group position of each row (`row / group_size`
        in quantization order; its integer part is the group).
    """
    backend = current()
    xp = backend.xp
    weights = xp.asarray(_value(weights_transpose), copy=True)
    inverse = _value(inv_hessian)
    in_features = weights.shape[1]
    if activation_order:
        if order_metric is None:
            metric = 1.0 / (xp.linalg.diagonal(inverse) + 1e-12)
        else:
            metric = xp.astype(_value(order_metric), xp.float32)
            metric = xp.where(xp.isfinite(metric), metric, xp.zeros_like(metric))
        perm = _stable_descending_order(metric)
        inverse_perm = xp.argsort(perm, stable=True)
        weights = xp.take(weights, perm, axis=1)
        inverse = xp.take(xp.take(inverse, perm, axis=0), perm, axis=1)
    group = in_features if group_size == -1 else group_size
    quantized = xp.zeros(weights.shape, dtype=xp.int32, device=backend.device)
    scales, zeros = [], []
    for start in range(0, in_features, blocksize):
        end = min(start + blocksize, in_features)
        block = xp.asarray(weights[:, start:end], copy=True)
        errors = xp.zeros_like(block)
        block_inverse = inverse[start:end, start:end]
        for j in range(end - start):
            column = start + j
            if column % group == 0:  # a new group: its parameters from `weights`
                scale, zero, maxq = compute_scale_zero(
                    Tensor(weights[:, column:min(column + group, in_features)]))
                scales.append(_value(scale))
                zeros.append(_value(zero))
            q = _value(quantize_with_zero_point(block[:, j:j + 1], scales[-1], zeros[-1], maxq))
            quantized[:, column:column + 1] = xp.astype(q, xp.int32)
            dequantized = _value(dequantize_with_zero_point(q, scales[-1], zeros[-1]))[:, 0]
            error = (block[:, j] - dequantized) / block_inverse[j, j]
            errors[:, j] = error
            if j + 1 < end - start:
                update = error[:, None] * block_inverse[j:j + 1, j + 1:]
                block[:, j + 1:] = block[:, j + 1:] - update
        if end < in_features:
            weights[:, end:] = weights[:, end:] - errors @ inverse[start:end, end:]
    # row * float32(1 / group), rounded as Keras's float32 division computes it on JAX
    # (7 / 3 gives 2.3333335): saved files hold the same values
    reciprocal = xp.asarray(1.0 / group, dtype=xp.float32, device=backend.device)
    g_idx = xp.astype(xp.arange(in_features, device=backend.device), xp.float32) * reciprocal
    if activation_order:
        g_idx = xp.take(g_idx, inverse_perm, axis=0)
        quantized = xp.take(quantized, inverse_perm, axis=1)
    return (Tensor(quantized), Tensor(xp.concat(scales, axis=1)),
            Tensor(xp.concat(zeros, axis=1)), Tensor(g_idx))


def damped_hessian(hessian, damping):
    """`hessian` with 1 on the diagonal of dead inputs and `damping * mean(diagonal)`
    added to the diagonal."""
    xp = current().xp
    h = xp.asarray(hessian, copy=True)
    n = h.shape[0]
    diagonal = xp.linalg.diagonal(h)
    diagonal = xp.where(diagonal == 0, xp.ones_like(diagonal), diagonal)
    diagonal = diagonal + damping * xp.mean(diagonal)
    eye = xp.eye(n, dtype=xp.bool, device=current().device)
    return xp.where(eye, diagonal[None, :], h)


class GPTQ:
    """The GPTQ state of one `Dense` or `EinsumDense` layer: the running Hessian of its
    inputs (`update_hessian_with_batch`) and the quantization of its kernel seen as a
    `(rows, columns)` matrix (`quantize_and_correct_layer`)."""

    def __init__(self, layer, config):
        from kerasx.quantizers.calibrated_layer import kernel_matrix_shape

        self.original_layer = layer
        self.config = config
        self.rows, self.columns = kernel_matrix_shape(layer)
        backend = current()
        self.hessian = backend.xp.zeros((self.rows, self.rows), dtype=backend.dtype("float32"),
                                        device=backend.device)
        self.num_samples = 0

    def update_hessian_with_batch(self, input_batch):
        """Folds the inputs `(..., rows)` into the running mean `2 / N * sum(x x^T)`."""
        if input_batch is None:
            raise ValueError("Input tensor cannot be None.")
        xp = current().xp
        x = _value(input_batch)
        if len(x.shape) < 2:
            raise ValueError(f"Input tensor must have rank >= 2 (got rank {len(x.shape)}).")
        if 0 in x.shape:
            raise ValueError("Input tensor cannot be empty.")
        x = xp.astype(xp.reshape(x, (-1, x.shape[-1])), xp.float32)
        if x.shape[-1] != self.rows:
            raise ValueError(f"Hessian dimensions ({self.rows}) do not match input features "
                             f"({x.shape[-1]}).")
        gram = x.T @ x
        gram = (gram + gram.T) / 2.0
        total = self.num_samples + x.shape[0]
        if self.num_samples > 0:
            self.hessian = self.hessian * (self.num_samples / total)
        self.hessian = self.hessian + (2.0 / total) * gram
        self.num_samples = total

    def quantize_and_correct_layer(self, blocksize=128):
        """Quantizes the layer's kernel with the accumulated Hessian and stores the
        levels, scales, zero points and group indices in the layer."""
        from kerasx.quantizers.calibrated_layer import store_result

        xp = current().xp
        layer = self.original_layer
        weights = xp.astype(xp.reshape(_value(layer.kernel), (self.rows, self.columns)),
                            xp.float32).T
        hessian = damped_hessian(self.hessian, self.config.hessian_damping)
        inverse = xp.linalg.inv(hessian)
        config = self.config
        dtype = dtype_name(layer.kernel.dtype)

        def scale_zero(matrix):
            return compute_quantization_parameters(
                matrix, bits=config.weight_bits, symmetric=config.symmetric,
                per_channel=config.per_channel, group_size=config.group_size,
                compute_dtype=dtype if dtype.startswith("float") else "float32")

        result = gptq_quantize_matrix(weights, inverse, blocksize=blocksize,
                                      group_size=config.group_size,
                                      activation_order=config.activation_order,
                                      order_metric=xp.linalg.diagonal(hessian),
                                      compute_scale_zero=scale_zero)
        store_result(layer, *result)
