"""The AWQ algorithm: the largest input magnitude of each kernel row over the
calibration batches (`AWQ`), then a grid search over row scales `x_max ** ratio`
(`ratio = i / num_grid_points`, normalized by the geometric mean of their extremes)
for the one whose 4-bit rounding of `kernel * scale` loses the least output,
`mean((w - dequantized / scale)**2 * x_max**2)` (`awq_search_optimal_scales`), and
the rounding with it (`awq_quantize_matrix`). The layer divides its dequantized
kernel by the scales at call time. Float32 throughout, as in Keras."""

from kerasx.autodiff.tensor import Tensor
from kerasx.backends import current
from kerasx.quantizers.gptq import (_value, compute_quantization_parameters,
                                    dequantize_with_zero_point, quantize_with_zero_point)


def _rounded(weights, group_size):
    """`(levels, scale, zero, groups)` of the `(out, in)` matrix `weights` in 4 bits,
    asymmetric, per output channel or per group of `group_size` columns."""
    xp = current().xp
    scale, zero, maxq = compute_quantization_parameters(weights, bits=4, per_channel=True,
                                                        group_size=group_size)
    scale, zero = _value(scale), _value(zero)
    groups = None
    if group_size != -1:
        groups = xp.arange(weights.shape[1], device=current().device) // group_size
        scale, zero = xp.take(scale, groups, axis=1), xp.take(zero, groups, axis=1)
    levels = _value(quantize_with_zero_point(weights, scale, zero, maxq))
    return levels, scale, zero, groups


def awq_search_optimal_scales(weights, activation_magnitudes, *, num_grid_points=20,
                              group_size=-1):
    """The row scales `(in,)` of the `(out, in)` matrix `weights` with the least
    activation-weighted rounding error (the first of equal ones)."""
    xp = current().xp
    w = xp.astype(_value(weights), xp.float32)
    x_max = xp.astype(_value(activation_magnitudes), xp.float32)
    x_max = xp.where(x_max < 1e-8, xp.ones_like(x_max), x_max)
    best_loss, best_scales = None, xp.ones_like(x_max)
    for i in range(num_grid_points + 1):
        ratio = i / num_grid_points
        scales = xp.ones_like(x_max) if ratio == 0 else x_max ** ratio
        scales = xp.maximum(scales, 1e-4)
        scales = scales / xp.maximum(xp.sqrt(xp.max(scales) * xp.min(scales)), 1e-8)
        scaled = w * scales
        levels, scale, zero, _ = _rounded(scaled, group_size)
        restored = _value(dequantize_with_zero_point(levels, scale, zero)) / scales
        loss = float(current().to_numpy(xp.mean((w - restored) ** 2 * x_max ** 2)))
        if best_loss is None or loss < best_loss:
            best_loss, best_scales = loss, scales
    return Tensor(best_scales)


def awq_quantize_matrix(weights_transpose, activation_magnitudes, *, num_grid_points=20,
                        group_size=-1):
    """AWQ of the `(out, in)` matrix: `(levels, scale, zero, awq_scales, g_idx)`, the
    levels of `weights * awq_scales` in `[0, 15]`, the scales and zero points
    `(out, groups)`, the row scales `(in,)` and each row's group (float32)."""
    xp = current().xp
    w = xp.astype(_value(weights_transpose), xp.float32)
    awq_scales = _value(awq_search_optimal_scales(w, activation_magnitudes,
                                                  num_grid_points=num_grid_points,
                                                  group_size=group_size))
    scaled = w * awq_scales
    scale, zero, _ = compute_quantization_parameters(scaled, bits=4, per_channel=True,
                                                     group_size=group_size)
    levels, _, _, groups = _rounded(scaled, group_size)
    if groups is None:
        g_idx = xp.zeros((w.shape[1],), dtype=xp.float32, device=current().device)
    else:
        g_idx = xp.astype(groups, xp.float32)
    return Tensor(levels), scale, zero, Tensor(awq_scales), Tensor(g_idx)


class AWQ:
    """The AWQ state of one `Dense` or `EinsumDense` layer: the largest input magnitude
    of each kernel row (`update_activation_magnitudes`) and the quantization of its
    kernel seen as a `(rows, columns)` matrix (`quantize_layer`)."""

    def __init__(self, layer, config):
        from kerasx.quantizers.calibrated_layer import kernel_matrix_shape

        self.original_layer = layer
        self.config = config
        self.rows, self.columns = kernel_matrix_shape(layer, mode="awq")
        backend = current()
        self.activation_magnitudes = backend.xp.zeros((self.rows,), dtype=backend.xp.float32,
                                                      device=backend.device)
        self.num_samples = 0

    def update_activation_magnitudes(self, input_batch):
        """Folds `max(|inputs|)` over all but the last axis into the running maximum."""
        if input_batch is None:
            raise ValueError("Input tensor cannot be None.")
        xp = current().xp
        x = _value(input_batch)
        if 0 in x.shape:
            raise ValueError("Input tensor cannot be empty.")
        x = xp.astype(xp.reshape(x, (-1, x.shape[-1])), xp.float32)
        self.activation_magnitudes = xp.maximum(self.activation_magnitudes,
                                                xp.max(xp.abs(x), axis=0))
        self.num_samples += x.shape[0]

    def quantize_layer(self):
        """Quantizes the layer's kernel and stores the levels, scales, zero points,
        AWQ scales and group indices in the layer."""
        from kerasx.quantizers.calibrated_layer import store_result

        xp = current().xp
        layer = self.original_layer
        weights = xp.reshape(_value(layer.kernel), (self.rows, self.columns)).T
        levels, scale, zero, awq_scales, g_idx = awq_quantize_matrix(
            weights, self.activation_magnitudes, num_grid_points=self.config.num_grid_points,
            group_size=self.config.group_size)
        store_result(layer, levels, scale, zero, g_idx, awq_scales=awq_scales)
