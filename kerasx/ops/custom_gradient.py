"""`custom_gradient`: a function whose gradient is written by hand (Keras 3's decorator)."""

import functools
import inspect
from importlib import import_module

from kerasx.autodiff.tape import _Paused, record, record_multi, tracked
from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.backends.base import dtype_name
from kerasx.ops._helpers import current, shape_of, value_of


def custom_gradient(f):
    """Decorates `f(*args) -> (output, grad_fn)` into a function returning `output`
    whose gradient is `grad_fn`'s.

    The forward runs without recording, and the call becomes one tape node:
    the backward pass calls `grad_fn(upstream)` (as Keras's JAX and TensorFlow
    backends do) with the output's gradient, a Tensor (a tuple of them, one per
    output, when `output` is a list or tuple). A `grad_fn` that declares a
    keyword-only `upstream` without a default (`def grad(*args, upstream)`, the
    PyTorch form) is called as `grad_fn(*args, upstream=upstream)` instead; the
    portable form of Keras's documentation, `def grad(*args, upstream=None)`,
    works either way. `grad_fn` returns one gradient per tensor in `args`
    (flattened; a single value when there is one), None where none flows.
    Called on symbolic tensors, it adds a node to the functional model that applies
    the function, with its gradient, when the model runs.

    A gradient of the gradient (nested `GradientTape`s) differentiates `grad_fn`
    itself, as JAX does: `f` runs again, recorded, so that what `grad_fn` reads from
    it depends on the inputs, and `grad_fn` runs recorded on the recorded upstream
    gradient; it must then compute with kerasx ops (not NumPy).

    Example:

    ```python
    @ops.custom_gradient
    def log1pexp(x):
        e = ops.exp(x)

        def grad(*args, upstream=None):
            if upstream is None:
                (upstream,) = args
            return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

        return ops.log(1 + e), grad
    ```
    """
    if not callable(f):
        raise TypeError(f"custom_gradient decorates a function; received {f!r} of type "
                        f"{type(f).__name__}.")

    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        from kerasx.ops import _has_symbolic

        if _has_symbolic(args):
            # a functional model under construction: a node that applies `f` to real values
            from kerasx.layers.core.lambda_layer import Lambda
            from kerasx.utils.naming import to_snake_case, uniquify

            node = Lambda(lambda values: wrapper(*values, **kwargs),
                          name=uniquify(to_snake_case(f.__name__)))
            return node(list(args))
        with _Paused():
            result = f(*args, **kwargs)
        if not isinstance(result, (list, tuple)) or len(result) != 2 or not callable(result[1]):
            raise ValueError(
                f"custom_gradient: {f.__name__} must return a pair (output, grad_fn) with "
                f"grad_fn a function of the upstream gradient; received {result!r}.")
        output, grad_fn = result
        inputs = _tensor_leaves(args)
        several = isinstance(output, (list, tuple))
        values = [value_of(o) for o in output] if several else [value_of(output)]
        if not tracked(*inputs):
            outs = [Tensor(v) for v in values]
            return type(output)(outs) if several else outs[0]
        vjp = _vjp(f, kwargs, grad_fn, args, inputs, values, several)
        if several:
            return type(output)(record_multi(values, inputs, vjp))
        return record(values[0], inputs, vjp)

    return wrapper


def _tensor_leaves(structure):
    """The Tensors and Variables in `structure`, flattened in order."""
    if isinstance(structure, dict):
        structure = [structure[k] for k in sorted(structure)]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _tensor_leaves(item)]
    return [structure] if isinstance(structure, TensorOps) else []


def _vjp(f, kwargs, grad_fn, args, inputs, values, several):
    name = f.__name__
    backend = current()
    xp = backend.xp
    torch_style = _wants_args(grad_fn)

    def vjp(g):
        gs = g if several else (g,)
        upstream = tuple(Tensor(xp.zeros_like(v) if gi is None else gi)
                         for gi, v in zip(gs, values))
        upstream = upstream if several else upstream[0]
        with _Paused():
            grads = grad_fn(*args, upstream=upstream) if torch_style else grad_fn(upstream)
        grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
        check_count(name, grads, inputs)
        out = []
        for x, gx in zip(inputs, grads):
            if gx is None:
                out.append(None)
                continue
            gv = backend.asarray(value_of(gx), dtype=dtype_name(x.value.dtype))
            if shape_of(gv) != shape_of(x.value):
                try:
                    gv = xp.broadcast_to(gv, shape_of(x.value))
                except ValueError:
                    raise ValueError(
                        f"custom_gradient: the gradient function of {name} returned a gradient "
                        f"of shape {shape_of(gv)} for an argument of shape "
                        f"{shape_of(x.value)}; return one of the argument's shape.") from None
            out.append(gv)
        return tuple(out)

    # for gradients of gradients, which run `f` again (`custom_gradient_grads`)
    vjp.function, vjp.keywords = f, kwargs
    return vjp


def check_count(name, grads, inputs):
    """Raises unless the gradient function gave one gradient per tensor argument."""
    if len(grads) != len(inputs):
        raise ValueError(
            f"custom_gradient: the gradient function of {name} returned {len(grads)} "
            f"value(s), but the call took {len(inputs)} tensor argument(s); return one "
            "gradient per tensor argument (None for those without one).")


def _wants_args(grad_fn):
    """Whether `grad_fn` requires `upstream` by keyword (`def grad(*args, upstream)`)."""
    try:
        parameter = inspect.signature(grad_fn).parameters.get("upstream")
    except (TypeError, ValueError):
        return False
    return parameter is not None and parameter.kind is parameter.KEYWORD_ONLY and \
        parameter.default is parameter.empty


# registers the differentiable rule
import_module("kerasx.ops.custom_gradient_grads")
