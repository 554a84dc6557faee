"""The context Keras adds to an error raised inside a layer's `call`.

Keras re-raises such an error with the layer's class and the arguments the call
received around the original message ("Exception encountered when calling
Dense.call(). ... Arguments received by Dense.call(): ..."), once, at the
innermost failing call. This module builds that error; it runs only once a call
has failed.
"""

import inspect

from kerasx.autodiff.tensor import TensorOps
from kerasx.backends import current
from kerasx.backends.base import dtype_name

# set on an error that names its layer already: outer layers pass it on unchanged
# (the attribute Keras sets, so code testing for it behaves alike)
CONTEXT_GIVEN = "_keras_call_info_injected"
_ARRAY_NAMES = {"numpy": "np.ndarray", "cupy": "cupy.ndarray"}


def mark_context_given(error):
    """Marks `error` as one that needs no call context from the layers it passes."""
    setattr(error, CONTEXT_GIVEN, True)
    return error


def with_call_context(layer, error, call, inputs, args, kwargs):
    """`error` re-made with the call's context (same type, attributes kept, marked), or
    None where it is to pass unchanged: an error given context already or naming the
    layer, iteration and kerasx's internal signals, a call on stand-ins for symbolic
    tensors (whose error names the layer and the symbolic shapes), traceback filtering
    off (as in Keras), an error class that cannot be made from one message, arguments
    `call` cannot bind."""
    if getattr(error, CONTEXT_GIVEN, False) or _is_signal(error) or _probing():
        return None
    from kerasx.utils.config_flags import is_traceback_filtering_enabled

    if not is_traceback_filtering_enabled():
        return None
    original = _message(error)
    if f"'{layer.name}'" in original:
        # the layer's own check of its inputs (Keras's input specs, which it runs
        # before `call` and does not wrap)
        return None
    try:
        signature = inspect.signature(call)
        bound = signature.bind(inputs, *args, **kwargs).arguments
    except (TypeError, ValueError):
        return None
    lines = "\n".join(
        f"  • {p.name}={_describe(bound[p.name]) if p.name in bound else p.default}"
        for p in signature.parameters.values())
    name = f"{type(layer).__name__}.call()"
    message = (f"Exception encountered when calling {name}.\n\n"
               f"\x1b[1m{original}\x1b[0m\n\n"
               f"Arguments received by {name}:\n{lines}")
    try:
        contextual = type(error)(message)
    except Exception:  # noqa: BLE001 - another constructor: the error keeps its own text
        return None
    contextual.__dict__.update(error.__dict__)
    contextual._original_message = original
    contextual._failed_call = (f"layer {layer.name!r} ({type(layer).__name__}) failed on "
                               f"inputs of shape {_shapes(inputs)}")
    return mark_context_given(contextual)


def failure_detail(error):
    """`error`'s message, preceded by the layer call it came from when a layer gave it
    context: "layer 'dense' (Dense) failed on inputs of shape (2, 5): <message>"."""
    where = getattr(error, "_failed_call", None)
    message = getattr(error, "_original_message", None) or str(error)
    return f"{where}: {message}" if where else message


def _message(error):
    """The error's message: its one string argument (Keras's choice: a KeyError's
    without the quotes `str` adds), else its text."""
    if len(error.args) == 1 and isinstance(error.args[0], str):
        return error.args[0]
    return str(error)


def _is_signal(error):
    """Errors that steer kerasx itself or the caller's iteration."""
    if isinstance(error, (StopIteration, StopAsyncIteration)):
        return True
    from kerasx.backends.numpy_trace_array import GuardFailed, UntraceableStep

    return isinstance(error, (GuardFailed, UntraceableStep))


def _probing():
    from kerasx.layers.core._shape_probes import PROBING

    return PROBING[0] > 0


def _shapes(value):
    if isinstance(value, TensorOps):
        return tuple(value.shape)
    if isinstance(value, (list, tuple)):
        return [_shapes(v) for v in value]
    if isinstance(value, dict):
        return {k: _shapes(v) for k, v in value.items()}
    return type(value).__name__


def _describe(value):
    """Keras's display of an argument: arrays by shape and dtype, containers entry by entry."""
    if isinstance(value, TensorOps):
        kind = _ARRAY_NAMES.get(current().name, "array")
        return f"{kind}(shape={tuple(value.shape)}, dtype={dtype_name(value.dtype)})"
    if isinstance(value, (list, tuple)) and not hasattr(value, "_fields"):
        return type(value)(_describe(v) for v in value)
    if isinstance(value, dict):
        return {k: _describe(v) for k, v in value.items()}
    return repr(value)
