"""`clone_model`: a model of the same architecture, with new layers (and new weights)."""

from kerasx.layers.core._nested_structure import flatten, map_structure, replace
from kerasx.layers.core.input_layer import Input
from kerasx.layers.core.keras_tensor import KerasTensor
from kerasx.layers.core.op_layer import OpLayer
from kerasx.models.functional import Functional, _functional_like_constructor
from kerasx.models.sequential import Sequential


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model of `model`'s architecture with freshly initialized weights.

    Args:
        model: a `Sequential` or functional model (a subclassed model is rebuilt
            from its config, which supports none of the arguments below).
        input_tensors: `KerasTensor`s, in the structure of `model.input`, to build
            the clone on (default: new `Input`s like the model's).
        clone_function: `f(layer) -> layer` for each layer (not the inputs);
            default `layer.__class__.from_config(layer.get_config())`. Return
            `layer` itself to share it (and its weights) with the clone.
        call_function: `f(layer, *args, **kwargs) -> outputs` making each layer
            call of a functional model, e.g. to insert layers around it.
        recursive: clone the layers of nested `Sequential` / functional models
            with `clone_function` too, instead of passing those models to it.

    A shared layer is cloned once and shared in the clone. A compiled model's
    clone is compiled with the same configuration (new optimizer state).
    """
    cache = kwargs.pop("cache", None)
    if kwargs:
        raise ValueError(f"clone_model got unexpected arguments {sorted(kwargs)}; it takes "
                         "input_tensors, clone_function, call_function and recursive.")
    for name, fn in (("clone_function", clone_function), ("call_function", call_function)):
        if fn is not None and not callable(fn):
            raise ValueError(f"`{name}` must be callable, received {fn!r}.")
    clone_layer = _cached_clone(clone_function, call_function, recursive,
                                {} if cache is None else cache)
    if isinstance(model, Sequential):
        if call_function is not None:
            raise ValueError(
                "`call_function` needs a functional model: a Sequential model lists its "
                "layers and makes no calls at construction. Clone it with clone_function, or "
                "rebuild it as keras.Model(inputs, outputs) first.")
        clone = _clone_sequential(model, clone_layer, input_tensors)
    elif isinstance(model, Functional):
        clone = _clone_functional(model, clone_layer, call_function, input_tensors)
    else:
        if clone_function is not None or input_tensors is not None or call_function is not None:
            raise ValueError(
                "input_tensors, clone_function and call_function work on Sequential and "
                f"functional models; received a {type(model).__name__}, which can only be "
                "cloned from its config: clone_model(model).")
        from kerasx.saving.serialization import deserialize_keras_object, serialize_keras_object

        return deserialize_keras_object(serialize_keras_object(model),
                                        custom_objects={type(model).__name__: type(model)})
    if getattr(model, "compiled", False):
        clone.compile_from_config(model.get_compile_config())
    return clone


def _cached_clone(clone_function, call_function, recursive, cache):
    """`clone_function` with each layer cloned once, and nested models cloned layer by
    layer when `recursive`."""
    fn = clone_function or _fresh_copy

    def clone_layer(layer):
        key = id(layer)
        if key not in cache:
            if recursive and isinstance(layer, (Sequential, Functional)):
                cache[key] = clone_model(layer, clone_function=clone_function,
                                         call_function=call_function
                                         if isinstance(layer, Functional) else None,
                                         recursive=True, cache=cache)
            else:
                cache[key] = fn(layer)
        return cache[key]

    return clone_layer


def _fresh_copy(layer):
    return layer.__class__.from_config(layer.get_config())


def _clone_sequential(model, clone_layer, input_tensors):
    layers = [clone_layer(layer) for layer in model.layers]
    shape = model._declared_input_shape()
    if input_tensors is not None:
        tensors = flatten(input_tensors)
        if len(tensors) != 1 or not isinstance(tensors[0], KerasTensor):
            raise ValueError("`input_tensors` of a Sequential model must be one KerasTensor "
                             f"(from keras.Input), received {input_tensors!r}.")
        # a Sequential whose Input layer (named as the original's) wraps the given tensor
        first = Input(tensor=tensors[0], name=None if model._input_layer is None
                      else model._input_layer.name)
        return Sequential([first] + layers, name=model.name, trainable=model.trainable)
    if shape is not None:
        layers = [Input(batch_shape=tuple(shape), dtype=model.inputs[0].dtype,
                        name=model._input_layer.name)] + layers
    return Sequential(layers, name=model.name, trainable=model.trainable)


def _clone_functional(model, clone_layer, call_function, input_tensors):
    if input_tensors is None:
        new_inputs = map_structure(
            model.input, lambda t: Input(batch_shape=t.shape, dtype=t.dtype, sparse=t.sparse,
                                         name=t.name))
    else:
        _check_same_structure(input_tensors, model.input)
        new_inputs = input_tensors
    lookup = {id(t): v for t, v in zip(model.inputs, flatten(new_inputs))}
    for node in model._nodes:
        if node.is_input:
            continue
        # operations on symbolic tensors hold no weights: the clone reuses them
        layer = node.layer if isinstance(node.layer, OpLayer) else clone_layer(node.layer)
        inputs, args = replace(node.inputs, lookup), replace(list(node.args), lookup)
        kwargs = replace(node.kwargs, lookup)
        if call_function is not None and not isinstance(layer, OpLayer):
            out = call_function(layer, inputs, *args, **kwargs)
        else:
            out = layer(inputs, *args, **kwargs)
        got = flatten(out)
        old = node.output_tensors()
        if len(got) != len(old):
            raise ValueError(f"The clone of layer {node.layer.name!r} returned {len(got)} "
                             f"tensor(s) where the original returned {len(old)}.")
        lookup.update((id(t), v) for t, v in zip(old, got))
    outputs = replace(model.output, lookup)
    cls = type(model) if _functional_like_constructor(type(model)) else Functional
    return cls(inputs=new_inputs, outputs=outputs, name=model.name, trainable=model.trainable)


def _check_same_structure(given, reference):
    def shape_of(s):
        if isinstance(s, dict):
            return {k: shape_of(v) for k, v in s.items()}
        if isinstance(s, (list, tuple)):
            return [shape_of(v) for v in s]
        return "tensor"

    leaves = flatten(given)
    if shape_of(given) != shape_of(reference) or not all(isinstance(t, KerasTensor)
                                                          for t in leaves):
        raise ValueError("`input_tensors` must be KerasTensors (from keras.Input) in the "
                         f"structure of model.input, {reference!r}; received {given!r}.")
