"""The order in which a functional model runs its layer calls, as Keras 3 runs them.

Keras gives every call node a depth (outputs 0, each node deeper than the nodes reading
its outputs, and a shared layer's nodes at least as deep as its calls found before) and
runs the nodes by decreasing depth. Any topological order gives the same outputs; the
order matters only for the state a layer called several times updates on each call (a
shared BatchNormalization's moving statistics: the last call's update comes last).
"""


def keras_execution_order(nodes):
    """`nodes` (call nodes, each after the nodes it reads, as a depth-first walk from the
    outputs lists them) reordered as Keras's `map_graph` orders them."""
    depths, layer_depths = {}, {}
    for node in reversed(nodes):
        depth = max(depths.setdefault(id(node), 0), layer_depths.get(id(node.layer), 0))
        layer_depths[id(node.layer)] = depth
        depths[id(node)] = depth
        for tensor in node.input_tensors():
            parent = tensor.node
            if parent is not None and not parent.is_input:
                depths[id(parent)] = max(depth + 1, depths.get(id(parent), 0))
    # dict order: the order in which Keras's dict of depths first meets each node
    position = {key: i for i, key in enumerate(depths)}
    return sorted(nodes, key=lambda node: (-depths[id(node)], position[id(node)]))


def has_shared_layer(nodes):
    """Whether a layer is called more than once among `nodes`."""
    layers = [id(node.layer) for node in nodes if not node.is_input]
    return len(set(layers)) < len(layers)
