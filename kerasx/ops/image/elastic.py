"""`elastic_transform`: images displaced by smooth random fields."""

from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.ops.image._common import check_choice, data_format_of, floating, images_of
from kerasx.ops.image.filters import gaussian_blur
from kerasx.ops.image.sampling import FILL_MODES
from kerasx.ops.image.warps import (INTERPOLATIONS, batched_channels_last, restore,
                                     sample_images)


def elastic_transform(images, alpha=20.0, sigma=5.0, interpolation="bilinear",
                      fill_mode="reflect", fill_value=0.0, seed=None, data_format=None):
    """Displaces every pixel by a smooth random field.

    Two fields of standard normal values times `sigma` (one per image, for the
    rows and the columns) are blurred by a Gaussian of width `sigma` (kernel
    `int(6 sigma) | 1` pixels, zero padding); output pixel `(y, x)` samples
    the input at `(y + alpha * dy, x + alpha * dx)`. (Keras's JAX backend
    draws the two fields from one seed, so they are equal there; they are
    independent here, as on Keras's NumPy backend.)

    Args:
        images: one image (rank 3) or a batch (rank 4).
        alpha: the strength of the displacement.
        sigma: the smoothness (and scale) of the fields; positive.
        interpolation: `"bilinear"` or `"nearest"`.
        fill_mode: `"reflect"`, `"constant"`, `"nearest"`, `"wrap"` or
            `"mirror"` (see `map_coordinates`).
        fill_value: the value of `"constant"` filling.
        seed: None, an int or a `kerasx.random.SeedGenerator`.
        data_format: `"channels_last"` (default: `image_data_format()`) or
            `"channels_first"`.

    Returns:
        The displaced images, in their dtype; gradients pass to the images.
    """
    from kerasx import random

    check_choice("elastic_transform", "interpolation", interpolation, INTERPOLATIONS)
    check_choice("elastic_transform", "fill_mode", fill_mode, FILL_MODES)
    if not float(sigma) > 0:
        raise ValueError(f"ops.image.elastic_transform: sigma must be positive, received "
                         f"sigma={sigma!r}.")
    images = images_of("elastic_transform", images)
    data_format = data_format_of(data_format)
    x, unbatched = batched_channels_last(floating(images), data_format)
    dtype = value_of(x).dtype
    batch, height, width, _ = x.shape
    fields = random.normal((2 * batch, height, width, 1), stddev=float(sigma), seed=seed,
                           dtype="float64")
    size = int(6 * float(sigma)) | 1
    fields = value_of(gaussian_blur(fields, (size, size), (float(sigma), float(sigma)),
                                    data_format="channels_last"))
    backend = current()
    xp = backend.xp
    rows = xp.reshape(xp.arange(height, dtype=fields.dtype, device=backend.device),
                      (1, height, 1, 1))
    cols = xp.reshape(xp.arange(width, dtype=fields.dtype, device=backend.device),
                      (1, 1, width, 1))
    y_in = xp.astype(rows + float(alpha) * fields[:batch, ...], dtype)
    x_in = xp.astype(cols + float(alpha) * fields[batch:, ...], dtype)
    out = sample_images(x, y_in, x_in, INTERPOLATIONS[interpolation], fill_mode, fill_value)
    return restore(out, images, unbatched, data_format)
