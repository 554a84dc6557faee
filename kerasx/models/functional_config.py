"""Rebuilding a functional model from its config.

Reads Keras 3's functional config (and Keras 2's, from legacy `.h5` files): makes each
layer, then replays the recorded layer calls (`inbound_nodes`) until every tensor the
`input_layers` and `output_layers` refer to exists, and builds the model on them.
"""

from kerasx.layers.core._call_node import inbound_nodes
from kerasx.layers.core.op_layer import OpLayer, is_op_entry
from kerasx.models.functional import Functional
from kerasx.models.model import Model


def functional_from_config(cls, config, custom_objects=None):
    """A `cls` model (Functional or a subclass) rebuilt from a Keras 3 functional config
    (or a Keras 2 one, from a legacy `.h5` file)."""
    from kerasx.legacy.saving.serialization import module_less_classes, upgrade_layer_entry
    from kerasx.saving.serialization import deserialize_keras_object

    config = dict(config)
    created = {}
    pending = []
    for layer_data in config.pop("layers"):
        if is_op_entry(layer_data):
            layer = OpLayer.from_serialized(layer_data)
        else:
            # an entry without `module` (Keras 2 style) names a built-in class, as Keras
            # reads it; Sequential.from_config does the same
            with module_less_classes(layer_data, custom_objects):
                layer = deserialize_keras_object(upgrade_layer_entry(layer_data),
                                                 custom_objects=custom_objects)
        name = layer_data.get("name") or layer_data.get("config", {}).get("name")
        created[name] = layer
        pending.append((layer, list(layer_data.get("inbound_nodes") or [])))

    call_offset = _nested_call_offset(pending, created)
    legacy = any(isinstance(n, list) for _, nodes in pending for n in nodes)
    legacy_offsets = _legacy_call_offsets(pending, config) if legacy else {}

    def lookup(ref, in_call=False, in_list=False):
        layer_name, node_index, tensor_index = ref[0], ref[1], ref[2]
        if layer_name not in created:
            raise ValueError(  # Keras's "Missing node: <name>"
                f"Invalid Functional model configuration. Missing node: {layer_name}. The "
                f"config refers to layer {layer_name!r}, which is not among its layers "
                f"{sorted(created)}."
            )
        nodes = inbound_nodes(created[layer_name])
        if in_list:
            node_index += legacy_offsets.get(layer_name, 0)
        elif in_call and isinstance(created[layer_name], Functional):
            node_index += call_offset  # past the nested model's own node
        if node_index >= len(nodes):
            raise IndexError(layer_name)
        return nodes[node_index].output_tensors()[tensor_index]

    # Nodes wait until every tensor they read exists (a shared layer may be called at
    # different depths), so sweep the layers until all their calls are made.
    while any(nodes for _, nodes in pending):
        progressed = False
        for layer, nodes in pending:
            while nodes:
                try:
                    args, kwargs = _deserialize_node(nodes[0], lookup)
                except IndexError:
                    break
                layer(*args, **kwargs)
                nodes.pop(0)
                progressed = True
        if not progressed:
            unresolved = {layer.name: nodes for layer, nodes in pending if nodes}
            raise ValueError(  # Keras's first sentences
                "Invalid Functional model configuration. The graph of the Functional model "
                "either has loops or disconnected nodes. The following layer calls could not "
                f"be resolved (they refer to calls that never happen): {unresolved}")

    def tensors(spec):
        if isinstance(spec, list) and len(spec) == 3 and isinstance(spec[0], str):
            return lookup(spec, in_list=legacy)
        if isinstance(spec, dict):
            return {k: tensors(v) for k, v in spec.items()}
        if isinstance(spec, tuple):
            return tuple(tensors(s) for s in spec)
        return [tensors(s) for s in spec]

    inputs = tensors(config.pop("input_layers"))
    outputs = tensors(config.pop("output_layers"))
    name = config.pop("name", None)
    trainable = config.pop("trainable", True)
    config.pop("dtype", None)
    if cls is Model:
        cls = Functional
    return cls(inputs=inputs, outputs=outputs, name=name, trainable=trainable, **config)


