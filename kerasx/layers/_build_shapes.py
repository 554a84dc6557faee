"""The shapes a layer is built for.

`build_on` calls a layer's `build` with its input shape (and the shapes of the other
call arguments its `build` names, `argument_shapes`), as Keras does on a first call;
`_record_build_shape` keeps the shape of a direct `layer.build(shape)` for the build
config; `builds_by_tracing` tells the layers Keras builds by tracing their `call`.
The shape helpers turn tensors into shape structures and back into zero arrays
(`compute_output_shape`'s default probes).
"""

import inspect

from kerasx.layers._call_arguments import _call_parameters
from kerasx.tree import sequence_like
from kerasx.utils.naming import uniquify
from kerasx.utils.per_class_cache import remember


def _record_build_shape(layer, build, args, kwargs):
    """Keeps the shape a user's direct `layer.build(shape)` received, as Keras does, so
    that `get_build_config()` returns it and a saved model builds the layer again."""
    if not args and not kwargs:  # `layer.build()`: Keras saves `{"shapes_dict": {}}`
        object.__setattr__(layer, "_built_without_shape", True)
        return
    try:
        bound = inspect.signature(build).bind(layer, *args, **kwargs).arguments
    except TypeError:
        return
    values = [v for name, v in bound.items() if name != "self"]
    if len(values) == 1 and values[0] is not None:
        layer._build_shape = values[0]


def builds_by_tracing(layer):
    """Whether Keras builds `layer` by tracing its `call` before running it: a layer (or
    subclassed model) without its own `build` whose sublayers are not all built."""
    from kerasx.layers.layer import Layer
    from kerasx.models.model import Model

    if type(layer).build not in (Layer.build, Model.build):
        return False
    return any(not sub.built for sub in layer._tracked_layers)


def name_traced_outputs(outputs):
    """Takes the tensor names Keras's build trace gives its outputs (one per output), so
    the tensors made next are named as in Keras."""
    from kerasx.layers.core._nested_structure import flatten

    for _ in flatten(outputs):
        uniquify("keras_tensor")


def argument_shapes(layer, args, kwargs):
    """`{"<name>_shape": shape}` for the call's other arguments that the layer's `build`
    names after its first parameter (Keras's `build(self, x_shape, mask_shape=None)` for
    `call(self, x, mask=None)`); an argument left out or None is not passed."""
    wanted = _BUILD_SHAPE_PARAMETERS.get(id(type(layer)))
    if wanted is None:
        try:
            params = list(inspect.signature(type(layer).build).parameters.values())[2:]
        except (TypeError, ValueError):
            params = []
        wanted = remember(_BUILD_SHAPE_PARAMETERS, type(layer), [
            p.name for p in params if p.name.endswith("_shape")
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)])
    if not wanted:
        return {}
    given = dict(zip(_call_parameters(type(layer))[1:], args))
    given.update(kwargs)
    shapes = {}
    for name in wanted:
        value = given.get(name[:-len("_shape")])
        if value is not None:
            try:
                shapes[name] = _shape_structure(value)
            except AttributeError:  # not tensors (a Python flag): no shape to give
                pass
    if shapes:
        object.__setattr__(layer, "_build_argument_shapes", shapes)
    return shapes


_BUILD_SHAPE_PARAMETERS = {}  # id(cls) -> names (`kerasx.utils.per_class_cache`)


def build_on(layer, shape, argument_shapes=None):
    """Calls `layer.build` with the input shape (and the `argument_shapes` its `build`
    names), or with nothing when the subclass's `build` takes no argument
    (`def build(self): ...`), as Keras calls it."""
    build = layer.build
    takes_shape = _BUILD_TAKES_SHAPE.get(id(type(layer)))
    if takes_shape is None:
        try:
            params = inspect.signature(build).parameters.values()
        except (TypeError, ValueError):
            params = None
        takes_shape = params is None or any(
            p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
            for p in params)
        if getattr(build, "__self__", None) is layer and "build" not in layer.__dict__:
            remember(_BUILD_TAKES_SHAPE, type(layer), takes_shape)
    object.__setattr__(layer, "_implicit_build", True)
    try:
        return build(shape, **(argument_shapes or {})) if takes_shape else build()
    finally:
        object.__setattr__(layer, "_implicit_build", False)


_BUILD_TAKES_SHAPE = {}  # id(cls) -> bool (`kerasx.utils.per_class_cache`)

def _shape_structure(x):
    if isinstance(x, (list, tuple)):
        return [_shape_structure(v) for v in x]
    if isinstance(x, dict):
        return {k: _shape_structure(v) for k, v in x.items()}
    return tuple(x.shape)


def _is_shape(s):
    return isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)


def _is_shape_list(s):
    return isinstance(s, list) and all(d is None or isinstance(d, int) for d in s)


def _zeros_structure(shape, fill, layer):
    from kerasx import ops

    if _is_shape(shape):
        dims = tuple(fill if d is None else d for d in shape)
        return ops.zeros(dims, dtype=layer.compute_dtype)
    if isinstance(shape, dict):
        return {k: _zeros_structure(v, fill, layer) for k, v in shape.items()}
    return [_zeros_structure(tuple(s) if isinstance(s, list) and _is_shape(tuple(s)) else s, fill, layer)
            for s in shape]


def _merge_shapes(a, b):
    """The shape structure of two probe runs' outputs, `None` where their sizes differ
    (a dimension that follows an unknown input size). Raises a ValueError when the
    ranks differ: no one shape describes such outputs."""
    if _is_shape(a):
        if len(a) != len(b):
            raise ValueError(f"the output rank depends on the input size ({a} vs {b}); "
                             "define `compute_output_shape` for this layer")
        return tuple(x if x == y else None for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _merge_shapes(a[k], b[k]) for k in a}
    # a tuple of outputs stays one, a namedtuple keeps its type
    return sequence_like(a, [_merge_shapes(x, y) for x, y in zip(a, b)])
