"""Strings and categorical values on the host: the inputs of the lookup, hashing and
text layers become flat Python lists (with their shape), and the integer ids they
compute go to the backend as one array."""

from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.backends import current, host


def flat_values(data, caller):
    """`(values, shape, kind)`: the elements of `data` as a flat Python list in
    row-major order, its shape, and `"string"`, `"int"`, `"float"` or `"bool"`.

    `data` is a Python scalar, string, (nested) list or tuple, a NumPy array or
    a backend array or tensor. Bytes are decoded as UTF-8 (bytes that are not
    UTF-8 stay distinct, and hash as the same bytes, through surrogate escapes).
    """
    if isinstance(data, TensorOps):
        data = data.value
    backend = current()
    if not host.is_host_value(data) and backend.is_native(data):
        data = backend.to_numpy(data)
    try:
        array = host.to_host(data)
    except ValueError:
        raise ValueError(f"{caller}: the input must be rectangular (every row of the same "
                         f"length), received a ragged {type(data).__name__}. Pad the rows to "
                         "one length first.") from None
    shape = tuple(array.shape)
    values = array.reshape(-1).tolist()
    kind = {"U": "string", "S": "string", "i": "int", "u": "int", "f": "float",
            "b": "bool"}.get(array.dtype.kind)
    if kind is None:
        kinds = {_kind_of(v) for v in values}
        if len(kinds) != 1 or None in kinds:
            raise TypeError(f"{caller}: expected strings or integers, received values of types "
                            f"{sorted({type(v).__name__ for v in values})}.")
        kind = kinds.pop()
    if kind == "string":
        values = [v.decode("utf-8", "surrogateescape") if isinstance(v, bytes) else v for v in values]
    return values, shape, kind


def ragged_rows(data):
    """True for a Python list or tuple of rows (lists, tuples or 1-D arrays) that are not
    all of one length: Keras's ragged tensors, which kerasx takes as plain lists."""
    if not isinstance(data, (list, tuple)) or not data:
        return False
    if not all(isinstance(row, (list, tuple))
               or (host.is_host_value(row) and getattr(row, "ndim", 0) == 1) for row in data):
        return False
    return len({len(row) for row in data}) > 1


def _kind_of(value):
    if isinstance(value, (str, bytes)):
        return "string"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    return None


def to_tensor(values, shape, dtype):
    """The flat Python list `values` as a backend tensor of `shape` and `dtype`."""
    backend = current()
    array = backend.asarray(host.to_host(values, dtype=dtype))
    return Tensor(backend.xp.reshape(array, shape))


def to_host_strings(values, shape):
    """The flat list of strings `values` as a NumPy string array of `shape`."""
    return host.to_host(values, dtype=str).reshape(shape)


def as_ints(values, caller):
    """`values` as Python ints (integral floats included), or a clear TypeError."""
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, (int, float)) or v != int(v):
            raise TypeError(f"{caller}: expected integers, received {v!r} "
                            f"({type(v).__name__}).")
        out.append(int(v))
    return out
