"""`jvp`: the forward-mode derivative (Jacobian-vector product) of a function.

kerasx differentiates in reverse mode, and its VJP rules run on plain backend
arrays, so a backward pass cannot itself be differentiated (the "double VJP"
route to forward mode needs that). `jvp` therefore takes the exact reverse-mode
route: it records `fun` once on a persistent tape and runs one backward pass
per element of the output, seeded with that element's unit vector; the pass
gives one row of the Jacobian `J`, and its dot product with the tangents is
that element of `J @ tangents`. The result is exact to rounding (no finite
differences), and costs one backward pass per output element: cheap for the
small outputs forward mode is usually asked for, slow for very large ones.
"""

from kerasx.autodiff.tape import GradientTape, backward
from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.config import floatx
from kerasx.ops._helpers import current, value_of
from kerasx.ops.control_flow import _flatten, _graph_node, _is_symbolic, _pack, _same_structure


def jvp(fun, primals, tangents, has_aux=False):
    """Computes a (forward-mode) Jacobian-vector product of `fun`.

    Args:
        fun: the function to differentiate. It takes `len(primals)` positional
            arguments (tensors or nested lists, tuples and dicts of them) and
            returns a tensor or a nested structure of tensors.
        primals: a tuple or list of the arguments at which the Jacobian of
            `fun` is evaluated.
        tangents: a tuple or list with the structure, shapes and dtypes of
            `primals`: the direction of the derivative.
        has_aux: whether `fun` returns a pair `(output, aux)`, where `aux` is
            returned as it is and not differentiated.

    Returns:
        `(primals_out, tangents_out)`, or `(primals_out, tangents_out, aux)`
        with `has_aux`: `primals_out` is `fun(*primals)` and `tangents_out`,
        of its structure and shapes, the Jacobian of `fun` at `primals` times
        `tangents`.

    Example:

    >>> primals, tangents = ops.jvp(ops.sin, (0.1,), (0.2,))
    >>> primals, tangents   # sin(0.1), cos(0.1) * 0.2
    (0.09983342, 0.19900084)
    """
    if not callable(fun):
        raise TypeError(f"jvp: `fun` must be a callable, received {fun!r} of type "
                        f"{type(fun).__name__}.")
    for argument, value in (("primals", primals), ("tangents", tangents)):
        if not isinstance(value, (tuple, list)):
            raise TypeError(f"jvp: `{argument}` must be a tuple or list of the arguments of "
                            f"`fun`, received {type(value).__name__}. Wrap a single argument "
                            f"as `({argument[:-1]},)`.")
    if len(primals) != len(tangents) or not _same_structure(list(primals), list(tangents)):
        raise ValueError(f"jvp: `tangents` must have the structure of `primals`; received "
                         f"primals {_describe(primals)} and tangents {_describe(tangents)}.")
    if _is_symbolic(primals, tangents):
        return _graph_node("jvp", lambda t: jvp(fun, t[0], t[1], has_aux=has_aux),
                           (tuple(primals), tuple(tangents)))
    sources = [_fresh_leaf(p) for p in _flatten(list(primals))]
    directions = [_tangent_for(p, t) for p, t in zip(sources, _flatten(list(tangents)))]
    with GradientTape(persistent=True) as tape:
        tape.watch([s for s in sources if _is_float(s)])
        result = fun(*_pack(list(primals), sources))
    if has_aux:
        if not isinstance(result, (tuple, list)) or len(result) != 2:
            raise ValueError(f"jvp: with `has_aux=True`, `fun` must return a pair (output, aux); "
                             f"received {type(result).__name__}.")
        result, aux = result
    outputs = [o if isinstance(o, TensorOps) else Tensor(current().asarray(value_of(o)))
               for o in _flatten(result)]
    tangents_out = [_directional(o, sources, directions) for o in outputs]
    # the outputs leave the tape behind: nothing differentiates them further
    primals_out = _pack(result, [Tensor(o.value) for o in outputs])
    tangents_out = _pack(result, tangents_out)
    if not has_aux:
        return primals_out, tangents_out
    return primals_out, tangents_out, _pack(aux, [Tensor(a.value) if isinstance(a, Tensor) else a
                                                  for a in _flatten(aux)])


def _describe(structure):
    if isinstance(structure, dict):
        return "{" + ", ".join(f"{k!r}: {_describe(v)}" for k, v in structure.items()) + "}"
    if isinstance(structure, (list, tuple)):
        inner = ", ".join(_describe(v) for v in structure)
        return f"[{inner}]" if isinstance(structure, list) else f"({inner})"
    return f"shape {tuple(getattr(structure, 'shape', ()))}"


def _fresh_leaf(x):
    """A primal as a new Tensor of its value: the tape here starts from it (a Python
    float becomes `floatx`, as Keras reads one)."""
    if isinstance(x, bool):
        return Tensor(current().asarray(x, dtype="bool"))
    if isinstance(x, int):
        return Tensor(current().asarray(x, dtype="int32"))
    if isinstance(x, float):
        return Tensor(current().asarray(x, dtype=floatx()))
    return Tensor(current().asarray(value_of(x)))


def _is_float(x):
    return current().isdtype(x.value.dtype, "real floating")


def _tangent_for(primal, tangent):
    t = _fresh_leaf(tangent)
    if t.shape != primal.shape:
        raise ValueError(f"jvp: each tangent must have the shape of its primal; received a "
                         f"tangent of shape {t.shape} for a primal of shape {primal.shape}.")
    if _is_float(primal) and t.dtype != primal.dtype:
        raise ValueError(f"jvp: each tangent must have the dtype of its primal; received a "
                         f"tangent of dtype {t.dtype} for a primal of dtype {primal.dtype}. "
                         f"Cast it with `ops.cast(tangent, {primal.dtype!r})`.")
    return t.value if _is_float(primal) else None


def _directional(output, sources, directions):
    """`J @ directions` for one output: one backward pass per output element."""
    backend = current()
    xp = backend.xp
    value = output.value
    shape, dtype = tuple(value.shape), value.dtype
    if not output.tracked or not backend.isdtype(dtype, "real floating"):
        return Tensor(xp.zeros_like(value))
    size = 1
    for n in shape:
        size *= n
    entries = []
    for i in range(size):
        # a new seed each pass: a VJP rule may reuse the array it is given
        seed = xp.zeros((size,), dtype=dtype, device=backend.device)
        seed[i] = 1
        grads = backward(output, sources, xp.reshape(seed, shape))
        total = xp.zeros((), dtype=dtype, device=backend.device)
        for g, d in zip(grads, directions):
            if g is not None and d is not None:
                total = total + xp.astype(xp.sum(g * d), dtype)
        entries.append(total)
    if not entries:
        return Tensor(xp.zeros_like(value))
    return Tensor(xp.reshape(xp.stack(entries), shape))


__all__ = ["jvp"]
