"""Shared plumbing of the linear-algebra ops: input checks, float reading, the clear
error for a factorization the namespace could not compute, and NaN results (as in JAX)
for singular matrices."""

from kerasx.backends.base import dtype_name
from kerasx.ops._helpers import as_float_operand, current, shape_of, value_of


def matrices(x, name, square=True):
    """`x` as a float backend array of shape (..., M, N) (integers and booleans read as
    `floatx`, as Keras does), checked to be square when `square`."""
    xv = as_float_operand(current().asarray(value_of(x)))
    if dtype_name(xv.dtype) == "bfloat16":  # no LAPACK routine takes it: as Keras's NumPy
        xv = current().xp.astype(xv, current().dtype("float64"))
    shape = shape_of(xv)
    if len(shape) < 2:
        raise ValueError(f"{name} expects a matrix or a batch of matrices (rank 2 or more): "
                         f"Input should have rank >= 2. Received: input.shape = {shape}. Add "
                         f"the missing axis (e.g. with ops.expand_dims).")
    if square and shape[-1] != shape[-2]:
        raise ValueError(f"{name} expects square matrices of shape (..., M, M), received "
                         f"shape {shape}.")
    return xv


def same_type(av, bv):
    """`(av, bv)` in one float type: the wider of the two where both are floats, the
    float one's where only one is (an integer right-hand side reads as `floatx` first)."""
    from kerasx.backends.base import dtype_name

    bv = as_float_operand(current().asarray(value_of(bv)))
    if av.dtype == bv.dtype:
        return av, bv
    xp = current().xp
    wide = "float64" in (dtype_name(av.dtype), dtype_name(bv.dtype))
    target = current().dtype("float64" if wide else dtype_name(av.dtype))
    return xp.astype(av, target), xp.astype(bv, target)


def computed(name, fn, *args, shape=None):
    """`fn(*args)`, with the namespace's failure on one matrix (a Cholesky factor of a
    matrix that is not positive definite) turned into a ValueError that names the op
    and the input's shape."""
    try:
        return fn(*args)
    except FACTORIZATION_ERRORS as e:
        raise ValueError(f"{name} failed on an input of shape {shape}: {e}.") from e


# NumPy's LinAlgError is a ValueError; other namespaces raise these or return NaN
FACTORIZATION_ERRORS = (ValueError, ArithmeticError, RuntimeError)


def nan_where_singular(fn, *arrays):
    """`fn(*arrays)` for a solver over stacks of matrices (`arrays` broadcast over their
    leading axes), where a singular matrix gives NaN in its own results, as in JAX,
    instead of the namespace's error for the whole stack. The matrices are solved one
    by one only when the stacked call fails."""
    try:
        return fn(*arrays)
    except FACTORIZATION_ERRORS:
        pass
    xp = current().xp
    cores = [a.shape[-2:] for a in arrays]
    batch = _broadcast_batch([shape_of(a)[:-2] for a in arrays])
    count = 1
    for d in batch:
        count *= d
    flat = [xp.reshape(xp.broadcast_to(a, batch + c), (count,) + tuple(c))
            for a, c in zip(arrays, cores)]
    results = []
    for i in range(count):
        try:
            results.append(fn(*(f[i, ...] for f in flat)))
        except FACTORIZATION_ERRORS:
            results.append(None)
    like = next((r for r in results if r is not None), None)
    if like is None:
        like = fn(*(eye_like(f[0, ...]) if j == 0 else f[0, ...] for j, f in enumerate(flat)))
    nan = xp.full(shape_of(like), float("nan"), dtype=like.dtype, device=current().device)
    out = xp.stack([nan if r is None else r for r in results])
    return xp.reshape(out, batch + shape_of(like))


def _broadcast_batch(shapes):
    n = max(len(s) for s in shapes)
    out = []
    for dims in zip(*[(1,) * (n - len(s)) + tuple(s) for s in shapes]):
        sizes = {d for d in dims if d != 1}
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def mT(x):
    return current().xp.matrix_transpose(x)


def eye_like(xv, n=None):
    """The identity of the last axis' size (or `n`), in `xv`'s type and device."""
    backend = current()
    n = xv.shape[-1] if n is None else n
    return backend.xp.eye(n, dtype=xv.dtype, device=backend.device)


def symmetric_part(x):
    return 0.5 * (x + mT(x))
