"""`CallNode`: one recorded call of a layer on symbolic tensors.

A layer's nodes (`inbound_nodes`) are its calls on KerasTensors, in order; the first
one answers `layer.input` / `layer.output` (`layer_tensor`).
"""

from kerasx import tree
from kerasx.layers.core._nested_structure import flatten
from kerasx.layers.core.keras_tensor import KerasTensor


class CallNode:
    """One call of `layer` on symbolic inputs: what went in, with which arguments, what came out.

    `node_index` is the call's position among the layer's calls
    (`layer._inbound_nodes`), the number Keras configs use to refer to it.
    """

    def __init__(self, layer, inputs, args, kwargs, outputs, is_input=False):
        self.layer = layer
        self.inputs = inputs
        self.args = tuple(args)
        self.kwargs = dict(kwargs)
        self.outputs = outputs
        self.is_input = is_input
        nodes = inbound_nodes(layer)
        self.node_index = len(nodes)
        nodes.append(self)

    def input_tensors(self):
        """The KerasTensors this call read, in order (inputs, then args and kwargs)."""
        if self.is_input:
            return []
        found = flatten((self.inputs, list(self.args), self.kwargs))
        return [t for t in found if isinstance(t, KerasTensor)]

    def output_tensors(self):
        return [t for t in flatten(self.outputs) if isinstance(t, KerasTensor)]


def inbound_nodes(layer):
    """The list of symbolic calls of `layer` (created on first use)."""
    nodes = layer.__dict__.get("_inbound_nodes")
    if nodes is None:
        nodes = []
        object.__setattr__(layer, "_inbound_nodes", nodes)
    return nodes


def layer_tensor(layer, attribute):
    """`layer.input` / `layer.output`: the tensors of the layer's first symbolic call (as
    Keras: a shared layer answers for its first call)."""
    nodes = layer.__dict__.get("_inbound_nodes") or []
    if not nodes:
        raise AttributeError(
            f"Layer {layer.name!r} has never been called on a symbolic tensor, so it has no "
            f"`{attribute}`. Call it on an Input (or a tensor derived from one) first."
        )
    node = nodes[0]
    # as Keras: one tensor, or a flat list of them (dict entries in sorted key order)
    flat = tree.flatten(node.outputs if attribute == "output" else node.inputs)
    return flat[0] if len(flat) == 1 else flat
