"""The differentiable VJP of `einsum`, for gradients of gradients
(`kerasx.autodiff.higher_order`): the gradient of an operand is again an einsum, of
the output gradient with the other operands, so the rule calls `einsum` itself."""

from kerasx.autodiff.higher_order import differentiable_vjp, sum_to_shape
from kerasx.ops._helpers import Tensor, current, value_of
from kerasx.ops.einsum import contraction, einsum
from kerasx.ops.shape import broadcast_to, reshape


@differentiable_vjp(contraction)
def _einsum_rule(g, parents, out, env):
    terms, letters, sizes, full = env["terms"], env["out"], env["sizes"], env["full"]
    operands = []
    for p, f in zip(parents, full):
        if p is None:
            operands.append(Tensor(f))
        else:
            operands.append(p if tuple(p.shape) == tuple(f.shape) else broadcast_to(p, f.shape))
    grads = []
    for k, (p, term) in enumerate(zip(parents, terms)):
        if p is None:
            grads.append(None)
            continue
        others = [j for j in range(len(terms)) if j != k]
        unique = "".join(dict.fromkeys(term))
        reachable = set(letters).union(*(terms[j] for j in others))
        target = "".join(c for c in unique if c in reachable)
        subscripts = ",".join([letters] + [terms[j] for j in others]) + "->" + target
        grad = einsum(subscripts, g, *(operands[j] for j in others))
        grad = reshape(grad, tuple(sizes[c] if c in target else 1 for c in unique))
        grad = broadcast_to(grad, tuple(sizes[c] for c in unique))
        if unique != term:  # a repeated letter: the gradient lies on the diagonal
            grad = _on_diagonals(grad, term, sizes)
        grads.append(sum_to_shape(grad, tuple(env["values"][k].shape)))
    return tuple(grads)


def _on_diagonals(grad, term, sizes):
    backend = current()
    xp = backend.xp
    first = {c: term.index(c) for c in term[::-1]}
    grad = reshape(grad, tuple(sizes[c] if first[c] == p else 1 for p, c in enumerate(term)))
    for p, c in enumerate(term):
        if first[c] != p:
            shape = [1] * len(term)
            shape[first[c]] = shape[p] = sizes[c]
            eye = xp.eye(sizes[c], dtype=value_of(grad).dtype, device=backend.device)
            grad = grad * Tensor(xp.reshape(eye, tuple(shape)))
    return grad
