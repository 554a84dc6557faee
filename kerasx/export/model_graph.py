"""The symbolic graph of a model, as the exporters walk it.

`model_io` gives a model's input and output `KerasTensor`s: those of a
functional or Sequential model as built, or, for a subclassed model (or any
function), those of a trace of its `call` on symbolic inputs. `ordered_calls`
lists the layer calls between them in an order where each call comes after
the calls producing its inputs.
"""

import collections

from kerasx.layers.core._nested_structure import flatten
from kerasx.layers.core.input_layer import Input
from kerasx.layers.core.keras_tensor import KerasTensor

ModelIO = collections.namedtuple("ModelIO", ["inputs", "outputs", "input_names",
                                             "output_names"])


def model_io(model, specs=None):
    """The `ModelIO` of `model`; `specs` (a list of `(shape, dtype)`) trace a subclassed model
    for those inputs (by default, for the shapes it was built or first called with)."""
    from kerasx.models.functional import Functional
    from kerasx.models.sequential import Sequential

    if isinstance(model, Functional):
        return ModelIO(model.inputs, model.outputs, list(model.input_names),
                       list(model._output_names()))
    if isinstance(model, Sequential):
        if getattr(model, "outputs", None) is None:
            raise ValueError(
                f"Sequential model {model.name!r} has not been built, so its input shape is "
                "unknown. Start it with kerasx.Input(shape=...), call it on data, or call "
                "model.build(input_shape) before exporting.")
        io = ModelIO(model.inputs, model.outputs, [model._input_layer.name],
                     list(model._output_names()))
        return _with_dynamic_batch(model, io)
    return trace(model.call, _build_structure(model, specs), owner=model.name)


def _with_dynamic_batch(model, io):
    """`io`, or for an input of a fixed batch size (a Sequential model built by its first
    call keeps that batch's size) a trace of the model on an input of any batch size, as
    Keras exports models with a dynamic batch."""
    shape = tuple(io.inputs[0].shape)
    if not shape or shape[0] is None:
        return io
    fresh = Input(batch_shape=(None,) + shape[1:], dtype=io.inputs[0].dtype)
    try:
        traced = trace(model.call, fresh, owner=model.name)
    except ValueError:
        return io  # a layer needing that batch size (a stateful RNN) keeps it
    return ModelIO([fresh], traced.outputs, io.input_names, io.output_names)


def _build_structure(model, specs):
    if specs is not None:
        tensors = [Input(batch_shape=shape, dtype=dtype) for shape, dtype in specs]
        return tensors[0] if len(tensors) == 1 else tensors
    shape = getattr(model, "_build_shape", None)
    if shape is None:
        raise ValueError(
            f"Model {model.name!r} has never been called, so the shapes of its inputs are "
            "unknown. Call it on a batch of data (or model.build(input_shape)) first, or pass "
            "`input_signature`.")
    return _symbolic(shape, model.input_dtype)


def _symbolic(shape, dtype):
    if isinstance(shape, dict):
        return {k: _symbolic(v, dtype) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple, dict)):
        return [_symbolic(s, dtype) for s in shape]
    return Input(batch_shape=(None,) + tuple(shape)[1:], dtype=dtype)


def trace(fn, structure, owner, spread=False):
    """`fn` called on the symbolic `structure` (on each of its entries, with `spread`): the
    layers and `kerasx.ops` it runs are recorded as graph nodes, as for a functional model."""
    try:
        outputs = fn(*structure) if spread else fn(structure)
    except Exception as e:
        raise ValueError(
            f"Could not trace {owner!r} on symbolic inputs to export it ({type(e).__name__}: "
            f"{e}). Its `call` must be written with kerasx layers and kerasx.ops (no Python "
            "control flow on tensor values, no conversion to NumPy). Rebuild it as a "
            "functional model to export it.") from e
    flat_out = flatten(outputs)
    for t in flat_out:
        if not isinstance(t, KerasTensor):
            raise ValueError(
                f"Tracing {owner!r} on symbolic inputs returned {type(t).__name__}, not a "
                "symbolic tensor: its outputs do not depend on its inputs through kerasx "
                "layers and ops, so it cannot be exported.")
    flat_in = flatten(structure)
    names = sorted(structure) if isinstance(structure, dict) and not spread else \
        [f"input_{i}" for i in range(len(flat_in))]
    out_names = sorted(outputs) if isinstance(outputs, dict) else \
        [f"output_{i}" for i in range(len(flat_out))]
    return ModelIO(flat_in, flat_out, names, out_names)


def ordered_calls(inputs, outputs):
    """The `CallNode`s computing `outputs` from `inputs`, each after those it reads from."""
    known = {id(t) for t in inputs}
    done, order = set(), []
    stack = [(t, False) for t in reversed(outputs)]
    while stack:
        tensor, expanded = stack.pop()
        if id(tensor) in known:
            continue
        node = tensor.node
        if node is None or node.is_input:
            raise ValueError(
                f"The output depends on {tensor!r}, which is not one of the exported inputs. "
                "Export a model whose inputs are all its Input tensors.")
        if id(node) in done:
            continue
        if expanded:
            done.add(id(node))
            order.append(node)
            continue
        stack.append((tensor, True))
        stack.extend((t, False) for t in reversed(node.input_tensors()))
    return order
