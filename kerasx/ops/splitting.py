"""Splitting into parts: `array_split` (uneven parts allowed), `hsplit`, `vsplit`,
`dsplit`."""

from kerasx.ops._helpers import axis_out_of_bounds, shape_of, value_of
from kerasx.ops.shape import convert_to_tensor, split


def _as_array(x):
    return x if hasattr(value_of(x), "shape") else convert_to_tensor(value_of(x))


def _axis_size(name, x, axis):
    shape = shape_of(value_of(x))
    if not -len(shape) <= axis < len(shape):
        raise axis_out_of_bounds(name, axis, shape)
    return shape[axis]


def array_split(x, indices_or_sections, axis=0):
    """`x` split along `axis` into `indices_or_sections` parts (an int: the first
    `n % sections` parts one longer than the rest, as `numpy.array_split`) or at the
    given indices."""
    x = _as_array(x)
    n = _axis_size("array_split", x, axis)
    if isinstance(indices_or_sections, int) and not isinstance(indices_or_sections, bool):
        sections = indices_or_sections
        if sections <= 0:
            raise ValueError(f"array_split: the number of sections must be positive, received "
                             f"{sections}.")
        size, extra = divmod(n, sections)
        bounds, at = [], 0
        for i in range(sections - 1):
            at += size + (1 if i < extra else 0)
            bounds.append(at)
        return split(x, bounds, axis=axis)
    return split(x, [int(i) for i in indices_or_sections], axis=axis)


def _even_split(name, x, indices_or_sections, axis):
    n = _axis_size(name, x, axis)
    if isinstance(indices_or_sections, int) and not isinstance(indices_or_sections, bool):
        if indices_or_sections <= 0 or n % indices_or_sections:
            raise ValueError(f"{name}: an axis of size {n} cannot be split into "
                             f"{indices_or_sections} equal parts; use array_split for uneven "
                             f"parts.")
        return split(x, indices_or_sections, axis=axis)
    return split(x, [int(i) for i in indices_or_sections], axis=axis)


def hsplit(x, indices_or_sections):
    """Splits along the second axis (the first for 1-D input) into equal parts or at
    the given indices."""
    x = _as_array(x)
    nd = len(shape_of(value_of(x)))
    if nd == 0:
        raise ValueError("hsplit expects an input of rank 1 or more, received a scalar.")
    return _even_split("hsplit", x, indices_or_sections, 0 if nd == 1 else 1)


def vsplit(x, indices_or_sections):
    """Splits along the first axis (rank 2 or more) into equal parts or at the given
    indices."""
    x = _as_array(x)
    if len(shape_of(value_of(x))) < 2:
        raise ValueError(f"vsplit expects an input of rank 2 or more, received shape "
                         f"{shape_of(value_of(x))}.")
    return _even_split("vsplit", x, indices_or_sections, 0)


def dsplit(x, indices_or_sections):
    """Splits along the third axis (rank 3 or more) into equal parts or at the given
    indices."""
    x = _as_array(x)
    if len(shape_of(value_of(x))) < 3:
        raise ValueError(f"dsplit expects an input of rank 3 or more, received shape "
                         f"{shape_of(value_of(x))}.")
    return _even_split("dsplit", x, indices_or_sections, 2)
