"""The `mask` argument of a model call (functional and Sequential models).

`attach_masks` checks the masks against the inputs and sets each on its input tensor,
where the layers that read the input find it as they would a `Masking` layer's mask;
`restore_masks` gives the caller's tensors their previous masks back after the call.
"""

from kerasx.layers.core._nested_structure import flatten
from kerasx.models._functional_inputs import cast, to_tensor


def attach_masks(model_name, names, values, mask):
    """Attaches the masks of a model call to its input tensors (`values`, a flat list;
    an input that cannot carry a mask, a Variable, is replaced by a Tensor of it).

    Returns what `restore_masks` needs to give each input tensor its previous
    mask back once the call is over (an input tensor may be the caller's own).
    """
    if mask is None:
        return []
    from kerasx.autodiff.tensor import Tensor

    masks = _flat_masks(model_name, names, mask)
    if len(masks) != len(values):
        raise ValueError(
            f"Model {model_name!r} has {len(values)} input(s) {names} but received "
            f"{len(masks)} mask(s). Pass `mask` in the structure of the inputs: one mask for "
            "one input, a list with one entry per input (None for an input without a mask), "
            "or a dict keyed by input name."
        )
    attached = []
    for i, (value, m, name) in enumerate(zip(values, masks, names)):
        if m is None:
            continue
        if value is None:
            raise ValueError(
                f"A mask was given for input {name!r} of model {model_name!r}, but the input "
                "itself is None. Pass None as its mask too."
            )
        m = _to_mask(m, value, name, model_name)
        if not isinstance(value, Tensor):
            value = values[i] = _tensor_view(value)
        attached.append((value, value._keras_mask))
        value._keras_mask = m
    return attached


def _tensor_view(variable):
    """A Tensor holding `variable`'s value, through which gradients reach the variable."""
    from kerasx.autodiff.tape import record, tracked
    from kerasx.autodiff.tensor import Tensor

    if tracked(variable):
        return record(variable.value, (variable,), lambda g: (g,))
    return Tensor(variable.value)


def restore_masks(attached, outputs=None):
    """Undoes `attach_masks`, except on a tensor the call returns (its mask is the output's)."""
    if not attached:
        return
    returned = {id(t) for t in flatten(outputs)} if outputs is not None else set()
    for tensor, previous in attached:
        if id(tensor) not in returned:
            tensor._keras_mask = previous


def _flat_masks(model_name, names, mask):
    if isinstance(mask, dict):
        unknown = sorted(set(mask) - set(names))
        if unknown:
            raise ValueError(
                f"Model {model_name!r} received masks for {unknown}, which are not among its "
                f"input names {names}. Key each mask by the `name` of its Input."
            )
        return [mask.get(n) for n in names]
    if isinstance(mask, (list, tuple)) and all(m is None or hasattr(m, "shape") or
                                               isinstance(m, (list, tuple, dict)) and
                                               _is_mask_structure(m) for m in mask):
        return flatten(list(mask))
    return [mask]  # one mask, possibly written as nested Python lists of booleans


def _is_mask_structure(value):
    items = value.values() if isinstance(value, dict) else value
    return all(m is None or hasattr(m, "shape") for m in items)


def _to_mask(mask, value, name, model_name):
    """`mask` as a boolean Tensor on the backend, checked against its input `value`."""
    from kerasx.autodiff.tensor import Tensor, TensorOps

    if isinstance(mask, TensorOps):
        tensor = mask if mask.dtype == "bool" else cast(mask, "bool")
    elif hasattr(mask, "shape") or isinstance(mask, (list, tuple)):
        tensor = to_tensor(mask, "bool")
    else:
        raise TypeError(
            f"The mask for input {name!r} of model {model_name!r} must be a boolean array, but "
            f"received {type(mask).__name__}: {mask!r}. Pass an array of shape (batch, "
            "timesteps) with True for the steps to keep."
        )
    got, want = tuple(tensor.shape), tuple(value.shape)
    if not 1 <= len(got) <= len(want) or got != want[:len(got)]:
        raise ValueError(
            f"The mask for input {name!r} of model {model_name!r} has shape {got}, which does "
            f"not match the input's shape {want}: a mask has the input's leading dimensions "
            f"(e.g. {want[:2]} for this input). Pass one boolean per batch entry and timestep."
        )
    return tensor if isinstance(tensor, Tensor) else Tensor(tensor.value)
