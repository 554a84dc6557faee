"""`HostInputLayer`: the base of layers that read their inputs on the host (strings,
categorical values) and never run on symbolic placeholders."""

from kerasx.backends import host
from kerasx.layers.layer import Layer


class HostInputLayer(Layer):
    """A layer whose inputs stay as they are given (Python lists, NumPy arrays,
    backend arrays) and are read on the host by `call`.

    Called on `KerasTensor`s (e.g. `Input(shape=(1,), dtype="string")`), the layer
    does not run: its output placeholder takes the shape of
    `compute_output_shape` and the dtype of `symbolic_dtype()`.
    """

    _allow_non_tensor_positional_args = True
    _casts_call_arguments = False
    _takes_feature_list = False  # whether the input is a list of features (HashedCrossing)

    def _convert_inputs(self, inputs):
        return inputs

    def symbolic_dtype(self):
        return self.dtype

    def _build_for(self, inputs):
        # Python lists and strings have no `.shape`: the build reads the host arrays'
        super()._build_for(_with_host_shapes(inputs, self._takes_feature_list))

    def __call__(self, inputs, *args, **kwargs):
        from kerasx.layers.core._call_node import CallNode
        from kerasx.layers.core._nested_structure import flatten
        from kerasx.layers.core.keras_tensor import KerasTensor

        if not any(isinstance(t, KerasTensor) for t in flatten(inputs)):
            return super().__call__(inputs, *args, **kwargs)
        shapes = ([tuple(t.shape) for t in inputs] if isinstance(inputs, (list, tuple))
                  else tuple(inputs.shape))
        shape = tuple(self.compute_output_shape(shapes))
        node = CallNode(self, inputs, args, kwargs, None)
        node.outputs = KerasTensor(shape, self.symbolic_dtype(), node=node, index=0,
                                   name=self.name)
        self._output_shape = shape
        return node.outputs


class _HostShape:
    """Stands for a host input in the build, which reads only its shape."""

    def __init__(self, shape):
        self.shape = shape


def _with_host_shapes(inputs, feature_list):
    """`inputs` (a list of features when `feature_list`) with each value that has no
    `.shape` replaced by its host array's shape, or by `()` when it is no array (the
    call then says what is wrong with it)."""
    if feature_list and isinstance(inputs, (list, tuple)):
        return [_with_host_shapes(x, False) for x in inputs]
    if hasattr(inputs, "shape"):
        return inputs
    try:
        return _HostShape(tuple(host.to_host(inputs).shape))
    except (ValueError, TypeError):
        return _HostShape(())
