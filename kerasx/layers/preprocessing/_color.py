"""Helpers shared by the colour augmentation layers: channel checks, HSV planes,
blending, per-image switches and fixed-width histograms."""

from kerasx import ops
from kerasx.autodiff.tensor import value_of
from kerasx.backends import current
from kerasx.layers.preprocessing import _augment


def channel_axis(rank, data_format):
    return rank - 1 if data_format == "channels_last" else rank - 3


def check_rgb(layer, images, data_format):
    """Refuses images without exactly 3 (RGB) channels."""
    axis = channel_axis(len(images.shape), data_format)
    if images.shape[axis] != 3:
        raise ValueError(
            f"{type(layer).__name__} layer {layer.name!r} expects RGB images with 3 channels "
            f"on axis {axis} ({data_format}), received input of shape {tuple(images.shape)}. "
            "Check data_format, or convert grayscale images to RGB first.")


def planes(images, axis):
    """The three channels of `images` along `axis`, each without that axis."""
    out = []
    for c in range(3):
        key = [slice(None)] * len(images.shape)
        key[axis] = c
        out.append(images[tuple(key)])
    return out


def per_plane(values, plane):
    """One value per image shaped to broadcast against a plane (images without their
    channel axis: rank 3 for a batch, rank 2 for one image)."""
    values = ops.cast(ops.convert_to_tensor(values), value_of(plane).dtype)
    return ops.reshape(values, (-1, 1, 1) if len(plane.shape) == 3 else (1, 1))


def blend(images, other, factors):
    """`images + factors * (other - images)`, one factor per image."""
    return ops.add(images, ops.multiply(_augment.per_image(factors, images),
                                        ops.subtract(other, images)))


def choose(apply, changed, images):
    """`changed` for the images whose entry of the boolean `apply` is True, else
    `images`."""
    shape = (-1, 1, 1, 1) if len(images.shape) == 4 else (1, 1, 1)
    where = ops.reshape(ops.convert_to_tensor(current().asarray(apply)), shape)
    return ops.where(where, changed, images)


def clip_to(images, value_range):
    low, high = sorted(value_range)
    return ops.clip(images, float(low), float(high))


def histogram(indices, bins):
    """Counts of `0 .. bins - 1` in the integer backend array `indices` (any shape),
    by sorting and binary search (memory linear in the number of values)."""
    backend = current()
    xp = backend.xp
    ordered = xp.sort(xp.reshape(indices, (-1,)))
    edges = xp.arange(bins + 1, dtype=ordered.dtype, device=backend.device)
    positions = xp.searchsorted(ordered, edges, side="left")
    return positions[1:] - positions[:-1]


def unit_pair(layer, name, value):
    """Keras's reading of a number or pair in [0, 1] where a number `f` means
    `(0, f)` (the lower end clipped at 0)."""
    return _augment.factor_pair(layer, name, value, 0.0, 1.0)
