"""The dtypes of a layer's inputs and outputs under its dtype policy.

Float inputs cast to the policy's compute dtype (`_cast_floats`), half-precision
inputs widened for a float32 layer (`_widen_half_floats`), the layers whose outputs
are cast back to their half-precision compute dtype (`_outputs_in_compute_dtype`),
and the refusal of a compute dtype the active backend lacks (`_check_backend_has`).
Functional and Sequential models (`_is_graph_model`) leave the casts to their layers.
"""

import functools

from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.backends import current, host
from kerasx.backends.base import dtype_name
from kerasx.backends.sparse import is_sparse, to_dense
from kerasx.tree import sequence_like


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


@functools.cache
def _outputs_in_compute_dtype(cls):
    """Whether `cls`'s outputs are cast to its half-precision compute dtype: those of
    kerasx's own layers (not graph models, whose layers cast their own, nor Lambda)."""
    module = getattr(cls.call, "__module__", None) or ""
    return (module.startswith("kerasx.") and module != "kerasx.layers.core.lambda_layer"
            and not issubclass(cls, _graph_models()))


def _widen_half_floats(inputs, dtype):
    """`inputs` with float16 / bfloat16 arrays cast to the float `dtype` of a layer
    that does not take the policy path; anything else unchanged."""
    if not dtype.startswith("float") or dtype == "float16":
        return inputs
    if isinstance(inputs, dict):
        return {k: _widen_half_floats(v, dtype) for k, v in inputs.items()}
    if isinstance(inputs, (list, tuple)):
        return sequence_like(inputs, [_widen_half_floats(x, dtype) for x in inputs])
    return _cast_floats(inputs, dtype) if _is_half(inputs) else inputs


def _is_half(x):
    dtype = getattr(getattr(x, "value", x), "dtype", None)
    return dtype is not None and dtype_name(dtype) in ("float16", "bfloat16")


def _is_graph_model(layer):
    return isinstance(layer, _graph_models())
