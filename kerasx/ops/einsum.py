"""`einsum`: Einstein summation built from the standard's primitives.

The subscripts are parsed once into one string of letters per operand and one
for the output (`...` becomes letters no operand uses). Each operand first has
its repeated letters reduced to diagonals and the letters no one else needs
summed; operands are then contracted pairwise, left to right, each pair as one
batched matrix product. The VJP of operand `k` is the same contraction of the
output gradient with the other operands, widened back over the letters only
operand `k` had and put on the diagonal where `k` repeated a letter.
"""

import collections
import string

from kerasx.autodiff.broadcast import unbroadcast
from kerasx.ops._helpers import (Tensor, as_dtype, current, keras_common_dtype, record,
                                 tracked, value_of)

_LETTERS = string.ascii_letters


def einsum(subscripts, *operands, **kwargs):
    """Einstein summation over `operands` as `numpy.einsum`: explicit (`"ij,jk->ik"`)
    or implicit (`"ij,jk"`: the letters seen once, sorted) outputs, `...` for
    broadcast axes, repeated letters for diagonals and traces. Operands all int8 give
    int32, as in Keras."""
    if not operands and "operands" in kwargs:
        # a functional graph's node replays the call with the operands by keyword
        operands = tuple(kwargs.pop("operands"))
        kwargs = {k: v for k, v in kwargs.items() if k != "kwargs" or v}
    if kwargs:
        raise TypeError(f"einsum takes no keyword arguments here; received {sorted(kwargs)}.")
    return contraction(subscripts, operands, int8_as_int32=True)


def contraction(subscripts, operands, int8_as_int32=False):
    """`einsum(subscripts, *operands)`; int8 operands give int32 only with
    `int8_as_int32` (Keras's `einsum`; its `tensordot`, `outer` and `vdot` keep int8)."""
    backend = current()
    xp = backend.xp
    values = [value_of(x) for x in operands]
    values = [v if backend.is_native(v) else backend.asarray(v) for v in values]
    terms, out, sizes = parse(subscripts, [tuple(v.shape) for v in values])
    values = _common_dtype(backend, values, int8_as_int32)
    full = [_broadcast(xp, v, t, sizes) for v, t in zip(values, terms)]
    result = contract(xp, terms, out, full)
    if not tracked(*operands):
        return Tensor(result)
    flags = [getattr(x, "tracked", False) for x in operands]

    def vjp(g):
        grads = []
        for k, flag in enumerate(flags):
            if not flag:
                grads.append(None)
                continue
            others = [j for j in range(len(terms)) if j != k]
            gk = _operand_gradient(xp, g, out, terms[k], [terms[j] for j in others],
                                   [full[j] for j in others], sizes)
            grads.append(unbroadcast(xp, gk, tuple(values[k].shape)))
        return tuple(grads)

    return record(result, tuple(operands), vjp)


def parse(subscripts, shapes):
    """`(terms, out, sizes)`: the letters of each operand and of the output with `...`
    spelled out, and the size of every letter (the largest where sizes 1 broadcast)."""
    if not isinstance(subscripts, str):
        raise TypeError(f"einsum: `subscripts` must be a string such as 'ij,jk->ik', "
                        f"received {subscripts!r}.")
    spec = subscripts.replace(" ", "")
    lhs, arrow, out = spec.partition("->")
    if "->" in out or any(c not in _LETTERS + ".,->" for c in spec):
        raise ValueError(f"einsum: cannot read the subscripts {subscripts!r}; use letters, "
                         "',' between operands, one optional '->' and '...'.")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the subscripts {subscripts!r} name {len(terms)} operand(s), "
                         f"received {len(shapes)}.")
    spare = [c for c in _LETTERS if c not in spec]
    ellipsis_ndims = [_ellipsis_ndim(subscripts, t, s) for t, s in zip(terms, shapes)]
    ellipsis = "".join(spare[:max(ellipsis_ndims, default=0)])
    n = len(ellipsis)
    terms = [t.replace("...", ellipsis[n - e:]) for t, e in zip(terms, ellipsis_ndims)]
    if not arrow:
        counts = collections.Counter("".join(terms))
        out = ellipsis + "".join(sorted(c for c in lhs if counts[c] == 1))
    elif "..." in out:
        out = out.replace("...", ellipsis, 1)
    elif any(e and any(s[i] != 1 for i in range(e)) for e, s in zip(ellipsis_ndims, shapes)):
        raise ValueError(f"einsum: the operands have axes under '...' but the output of "
                         f"{subscripts!r} has no '...'; add it to the output.")
    if "." in out or len(set(out)) != len(out) or any(c not in "".join(terms) for c in out):
        raise ValueError(f"einsum: the output {out!r} of {subscripts!r} must name each input "
                         "letter at most once, and no letter no input has.")
    return terms, out, _sizes(subscripts, terms, shapes)


def _ellipsis_ndim(subscripts, term, shape):
    letters = term.replace("...", "")
    if "." in letters or term.count("...") > 1:
        raise ValueError(f"einsum: an operand of {subscripts!r} has a '.' outside a '...'.")
    extra = len(shape) - len(letters)
    if extra < 0 or extra and "..." not in term:
        raise ValueError(f"einsum: the operand subscripts {term!r} of {subscripts!r} do not "
                         f"match an operand of shape {shape}: one letter per axis, or '...' "
                         "for the axes not named.")
    return extra


