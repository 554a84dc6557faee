"""`OnnxGraph`: collects the nodes and weights of an ONNX graph while layers are converted.

Layer converters call `node(...)` for each ONNX operator and `weight(...)` /
`constant(...)` for the arrays they need; every tensor gets a unique name built
from a hint (the layer's name), so a reader of the exported file can tell
which layer each node came from.
"""

import collections

_ELEMENT_TYPES = {"float32": "FLOAT", "float64": "DOUBLE", "float16": "FLOAT16",
                  "bfloat16": "BFLOAT16", "int8": "INT8", "int16": "INT16", "int32": "INT32",
                  "int64": "INT64", "uint8": "UINT8", "uint16": "UINT16", "uint32": "UINT32",
                  "uint64": "UINT64", "bool": "BOOL"}


def element_type(dtype):
    """The ONNX `TensorProto` element type of a kerasx dtype name."""
    from onnx import TensorProto

    name = _ELEMENT_TYPES.get(str(dtype))
    if name is None:
        raise ValueError(
            f"ONNX export does not support tensors of dtype {dtype!r}; supported dtypes are "
            f"{sorted(_ELEMENT_TYPES)}.")
    return getattr(TensorProto, name)


def host_array(value):
    """A weight, tensor or backend array as a host (NumPy) array, for `onnx.numpy_helper`."""
    from kerasx.backends import current
    from kerasx.ops._helpers import value_of

    return current().to_numpy(value_of(value))


class OnnxGraph:
    """The nodes, initializers, inputs and outputs of the graph being written.

    Args:
        opset: the ONNX opset version the nodes are written for.
    """

    def __init__(self, opset):
        self.opset = opset
        self.nodes = []
        self.initializers = []
        self._taken = set()
        self._count = collections.Counter()

    def name(self, hint):
        """A tensor name not used before, made from `hint`."""
        hint = str(hint) or "t"
        name = hint
        while name in self._taken:
            self._count[hint] += 1
            name = f"{hint}_{self._count[hint]}"
        self._taken.add(name)
        return name

    def reserve(self, name):
        """Claims `name` exactly (a graph input); it must be free."""
        if name in self._taken:
            raise ValueError(f"The ONNX graph already has a tensor named {name!r}.")
        self._taken.add(name)
        return name

    def node(self, op, inputs, hint, outputs=1, output_names=None, **attributes):
        """Adds operator `op` on `inputs` (tensor names, "" for an omitted optional one).

        Returns the output name, or a list of `outputs` names when `outputs > 1`.
        """
        from onnx import helper

        if output_names is None:
            output_names = [self.name(f"{hint}/{op}") for _ in range(outputs)]
        attributes = {k: v for k, v in attributes.items() if v is not None}
        self.nodes.append(helper.make_node(op, list(inputs), list(output_names),
                                           name=self.name(f"{hint}/{op}:node"), **attributes))
        return output_names[0] if len(output_names) == 1 else list(output_names)

    def weight(self, value, hint):
        """An initializer holding `value` (a Variable, Tensor or backend array)."""
        from onnx import numpy_helper

        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(host_array(value), name))
        return name

    def constant(self, values, dtype, hint, shape=None):
        """An initializer from Python numbers (`values` a number or a flat list)."""
        from onnx import helper

        flat = list(values) if isinstance(values, (list, tuple)) else [values]
        dims = [len(flat)] if shape is None else list(shape)
        if isinstance(values, (int, float, bool)) and shape is None:
            dims = []
        name = self.name(hint)
        self.initializers.append(helper.make_tensor(name, element_type(dtype), dims, flat))
        return name

    def ints(self, values, hint):
        """A 1-D int64 initializer (shapes, axes, pads)."""
        return self.constant([int(v) for v in values], "int64", hint, shape=[len(values)])

    # -- operators whose signature changed between opsets ----------------------------------
    def reduce(self, op, x, axes, hint, keepdims=True):
        """`op` (ReduceMean, ReduceMax, ...) of `x` over `axes`."""
        keep = int(bool(keepdims))
        if self.opset >= 18 or op == "ReduceSum":
            return self.node(op, [x, self.ints(axes, f"{hint}/axes")], hint, keepdims=keep)
        return self.node(op, [x], hint, axes=list(axes), keepdims=keep)

    def squeeze(self, x, axes, hint):
        return self.node("Squeeze", [x, self.ints(axes, f"{hint}/axes")], hint)

    def unsqueeze(self, x, axes, hint):
        return self.node("Unsqueeze", [x, self.ints(axes, f"{hint}/axes")], hint)

    def transpose(self, x, perm, hint):
        if list(perm) == list(range(len(perm))):
            return x
        return self.node("Transpose", [x], hint, perm=list(perm))

    def reshape(self, x, shape, hint):
        """Reshape where 0 keeps an input dimension (the batch) and -1 is inferred."""
        return self.node("Reshape", [x, self.ints(shape, f"{hint}/shape")], hint)
