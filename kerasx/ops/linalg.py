"""Matrix products: matmul, dot, and the coarse dense (matmul + bias) primitive."""

from kerasx.autodiff.broadcast import unbroadcast
from kerasx.backends.base import dtype_name
from kerasx.ops._helpers import (Tensor, current, keras_promoted, namespace, record,
                                 relu_of_fresh, tracked, value_of)
from kerasx.ops.nn import relu as relu_node
from kerasx.ops.reduction import column_sum


def matmul(x1, x2):
    """Matrix product with NumPy's rules for 1-D operands and batch broadcasting."""
    xp = namespace()
    av, bv = value_of(x1), value_of(x2)
    if not (hasattr(av, "dtype") and hasattr(bv, "dtype")):  # Python numbers or lists
        from kerasx.ops.shape import convert_to_tensor

        av, bv = (v if hasattr(v, "dtype") else value_of(convert_to_tensor(v))
                  for v in (av, bv))
    if av.dtype is not bv.dtype:
        av, bv = keras_promoted(av, bv)
    if av.dtype == xp.int8 and bv.dtype == xp.int8:  # accumulated in int32, as in Keras
        av, bv = xp.astype(av, xp.int32), xp.astype(bv, xp.int32)
    a2 = av[None, :] if av.ndim == 1 else av
    b2 = bv[:, None] if bv.ndim == 1 else bv
    try:
        out2 = a2 @ b2
    except (ValueError, TypeError) as e:
        raise (_mismatch_error(av, bv) or e) from None
    out = out2
    if av.ndim == 1:
        out = out[..., 0, :]
    if bv.ndim == 1:
        out = out[..., 0]
    if not tracked(x1, x2):
        return Tensor(out)
    shape2 = tuple(out2.shape)
    ta, tb = getattr(x1, "tracked", False), getattr(x2, "tracked", False)

    def vjp(g):
        g2 = xp.reshape(g, shape2)
        ga = gb = None
        if ta:
            ga = xp.reshape(unbroadcast(xp, g2 @ xp.matrix_transpose(b2), a2.shape), av.shape)
        if tb:
            gb = xp.reshape(unbroadcast(xp, xp.matrix_transpose(a2) @ g2, b2.shape), bv.shape)
        return ga, gb

    return record(out, (x1, x2), vjp)


def _mismatch_error(av, bv):
    """A readable error for operands whose contracted axes differ (None otherwise)."""
    if min(av.ndim, bv.ndim) < 1:
        return ValueError(f"matmul needs operands of rank 1 or more; received shapes "
                          f"{tuple(av.shape)} and {tuple(bv.shape)}. Use multiply for "
                          "scalars.")
    inner = av.shape[-1], bv.shape[0] if bv.ndim == 1 else bv.shape[-2]
    if inner[0] == inner[1]:
        return ValueError(
            f"matmul broadcasts the leading (batch) axes of its operands, but "
            f"{tuple(av.shape[:-2])} and {tuple(bv.shape[:-2])} do not broadcast "
            f"(received shapes {tuple(av.shape)} and {tuple(bv.shape)})."
        ) if av.ndim > 2 and bv.ndim > 2 else None
    return ValueError(
        f"matmul contracts the last axis of x1 with the "
        f"{'only' if bv.ndim == 1 else 'second-to-last'} axis of x2, but they differ: "
        f"{inner[0]} and {inner[1]} (received shapes {tuple(av.shape)} and "
        f"{tuple(bv.shape)}). Check the operands' shapes, or transpose one of them."
    )


def dot(x1, x2):
    """NumPy's `dot`: `matmul` where `x2` has rank 1 or 2; for a higher-rank `x2` the
    sum over the last axis of `x1` and the second-to-last of `x2` (shape
    `x1.shape[:-1] + x2.shape[:-2] + x2.shape[-1:]`, no batch broadcasting); a product
    where one side is a scalar (a Python number or a 0-d tensor)."""
    v1, v2 = value_of(x1), value_of(x2)
    if any(isinstance(v, (int, float)) or getattr(v, "shape", None) == () for v in (v1, v2)):
        from kerasx.ops.math import multiply

        return multiply(x1, x2)
    if len(getattr(v2, "shape", ())) > 2:
        from kerasx.ops.contraction import tensordot

        return tensordot(x1, x2, axes=([len(v1.shape) - 1], [len(v2.shape) - 2]))
    out = matmul(x1, x2)
    if out.dtype == "int32" and dtype_name(v1.dtype) == dtype_name(v2.dtype) == "int8":
        # Keras's `dot` keeps int8 where its `matmul` widens to int32 (the same
        # numbers modulo 2 ** 8, as an int8 accumulation wraps)
        from kerasx.ops.shape import cast

        return cast(out, "int8")
    return out


