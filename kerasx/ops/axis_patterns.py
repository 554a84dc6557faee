"""`rearrange`: einops-style reordering, merging and splitting of axes
(`"b h w c -> b (h w) c"`), as `keras.ops.rearrange`.

A pattern names each input axis (a group `(h1 h)` splits one axis into several), and
the output lists the same names in any order, grouped to merge axes. The op is one
reshape, one transpose and one reshape, so its gradient is theirs.
"""

import re

from kerasx.ops._helpers import value_of
from kerasx.ops.shape import reshape, shape_of, transpose

_TOKEN = re.compile(r"\(([^()]*)\)|([A-Za-z_]\w*)|(\S)")


def rearrange(tensor, pattern, **axes_lengths):
    """Rearranges the axes of `tensor` as `pattern` says; `axes_lengths` gives the sizes
    of split axes that cannot be inferred (`h1=2`).

    `rearrange(images, "b (h h1) (w w1) c -> b h w (c h1 w1)", h1=2, w1=2)` turns
    (32, 30, 40, 3) images into (32, 15, 20, 12) ones (space to depth).
    """
    sides = pattern.split("->")
    if len(sides) != 2:
        raise ValueError(f"rearrange: the pattern must have one '->' between the input and "
                         f"output axes; received {pattern!r}.")
    inputs, outputs = (_groups(side, pattern) for side in sides)
    shape = shape_of(value_of(tensor))
    if len(inputs) != len(shape):
        raise ValueError(f"rearrange: the pattern {pattern!r} names {len(inputs)} input axes, "
                         f"the tensor has {len(shape)} (shape {tuple(shape)}).")
    flat_in = [a for group in inputs for a in group]
    flat_out = [a for group in outputs for a in group]
    if sorted(flat_in) != sorted(flat_out):
        raise ValueError(
            f"rearrange: the output of {pattern!r} must name the same axes as its input; "
            f"only in the input: {sorted(set(flat_in) - set(flat_out))}, only in the output: "
            f"{sorted(set(flat_out) - set(flat_in))}.")
    unknown = sorted(set(axes_lengths) - set(flat_in))
    if unknown:
        raise ValueError(f"rearrange: axes_lengths names axes the pattern {pattern!r} does not "
                         f"have: {unknown}.")
    sizes = {}
    for group, size in zip(inputs, shape):
        sizes.update(_split_sizes(group, size, axes_lengths, pattern))
    x = reshape(tensor, tuple(sizes[a] for a in flat_in))
    x = transpose(x, [flat_in.index(a) for a in flat_out])
    merged = []
    for group in outputs:
        n = 1
        for a in group:
            n *= sizes[a]
        merged.append(n)
    return reshape(x, tuple(merged))


def _groups(side, pattern):
    """The axis names of one side of `pattern`, one list per axis of that side."""
    groups, seen = [], set()
    for match in _TOKEN.finditer(side):
        inner, name, other = match.groups()
        if other is not None:
            raise ValueError(f"rearrange: unexpected {other!r} in the pattern {pattern!r}; "
                             "use axis names, and parentheses to group them.")
        names = inner.split() if inner is not None else [name]
        for n in names:
            if not re.fullmatch(r"[A-Za-z_]\w*", n):
                raise ValueError(f"rearrange: {n!r} in {pattern!r} is not an axis name.")
            if n in seen:
                raise ValueError(f"rearrange: axis {n!r} appears twice on one side of "
                                 f"{pattern!r}.")
            seen.add(n)
        groups.append(names)
    return groups


def _split_sizes(group, size, axes_lengths, pattern):
    """The sizes of the axes of `group`, which together make one input axis of `size`."""
    known = {a: int(axes_lengths[a]) for a in group if a in axes_lengths}
    missing = [a for a in group if a not in known]
    if len(missing) > 1:
        raise ValueError(f"rearrange: cannot infer the sizes of {missing} in {pattern!r}; "
                         f"give all but one of them as keyword arguments.")
    product = 1
    for n in known.values():
        product *= n
    if missing:
        if product <= 0 or size % product:
            raise ValueError(f"rearrange: the axis of size {size} cannot be split into "
                             f"({' '.join(group)}) with {known} in {pattern!r}.")
        known[missing[0]] = size // product
    elif product != size:
        raise ValueError(f"rearrange: ({' '.join(group)}) = {known} in {pattern!r} does not "
                         f"match the axis of size {size}.")
    return known
