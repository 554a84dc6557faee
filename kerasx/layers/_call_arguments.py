"""The arguments a layer's `call` receives besides its inputs.

What a `call` signature takes (`training`, `mask`, its parameter names), the training
phase of the running call and the default of its `training` argument, the masks
riding on the inputs (passed as `mask` or `<name>_mask`, as Keras passes them) and
attached to the outputs, and Keras's refusal of Python values passed positionally.
"""

import contextvars
import inspect

from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.backends import host
from kerasx.utils.per_class_cache import remember

# the training phase of the call running now (None outside any call given one)
_TRAINING = contextvars.ContextVar("kerasx_training", default=None)
# id(cls) -> (call takes `training`, call takes `mask`); `kerasx.utils.per_class_cache`
_SIGNATURES = {}


def _call_signature(cls):
    sig = _SIGNATURES.get(id(cls))
    if sig is None:
        params = inspect.signature(cls.call).parameters
        varkw = any(p.kind is p.VAR_KEYWORD for p in params.values())
        sig = remember(_SIGNATURES, cls, ("training" in params or varkw, "mask" in params))
    return sig


def _call_parameters(cls):
    """The names of `cls.call`'s parameters after `self`."""
    names = _CALL_PARAMETERS.get(id(cls))
    if names is None:
        names = remember(_CALL_PARAMETERS, cls, list(inspect.signature(cls.call).parameters)[1:])
    return names


_CALL_PARAMETERS = {}  # id(cls) -> parameter names (`kerasx.utils.per_class_cache`)


def _is_tensor_argument(value):
    """A tensor, or an array Keras converts to one, or a list of them."""
    if isinstance(value, TensorOps) or (host.is_host_value(value) and hasattr(value, "shape")):
        return True
    return (isinstance(value, (list, tuple)) and any(v is not None for v in value)
            and all(v is None or _is_tensor_argument(v) for v in value))


def _other_tensor_arguments(cls, args, kwargs):
    """`{parameter name: value}` of the call's tensor arguments after the first. As in
    Keras, a call on one tensor argument gets its mask as `mask`; a call on several
    (`decoder(x, encoder_outputs)`, `lstm(x, initial_state=...)`) gets no `mask`, only
    `<name>_mask` for the parameters that have one."""
    if not args and (not kwargs or kwargs.keys() <= {"training"}):
        return None
    names = _call_parameters(cls)[1:]
    found = {name: value for name, value in zip(names, args) if _is_tensor_argument(value)}
    found.update((name, value) for name, value in kwargs.items()
                 if name not in ("mask", "training") and _is_tensor_argument(value))
    return found


def _fill_named_masks(cls, inputs, args, others, kwargs):
    names = _call_parameters(cls)
    if not names:
        return
    for name, value in [(names[0], inputs), *others.items()]:
        key = f"{name}_mask"
        if key in names and kwargs.get(key) is None and names.index(key) > len(args):
            value_mask = _input_masks(value)
            if value_mask is not None:
                kwargs[key] = value_mask


def _first_by_keyword(layer, kwargs):
    """The first argument of `layer.call` taken out of `kwargs`, for a call that names it
    (`endpoint(logits=x, targets=y)`), as Keras allows."""
    params = list(inspect.signature(type(layer).call).parameters.values())[1:]
    if params and params[0].kind in (params[0].POSITIONAL_ONLY, params[0].POSITIONAL_OR_KEYWORD):
        if params[0].name in kwargs:
            return kwargs.pop(params[0].name)
    raise TypeError(
        f"Layer {layer.name!r} was called without inputs: pass them as the first argument, "
        f"e.g. layer(x), or by the name of the first argument of its `call` "
        f"({params[0].name if params else 'none'}=...); received only {sorted(kwargs)}."
    )


def training_default(cls):
    """The default of `training` in `cls.call` (e.g. `call(self, x, training=True)`), or
    None: a call with no `training` argument and no outer training phase runs with it,
    as the layer's author wrote it."""
    try:
        return _TRAINING_DEFAULTS[id(cls)]
    except KeyError:
        param = inspect.signature(cls.call).parameters.get("training")
        default = None if param is None or param.default is param.empty else param.default
        return remember(_TRAINING_DEFAULTS, cls, default)


_TRAINING_DEFAULTS = {}  # id(cls) -> default (`kerasx.utils.per_class_cache`)


def refuse_missing_training(layer, kwargs):
    """Keras's TypeError for a call without `training` to a layer whose `call` requires it
    (`call(self, x, training)`, no default): Keras binds the call's arguments to that
    signature, so `training` must be passed, even inside `fit` or a model's call."""
    if "training" in kwargs:
        return
    cls = type(layer)
    required = _TRAINING_REQUIRED.get(id(cls))
    if required is None:
        param = inspect.signature(cls.call).parameters.get("training")
        required = remember(_TRAINING_REQUIRED, cls, (
            param is not None and param.default is param.empty
            and param.kind is not param.VAR_KEYWORD))
    if required:
        raise TypeError(
            f"missing a required argument: 'training'. The `call` of layer {layer.name!r} "
            f"(of type {cls.__name__}) takes `training` without a default, so every call "
            "must pass it, e.g. layer(x, training=training). Give it a default in `call` "
            "(`training=None`) to let the training phase come from the enclosing call.")


_TRAINING_REQUIRED = {}  # id(cls) -> bool (`kerasx.utils.per_class_cache`)


def _input_masks(inputs):
    """The mask riding on the input: one Tensor's mask, or for a list / tuple of Tensors
    the list / tuple of their masks (None entries for unmasked ones) when any has one
    (Keras passes a call on several tensors their masks in the inputs' structure)."""
    if isinstance(inputs, Tensor):
        return inputs._keras_mask
    if isinstance(inputs, (list, tuple)) and inputs:
        masks = [x._keras_mask if isinstance(x, Tensor) else None for x in inputs]
        if any(m is not None for m in masks):
            return tuple(masks) if isinstance(inputs, tuple) else masks
    return None


def _any_mask(mask):
    return any(m is not None for m in (mask if isinstance(mask, (list, tuple)) else [mask]))


def _attach_output_masks(outputs, mask):
    """Gives the output tensors the masks `compute_mask` returned: one mask for one
    output; a list / tuple of masks entry by entry for several outputs (Keras pairs
    the flattened outputs with the flattened masks)."""
    if isinstance(outputs, Tensor) and not isinstance(mask, (list, tuple)):
        outputs._keras_mask = mask
        return
    flat_outputs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    flat_masks = list(mask) if isinstance(mask, (list, tuple)) else [mask]
    for tensor, each in zip(flat_outputs, flat_masks):
        if isinstance(tensor, Tensor) and each is not None and tensor._keras_mask is None:
            tensor._keras_mask = each


def _contains(structure, kind):
    if isinstance(structure, kind):
        return True
    if isinstance(structure, (list, tuple)):
        return any(_contains(s, kind) for s in structure)
    if isinstance(structure, dict):
        return any(_contains(s, kind) for s in structure.values())
    return False

def _refuse_python_values(values):
    """Keras's error for a Python number or string among a call's positional arguments
    (lists and tuples of them included; None is allowed)."""
    if isinstance(values, (list, tuple)):
        for value in values:
            _refuse_python_values(value)
    elif isinstance(values, (bool, int, float, complex, str, bytes)):
        raise ValueError(
            "Only input tensors may be passed as positional arguments. The following "
            f"argument value should be passed as a keyword argument: {values} (of type "
            f"{type(values)}). Pass tensors or NumPy arrays positionally (e.g. "
            "np.array([1, 2])), or the value by keyword.")
