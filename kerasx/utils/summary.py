"""`model.summary()`: Keras's table of layers, output shapes and parameter counts."""

import math


def _format_shape(shape):
    if shape is None:
        return "?"
    if isinstance(shape, list):
        return ", ".join(_format_shape(s) for s in shape)
    return "(" + ", ".join("None" if d is None else str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def _format_bytes(n):
    for unit, size in (("GB", 1024 ** 3), ("MB", 1024 ** 2), ("KB", 1024)):
        if n >= size:
            return f"{n / size:.2f} {unit}"
    return f"{n:.2f} B"


def _count(weights):
    return sum(math.prod(w.shape) for w in weights)


def _bytes(weights):
    return sum(math.prod(w.shape) * (8 if w.dtype.endswith("64") else 4 if w.dtype != "bool" else 1)
               for w in weights)


def print_summary(model, line_length=None, print_fn=None, show_trainable=False):
    """Prints (or passes line by line to `print_fn`) the summary table of `model`."""
    from kerasx.layers.core.input_layer import InputLayer

    print_fn = print_fn or (lambda line: print(line))
    columns = ["Layer (type)", "Output Shape", "Param #"]
    widths = [31, 24, 13]
    if line_length:
        scale = (line_length - 4) / (sum(widths) + 6)
        widths = [max(12, int(w * scale)) for w in widths]
    rows = []
    for layer in model.layers:
        if isinstance(layer, InputLayer):
            shape = layer.batch_shape
        else:
            shape = getattr(layer, "_output_shape", None)
        params = layer.count_params() if layer.built else 0
        name = f"{layer.name} ({type(layer).__name__})"
        shape_text = _format_shape(shape) if layer.built or shape is not None else "?"
        rows.append([name, shape_text, f"{params:,}" if layer.built else "0 (unbuilt)"])
        if show_trainable:
            rows[-1].append("Y" if layer.trainable else "N")
    if show_trainable:
        columns.append("Trainable")
        widths.append(9)

    def line(left, mid, right, fill):
        return left + mid.join(fill * (w + 2) for w in widths) + right

    def row(cells, sep="│"):
        parts = []
        for i, (cell, w) in enumerate(zip(cells, widths)):
            text = cell if len(cell) <= w else cell[:w - 1] + "…"
            parts.append(f" {text:>{w}} " if i == 2 else f" {text:<{w}} ")
        return sep + sep.join(parts) + sep

    print_fn(f'Model: "{model.name}"')
    print_fn(line("┏", "┳", "┓", "━"))
    print_fn(row(columns, "┃"))
    print_fn(line("┡", "╇", "┩", "━"))
    for i, cells in enumerate(rows):
        print_fn(row(cells))
        if i < len(rows) - 1:
            print_fn(line("├", "┼", "┤", "─"))
    print_fn(line("└", "┴", "┘", "─"))
    trainable = model.trainable_weights
    non_trainable = model.non_trainable_weights
    total = trainable + non_trainable
    print_fn(f" Total params: {_count(total):,} ({_format_bytes(_bytes(total))})")
    print_fn(f" Trainable params: {_count(trainable):,} ({_format_bytes(_bytes(trainable))})")
    print_fn(f" Non-trainable params: {_count(non_trainable):,} ({_format_bytes(_bytes(non_trainable))})")
    optimizer = getattr(model, "optimizer", None)
    if optimizer is not None and optimizer.variables:
        print_fn(f" Optimizer params: {_count(optimizer.variables):,} "
                 f"({_format_bytes(_bytes(optimizer.variables))})")
