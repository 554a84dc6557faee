"""Calling a layer on KerasTensors.

`symbolic_call` does not compute anything: it builds the layer for the symbolic
shapes, checks that it accepts them (so a wrong shape fails here, when the graph is
written, not at `fit`), infers the output shapes (`kerasx.layers.core._shape_probes`)
and records a `CallNode`. `kerasx.Model(inputs, outputs)` replays those nodes on real
data. `output_spec` is `Layer.compute_output_spec`'s default.
"""

from kerasx import tree
from kerasx.layers._call_arguments import refuse_missing_training
from kerasx.layers._build_shapes import (argument_shapes, build_on, builds_by_tracing,
                                         name_traced_outputs)
from kerasx.layers.core._call_node import CallNode
from kerasx.layers.core._nested_structure import flatten, map_structure
from kerasx.layers.core._shape_probes import (_call_error, _declared_output_shape, _is_shape,
                                              infer_outputs)
from kerasx.layers.core.input_spec import assert_input_compatibility
from kerasx.layers.core.keras_tensor import KerasTensor
from kerasx.layers.layer import Layer


def symbolic_call(layer, inputs, args, kwargs):
    """Calls `layer` on KerasTensors: checks and builds it, infers output shapes, records the call.

    The output shapes come from running the layer on small zero arrays twice,
    with different sizes for the unknown dimensions; output dimensions that
    change between the two runs are unknown (None). One run does when the layer's
    own `compute_output_shape` agrees with it about all but the batch size. A layer
    that cannot run on such small arrays falls back to its own
    `compute_output_shape`. A layer class that defines `compute_output_spec` gives
    its outputs itself.
    """
    refuse_missing_training(layer, kwargs)
    in_shapes = map_structure(inputs, lambda t: t.shape)
    traced = not layer.built and builds_by_tracing(layer)
    try:
        assert_input_compatibility(layer, [(t.shape, t.dtype) for t in flatten(inputs)
                                           if isinstance(t, KerasTensor)])
        if not layer.built:
            layer._build_shape = in_shapes
            build_on(layer, in_shapes, argument_shapes(layer, args, kwargs))
            layer.built = True
    except (ValueError, TypeError, IndexError) as e:
        raise _call_error(layer, in_shapes, e) from None
    if type(layer).compute_output_spec is not Layer.compute_output_spec:
        out_shape, out_dtypes, names = _declared_spec(layer, inputs, args, kwargs, in_shapes)
        out_masks = None
    else:
        out_shape, out_dtypes, out_masks = infer_outputs(layer, inputs, args, kwargs,
                                                         with_masks=True)
        names = []
    if traced:
        name_traced_outputs(_zip_shapes(out_shape, out_dtypes, lambda shape, dtype: dtype))
    node = CallNode(layer, inputs, args, kwargs, None)
    counter = [0]

    def make(shape, dtype):
        i = counter[0]
        counter[0] += 1
        # the recorded outputs are the spec's tensors in Keras: they keep its names
        return KerasTensor(shape, dtype, node=node, index=i,
                           name=names[i] if i < len(names) else None)

    node.outputs = _zip_shapes(out_shape, out_dtypes, make)
    if out_masks is not None:
        _attach_symbolic_masks(node.outputs, out_masks)
    layer._output_shape = out_shape
    # new containers: the caller may change the list it gets (`x[-1] = f(x[-1])`, as the
    # fully convolutional network example does) without changing the recorded call
    return map_structure(node.outputs, lambda t: t)


def _attach_symbolic_masks(outputs, masks):
    """Gives each output KerasTensor whose probe runs carried a mask a `_keras_mask`: a
    boolean KerasTensor of the mask's shape (for inspection, as Keras shows it; the
    masks themselves travel with the tensors when the model runs). `masks`: one shape
    or None per flattened output."""
    for tensor, shape in zip(flatten(outputs), masks):
        if shape is not None and isinstance(tensor, KerasTensor):
            tensor._keras_mask = KerasTensor(shape, "bool")


def _declared_spec(layer, inputs, args, kwargs, in_shapes):
    """`(shapes, dtypes, names)` from the layer's own `compute_output_spec`."""
    try:
        spec = layer.compute_output_spec(inputs, *args, **kwargs)
    except (ValueError, TypeError, IndexError) as e:
        raise _call_error(layer, in_shapes, e) from None
    if not all(isinstance(t, KerasTensor) for t in flatten(spec)):
        raise TypeError(f"Layer {layer.name!r}: compute_output_spec must return KerasTensors "
                        f"(or a list / tuple / dict of them); received {spec!r}.")
    return (map_structure(spec, lambda t: tuple(t.shape), _is_spec),
            map_structure(spec, lambda t: t.dtype, _is_spec), [t.name for t in flatten(spec)])


def _is_spec(x):
    return isinstance(x, KerasTensor)


def output_spec(layer, inputs, args, kwargs):
    """`Layer.compute_output_spec`'s default: the outputs as unrecorded KerasTensors, from
    the layer's own `compute_output_shape` while it is not built (as Keras, leaving it
    unbuilt), else from running the built layer on small zero arrays."""
    if not layer.built and not args and not kwargs:
        declared = _declared_output_shape(layer, map_structure(inputs, lambda t: t.shape))
        if declared is not None:
            return map_structure(declared, lambda shape: KerasTensor(shape, layer.compute_dtype),
                                 _is_shape)
    if not layer.built:
        shapes = map_structure(inputs, lambda t: t.shape)
        layer._build_shape = shapes
        build_on(layer, shapes)
        layer.built = True
    shapes, dtypes = infer_outputs(layer, inputs, args, kwargs)
    return _zip_shapes(shapes, dtypes, lambda shape, dtype: KerasTensor(shape, dtype))


def _zip_shapes(shapes, dtypes, fn):
    if _is_shape(shapes):
        return fn(shapes, dtypes)
    if isinstance(shapes, dict):
        return {k: _zip_shapes(shapes[k], dtypes[k], fn) for k in shapes}
    return tree.sequence_like(shapes, [_zip_shapes(s, d, fn) for s, d in zip(shapes, dtypes)])
