"""Checks and dtype handling shared by the image ops."""

from kerasx.autodiff.tensor import TensorOps, value_of
from kerasx.backends import current
from kerasx.ops.conv import normalize_data_format
from kerasx.ops.shape import cast, convert_to_tensor


def as_tensor(x):
    """`x` as a Tensor; a Tensor or Variable as it is (a tape may be watching it)."""
    if isinstance(x, TensorOps):
        return x
    from kerasx.ops import _SYMBOLIC_SET

    if type(x) in _SYMBOLIC_SET:
        raise TypeError(f"ops.image functions compute on values, received the symbolic {x}; "
                        "in a functional model wrap the call in layers.Lambda, or use a "
                        "layer (layers.Resizing, layers.RandomRotation, ...).")
    return convert_to_tensor(x)


def images_of(op, images, ranks=(3, 4)):
    """`images` as a Tensor, its rank checked."""
    images = as_tensor(images)
    if len(images.shape) not in ranks:
        wanted = " or ".join(str(r) for r in ranks)
        kinds = " or ".join({3: "rank 3 (single image)", 4: "rank 4 (batch of images)"}.get(
            r, f"rank {r}") for r in ranks)
        raise ValueError(f"ops.image.{op}: Invalid images rank: expected {kinds}. Received "
                         f"input with shape: images.shape={tuple(images.shape)}. Pass images "
                         f"of rank {wanted}.")
    return images


def data_format_of(data_format):
    return normalize_data_format(data_format)


def spatial_axes(rank, data_format):
    """The (height, width) axes of an image tensor of `rank`, channels last or first."""
    return (rank - 3, rank - 2) if data_format == "channels_last" else (rank - 2, rank - 1)


def channel_axis(rank, data_format):
    return rank - 1 if data_format == "channels_last" else rank - 3


def is_integral(x):
    return current().isdtype(value_of(x).dtype, ("integral", "bool"))


def floating(x):
    """`x` itself when it is a float tensor, else cast to `floatx()`."""
    from kerasx.config import floatx

    return cast(x, floatx()) if is_integral(x) else x


def float32_for_bfloat16(x):
    """`x`, or as float32 when it is bfloat16: Keras's NumPy backend samples bfloat16
    images in float32, at float32 coordinates (the op then returns bfloat16)."""
    from kerasx.backends.base import dtype_name

    bfloat16 = dtype_name(getattr(value_of(x), "dtype", "float32")) == "bfloat16"
    return cast(x, "float32") if bfloat16 else x


def saturate_cast(x, dtype, rounding=True):
    """Float `x` as the integer `dtype`: rounded (when `rounding`), clipped to the
    range of `dtype`, then cast, as Keras returns integer images."""
    from kerasx.ops.math import clip, round

    backend = current()
    info = backend.xp.iinfo(dtype)
    if rounding:
        x = round(x)
    return cast(clip(x, float(info.min), float(info.max)), dtype)


def check_choice(op, name, value, choices):
    if value not in choices:
        raise ValueError(f"ops.image.{op}: {name} must be one of {sorted(choices)}, received "
                         f"{name}={value!r}.")
