"""Stand-ins that let the probes of a symbolic op agree with Keras's symbolic shapes.

A call on KerasTensors learns its output shape by running the op on zero-filled
probes, each unknown size (None) filled with a probe size. For ops whose operands'
axes must agree (broadcasting, a contracted axis, the kept axes of a concatenation)
that alone is not enough: `(None, 3) + (2, None)` would probe `(1, 3) + (2, 8)`.
Keras infers `(2, 3)`: an unknown size next to a known one (other than a broadcast 1)
takes the known one. Here the operands' axes that must agree are grouped; in each
group an unknown size becomes the known size, and unknown sizes of one group are
probed with the same size (so they stay unknown in the output, as in Keras).
"""

__all__ = ["aligned_operands"]

from kerasx.utils.shape_args import standardize_shape

_BROADCASTING = frozenset(
    "add subtract multiply divide true_divide divide_no_nan power floor_divide mod fmod "
    "maximum minimum fmax fmin arctan2 hypot heaviside nextafter logaddexp logaddexp2 equal "
    "not_equal greater greater_equal less less_equal logical_and logical_or logical_xor "
    "bitwise_and bitwise_or bitwise_xor bitwise_left_shift bitwise_right_shift left_shift "
    "right_shift gcd lcm ldexp isclose allclose where".split())
_STACKING = {"concatenate": "xs", "vstack": "xs", "hstack": "xs", "dstack": "xs", "stack": "x"}


def aligned_operands(op, bound):
    """`bound` (the op's arguments by name) with each KerasTensor operand replaced by a
    stand-in whose sizes and probe groups follow the op's alignment rule, or `bound`
    itself when the op has no rule or nothing needs changing."""
    from kerasx.layers.core.keras_tensor import KerasTensor

    rule, large, given = _RULES.get(op), _LARGE_PROBES.get(op), _GIVEN_SIZES.get(op)
    if rule is None and large is None and given is None:
        return bound
    operands, rebuild = _operands(op, bound)
    shapes = [_shape_of(v) for v in operands]
    if any(s is None for s in shapes):
        return bound
    try:
        groups = rule(shapes, bound) if rule else []
        overrides = large(shapes[0], bound) if large else {}
        known_sizes = given(shapes[0], bound) if given else {}
    except UnknownOutputCount:
        raise
    except (ValueError, TypeError, IndexError):
        return bound  # arguments the op itself will refuse, with its own message
    if not groups and not overrides and not known_sizes:
        return bound
    shapes[0] = tuple(known_sizes.get(axis, d) for axis, d in enumerate(shapes[0]))
    sizes = [list(s) for s in shapes]
    # which probe size an unknown axis takes: the batch one (0), the other one (1), or
    # `(group, k)`: k times that size
    probe_groups = [[0 if axis == 0 else 1 for axis in range(len(s))] for s in shapes]
    for axis, group in overrides.items():
        probe_groups[0][axis] = group
    # axes that broadcast: a known 1 there says nothing of the other sizes
    broadcast = {node for pair in groups if len(pair) == 3 for node in pair[:2]}
    for members in _union([pair[:2] for pair in groups]):
        known = {shapes[i][a] for i, a in members if shapes[i][a] is not None}
        if broadcast.intersection(members):
            known.discard(1)
        group = min(probe_groups[i][a] for i, a in members)
        for i, a in members:
            if shapes[i][a] is None:
                if len(known) == 1:
                    sizes[i][a] = next(iter(known))
                probe_groups[i][a] = group
    changed = False
    replaced = list(operands)
    for i, value in enumerate(operands):
        default_groups = [0 if axis == 0 else 1 for axis in range(len(sizes[i]))]
        if isinstance(value, KerasTensor) and (tuple(sizes[i]) != value.shape or
                                               probe_groups[i] != default_groups):
            stand_in = KerasTensor(sizes[i], value.dtype, sparse=value.sparse,
                                   record_history=False, name=value.name)
            stand_in._probe_groups = tuple(probe_groups[i])
            mask = getattr(value, "_keras_mask", None)
            if mask is not None:
                stand_in._keras_mask = mask
            replaced[i] = stand_in
            changed = True
    return rebuild(replaced) if changed else bound


def _shape_of(value):
    shape = getattr(value, "shape", None)
    if shape is None:
        return () if isinstance(value, (bool, int, float, complex)) else None
    return tuple(shape)