def _nested_call_offset(pending, created):
    """How far the layer calls of a Keras 3 config (dict entries) refer past the own node
    of a nested Functional model: 1, as Keras 3 counts that model's calls from 0; 0 for
    configs written by earlier kerasx versions, which counted them from 1 (seen when a
    reference reaches past the model's recorded calls)."""
    calls = {}
    for layer, nodes in pending:
        if isinstance(layer, Functional):
            calls[layer.name] = sum(isinstance(n, dict) for n in nodes)
    if not calls:
        return 1
    highest = {}

    def scan(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            name, index = value["config"]["keras_history"][:2]
            if name in calls:
                highest[name] = max(highest.get(name, -1), index)
        elif isinstance(value, dict):
            for v in value.values():
                scan(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                scan(v)

    for _, nodes in pending:
        scan([n for n in nodes if isinstance(n, dict)])
    return 0 if any(i >= calls[name] for name, i in highest.items()) else 1


def _legacy_call_offsets(pending, config):
    """For a config whose calls are Keras 2 lists (`[layer, node, tensor, kwargs]`): what
    to add to a reference's node index to reach the call among a nested model's nodes.

    Keras 2 counts the calls of a nested model built on Inputs (a functional model, or a
    Sequential model with an input shape) from 1, its node 0 being the model's own; other
    writers count them from 0 (Keras 3 reads index 0 as the first call). A reference with
    index 0 to such a model can only mean a call (the model's own node is not part of the
    outer graph), so it marks a config counting from 0. kerasx gives a functional model
    an own node 0 and a Sequential model none."""
    from kerasx.models.sequential import Sequential

    models = {layer.name: layer for layer, _ in pending
              if isinstance(layer, (Functional, Sequential))}
    if not models:
        return {}
    lowest = {}

    def note(ref):
        if isinstance(ref, list) and len(ref) >= 3 and isinstance(ref[0], str):
            if ref[0] in models and isinstance(ref[1], int):
                lowest[ref[0]] = min(lowest.get(ref[0], ref[1]), ref[1])
        elif isinstance(ref, (list, tuple)):
            for item in ref:
                note(item)
        elif isinstance(ref, dict):
            for item in ref.values():
                note(item)

    for _, nodes in pending:
        note([n for n in nodes if isinstance(n, list)])
    note([config.get("input_layers"), config.get("output_layers")])
    offsets = {}
    for name, model in models.items():
        own = 1 if isinstance(model, Functional) else 0
        keras2_counts_from_1 = own == 1 or model._input_layer is not None
        counted_from = 0 if lowest.get(name) == 0 else int(keras2_counts_from_1)
        offsets[name] = own - counted_from
    return offsets


def _deserialize_node(node_data, lookup):
    from kerasx.saving.serialization import deserialize_keras_object

    if isinstance(node_data, list):  # Keras 2 style: [[layer, node, tensor, kwargs], ...]
        tensors = [lookup(ref, in_list=True) for ref in node_data]
        kwargs = node_data[0][3] if node_data and len(node_data[0]) > 3 else {}
        return [tensors[0] if len(tensors) == 1 else tensors], dict(kwargs or {})

    def revive(value):
        if isinstance(value, dict) and value.get("class_name") == "__keras_tensor__":
            return lookup(value["config"]["keras_history"], in_call=True)
        if isinstance(value, dict) and "class_name" in value:
            return deserialize_keras_object(value)
        if isinstance(value, (list, tuple)):
            return [revive(v) for v in value]
        if isinstance(value, dict):
            return {k: revive(v) for k, v in value.items()}
        return value

    args = revive(node_data.get("args", []))
    kwargs = revive(node_data.get("kwargs", {}))
    return args, kwargs