def _sizes(subscripts, terms, shapes):
    sizes = {}
    for term, shape in zip(terms, shapes):
        for c, n in zip(term, shape):
            seen = sizes.setdefault(c, n)
            if seen != n and 1 not in (seen, n):
                raise ValueError(f"einsum: the letter {c!r} of {subscripts!r} has sizes {seen} "
                                 f"and {n} in the operands of shapes {shapes}.")
            sizes[c] = seen if n == 1 else n
    return sizes


def _common_dtype(backend, values, int8_as_int32):
    """The operands in Keras's common dtype (int32 for operands all int8 with
    `int8_as_int32`)."""
    dtypes = tuple(v.dtype for v in values)
    target = keras_common_dtype(dtypes)
    if target == "int8" and int8_as_int32 and len(set(dtypes)) == 1:
        target = "int32"
    return [as_dtype(v, target) for v in values]


def _broadcast(xp, v, term, sizes):
    shape = tuple(sizes[c] for c in term)
    return v if tuple(v.shape) == shape else xp.broadcast_to(v, shape)


def contract(xp, terms, out, arrays):
    """The einsum of raw `arrays` (already of the letters' full sizes)."""
    operands = [_diagonals(xp, t, a) for t, a in zip(terms, arrays)]
    while len(operands) > 1:
        (ta, a), (tb, b) = operands[:2]
        later = "".join(t for t, _ in operands[2:]) + out
        ta, a = _sum_unneeded(xp, ta, a, tb + later)
        tb, b = _sum_unneeded(xp, tb, b, ta + later)
        operands = [_pair(xp, ta, a, tb, b, later)] + operands[2:]
    term, a = _sum_unneeded(xp, *operands[0], out)
    return xp.permute_dims(a, tuple(term.index(c) for c in out))


def _diagonals(xp, term, a):
    """`(term, a)` with every repeated letter reduced to its diagonal."""
    while len(set(term)) < len(term):
        c = next(c for c in term if term.count(c) > 1)
        i = term.index(c)
        j = term.index(c, i + 1)
        n = a.shape[i]
        rest = [p for p in range(len(term)) if p not in (i, j)]
        a = xp.permute_dims(a, tuple(rest) + (i, j))
        a = xp.reshape(a, tuple(a.shape[:-2]) + (n * n,))
        a = xp.take(a, xp.arange(0, n * n, n + 1, device=current().device), axis=-1)
        term = "".join(term[p] for p in rest) + c
    return term, a


def _sum_unneeded(xp, term, a, needed):
    axes = tuple(i for i, c in enumerate(term) if c not in needed)
    if not axes:
        return term, a
    return "".join(c for c in term if c in needed), xp.sum(a, axis=axes, dtype=a.dtype)


def _pair(xp, ta, a, tb, b, later):
    """`(term, array)` of the contraction of two operands over the letters they share
    that nothing later needs: one batched matrix product."""
    batch = [c for c in ta if c in tb and c in later]
    summed = [c for c in ta if c in tb and c not in later]
    a_only = [c for c in ta if c not in tb]
    b_only = [c for c in tb if c not in ta]
    size = dict(zip(ta, a.shape)) | dict(zip(tb, b.shape))

    def count(letters):
        total = 1
        for c in letters:
            total *= size[c]
        return total

    def arrange(term, v, first, second, third):
        v = xp.permute_dims(v, tuple(term.index(c) for c in first + second + third))
        return xp.reshape(v, (count(first), count(second), count(third)))

    if summed:
        m = arrange(ta, a, batch, a_only, summed) @ arrange(tb, b, batch, summed, b_only)
    else:  # an outer product per batch entry: a broadcast product, not a matrix product
        m = arrange(ta, a, batch, a_only, []) * arrange(tb, b, batch, [], b_only)
    letters = batch + a_only + b_only
    return "".join(letters), xp.reshape(m, tuple(size[c] for c in letters))


def _operand_gradient(xp, g, out, term, other_terms, others, sizes):
    """The gradient of one operand with letters `term` from the output gradient `g`."""
    unique = "".join(dict.fromkeys(term))
    reachable = set(out).union(*other_terms)
    target = "".join(c for c in unique if c in reachable)
    grad = contract(xp, [out] + other_terms, target, [g] + others)
    grad = xp.reshape(grad, tuple(sizes[c] if c in target else 1 for c in unique))
    grad = xp.broadcast_to(grad, tuple(sizes[c] for c in unique))
    if unique == term:
        return grad
    # a repeated letter: the gradient lies on the diagonal of its axes
    first = {c: term.index(c) for c in unique}
    grad = xp.reshape(grad, tuple(sizes[c] if first[c] == p else 1 for p, c in enumerate(term)))
    for p, c in enumerate(term):
        if first[c] != p:
            eye = xp.eye(sizes[c], dtype=g.dtype, device=current().device)
            shape = [1] * len(term)
            shape[first[c]] = shape[p] = sizes[c]
            grad = grad * xp.reshape(eye, tuple(shape))
    return grad


from kerasx.ops import einsum_grads  # noqa: E402,F401  (registers the differentiable rule)
