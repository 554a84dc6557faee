"""`get_source_inputs`: the `Input` tensors a symbolic tensor is computed from."""


def get_source_inputs(tensor):
    """The list of `Input` tensors that `tensor` depends on, in first-seen order and
    without repeats.

    A KerasTensor made by `Input` gives itself in a list; a value that is not a
    KerasTensor is returned as it is, as Keras does.

    >>> a, b = keras.Input((2,)), keras.Input((3,))
    >>> y = keras.layers.Concatenate()([a, keras.layers.Dense(2)(b)])
    >>> keras.utils.get_source_inputs(y) == [a, b]
    """
    from kerasx.layers.core.keras_tensor import KerasTensor

    if not isinstance(tensor, KerasTensor):
        return tensor
    sources, expanded = [], set()
    stack = [tensor]
    while stack:
        tensor = stack.pop()
        node = tensor.node
        if node is None or node.is_input:
            found = [tensor] if node is None else node.output_tensors()
            sources.extend(t for t in found if all(t is not s for s in sources))
        elif id(node) not in expanded:
            expanded.add(id(node))
            stack.extend(reversed(node.input_tensors()))
    return sources
