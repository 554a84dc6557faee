"""Filters built on depthwise convolution: `gaussian_blur`, `sobel_edges` and `ssim`."""

import math

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.ops.image._common import data_format_of, floating, images_of


def _gaussian(size, sigma):
    """The normalized 1D Gaussian of `size` taps, as a list of floats."""
    if sigma <= 0:
        raise ValueError(f"ops.image: sigma must be positive, received sigma={sigma!r}.")
    taps = [math.exp(-0.5 * ((i - (size - 1) / 2) / sigma) ** 2) for i in range(size)]
    total = sum(taps)
    return [t / total for t in taps]


def _depthwise(images, kernel_2d, padding, data_format):
    """Each channel of a batch of images filtered by the same 2D kernel (a nested list,
    correlated as a convolution layer does)."""
    channels = images.shape[-1 if data_format == "channels_last" else 1]
    rows, cols = len(kernel_2d), len(kernel_2d[0])
    kernel = ops.cast(ops.convert_to_tensor(kernel_2d), value_of(images).dtype)
    kernel = ops.broadcast_to(ops.reshape(kernel, (rows, cols, 1, 1)), (rows, cols, channels, 1))
    return ops.depthwise_conv(images, kernel, padding=padding, data_format=data_format)


def _int_pair(op, name, value):
    if hasattr(value, "shape"):  # an array or tensor of sizes (`np.array([3, 3])`)
        from kerasx.ops.shape import convert_to_numpy

        value = convert_to_numpy(value).tolist()
    pair = (value, value) if not isinstance(value, (tuple, list)) else tuple(value)
    if len(pair) != 2 or any(isinstance(v, bool) or not hasattr(v, "__index__") or v < 1
                             for v in pair):
        raise ValueError(f"ops.image.{op}: {name} must be a positive int or a pair of them, "
                         f"received {name}={value!r}.")
    return tuple(int(v) for v in pair)


def gaussian_blur(images, kernel_size=(3, 3), sigma=(1.0, 1.0), data_format=None):
    """Blurs images with a Gaussian kernel, zero padding at the edges ("same" size).

    As in Keras, `kernel_size[0]` and `sigma[0]` shape the kernel across the
    width, `kernel_size[1]` and `sigma[1]` down the height.

    Returns:
        The blurred images (integer images give `floatx()`); gradients pass to
        the images.
    """
    size = _int_pair("gaussian_blur", "kernel_size", kernel_size)
    if hasattr(sigma, "shape"):  # an array or tensor (`np.array([0.5, 1.0])`)
        from kerasx.ops.shape import convert_to_numpy

        sigma = convert_to_numpy(sigma).tolist()
    sigma = (sigma, sigma) if not isinstance(sigma, (tuple, list)) else tuple(sigma)
    if len(sigma) != 2:
        raise ValueError(f"ops.image.gaussian_blur: sigma must be a float or a pair, "
                         f"received sigma={sigma!r}.")
    images = floating(images_of("gaussian_blur", images))
    data_format = data_format_of(data_format)
    across, down = _gaussian(size[0], float(sigma[0])), _gaussian(size[1], float(sigma[1]))
    kernel = [[d * a for a in across] for d in down]
    return _batched(images, lambda x: _depthwise(x, kernel, "same", data_format))


def _batched(images, fn):
    if len(images.shape) == 3:
        return ops.squeeze(fn(ops.expand_dims(images, 0)), 0)
    return fn(images)


_SOBEL_X = [[-1.0, 0.0, 1.0], [-2.0, 0.0, 2.0], [-1.0, 0.0, 1.0]]
_SOBEL_Y = [[-1.0, -2.0, -1.0], [0.0, 0.0, 0.0], [1.0, 2.0, 1.0]]


def sobel_edges(images, data_format=None):
    """The vertical and horizontal Sobel responses of a batch of images.

    Zero padding keeps the size (as Keras's JAX and TensorFlow backends do).

    Returns:
        Shape `images.shape + (2,)`: `[..., 0]` is d/dy, `[..., 1]` d/dx.
    """
    images = floating(images_of("sobel_edges", images, ranks=(4,)))
    data_format = data_format_of(data_format)
    dy = _depthwise(images, _SOBEL_Y, "same", data_format)
    dx = _depthwise(images, _SOBEL_X, "same", data_format)
    return ops.stack([dy, dx], axis=-1)


def ssim(image1, image2, max_val=1.0, filter_size=11, filter_sigma=1.5, k1=0.01, k2=0.03,
         data_format=None):
    """The structural similarity of two images (or batches), averaged over the
    Gaussian-weighted windows that fit inside the image ("valid") and the channels.

    Returns:
        One value per image: a scalar for rank-3 inputs, `(batch,)` otherwise.
    """
    image1 = floating(images_of("ssim", image1))
    image2 = floating(images_of("ssim", image2))
    if tuple(image1.shape) != tuple(image2.shape):
        raise ValueError("ops.image.ssim: the two images must have the same shape, received "
                         f"{tuple(image1.shape)} and {tuple(image2.shape)}.")
    data_format = data_format_of(data_format)
    axes = (1, 2) if data_format == "channels_last" else (2, 3)
    rows, cols = (image1.shape[a - 4 + len(image1.shape)] for a in axes)
    if isinstance(filter_size, bool) or not isinstance(filter_size, int) or \
            not 1 <= filter_size <= min(rows, cols):
        raise ValueError(f"ops.image.ssim: filter_size must be an int from 1 to the image's "
                         f"smaller side ({min(rows, cols)}), received "
                         f"filter_size={filter_size!r}.")
    taps = _gaussian(filter_size, float(filter_sigma))
    kernel = [[a * b for b in taps] for a in taps]
    c1, c2 = (k1 * max_val) ** 2, (k2 * max_val) ** 2

    def index(x, y):
        def mean(v):
            return _depthwise(v, kernel, "valid", data_format)

        mu_x, mu_y = mean(x), mean(y)
        mu_xx, mu_yy, mu_xy = mu_x * mu_x, mu_y * mu_y, mu_x * mu_y
        var_x = mean(x * x) - mu_xx
        var_y = mean(y * y) - mu_yy
        cov = mean(x * y) - mu_xy
        score = (2.0 * mu_xy + c1) * (2.0 * cov + c2) / ((mu_xx + mu_yy + c1) *
                                                        (var_x + var_y + c2))
        return ops.mean(score, axis=(1, 2, 3))

    if len(image1.shape) == 3:
        return ops.squeeze(index(ops.expand_dims(image1, 0), ops.expand_dims(image2, 0)), 0)
    return index(image1, image2)
