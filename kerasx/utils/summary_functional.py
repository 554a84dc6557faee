"""The "Connected to" column that `model.summary()` shows for functional models."""

from kerasx.layers.core._call_node import inbound_nodes


def connected_to(model):
    """For each layer and operation of a functional `model` (in `model.operations` order),
    what it was called on, as Keras prints it: `"dense[0][0], input_b[0][0]"` (layer name,
    call index, output index), `"-"` for inputs. Returns None for models that are not
    functional graphs.
    """
    from kerasx.models.functional import Functional

    if not isinstance(model, Functional):
        return None
    return [layer_connections(model, layer) for layer in model.operations]


def layer_connections(model, layer):
    """What `layer` was called on in the calls that belong to the functional `model`
    (Keras's summary asks the top model this of nested layers too: a layer shared with
    the top graph shows its calls there, the others "-")."""
    parts = []
    for node in inbound_nodes(layer):
        if id(node) not in model._node_ids or node.is_input:
            continue
        for tensor in node.input_tensors():
            source = model._input_aliases.get(id(tensor), tensor)
            name, call = source.node.layer.name, _call_index(source.node)
            parts.append(f"{name}[{call}][{source.index}]")
    return ", ".join(parts) if parts else "-"


def _call_index(node):
    """The node's position among the layer's calls, as Keras's summary shows it: a functional
    model's own node (which only its configs count) is left out."""
    earlier = inbound_nodes(node.layer)[:node.node_index]
    return node.node_index - sum(getattr(n, "is_model_own", False) for n in earlier)