def dense(x, kernel, bias=None, relu=False):
    """`x @ kernel + bias` over the last axis of `x` as one tape node (with a ReLU
    after it when `relu`).

    The VJP folds every leading axis into one matrix, so a (batch, time, in)
    input costs the same two GEMMs as a (batch * time, in) one. The bias is added
    into the fresh product; with nothing to record, the ReLU is written over it too.
    """
    backend = current()
    xp = backend.xp
    xv, wv = value_of(x), value_of(kernel)
    if xv.dtype is not wv.dtype:  # integer inputs take the kernel's type, as in Keras
        xv, wv = keras_promoted(xv, wv)
    bv = None if bias is None else value_of(bias)
    lead = tuple(xv.shape[:-1])
    x2 = xv if len(lead) == 1 else xp.reshape(xv, (-1, xv.shape[-1]))
    out2 = x2 @ wv
    if bv is not None:
        if bv.dtype == out2.dtype:
            out2 += bv
        else:
            out2 = out2 + bv
    out = out2 if len(lead) == 1 else xp.reshape(out2, lead + (wv.shape[-1],))
    if not tracked(x, kernel, bias):
        if relu:
            out = relu_of_fresh(backend, out)
        return Tensor(out)

    tx, tw = getattr(x, "tracked", False), getattr(kernel, "tracked", False)
    tb = bias is not None and getattr(bias, "tracked", False)

    def vjp(g):
        g2 = g if len(lead) == 1 else xp.reshape(g, (-1, g.shape[-1]))
        gx = gw = gb = None
        if tx:
            gx = g2 @ xp.matrix_transpose(wv)
            if len(lead) != 1:
                gx = xp.reshape(gx, xv.shape)
        if tw:
            gw = xp.matrix_transpose(x2) @ g2
        if tb:
            gb = column_sum(g2)
        return gx, gw, gb

    node = record(out, (x, kernel, bias), vjp)
    return relu_node(node) if relu else node


# -- differentiable VJPs: the backward pass recorded for gradients of gradients ----------
from kerasx.autodiff.higher_order import differentiable_vjp, sum_to_shape  # noqa: E402


def _swap_last(x):
    from kerasx.ops.shape import transpose

    nd = len(x.shape)
    return transpose(x, tuple(range(nd - 2)) + (nd - 1, nd - 2))


@differentiable_vjp(matmul)
def _matmul_rule(g, parents, out, env):
    from kerasx.ops.shape import reshape

    av, bv, a2, b2 = env["av"], env["bv"], env["a2"], env["b2"]
    a = av if parents[0] is None else parents[0]
    b = bv if parents[1] is None else parents[1]
    a = reshape(a, tuple(a2.shape)) if av.ndim == 1 else a
    b = reshape(b, tuple(b2.shape)) if bv.ndim == 1 else b
    g2 = reshape(g, env["shape2"])
    ga = gb = None
    if env["ta"]:
        ga = reshape(sum_to_shape(matmul(g2, _swap_last(b)), a2.shape), av.shape)
    if env["tb"]:
        gb = reshape(sum_to_shape(matmul(_swap_last(a), g2), b2.shape), bv.shape)
    return ga, gb


@differentiable_vjp(dense)
def _dense_rule(g, parents, out, env):
    from kerasx.ops.reduction import sum as reduce_sum
    from kerasx.ops.shape import reshape

    xv, wv, lead = env["xv"], env["wv"], env["lead"]
    x = xv if parents[0] is None else parents[0]
    w = wv if parents[1] is None else parents[1]
    flat = len(lead) != 1
    g2 = reshape(g, (-1, g.shape[-1])) if flat else g
    gx = gw = gb = None
    if env["tx"]:
        gx = matmul(g2, _swap_last(w))
        gx = reshape(gx, tuple(xv.shape)) if flat else gx
    if env["tw"]:
        x2 = reshape(x, (-1, xv.shape[-1])) if flat else x
        gw = matmul(_swap_last(x2), g2)
    if env["tb"]:
        gb = reduce_sum(g2, axis=0)
    return gx, gw, gb


# `kerasx.ops.linalg` is also the `keras.ops.linalg` namespace (kerasx.ops rebinds these
# names to its symbolic-aware versions once they exist)
from kerasx.ops.decompositions import cholesky, eig, eigh, qr, svd  # noqa: E402,F401
from kerasx.ops.determinants import det, matrix_rank  # noqa: E402,F401
from kerasx.ops.lu import lu_factor  # noqa: E402,F401
from kerasx.ops.norms import norm  # noqa: E402,F401
from kerasx.ops.solvers import (cholesky_inverse, inv, lstsq, pinv, solve,  # noqa: E402,F401
                                solve_triangular)

__all__ = ["cholesky", "cholesky_inverse", "dense", "det", "dot", "eig", "eigh", "inv", "lstsq",
           "lu_factor", "matmul", "matrix_rank", "norm", "pinv", "qr", "solve",
           "solve_triangular", "svd"]

from kerasx.ops import linalg_grads  # noqa: E402,F401  (registers more differentiable rules)
