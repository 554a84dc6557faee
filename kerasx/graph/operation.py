"""`Operation`: a stateless computation that runs on arrays and records itself in a
graph when called on symbolic tensors."""

import abc

from kerasx.layers.core._call_node import CallNode
from kerasx.layers.core._nested_structure import flatten, replace
from kerasx.layers.core.keras_tensor import KerasTensor
from kerasx.utils.naming import to_snake_case, uniquify


class Operation(metaclass=abc.ABCMeta):
    """The base of Keras's operations: subclass it and write `call`.

    Called on arrays, an operation runs `call`; called on `KerasTensor`s (from
    `keras.Input`), it computes nothing and adds a node to the graph, with
    outputs shaped by `compute_output_spec`, so it can be part of a
    `keras.Function` or a functional model:

    ```python
    class Scale(keras.Operation):
        def __init__(self, factor, name=None):
            super().__init__(name=name)
            self.factor = factor

        def call(self, x):
            return x * self.factor

    x = keras.Input((3,))
    fn = keras.Function(x, Scale(2.0)(x))
    ```

    Layers are operations too: `isinstance(layer, keras.Operation)` holds.

    Args:
        name: the operation's name (a string without `/`); by default the
            class name in snake case, made unique.
    """

    def __init__(self, name=None):
        if name is None:
            name = uniquify(to_snake_case(type(self).__name__))
        if not isinstance(name, str) or "/" in name:
            raise ValueError(f"Argument `name` must be a string and cannot contain character "
                             f"`/`. Received: name={name} (of type {type(name)})")
        self.name = name
        self._inbound_nodes = []

    def __call__(self, *args, **kwargs):
        if any(isinstance(t, KerasTensor) for t in flatten((list(args), kwargs))):
            return self.symbolic_call(*args, **kwargs)
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must implement `call(self, ...)`: the "
                                  "computation on arrays.")

    def symbolic_call(self, *args, **kwargs):
        """Records a call on KerasTensors in the graph and returns its symbolic outputs."""
        outputs = self.compute_output_spec(*args, **kwargs)
        node = CallNode(self, args[0] if args else None, args[1:], kwargs, outputs)
        for i, tensor in enumerate(t for t in flatten(outputs) if isinstance(t, KerasTensor)):
            tensor.node = node
            tensor.index = i
            tensor.name = self.name if i == 0 else f"{self.name}_{i}"
        return outputs

    def compute_output_spec(self, *args, **kwargs):
        """The outputs' `KerasTensor`s (shape and dtype) for symbolic arguments. The
        default runs `call` on small arrays standing in for them; override it when
        `call` cannot run on such stand-ins."""
        from kerasx.layers.core.lambda_layer import Lambda

        symbolic = [t for t in flatten((list(args), kwargs)) if isinstance(t, KerasTensor)]

        def run(values):
            lookup = {id(t): v for t, v in zip(symbolic, values)}
            return self.call(*replace(list(args), lookup), **replace(kwargs, lookup))

        probe = Lambda(run, name=f"{self.name}_output_spec")(list(symbolic))
        return _unlinked(probe)

    def get_config(self):
        """`{"name": ...}`; subclasses with constructor arguments add them."""
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @property
    def input(self):
        """The symbolic input of the operation's only call."""
        return self._only_node("input").inputs

    @property
    def output(self):
        """The symbolic output of the operation's only call."""
        return self._only_node("output").outputs

    def _only_node(self, what):
        nodes = self.__dict__.get("_inbound_nodes") or []
        if len(nodes) != 1:
            raise AttributeError(f"Operation {self.name!r} has been called {len(nodes)} times "
                                 f"on symbolic tensors; `{what}` is defined only for an "
                                 "operation called exactly once.")
        return nodes[0]

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"


def _unlinked(structure):
    """`structure` with each KerasTensor replaced by a new one of its shape and dtype."""
    if isinstance(structure, KerasTensor):
        return KerasTensor(structure.shape, structure.dtype)
    if isinstance(structure, dict):
        return {k: _unlinked(v) for k, v in structure.items()}
    if isinstance(structure, (list, tuple)):
        return type(structure)(_unlinked(v) for v in structure)
    return structure


def _register_layers():
    from kerasx.layers import Layer

    Operation.register(Layer)


_register_layers()
