"""`model.summary()`: Keras's table of layers, output shapes and parameter counts."""

import math
import re
import shutil

from kerasx.utils.messages import print_msg

_DTYPE_BITS = {"float64": 64, "int64": 64, "uint64": 64, "float32": 32, "int32": 32,
               "uint32": 32, "int16": 16, "uint16": 16, "float16": 16, "bfloat16": 16,
               "int8": 8, "uint8": 8, "bool": 8}


def count_params(weights):
    """The number of scalars in `weights` (each variable counted once)."""
    unique = {id(w): w for w in weights}.values()
    return int(sum(math.prod(w.shape) for w in unique))


def weight_memory_size(weights):
    """The memory taken by `weights`, in bytes (each variable counted once)."""
    unique = {id(w): w for w in weights}.values()
    return sum(math.prod(w.shape) * _DTYPE_BITS.get(str(w.dtype), 32) for w in unique) / 8


def readable_memory_size(size):
    """`712.00 B`, `1.39 KB`, ... (powers of 1024, as Keras prints them)."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if size / 1024 < 1:
            return f"{size:.2f} {unit}"
        size /= 1024
    return f"{size:.2f} PB"


def format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, dict):
        return "{" + ", ".join(f"{k}: {format_shape(v)}" for k, v in shape.items()) + "}"
    nested = isinstance(shape, tuple) and shape and isinstance(shape[0], (tuple, list))
    if isinstance(shape, list) or nested:
        return "[" + ", ".join(format_shape(s) for s in shape) + "]"
    return "(" + ", ".join(str(d) for d in shape) + ")"


def print_summary(model, line_length=None, positions=None, print_fn=None, expand_nested=False,
                  show_trainable=False, layer_range=None):
    """Prints a summary of `model`: one row per layer, then the parameter totals.

    Args:
        model: the model.
        line_length: the width of the table (default 88, or 108 for a model with
            branches, capped at the terminal width minus 4).
        positions: relative (<= 1) or absolute right edges of the columns.
        print_fn: called once with the whole summary text (default: standard output, or
            the `"kerasx"` logger when interactive logging is off).
        expand_nested: also list the layers inside nested models.
        show_trainable: add a column saying whether each layer is trainable.
        layer_range: `[first, last]` layer names (regexes) limiting the rows shown.
    """
    sequential_like, connections = _structure(model)
    if sequential_like:
        default_length, default_positions = 88, [0.45, 0.80, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #"]
        align = ["left", "left", "right"]
    else:
        default_length, default_positions = 108, [0.3, 0.56, 0.74, 1.0]
        header = ["Layer (type)", "Output Shape", "Param #", "Connected to"]
        align = ["left", "left", "right", "left"]
    positions = list(positions or default_positions)
    if show_trainable:
        default_length += 12
        positions = [p * 0.90 for p in positions] + [1.0]
        header.append("Trainable")
        align.append("center")
    default_length = min(default_length, shutil.get_terminal_size().columns - 4)
    line_length = line_length or default_length
    if positions[-1] <= 1:
        positions = [int(line_length * p) for p in positions]
    # as Keras: positions past the table's columns are ignored
    widths = _column_widths(positions[:len(header)], line_length)

    layers = _visible_layers(model)
    start, stop = _layer_range(layers, layer_range)
    rows = []
    for layer in layers[start:stop]:
        rows.extend(_layer_rows(layer, sequential_like, connections, show_trainable, expand_nested))

    lines = [f'Model: "{model.name}"']
    lines += _table(header, align, rows, widths)
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    optimizer = getattr(model, "optimizer", None)
    # as Keras: an optimizer counts once it is built (its first step, or `build`)
    optimizer_vars = list(getattr(optimizer, "variables", None) or []) if optimizer is not None \
        and getattr(model, "compiled", False) and getattr(optimizer, "built", False) else []
    counts = [count_params(trainable), count_params(non_trainable), count_params(optimizer_vars)]
    sizes = [weight_memory_size(trainable), weight_memory_size(non_trainable),
             weight_memory_size(optimizer_vars)]
    lines.append(f" Total params: {sum(counts):,} ({readable_memory_size(sum(sizes))})")
    lines.append(f" Trainable params: {counts[0]:,} ({readable_memory_size(sizes[0])})")
    lines.append(f" Non-trainable params: {counts[1]:,} ({readable_memory_size(sizes[1])})")
    if optimizer_vars:
        lines.append(f" Optimizer params: {counts[2]:,} ({readable_memory_size(sizes[2])})")
    text = "\n".join(lines) + "\n"
    if print_fn is None:
        print_msg(text, line_break=False)
    else:
        print_fn(text)


def _column_widths(edges, line_length):
    """Cell widths (padding included) that fit the table in `line_length` columns."""
    widths, previous = [], 0
    for edge in edges:
        width = int(edge) - previous
        if width < 4:
            raise ValueError(
                f"Insufficient console width to print summary: line_length={line_length} gives a "
                f"column of {width} characters. Use a larger line_length."
            )
        widths.append(width)
        previous += width
    cells = [w + 2 for w in widths]
    available = line_length - (len(cells) + 1)
    excess = sum(cells) - available
    if excess > 0:  # shrink every column evenly, as rich does
        remaining, ratio_left, reduced = excess, len(cells), []
        for cell in cells:
            cut = min(cell, round(remaining / ratio_left))
            reduced.append(cell - cut)
            remaining -= cut
            ratio_left -= 1
        cells = reduced
    elif excess < 0:  # a table narrower than line_length widens, as rich's fixed-width table
        cells = _distribute(-excess, cells)
    return cells


def _distribute(total, cells):
    """`cells` widened by `total` characters in proportion to their widths (rich's rule)."""
    ratio_left, widened = sum(cells), []
    for cell in cells:
        extra = -(-cell * total // ratio_left)
        widened.append(cell + extra)
        ratio_left -= cell
        total -= extra
    return widened


def _visible_layers(model):
    """The rows' layers: a functional model's operations too (`x + y`, `ops.*` calls),
    as Keras lists them."""
    from kerasx.models.functional import Functional
    from kerasx.models.sequential import Sequential

    if isinstance(model, Functional):
        return list(model.operations)
    layers = getattr(model, "layers", [])
    if isinstance(model, Sequential):
        from kerasx.layers.core.input_layer import InputLayer

        layers = [l for l in layers if not isinstance(l, InputLayer)]
    return list(layers)


def _structure(model):
    """(sequential_like, {layer id: "name[0][i], ..."}) for the model's call graph."""
    nodes = getattr(model, "_nodes", None)
    if not nodes:
        return True, {}
    sequential_like = _one_node_per_depth(nodes, getattr(model, "_input_aliases", {}))
    from kerasx.utils.summary_functional import connected_to, layer_connections

    column = connected_to(model) or []
    connections = dict(zip(map(id, _visible_layers(model)), column))
    if column:  # rows of nested layers (expand_nested) show their calls in this graph
        for layer in model._flatten_layers():
            if id(layer) not in connections:
                connections[id(layer)] = layer_connections(model, layer)
    return sequential_like, connections


def _one_node_per_depth(nodes, aliases):
    """Keras's test for a plain table without "Connected to": each depth of the graph
    (counted from the outputs) holds one call of one input, and no layer is called twice.
    A model that also returns an intermediate tensor is still sequential-like, and so is
    one whose input is an intermediate tensor (read through its input alias, `aliases`)."""
    producer = {id(t): node for node in nodes for t in node.output_tensors()}
    depth_of_node, depth_of_layer = {}, {}
    for node in reversed(nodes):
        depth = max(depth_of_node.setdefault(id(node), 0), depth_of_layer.get(id(node.layer), 0))
        depth_of_layer[id(node.layer)] = depth_of_node[id(node)] = depth
        for t in node.input_tensors():
            parent = producer.get(id(aliases.get(id(t), t)))
            if parent is not None:
                depth_of_node[id(parent)] = max(depth + 1, depth_of_node.get(id(parent), 0))
    depths = list(depth_of_node.values())
    layers = [id(node.layer) for node in nodes]
    return (len(set(depths)) == len(depths) and len(set(layers)) == len(layers)
            and all(len(node.input_tensors()) <= 1 for node in nodes))


def _output_shape(layer):
    from kerasx.layers.core.input_layer import InputLayer

    if isinstance(layer, InputLayer):
        return layer.batch_shape
    shape = getattr(layer, "_output_shape", None)
    if shape is not None:
        return shape
    if getattr(layer, "_nodes", None) and getattr(layer, "outputs", None):
        # a functional model called eagerly (inside a subclassed one) has its own outputs
        shapes = [tuple(t.shape) for t in layer.outputs]
        if len(shapes) == 1:
            return shapes[0]
        # Keras prints the flat tuple of its own node's outputs: "((None, 2), (None, 2))"
        return "(" + ", ".join(format_shape(s) for s in shapes) + ")"
    # as Keras: the shape(s) a layer was built with (none for one built at construction);
    # layers built on several inputs (attention) keep them by argument name
    if not getattr(layer, "built", False) or not _has_output_shape_rule(layer):
        return None
    shapes = getattr(layer, "_build_shapes", None)
    try:
        if isinstance(shapes, dict) and shapes:
            return layer.compute_output_shape(**shapes)
        if getattr(layer, "_build_shape", None) is not None:
            return layer.compute_output_shape(layer._build_shape)
    except Exception:
        return None
    return None


def _has_output_shape_rule(layer):
    """Whether Keras could compute `layer`'s output shape from its build shape: its own
    layers all can, a custom layer only through its own `compute_output_shape` (Keras's
    base one raises, and its summary shows "?")."""
    from kerasx.layers.layer import Layer

    cls = type(layer)
    return cls.compute_output_shape is not Layer.compute_output_shape \
        or cls.__module__.startswith("kerasx.")


def _layer_rows(layer, sequential_like, connections, show_trainable, expand_nested, level=0):
    prefix = "   " * level + "└ " if level else ""
    shape = _output_shape(layer)
    shape_text = ("?" if shape is None else shape if isinstance(shape, str)
                  else format_shape(_plain(shape)))
    params = f"{layer.count_params():,}" if getattr(layer, "built", True) else "0 (unbuilt)"
    row = [f"{prefix}{layer.name} ({_type_name(layer)})", shape_text, params]
    if not sequential_like:
        row.append(connections.get(id(layer), "-"))
    if show_trainable:
        row.append(("Y" if layer.trainable else "N") if layer.weights else "-")
    rows = [row]
    if expand_nested and hasattr(layer, "compile") and getattr(layer, "layers", None):
        for sub in _visible_layers(layer):
            rows.extend(_layer_rows(sub, sequential_like, connections, show_trainable,
                                    expand_nested, level + 1))
    return rows


def _type_name(layer):
    """The class Keras shows: an operation node by its operation (`Add`, `Mean`)."""
    from kerasx.layers.core.op_layer import OpLayer, keras_class_name

    return keras_class_name(layer.op) if isinstance(layer, OpLayer) else type(layer).__name__


def _plain(shape):
    if isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape):
        return tuple(None if d is None else int(d) for d in shape)
    if isinstance(shape, (list, tuple)):
        return [_plain(s) for s in shape]
    if isinstance(shape, dict):
        return {k: _plain(v) for k, v in shape.items()}
    return shape


def _layer_range(layers, layer_range):
    if layer_range is None:
        return 0, len(layers)
    if len(layer_range) != 2 or not all(isinstance(n, str) for n in layer_range):
        raise ValueError(
            f"layer_range must be a list or tuple of two layer names (or regexes), received "
            f"{layer_range!r}."
        )
    lower = [i for i, l in enumerate(layers) if re.match(layer_range[0], l.name)]
    upper = [i for i, l in enumerate(layers) if re.match(layer_range[1], l.name)]
    if not lower or not upper:
        raise ValueError(
            f"layer_range {list(layer_range)} does not match the layer names of the model: "
            f"{[l.name for l in layers]}."
        )
    if min(lower) > max(upper):
        return min(upper), max(lower) + 1
    return min(lower), max(upper) + 1


def _wrap(text, width):
    """`text` in lines of at most `width` characters, broken at spaces; a word longer
    than a line is cut short with an ellipsis, as Keras's tables do."""
    lines, line = [], None
    for word in text.split(" "):
        if len(word) > width:
            word = word[:width - 1] + "…"
        if line is None:
            line = word
        elif len(line) + 1 + len(word) <= width:
            line += " " + word
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def _table(header, align, rows, cells):
    contents = [c - 2 for c in cells]

    def render(values, left, sep, right, bottom=False):
        wrapped = [_wrap(str(v), w) for v, w in zip(values, contents)]
        height = max(len(w) for w in wrapped)
        if bottom:  # header cells sit on the header's last line, as in Keras's tables
            wrapped = [[""] * (height - len(w)) + w for w in wrapped]
        out = []
        for i in range(height):
            parts = []
            for lines, w, a in zip(wrapped, contents, align):
                text = lines[i] if i < len(lines) else ""
                if a == "right":
                    text = text.rjust(w)
                elif a == "center":
                    text = text.center(w)
                else:
                    text = text.ljust(w)
                parts.append(f" {text} ")
            out.append(left + sep.join(parts) + right)
        return out

    def rule(left, mid, right, fill):
        return left + mid.join(fill * c for c in cells) + right

    lines = [rule("┏", "┳", "┓", "━")]
    lines += render(header, "┃", "┃", "┃", bottom=True)
    lines.append(rule("┡", "╇", "┩", "━"))
    for i, row in enumerate(rows):
        lines += render(row, "│", "│", "│")
        if i < len(rows) - 1:
            lines.append(rule("├", "┼", "┤", "─"))
    lines.append(rule("└", "┴", "┘", "─"))
    return lines
