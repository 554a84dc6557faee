"""`Function`: a callable graph of operations from symbolic inputs to outputs."""

from kerasx.graph.operation import Operation
from kerasx.layers.core._nested_structure import flatten, replace
from kerasx.layers.core.keras_tensor import KerasTensor


class Function(Operation):
    """The computation linking symbolic `inputs` to `outputs`, callable on new values.

    Like a functional model without the model: it tracks no state and is not a
    layer. Any `kerasx.ops` call, layer call or `Operation` between the inputs
    and the outputs is replayed, in order, on the values given:

    ```python
    a = keras.KerasTensor((None, 2, 3))
    b = keras.KerasTensor((None, 2, 3))
    fn = keras.Function(inputs=[a, b], outputs=keras.ops.sigmoid(a + b))
    fn([x1, x2])
    ```

    Args:
        inputs: a `KerasTensor` or a nested structure (list, tuple, dict) of
            them; calls take values in this structure.
        outputs: a `KerasTensor` or a nested structure of them, computable
            from `inputs` alone; calls return this structure.
        name: the function's name.
    """

    def __init__(self, inputs, outputs, name=None):
        super().__init__(name=name)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self._inputs = flatten(inputs)
        self._outputs = flatten(outputs)
        if not self._inputs:
            raise ValueError(f"`inputs` argument cannot be empty. Received:\ninputs={inputs}\n"
                             f"outputs={outputs}")
        if not self._outputs:
            raise ValueError(f"`outputs` argument cannot be empty. Received:\ninputs={inputs}\n"
                             f"outputs={outputs}")
        for what, tensors in (("inputs", self._inputs), ("outputs", self._outputs)):
            for t in tensors:
                if not isinstance(t, KerasTensor):
                    raise ValueError(f"Function: every entry of `{what}` must be a KerasTensor "
                                     f"(from keras.Input or keras.KerasTensor); received {t!r} "
                                     f"of type {type(t).__name__}.")
        self._nodes = _ordered_nodes(self._inputs, self._outputs)

    @property
    def operations(self):
        """The operations of the graph (layers, ops, `Operation`s), in call order."""
        seen = {}
        for node in self._nodes:
            seen.setdefault(id(node.layer), node.layer)
        return list(seen.values())

    @property
    def inputs(self):
        """The flat list of the symbolic inputs."""
        return self._inputs

    @property
    def outputs(self):
        """The flat list of the symbolic outputs."""
        return self._outputs

    def __call__(self, inputs):
        return self.call(inputs)

    def call(self, inputs):
        """Runs the graph on `inputs` (the structure of the function's inputs)."""
        values = flatten(inputs)
        if len(values) != len(self._inputs):
            raise ValueError(f"Function {self.name!r} expects {len(self._inputs)} input(s) in "
                             f"the structure of {_shapes(self._inputs_struct)}; received "
                             f"{len(values)}.")
        for t, v in zip(self._inputs, values):
            shape = tuple(getattr(v, "shape", ()))
            if len(shape) != len(t.shape) or any(
                    a is not None and b is not None and a != b for a, b in zip(t.shape, shape)):
                raise ValueError(f"Function {self.name!r}: input {t.name or ''!s} expects shape "
                                 f"{t.shape}, received shape {shape}.")
        lookup = {id(t): v for t, v in zip(self._inputs, values)}
        for node in self._nodes:
            out = node.layer(replace(node.inputs, lookup), *replace(list(node.args), lookup),
                             **replace(node.kwargs, lookup))
            lookup.update(zip((id(t) for t in node.output_tensors()), flatten(out)))
        return replace(self._outputs_struct, lookup)

    def compute_output_spec(self, inputs):
        """The outputs as KerasTensors for symbolic `inputs`."""
        return self.call(inputs)

    def get_config(self):
        raise NotImplementedError("A keras.Function is not serializable; save a "
                                  "keras.Model(inputs, outputs) instead.")


def _shapes(structure):
    return replace(structure, {id(t): t.shape for t in flatten(structure)
                               if isinstance(t, KerasTensor)})


def _ordered_nodes(inputs, outputs):
    """The call nodes between `inputs` and `outputs`, each after the nodes it reads."""
    known = {id(t) for t in inputs}
    ordered, done = [], set()

    def visit(tensor, path):
        if id(tensor) in known:
            return
        node = tensor.node
        if node is None or node.is_input:
            raise ValueError(f"Output {path} is not connected to `inputs`: it needs "
                             f"{tensor!r}, which is not one of the Function's inputs and "
                             "is not computed from them. Add it to `inputs`.")
        if id(node) in done:
            return
        stack = [(node, iter(node.input_tensors()))]
        done.add(id(node))
        while stack:
            current, pending = stack[-1]
            for t in pending:
                if id(t) in known:
                    continue
                parent = t.node
                if parent is None or parent.is_input:
                    raise ValueError(f"Output {path} is not connected to `inputs`: it needs "
                                     f"{t!r}, which is not one of the Function's inputs and "
                                     "is not computed from them. Add it to `inputs`.")
                if id(parent) not in done:
                    done.add(id(parent))
                    stack.append((parent, iter(parent.input_tensors())))
                    break
            else:
                stack.pop()
                ordered.append(current)
                known.update(id(t) for t in current.output_tensors())

    for i, t in enumerate(outputs):
        visit(t, i)
    return ordered
