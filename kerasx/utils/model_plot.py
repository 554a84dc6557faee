"""`model_to_dot` and `plot_model`: a model's layer graph as a Graphviz drawing.

The DOT text is built here (see `dot_graph`), so neither pydot nor Graphviz is
needed to get it; only rendering an image runs Graphviz's `dot` program.
"""

import html
import os
import shutil
import sys

from kerasx.utils.dot_graph import _GRAPHVIZ_HINT, DotEdge, DotGraph, DotNode

_TEXT_FORMATS = ("dot", "gv", "raw")


def model_to_dot(model, show_shapes=False, show_dtype=False, show_layer_names=True,
                 rankdir="TB", expand_nested=False, dpi=200, subgraph=False,
                 show_layer_activations=False, show_trainable=False, splines="ortho",
                 **kwargs):
    """The layer graph of `model` as a `DotGraph` (what Keras returns as a `pydot.Dot`).

    One box per layer (and per operation of a functional model, inputs
    included), an edge for every tensor passed between them. A Sequential model
    is its chain of layers; a subclassed model, whose `call` is Python code, is
    one box. Nested models are one box each unless `expand_nested`, which draws
    their layers in a dashed cluster named after the model.

    Args:
        model: a built model.
        show_shapes: add each layer's input and output shapes.
        show_dtype: add each layer's output dtype.
        show_layer_names: head each box with the layer's name (else its class only).
        rankdir: `"TB"` draws top to bottom, `"LR"` left to right.
        expand_nested: draw the layers of nested models in clusters.
        dpi: the resolution of rendered images.
        subgraph: return a cluster (to be added to another graph) instead of a graph.
        show_layer_activations: add the activation of layers that have one.
        show_trainable: mark layers with weights as trainable or not.
        splines: how Graphviz draws edges (`"ortho"`, `"curved"`, `"polyline"`,
            `"spline"`, `"line"`).

    Returns:
        A `DotGraph`: `to_string()` gives the DOT text, `create(format="svg")`
        renders it with Graphviz, `write(path)` saves the text.
    """
    _check_arguments(model, kwargs)
    options = {"show_layer_names": show_layer_names, "show_shapes": show_shapes,
               "show_dtype": show_dtype, "show_layer_activations": show_layer_activations,
               "show_trainable": show_trainable}
    if subgraph:
        dot = DotGraph(model.name, cluster=True, style="dashed", label=model.name,
                       labeljust="l")
    else:
        dot = DotGraph(rankdir=rankdir, concentrate=True, dpi=dpi, splines=splines)
        dot.set_node_defaults(shape="record")
    from kerasx.models.functional import Functional
    from kerasx.models.sequential import Sequential

    if isinstance(model, Sequential):
        layers = model.layers
    elif isinstance(model, Functional):
        layers = model.operations
    else:
        dot.add_node(_node(model, options))
        return dot
    for layer in layers:
        if expand_nested and _is_graph_model(layer):
            dot.add_subgraph(model_to_dot(layer, show_shapes, show_dtype, show_layer_names,
                                          rankdir, expand_nested, dpi, subgraph=True,
                                          show_layer_activations=show_layer_activations,
                                          show_trainable=show_trainable))
        else:
            dot.add_node(_node(layer, options))
    for source, destination, output_index, input_index in _connections(model, layers):
        if expand_nested:
            source = _innermost_source(source, output_index)
            destination = _innermost_destination(destination, input_index)
        _add_edge(dot, source, destination)
    return dot


