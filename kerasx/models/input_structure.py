"""Keras's check of the structure a functional model is called with.

Keras warns when `model(inputs)` gets another nesting than the model's `inputs`
(a bare array for `inputs=[x]`, a list for a dict of inputs, ...), and raises when
the mismatch is ambiguous: a dict of inputs whose keys are not in sorted order
called with a list or tuple. Lists and tuples count as the same, and a single
tensor for a one-element list of inputs is fine, as in Keras.
"""

import warnings

from kerasx import tree
from kerasx.autodiff.tensor import Tensor
from kerasx.backends.host import is_string_array

STRUCTURE_WARNING = "The structure of `inputs` doesn't match the expected structure"


def check_input_structure(model, inputs):
    """Warns (or raises, for the ambiguous case) as Keras's `Functional` does. Symbolic
    calls (on KerasTensors) are not checked, as in Keras."""
    struct = model._inputs_struct
    if isinstance(struct, list) and len(struct) == 1 and _is_tensor(inputs) \
            or not isinstance(struct, (list, tuple, dict)) and _is_tensor(inputs):
        return  # the common calls, checked cheaply
    raise_error = False
    given = inputs
    if isinstance(inputs, dict) and not isinstance(struct, dict):
        if isinstance(struct, (list, tuple)):
            if {t.name for t in struct} <= set(inputs):
                inputs = [inputs[t.name] for t in struct]
            else:
                raise_error = True
        elif struct.name in inputs:
            inputs = [inputs[struct.name]]
        else:
            raise_error = True
    if isinstance(struct, dict) and not isinstance(inputs, dict) \
            and list(struct) != sorted(struct):
        raise_error = True
    kind = model.__dict__.get("_inputs_kind")
    if kind is not None and not isinstance(given, dict):
        # as Keras, a namedtuple of inputs expects one of its type
        struct = kind(*struct) if hasattr(kind, "_fields") else kind(struct)
    if _same_structure(inputs, struct) or _symbolic(inputs):
        return
    expected = tree.map_structure(lambda t: "None" if t is None else t.name, struct)
    received = tree.map_structure(
        lambda x: "None" if x is None else f"Tensor(shape={_shape(x)})", inputs)
    message = (f"{STRUCTURE_WARNING}.\n"
               f"Expected: {expected}\nReceived: inputs={received}")
    if raise_error:
        raise ValueError(message + "\nPass the inputs as a dict keyed by input name, or as a "
                                   "list in the order of the model's inputs.")
    warnings.warn(message, stacklevel=3)


def _is_tensor(x):
    """A backend tensor as Keras's `ops.is_tensor` sees one (not a NumPy array on a GPU
    backend's terms, nor a Variable); string arrays stay on the host in kerasx and count
    as the tensors Keras would have made of them."""
    return type(x) is Tensor or isinstance(x, Tensor) or is_string_array(x)


def _same_structure(a, b):
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and sorted(a) == sorted(b)
                and all(_same_structure(a[k], b[k]) for k in a))
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        if (hasattr(a, "_fields") or hasattr(b, "_fields")) and type(a) is not type(b):
            return False
        return (isinstance(a, (list, tuple)) and isinstance(b, (list, tuple))
                and len(a) == len(b) and all(_same_structure(x, y) for x, y in zip(a, b)))
    return True


def _symbolic(inputs):
    from kerasx.layers.core.keras_tensor import KerasTensor

    return any(isinstance(x, KerasTensor) for x in tree.flatten(inputs))


def _shape(x):
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None else ()


def unwrap_single_input(tensor, inputs):
    """A built Sequential's input from a one-element list / tuple, or a dict holding its
    input's name, with Keras's structure warning (Keras runs the stack as a Functional
    model, which takes these)."""
    if isinstance(inputs, dict):
        if tensor.name not in inputs:
            return inputs
        inputs = [inputs[tensor.name]]
    if len(inputs) != 1:
        return inputs
    received = tree.map_structure(
        lambda x: "None" if x is None else f"Tensor(shape={_shape(x)})", list(inputs))
    warnings.warn(f"{STRUCTURE_WARNING}.\nExpected: {tensor.name}\nReceived: inputs={received}",
                  stacklevel=4)
    return inputs[0]