def _operands(op, bound):
    """The op's tensor operands, and a function that puts replacements back in `bound`."""
    if op in _STACKING:
        key = _STACKING[op]
        xs = bound.get(key)
        if not isinstance(xs, (list, tuple)):
            return [], lambda new: bound
        return list(xs), lambda new: {**bound, key: type(xs)(new)}
    if op == "einsum":
        xs = bound.get("operands") or ()
        return list(xs), lambda new: {**bound, "operands": tuple(new)}
    if op == "select":
        conditions, choices = list(bound.get("condlist")), list(bound.get("choicelist"))
        return conditions + choices, lambda new: {
            **bound, "condlist": type(bound["condlist"])(new[:len(conditions)]),
            "choicelist": type(bound["choicelist"])(new[len(conditions):])}
    if op == "broadcast_to" or op in _LARGE_PROBES or op in _GIVEN_SIZES:
        key = {"diff": "a", "slice": "inputs", "slice_update": "inputs"}.get(
            op, "inputs" if "conv" in op else "data" if op.startswith("segment_") else "x")
        return [bound.get(key)], lambda new: {**bound, key: new[0]}
    keys = [k for k in ("condition", "x1", "x2") if bound.get(k) is not None]
    return [bound[k] for k in keys], lambda new: {**bound, **dict(zip(keys, new))}


def _union(pairs):
    """The connected groups of `(operand, axis)` nodes linked by `pairs`."""
    parent = {}

    def find(node):
        parent.setdefault(node, node)
        while parent[node] != node:
            parent[node] = parent[parent[node]]
            node = parent[node]
        return node

    for a, b in pairs:
        parent[find(a)] = find(b)
    groups = {}
    for node in parent:
        groups.setdefault(find(node), []).append(node)
    return [g for g in groups.values() if len(g) > 1]


def _right_aligned(shapes, indices=None, drop=0):
    """Pairs linking the axes that broadcasting aligns (counted from the last; `drop`
    trailing axes of every operand left out), each marked as broadcasting."""
    indices = range(len(shapes)) if indices is None else indices
    ranks = {i: len(shapes[i]) - drop for i in indices}
    pairs = []
    ordered = list(indices)
    for depth in range(1, max(ranks.values(), default=0) + 1):
        present = [i for i in ordered if ranks[i] >= depth]
        for i in present[1:]:
            pairs.append(((present[0], ranks[present[0]] - depth), (i, ranks[i] - depth),
                          "broadcast"))
    return pairs


def _broadcasting(shapes, bound):
    return _right_aligned(shapes)


def _broadcast_to(shapes, bound):
    target = standardize_shape(bound["shape"])
    shapes.append(target)  # the target's known sizes join the groups, as an operand
    return _right_aligned(shapes)


def _matmul(shapes, bound):
    a, b = shapes
    if not a or not b:
        return []
    pairs = [((0, len(a) - 1), (1, 0 if len(b) == 1 else len(b) - 2))]
    if len(a) > 2 and len(b) > 2:
        pairs += _right_aligned(shapes, drop=2)
    return pairs


def _dot(shapes, bound):
    a, b = shapes
    if not a or not b:
        return []
    return [((0, len(a) - 1), (1, 0 if len(b) == 1 else len(b) - 2))]


def _inner(shapes, bound):
    a, b = shapes
    return [((0, len(a) - 1), (1, len(b) - 1))] if a and b else []


def _tensordot(shapes, bound):
    a, b = shapes
    axes = bound.get("axes", 2)
    if isinstance(axes, int):
        pairs_of_axes = list(zip(range(len(a) - axes, len(a)), range(axes)))
    else:
        first, second = axes
        first = [first] if isinstance(first, int) else list(first)
        second = [second] if isinstance(second, int) else list(second)
        pairs_of_axes = [(i % len(a), j % len(b)) for i, j in zip(first, second)]
    return [((0, i), (1, j)) for i, j in pairs_of_axes]


def _einsum(shapes, bound):
    subscripts = bound.get("subscripts")
    if not isinstance(subscripts, str):
        return []
    inputs = subscripts.replace(" ", "").split("->")[0].split(",")
    if len(inputs) != len(shapes):
        return []
    # `...` stands for the axes no letter names; they broadcast, counted from the last
    spans = [len(s) - len(letters.replace("...", "")) for s, letters in zip(shapes, inputs)]
    first_seen, pairs = {}, []
    for i, letters in enumerate(inputs):
        head, dots, tail = letters.partition("...")
        labels = list(head) + [("...", k - spans[i]) for k in range(spans[i]) if dots] + \
            list(tail)
        if len(labels) != len(shapes[i]):
            return []
        for axis, label in enumerate(labels):
            node = (i, axis)
            if label in first_seen:
                pairs.append((first_seen[label], node) + (("broadcast",) if label[0] == "..."
                                                           else ()))
            else:
                first_seen[label] = node
    return pairs


def _stacking_axis(op, shapes, bound):
    ranks = {len(s) for s in shapes}
    if len(ranks) != 1:
        return None
    rank = ranks.pop()
    if op == "concatenate":
        axis = bound.get("axis", 0)
        return None if axis is None else axis % rank
    # vstack / dstack first give 1-D and 2-D inputs new axes of size 1 to join along, so
    # every axis of such inputs is kept (`rank`: no axis is the joined one)
    if op == "vstack":
        return 0 if rank >= 2 else rank
    if op == "hstack":
        return 0 if rank == 1 else 1
    if op == "dstack":
        return 2 if rank >= 3 else rank
    return -1  # stack: every axis of the operands is kept


