"""`Functional`: a model defined by calling layers on symbolic `Input` tensors."""

from kerasx.layers.core.input_layer import InputLayer, KerasTensor
from kerasx.models.model import Model


def _flatten(structure):
    if isinstance(structure, (list, tuple)):
        return [x for s in structure for x in _flatten(s)]
    if isinstance(structure, dict):
        return [x for s in structure.values() for x in _flatten(s)]
    return [structure]


def _replace(structure, lookup):
    if isinstance(structure, KerasTensor):
        return lookup[id(structure)]
    if isinstance(structure, (list, tuple)):
        return type(structure)(_replace(s, lookup) for s in structure)
    if isinstance(structure, dict):
        return {k: _replace(v, lookup) for k, v in structure.items()}
    return structure


class Functional(Model):
    """A directed acyclic graph of layer calls from `inputs` to `outputs`.

    Shapes are checked when the graph is built: calling a layer on a symbolic
    tensor it cannot take raises there, not at `fit`.
    """

    def __init__(self, inputs, outputs, name=None, trainable=True, **kwargs):
        super().__init__(name=name, trainable=trainable, **kwargs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        flat_in = _flatten(inputs)
        flat_out = _flatten(outputs)
        for t in flat_in + flat_out:
            if not isinstance(t, KerasTensor):
                raise TypeError(
                    f"Model(inputs, outputs) expects symbolic tensors from kerasx.Input and layer "
                    f"calls, received {type(t).__name__}."
                )
        for t in flat_in:
            if not isinstance(t.node.layer, InputLayer):
                raise ValueError(
                    f"Model inputs must come from kerasx.Input(); {t.name!r} is the output of layer "
                    f"{t.node.layer.name!r}."
                )
        self._set_untracked("_nodes", self._topological_nodes(flat_in, flat_out))
        layers = []
        for node in self._nodes:
            if node.layer not in layers:
                layers.append(node.layer)
        names = [l.name for l in layers]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(
                f"The layer names {duplicates} are used by more than one layer of model "
                f"{self.name!r}. Every layer in a model needs a unique name."
            )
        self._set_untracked("_all_layers", layers)
        for layer in layers:
            if not isinstance(layer, InputLayer):
                self._tracked_layers.append(layer)
        self.built = True

    @staticmethod
    def _topological_nodes(flat_in, flat_out):
        input_nodes = {id(t.node) for t in flat_in}
        order, state = [], {}

        def visit(node):
            mark = state.get(id(node))
            if mark == "done":
                return
            if mark == "active":
                raise ValueError("The layer graph has a cycle.")
            state[id(node)] = "active"
            if isinstance(node.layer, InputLayer) and id(node) not in input_nodes:
                raise ValueError(
                    f"The outputs depend on input {node.layer.name!r}, which is not in `inputs`. "
                    "Pass every Input the outputs are computed from (graph disconnected)."
                )
            for t in node.input_tensors():
                visit(t.node)
            state[id(node)] = "done"
            order.append(node)

        for t in flat_out:
            visit(t.node)
        reached = {id(n) for n in order}
        unused = [t.name for t in flat_in if id(t.node) not in reached]
        if unused:
            raise ValueError(
                f"The inputs {unused} are not used to compute any output. Remove them from "
                "`inputs` or connect them to the outputs."
            )
        return order

    @property
    def layers(self):
        return list(self._all_layers)

    @property
    def inputs(self):
        return _flatten(self._inputs_struct)

    @property
    def outputs(self):
        return _flatten(self._outputs_struct)

    @property
    def input_shape(self):
        shapes = [t.shape for t in self.inputs]
        return shapes[0] if len(shapes) == 1 else shapes

    @property
    def output_shape(self):
        shapes = [t.shape for t in self.outputs]
        return shapes[0] if len(shapes) == 1 else shapes

    def _output_names(self):
        if isinstance(self._outputs_struct, dict):
            return list(self._outputs_struct)
        return [t.node.layer.name for t in self.outputs]

    def _declared_input_shape(self):
        inputs = self.inputs
        return inputs[0].shape if len(inputs) == 1 else None

    def call(self, inputs, training=None, mask=None):
        lookup = {}
        flat_in = self.inputs
        if isinstance(self._inputs_struct, dict) and isinstance(inputs, dict):
            values = [inputs[k] for k in self._inputs_struct]
        elif isinstance(inputs, dict):
            values = [inputs[t.node.layer.name] for t in flat_in]
        else:
            values = _flatten(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        if len(values) != len(flat_in):
            raise ValueError(
                f"Model {self.name!r} expects {len(flat_in)} inputs "
                f"{[t.name for t in flat_in]} but received {len(values)}."
            )
        for t, v in zip(flat_in, values):
            lookup[id(t)] = v
        for node in self._nodes:
            if isinstance(node.layer, InputLayer):
                continue
            args = _replace(node.inputs, lookup)
            out = node.layer(args, *node.args, **{**node.kwargs, "training": training})
            for sym, val in zip(_flatten(node.outputs), _flatten(out)):
                lookup[id(sym)] = val
        return _replace(self._outputs_struct, lookup)

    def compute_output_shape(self, input_shape):
        return self.output_shape

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        layer_configs = []
        for layer in self._all_layers:
            inbound = []
            for node in self._nodes:
                if node.layer is layer and not isinstance(layer, InputLayer):
                    inbound.append([[t.node.layer.name, 0, t.index] for t in node.input_tensors()])
            cfg = serialize_keras_object(layer)
            cfg["name"] = layer.name
            cfg["inbound_nodes"] = inbound
            layer_configs.append(cfg)
        return {
            "name": self.name, "trainable": self.trainable, "layers": layer_configs,
            "input_layers": [[t.node.layer.name, 0, 0] for t in self.inputs],
            "output_layers": [[t.node.layer.name, 0, t.index] for t in self.outputs],
        }
