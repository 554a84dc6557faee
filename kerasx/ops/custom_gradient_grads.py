"""The differentiable VJP of `custom_gradient`, for gradients of gradients
(`kerasx.autodiff.higher_order`): the user's gradient function differentiated in its
turn, as JAX differentiates it.

The first-order call ran the function and its gradient function unrecorded. Here the
function runs again with the tape recording, so that the values its gradient function
closes over (`e = exp(x)` in the forward) carry their dependence on the inputs, and
the new gradient function runs recorded on the recorded upstream gradient.

One case is refused. Where the upstream gradient itself depends on the function's
output (`sin(f(x))`: its gradient `cos(f(x))`), the outer derivative passes through
that output, and the tape, shared by both passes, differentiates it with the gradient
function; JAX, which traces the inner pass anew, differentiates it with the
function's own derivative. The two agree when the gradient function is that
derivative (checked here, on this upstream gradient); when it is deliberately
another (a straight-through estimator), the rule raises instead of returning
numbers that differ from JAX's and from finite differences.
"""

from kerasx.autodiff.higher_order import NODE, differentiable_vjp, recorded_backward, refused
from kerasx.autodiff.tape import _Paused
from kerasx.autodiff.tensor import Tensor, TensorOps
from kerasx.ops._helpers import current, value_of
from kerasx.ops.custom_gradient import _vjp, check_count
from kerasx.ops.shape import broadcast_to, cast, convert_to_tensor


@differentiable_vjp(_vjp)
def _custom_gradient_rule(g, parents, outs, env):
    xp = current().xp
    name, args, several = env["name"], env["args"], env["several"]
    output, grad_fn = env["function"](*args, **env["keywords"])
    gs = g if several else (g,)
    upstream = tuple(Tensor(xp.zeros_like(v)) if gi is None else gi
                     for gi, v in zip(gs, env["values"]))
    upstream = upstream if several else upstream[0]
    grads = grad_fn(*args, upstream=upstream) if env["torch_style"] else grad_fn(upstream)
    grads = list(grads) if isinstance(grads, (list, tuple)) else [grads]
    check_count(name, grads, env["inputs"])
    follows = any(getattr(gi, "tracked", False) for gi in gs if gi is not None)
    out, lost = [], False
    for x, parent, gx in zip(env["inputs"], parents, grads):
        if parent is None or gx is None:
            out.append(None)
            continue
        gx = gx if isinstance(gx, TensorOps) else convert_to_tensor(gx)
        if follows and not gx.tracked and bool(xp.any(value_of(gx) != 0)):
            lost = True
        if gx.dtype != x.dtype:
            gx = cast(gx, x.dtype)
        if tuple(gx.shape) != tuple(x.shape):
            gx = broadcast_to(gx, tuple(x.shape))
        out.append(gx)
    if lost:
        return refused(out, NotImplementedError(
            f"Gradients of gradients (second derivatives) through the custom_gradient function "
            f"{name} are not available: its gradient function returned a value that does not "
            "depend on `upstream` through kerasx ops (it was computed outside them, with "
            "NumPy, say). Write the gradient function with kerasx.ops."))
    if follows and _reaches(gs, env[NODE]) and not _is_own_derivative(
            output, upstream, env["inputs"], parents, out):
        return refused(out, NotImplementedError(
            f"Gradients of gradients (second derivatives) through the custom_gradient function "
            f"{name} are not available here: its gradient function is not the derivative of "
            "its output (a straight-through estimator, say), and the gradient flowing into it "
            "depends on that output, which the outer gradient would then differentiate with "
            "the gradient function where JAX uses the function's own derivative. Return the "
            "true derivative, or take the outer derivative by finite differences."))
    return tuple(out)


def _reaches(tensors, node):
    """Whether `node` made any of `tensors` or is among their ancestors."""
    seen = set()
    stack = [getattr(t, "node", None) for t in tensors if t is not None]
    while stack:
        n = stack.pop()
        if n is None or id(n) in seen:
            continue
        if n is node:
            return True
        seen.add(id(n))
        stack.extend(getattr(p, "node", None) for p in n.parents)
    return False


def _is_own_derivative(output, upstream, inputs, parents, grads):
    """Whether `grads` (the gradient function's, on `upstream`) equal the VJP of the
    recorded `output` itself, to the precision of their dtype."""
    xp = current().xp
    outs = list(output) if isinstance(output, (list, tuple)) else [output]
    ups = list(upstream) if isinstance(upstream, (list, tuple)) else [upstream]
    sources = [x for x, p in zip(inputs, parents) if p is not None]
    own = [None] * len(sources)
    for o, u in zip(outs, ups):
        if getattr(o, "tracked", False):
            with _Paused():  # values only, and only through the function's own nodes
                part = recorded_backward(o, sources, u, stop_at_sources=True)
            part = [None if p is None else value_of(p) for p in part]
            own = [a if b is None else b if a is None else a + b for a, b in zip(own, part)]
    given = [g for g, p in zip(grads, parents) if p is not None]
    for x, mine, theirs in zip(sources, own, given):
        theirs = value_of(theirs) if theirs is not None else xp.zeros_like(value_of(x))
        mine = xp.zeros_like(theirs) if mine is None else xp.astype(mine, theirs.dtype)
        tolerance = xp.finfo(theirs.dtype).eps ** 0.5
        scale = float(xp.max(xp.abs(theirs))) if theirs.size else 0.0
        if bool(xp.any(xp.abs(mine - theirs) > tolerance * (1.0 + scale))):
            return False
    return True