def _stacking(op):
    def rule(shapes, bound):
        axis = _stacking_axis(op, shapes, bound)
        if axis is None or len(shapes) < 2:
            return []
        return [((0, a), (i, a)) for i in range(1, len(shapes))
                for a in range(len(shapes[0])) if a != axis]
    return rule


_RULES = {op: _broadcasting for op in _BROADCASTING | {"select"}}
_RULES.update({"broadcast_to": _broadcast_to, "matmul": _matmul, "dot": _dot,
               "inner": _inner, "tensordot": _tensordot, "einsum": _einsum})
_RULES.update({op: _stacking(op) for op in _STACKING})


# Ops whose unknown sizes are probed with the long probe sizes, never 1 or 2: `squeeze`
# would drop an unknown axis probed as 1 (Keras keeps it), a difference or split of
# two rows has nothing left, an integer index past the probe's rows is out of range.
def _every_unknown_axis(shape, bound):
    return {axis: 1 for axis, d in enumerate(shape) if d is None}


def _split_axis(shape, bound, default_axis=0):
    overrides = _every_unknown_axis(shape, bound)
    axis = bound.get("axis", default_axis) % len(shape)
    sections = bound.get("indices_or_sections")
    if isinstance(sections, int) and shape[axis] is None and sections > 0:
        overrides[axis] = (1, sections)  # probe sizes the sections divide
    return overrides


def _getitem(shape, bound):
    key = bound.get("key")
    key = key if isinstance(key, tuple) else (key,)
    overrides, axis = {}, 0
    for item in key:
        if item is None:
            continue  # a new axis: the next item still reads this input axis
        if item is Ellipsis or axis >= len(shape) or not isinstance(item, (int, slice)):
            break  # later items no longer name the axis of their position
        if isinstance(item, int) and not isinstance(item, bool) and shape[axis] is None:
            overrides[axis] = 1
        axis += 1
    return overrides


_LARGE_PROBES = {"squeeze": _every_unknown_axis, "diff": _every_unknown_axis,
                 "split": _split_axis, "array_split": _every_unknown_axis,
                 "hsplit": lambda s, b: _split_axis(s, {**b, "axis": 0 if len(s) == 1 else 1}),
                 "vsplit": lambda s, b: _split_axis(s, {**b, "axis": 0}),
                 "dsplit": lambda s, b: _split_axis(s, {**b, "axis": 2}),
                 "getitem": _getitem, "slice": _every_unknown_axis,
                 "slice_update": _every_unknown_axis}


def _unstack_size(shape, bound):
    """`unstack(x, num, axis)` on an unknown axis: `num` is its size (Keras's rule); without
    `num` the number of outputs is unknown, which Keras refuses."""
    axis = bound.get("axis", 0) % len(shape)
    if shape[axis] is not None:
        return {}
    if bound.get("num") is None:
        raise UnknownOutputCount(
            f"Cannot infer argument `num` from shape {shape}. Either provide a tensor with a "
            "concrete shape in the `axis` dimension or explicitly pass the `num` argument.")
    return {axis: bound["num"]}


class UnknownOutputCount(ValueError):
    """A symbolic call whose number of outputs depends on an unknown size."""


def _repeat_size(shape, bound):
    """`repeat(x, counts, axis)` with one count per entry of an unknown axis: there are
    as many entries as counts."""
    counts, axis = bound.get("repeats"), bound.get("axis")
    if axis is None or not isinstance(counts, (list, tuple)) or len(counts) < 2:
        return {}
    axis %= len(shape)
    return {axis: len(counts)} if shape[axis] is None else {}


def _conv_channels(kernel_key, kernel_axis):
    """`conv(inputs, kernel)` on inputs of unknown channels: the kernel's input channels
    (times the groups) are the inputs' channels."""
    def sizes(shape, bound):
        from kerasx.ops.conv import normalize_data_format

        kernel_shape = _shape_of(bound.get(kernel_key))
        if not kernel_shape or len(kernel_shape) != len(shape):
            return {}
        channels_last = normalize_data_format(bound.get("data_format")) == "channels_last"
        axis = len(shape) - 1 if channels_last else 1
        given = kernel_shape[kernel_axis]
        if shape[axis] is not None or given is None:
            return {}
        return {axis: given * (bound.get("groups") or 1)}
    return sizes


_GIVEN_SIZES = {"unstack": _unstack_size, "repeat": _repeat_size,
                "conv": _conv_channels("kernel", -2),
                "depthwise_conv": _conv_channels("kernel", -2),
                "separable_conv": _conv_channels("depthwise_kernel", -2),
                "conv_transpose": _conv_channels("kernel", -1)}


def _segment_rows(shape, bound):
    """`segment_sum(data, segment_ids)` on data of unknown rows: one row per id."""
    ids_shape = _shape_of(bound.get("segment_ids"))
    if shape and shape[0] is None and ids_shape and len(ids_shape) == 1 and ids_shape[0]:
        return {0: ids_shape[0]}
    return {}


_GIVEN_SIZES.update({f"segment_{kind}": _segment_rows for kind in ("sum", "max", "min", "prod")})
