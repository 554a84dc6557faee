"""The layer graph of a functional model, read from its symbolic tensors.

`map_graph` walks back from the outputs to the inputs and returns the layer calls in
execution order with the model's layers in Keras's order, refusing graphs that are
disconnected or cyclic; `clone_intermediate_inputs` makes the Input layers standing for
inputs that are intermediate tensors; `consumer_counts` counts the call steps reading
each tensor (a chain of steps is fused only where each link has a single reader).
"""

import collections

from kerasx.layers.core._nested_structure import flatten
from kerasx.layers.core.input_layer import InputLayer
from kerasx.layers.core.keras_tensor import KerasTensor

# nodes: the calls in a depth-first order from the outputs (each after what it reads);
# execution: the order they run in (Keras's, see `map_graph`); layers: Keras's order
_Graph = collections.namedtuple("_Graph", ["nodes", "execution", "layers"])


def map_graph(flat_in, flat_out, aliases):
    """The nodes between inputs and outputs, in a depth-first order and in the order Keras
    runs them, and the model's layers in Keras's order (by decreasing depth, ties by order
    of first traversal from the outputs).

    Keras gives every node a depth (outputs 0, each node deeper than the nodes reading
    its outputs, a layer's later calls at least as deep as its calls met before) and runs
    them by decreasing depth. Any order that runs a node after its inputs gives the same
    outputs; Keras's matters only for a layer called more than once that updates state on
    each call (a shared `BatchNormalization`'s moving statistics), so the depth-first
    order is kept unless a layer is shared."""
    input_ids = {id(t) for t in flat_in}

    def source(tensor):  # the node producing `tensor` inside this model
        clone = aliases.get(id(tensor))
        return clone.node if clone is not None else tensor.node

    finished, active = set(), set()
    ordered, first_seen = [], {}

    def visit(tensor, consumer):
        node = source(tensor)
        if node is None:
            raise ValueError(f"The tensor {tensor!r} was not produced by a layer call.")
        if id(node) in finished:
            return
        if id(node) in active:
            raise ValueError(f"The layer graph has a cycle through layer {node.layer.name!r}.")
        if node.is_input and id(tensor) not in input_ids:
            used_by = f" (used by layer {consumer!r})" if consumer else ""
            raise ValueError(
                f"Graph disconnected: the outputs depend on Input {tensor.name!r}{used_by}, "
                f"which is not one of the model's inputs {[t.name for t in flat_in]}. Pass "
                "every Input the outputs are computed from in `inputs`."
            )
        first_seen.setdefault(id(node.layer), len(first_seen))
        active.add(id(node))
        for t in node.input_tensors():
            visit(t, node.layer.name)
        active.discard(id(node))
        finished.add(id(node))
        ordered.append(node)

    for t in flat_out:
        visit(t, None)
    unused = []  # inputs no output depends on still belong to the model, in input order
    for t in flat_in:
        node = source(t)
        if id(node) not in finished:
            finished.add(id(node))
            first_seen[id(node.layer)] = -1
            unused.append(node)
    ordered[:0] = unused

    depth_of_node, depth_of_layer = {}, {}
    for node in reversed(ordered):
        depth = max(depth_of_node.setdefault(id(node), 0), depth_of_layer.get(id(node.layer), 0))
        depth_of_layer[id(node.layer)] = depth
        depth_of_node[id(node)] = depth
        for t in node.input_tensors():
            parent = source(t)
            depth_of_node[id(parent)] = max(depth + 1, depth_of_node.get(id(parent), 0))
    layers = list({id(n.layer): n.layer for n in ordered}.values())
    layers.sort(key=lambda l: (-depth_of_layer[id(l)], first_seen[id(l)]))
    _check_computable(flat_in, ordered)
    execution = ordered
    if len(layers) < len(ordered):  # a layer called more than once
        # ties in the order Keras's dict of depths first meets the nodes
        position = {key: i for i, key in enumerate(depth_of_node)}
        execution = sorted(ordered, key=lambda n: (-depth_of_node[id(n)], position[id(n)]))
    return _Graph(ordered, execution, layers)


def consumer_counts(plan):
    """How many call steps read each symbolic tensor (by id)."""
    counts = collections.Counter()
    for _, single, node, _ in plan:
        if single is not None:
            counts[single] += 1
            continue
        for value in flatten([node.inputs, list(node.args), node.kwargs]):
            if isinstance(value, KerasTensor):
                counts[id(value)] += 1
    return counts


def _check_computable(flat_in, ordered):
    known = {id(t) for t in flat_in}
    for node in ordered:
        if node.is_input:
            known.update(id(t) for t in node.output_tensors())
            continue
        for t in node.input_tensors():
            if id(t) not in known:
                raise ValueError(
                    f"Graph disconnected: layer {node.layer.name!r} needs tensor {t.name!r}, "
                    "which cannot be computed from the model's inputs. Add the Input it comes "
                    "from to `inputs`."
                )
        known.update(id(t) for t in node.output_tensors())


def clone_intermediate_inputs(flat_in):
    """New Input layers standing for inputs that are intermediate tensors (Keras's clones)."""
    aliases = {}
    for t in flat_in:
        if not t.node.is_input:
            layer = InputLayer(batch_shape=t.shape, dtype=t.dtype, sparse=t.sparse,
                               name=f"{t.name}CLONE")
            aliases[id(t)] = layer.output
    return aliases