def plot_model(model, to_file="model.png", show_shapes=False, show_dtype=False,
               show_layer_names=False, rankdir="TB", expand_nested=False, dpi=200,
               show_layer_activations=False, show_trainable=False, splines="ortho", **kwargs):
    """Draws the layer graph of `model` into `to_file`.

    The file's extension picks the format: `.dot` (or `.gv`) writes the DOT text,
    which needs nothing; any other (`.png`, the default when there is none,
    `.svg`, `.pdf`, `.jpg`, ...) is rendered by Graphviz's `dot` program, which
    must be installed (`apt install graphviz`, `brew install graphviz`,
    `conda install graphviz`).

    The other arguments are `model_to_dot`'s; note that `show_layer_names` is
    False here by default, as in Keras.

    Returns:
        An `IPython.display.Image` of a PNG, JPEG or GIF file when IPython is
        installed (shown inline in notebooks), else None.
    """
    _check_arguments(model, kwargs)
    to_file = os.fspath(to_file)
    extension = os.path.splitext(to_file)[1][1:].lower() or "png"
    if extension not in _TEXT_FORMATS and shutil.which("dot") is None:
        message = (f"plot_model(to_file={to_file!r}) needs Graphviz's `dot` program to draw "
                   f"a {extension!r} image, and it was not found on PATH. {_GRAPHVIZ_HINT}")
        if "IPython.core.magics.namespace" in sys.modules:
            # In a notebook Keras prints this instead of failing the cell.
            print(message)
            return None
        raise ImportError(message)
    dot = model_to_dot(model, show_shapes=show_shapes, show_dtype=show_dtype,
                       show_layer_names=show_layer_names, rankdir=rankdir,
                       expand_nested=expand_nested, dpi=dpi,
                       show_layer_activations=show_layer_activations,
                       show_trainable=show_trainable, splines=splines)
    dot.write(to_file, format="raw" if extension in _TEXT_FORMATS else extension)
    if extension in ("png", "jpg", "jpeg", "gif"):
        try:
            from IPython import display
        except ImportError:
            return None
        return display.Image(filename=to_file)
    return None


def _check_arguments(model, kwargs):
    if kwargs.pop("layer_range", None) is not None:
        raise ValueError("Argument `layer_range` is no longer supported (as in Keras 3): the "
                         "whole model is drawn.")
    if kwargs:
        raise ValueError(f"Unrecognized keyword arguments: {sorted(kwargs)}. Check the "
                         "spelling against the documented arguments.")
    from kerasx.layers.layer import Layer

    if not isinstance(model, Layer):
        raise TypeError(f"Expected a kerasx model, received {type(model).__name__}: "
                        f"{model!r}.")
    if not model.built:
        raise ValueError(f"Model {model.name!r} has not been built yet, so its layers are not "
                         "connected. Build it first with `model.build(input_shape)`, by "
                         "calling it on a batch of data, or by starting it with an Input.")


def _is_graph_model(layer):
    from kerasx.models.functional import Functional
    from kerasx.models.sequential import Sequential

    return isinstance(layer, (Functional, Sequential))


def _connections(model, layers):
    """`(source layer, destination layer, source output index, destination input index)`
    for each tensor passed between the layers of `model`'s graph."""
    from kerasx.layers.core._call_node import inbound_nodes
    from kerasx.models.sequential import Sequential

    if isinstance(model, Sequential):
        return [(a, b, 0, 0) for a, b in zip(layers, layers[1:])]
    found = []
    for layer in layers:
        for node in inbound_nodes(layer):
            if id(node) not in model._node_ids or node.is_input:
                continue
            for input_index, tensor in enumerate(node.input_tensors()):
                tensor = model._input_aliases.get(id(tensor), tensor)
                found.append((tensor.node.layer, layer, tensor.index, input_index))
    return found


def _innermost_source(source, output_index):
    """The layer inside (possibly nested) models that produces their output `output_index`."""
    while _is_graph_model(source):
        tensor = source.outputs[output_index]
        source, output_index = tensor.node.layer, tensor.index
    return source


def _innermost_destination(destination, input_index):
    """The box an edge into a nested model points at: the Input of a functional model, the
    first layer of a Sequential."""
    from kerasx.models.sequential import Sequential

    while _is_graph_model(destination):
        if isinstance(destination, Sequential):
            destination = destination.layers[0]
        else:
            destination = destination._input_layer_of(destination.inputs[input_index])
    return destination


