"""`input_signature` of an export: the shapes and dtypes of the inputs, and symbolic
tensors made from them."""


def symbolic_arguments(signature):
    """One symbolic structure per entry of `input_signature` (the positional arguments)."""
    from kerasx.layers.core.input_layer import Input

    def symbolic(item):
        if isinstance(item, dict):
            return {k: symbolic(v) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [symbolic(v) for v in item]
        (shape, dtype), = signature_specs(item)
        return Input(batch_shape=shape, dtype=dtype)

    entries = signature if isinstance(signature, (list, tuple)) else [signature]
    return [symbolic(item) for item in entries]


def symbolic_inputs(specs):
    from kerasx.layers.core.input_layer import Input

    tensors = [Input(batch_shape=tuple(shape), dtype=dtype) for shape, dtype in specs]
    return tensors[0] if len(tensors) == 1 else tensors


def signature_specs(signature):
    """`input_signature` (InputSpecs, KerasTensors or arrays, nested in lists or dicts) as a
    flat list of `(shape, dtype)`."""
    from kerasx.backends.base import dtype_name
    from kerasx.layers.core._nested_structure import flatten
    from kerasx.layers.core.input_spec import InputSpec
    from kerasx.layers.core.keras_tensor import KerasTensor

    specs = []
    for item in flatten(signature):
        if isinstance(item, (InputSpec, KerasTensor)):
            if item.shape is None or item.dtype is None:
                raise ValueError(
                    f"Each InputSpec of `input_signature` needs a shape and a dtype; received "
                    f"{item!r}. Write e.g. kerasx.InputSpec(shape=(None, 3), dtype='float32').")
            shape = tuple(item.shape)
            if isinstance(item, KerasTensor):
                shape = (None,) + shape[1:]
            specs.append((shape, dtype_name(item.dtype)))
        elif hasattr(item, "shape") and hasattr(item, "dtype"):
            specs.append(((None,) + tuple(item.shape)[1:], dtype_name(item.dtype)))
        else:
            raise TypeError(
                f"`input_signature` entries must be kerasx.InputSpec, KerasTensor or arrays; "
                f"received {type(item).__name__}: {item!r}.")
    return specs


def check_specs(owner, io, specs):
    if len(specs) != len(io.inputs):
        raise ValueError(
            f"`input_signature` describes {len(specs)} input(s) but {owner!r} has "
            f"{len(io.inputs)} ({io.input_names}). Give one spec per input.")
    for (shape, dtype), tensor, name in zip(specs, io.inputs, io.input_names):
        fits = len(shape) == len(tensor.shape) and all(
            a is None or b is None or a == b for a, b in zip(shape, tensor.shape))
        if not fits:
            raise ValueError(
                f"`input_signature` gives input {name!r} the shape {tuple(shape)}, which does "
                f"not fit the model's input shape {tuple(tensor.shape)}. Use the model's shape, "
                "fixing only sizes the model leaves as None.")
        if dtype != tensor.dtype:
            raise ValueError(
                f"`input_signature` gives input {name!r} the dtype {dtype!r} but the model "
                f"takes {tensor.dtype!r}. Use the model's input dtype.")
