"""`pack_int4` / `unpack_int4`: two 4-bit integers per byte, as Keras stores int4
weights (the first of each pair in the low nibble, the second in the high one)."""

from kerasx import ops
from kerasx.autodiff.tensor import Tensor
from kerasx.backends import current
from kerasx.backends.base import dtype_name


def pack_int4(arr, axis=0, dtype="int8"):
    """Packs int4 values (int8 in [-8, 7], or uint8 in [0, 15]) in pairs along `axis`
    (padded with a zero to an even length).

    Returns:
        `(packed, packed_shape, orig_len)`: the packed tensor of `dtype`, its shape,
        and the length of `axis` before padding (for `unpack_int4`).
    """
    _check_dtype(dtype)
    arr = ops.convert_to_tensor(arr)
    if dtype_name(arr.dtype) != dtype:
        raise TypeError(f"Expected {dtype} tensor for packing, got {dtype_name(arr.dtype)}.")
    backend = current()
    xp = backend.xp
    rank = len(arr.shape)
    axis = axis + rank if axis < 0 else axis
    values = xp.moveaxis(xp.astype(arr.value, xp.int32), axis, 0)
    length = values.shape[0]
    if length % 2:
        values = xp.concat([values, xp.zeros_like(values[:1, ...])], axis=0)
    low = xp.bitwise_and(values[0::2, ...], 0x0F)
    high = xp.bitwise_and(values[1::2, ...], 0x0F)
    packed = xp.bitwise_or(low, xp.bitwise_left_shift(high, 4))
    if dtype == "int8":
        packed = xp.where(packed > 127, packed - 256, packed)  # the byte read as signed
    packed = xp.moveaxis(xp.astype(packed, backend.dtype(dtype)), 0, axis)
    return Tensor(packed), tuple(packed.shape), length


def unpack_int4(packed, orig_len, axis=0, dtype="int8"):
    """The inverse of `pack_int4`: each byte of `packed` (int8 or uint8) split into its
    two nibbles along `axis`, signed to [-8, 7] for `dtype="int8"`, the padding dropped
    so that `axis` has length `orig_len` again."""
    _check_dtype(dtype)
    packed = ops.convert_to_tensor(packed)
    if dtype_name(packed.dtype) not in ("int8", "uint8"):
        raise TypeError(f"Expected int8 or uint8 tensor for unpacking, got "
                        f"{dtype_name(packed.dtype)}.")
    backend = current()
    xp = backend.xp
    rank = len(packed.shape)
    axis = axis + rank if axis < 0 else axis
    values = xp.moveaxis(xp.astype(packed.value, xp.int32), axis, 0)
    low = xp.bitwise_and(values, 0x0F)
    high = xp.bitwise_and(xp.bitwise_right_shift(values, 4), 0x0F)
    if dtype == "int8":
        low = xp.bitwise_xor(low, 8) - 8
        high = xp.bitwise_xor(high, 8) - 8
    pairs = xp.stack([low, high], axis=1)
    unpacked = xp.reshape(pairs, (-1,) + tuple(values.shape[1:]))[:orig_len, ...]
    return Tensor(xp.moveaxis(xp.astype(unpacked, backend.dtype(dtype)), 0, axis))


def _check_dtype(dtype):
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