def _add_edge(dot, source, destination):
    if not dot.get_edge(id(source), id(destination)):
        dot.add_edge(DotEdge(id(source), id(destination), penwidth="2"))


def _node(layer, options):
    return DotNode(id(layer), label=_label(layer, **options), fontname="Helvetica",
                   border="0", margin="0")


def _label(layer, show_layer_names, show_shapes, show_dtype, show_layer_activations,
           show_trainable):
    """The HTML table Keras draws in a layer's box: a black title row, then the
    activation, then a row of shape / dtype / trainable cells."""
    class_name = html.escape(_class_name(layer))
    title = (f"<b>{html.escape(layer.name)}</b> ({class_name})" if show_layer_names
             else f"<b>{class_name}</b>")
    # Keras spans the title over every cell the options could add, present or not.
    span = max(1, int(show_dtype) + int(show_trainable) + 2 * int(show_shapes))
    rows = [f'<tr><td colspan="{span}" bgcolor="black"><font point-size="16" color="white">'
            f"{title}</font></td></tr>"]
    activation = getattr(layer, "activation", None) if show_layer_activations else None
    if activation is not None:
        rows.append(f'<tr><td bgcolor="white" colspan="{span}"><font point-size="14">'
                    f"Activation: <b>{html.escape(_activation_name(activation))}</b>"
                    "</font></td></tr>")
    cells = []
    if show_shapes:
        if class_name != "InputLayer":
            cells.append(_cell("Input shape", _format_shapes(_symbolic(layer, "input"))))
        cells.append(_cell("Output shape", _format_shapes(_symbolic(layer, "output"))))
    if show_dtype:
        dtypes = _map(lambda t: _dtype(t.dtype), _symbolic(layer, "output"))
        cells.append(_cell("Output dtype", str(dtypes) if dtypes is not None else "?"))
    if show_trainable and layer.weights:
        cells.append('<td bgcolor="forestgreen"><font point-size="14" color="white">'
                     "<b>Trainable</b></font></td>" if layer.trainable else
                     '<td bgcolor="firebrick"><font point-size="14" color="white">'
                     "<b>Non-trainable</b></font></td>")
    if cells:
        rows.append(f"<tr>{''.join(cells)}</tr>")
    return ('<<table border="0" cellborder="1" bgcolor="black" cellpadding="10">'
            + "".join(rows) + "</table>>")


def _cell(title, value):
    return (f'<td bgcolor="white"><font point-size="14">{title}: <b>{html.escape(value)}</b>'
            "</font></td>")


def _class_name(layer):
    from kerasx.layers.core.op_layer import OpLayer, keras_class_name

    return keras_class_name(layer.op) if isinstance(layer, OpLayer) else type(layer).__name__


def _activation_name(activation):
    return str(getattr(activation, "name", None) or getattr(activation, "__name__", None)
               or activation)


def _symbolic(layer, attribute):
    """`layer.input` / `layer.output` (its first symbolic call), or None when it has none
    (a subclassed model, a layer only ever called on arrays)."""
    try:
        return getattr(layer, attribute)
    except (AttributeError, ValueError):
        return None


def _map(fn, structure):
    if structure is None:
        return None
    if isinstance(structure, dict):
        return {key: _map(fn, value) for key, value in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map(fn, value) for value in structure)
    return fn(structure)


def _format_shapes(tensors):
    shapes = _map(lambda t: tuple(t.shape), tensors)
    if shapes is None:
        return "?"
    if isinstance(shapes, dict):
        return ", ".join(f"{key}: {value}" for key, value in shapes.items())
    return str(shapes).replace("{", "").replace("}", "")


def _dtype(dtype):
    if isinstance(dtype, str):
        return dtype
    from kerasx.backends.base import dtype_name

    return dtype_name(dtype)
