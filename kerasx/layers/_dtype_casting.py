"""The dtypes of a layer's inputs and outputs under its dtype policy.

Float inputs cast to the layer's compute dtype (`_cast_floats`; the call's other
arguments by `_cast_arguments`), the layers whose outputs are cast back to their
half-precision compute dtype (`_outputs_in_compute_dtype`), and the refusal of a
compute dtype the active backend lacks (`_check_backend_has`).
Functional and Sequential models (`_is_graph_model`) leave the casts to their layers.
"""

import functools

from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.backends import current, host
from kerasx.backends.base import dtype_name
from kerasx.backends.sparse import is_sparse, to_dense
from kerasx.tree import sequence_like
from kerasx.utils.per_class_cache import remember


def _check_backend_has(layer, dtype):
    """Refuses a compute dtype the active backend lacks (float16 and bfloat16 are not in
    the array API standard), naming the backends that have it."""
    backend = current()
    try:
        backend.dtype(dtype)
    except TypeError:
        where = ("the numpy and cupy backends" if dtype == "float16" else
                 "the numpy and cupy backends with the `ml_dtypes` package installed")
        raise ValueError(
            f"Layer {layer.name!r}: its dtype policy computes in {dtype}, which the "
            f"{backend.name!r} backend does not have ({dtype} is not in the array API "
            f"standard). {dtype} is available on {where}; use a 'float32' policy here, or "
            "select another backend with KERASX_BACKEND."
        ) from None


def _cast_floats(inputs, dtype):
    """`inputs` as Tensors, float ones cast to `dtype` (recorded: gradients flow back in
    the input's own dtype), as Keras's layers convert their inputs."""
    from kerasx import ops

    if isinstance(inputs, (list, tuple)):
        return sequence_like(inputs, [_cast_floats(x, dtype) for x in inputs])
    if isinstance(inputs, dict):
        return {k: _cast_floats(v, dtype) for k, v in inputs.items()}
    if inputs is None or isinstance(inputs, (bool, int, str)) or host.is_string_array(inputs):
        return inputs
    backend = current()
    if not isinstance(inputs, TensorOps):
        inputs = Tensor(to_dense(inputs, backend) if is_sparse(inputs)
                        else backend.asarray(inputs))
    value = inputs.value
    if backend.isdtype(value.dtype, "real floating") and dtype_name(value.dtype) != dtype:
        mask = getattr(inputs, "_keras_mask", None)
        inputs = ops.cast(inputs, dtype)
        inputs._keras_mask = mask
    return inputs


@functools.cache
def _graph_models():
    from kerasx.models.functional import Functional
    from kerasx.models.sequential import Sequential

    return Functional, Sequential


def _outputs_in_compute_dtype(cls):
    """Whether `cls`'s outputs are cast to its half-precision compute dtype: those of
    kerasx's own layers (not graph models, whose layers cast their own, nor Lambda)."""
    cast = _CASTS_OUTPUTS.get(id(cls))
    if cast is None:
        module = getattr(cls.call, "__module__", None) or ""
        cast = remember(_CASTS_OUTPUTS, cls, module.startswith("kerasx.")
                        and module != "kerasx.layers.core.lambda_layer"
                        and not issubclass(cls, _graph_models()))
    return cast


_CASTS_OUTPUTS = {}  # id(cls) -> bool (`kerasx.utils.per_class_cache`)


# the float dtype names an autocast layer casts to its compute dtype
_FLOATS = frozenset({"float16", "bfloat16", "float32", "float64"})


def _cast_arguments(args, kwargs, dtype):
    """`args` and `kwargs` with their float tensors and float host arrays cast to `dtype`,
    as Keras converts every argument of a call (a second tensor, `initial_state`, ...);
    other values unchanged, and the originals returned when nothing needs a cast."""
    if args and _any_needs_cast(args, dtype):
        args = tuple(_cast_floats(a, dtype) if _needs_cast(a, dtype) else a for a in args)
    if kwargs and _any_needs_cast(kwargs.values(), dtype):
        kwargs = {k: _cast_floats(v, dtype) if _needs_cast(v, dtype) else v
                  for k, v in kwargs.items()}
    return args, kwargs


def _any_needs_cast(values, dtype):
    for x in values:
        # the usual flags (`training=True`, a left-out mask) first: one test each
        if x is not None and x.__class__ not in _PLAIN and _needs_cast(x, dtype):
            return True
    return False


_PLAIN = frozenset({bool, int, float, str})


def _needs_cast(x, dtype):
    """Whether `x` (or a tensor in a list, tuple or dict `x`) is a float array whose dtype
    is not `dtype`."""
    if isinstance(x, (list, tuple)):
        return any(_needs_cast(v, dtype) for v in x)
    if isinstance(x, dict):
        return any(_needs_cast(v, dtype) for v in x.values())
    if isinstance(x, TensorOps):
        name = x.dtype
    elif hasattr(x, "__array__") and hasattr(x, "dtype") and not is_sparse(x):
        try:
            name = dtype_name(x.dtype)
        except TypeError:
            return False
    else:
        return False
    return name != dtype and name in _FLOATS


def _is_graph_model(layer):
    # per class once: the layer call asks at every call with other arguments
    graph = _GRAPH_MODEL_CLASSES.get(id(type(layer)))
    if graph is None:
        graph = remember(_GRAPH_MODEL_CLASSES, type(layer),
                         issubclass(type(layer), _graph_models()))
    return graph


_GRAPH_MODEL_CLASSES = {}  # id(cls) -> bool (`kerasx.utils.per_class_cache`)
