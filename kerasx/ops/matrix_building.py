"""Matrices built from a vector: `vander` (its powers) and `diagflat` (its diagonal)."""

from kerasx.ops._helpers import Tensor, current, shape_of, value_of
from kerasx.ops.math import multiply
from kerasx.ops.matrix import diag
from kerasx.ops.shape import convert_to_tensor, ones_like, reshape, stack


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of the 1-D `x`: column `j` holds `x ** (N - 1 - j)` (or
    `x ** j` with `increasing`), `N` columns (default `len(x)`); the dtype of `x`."""
    xv = value_of(x)
    if not hasattr(xv, "shape"):
        x = xv = value_of(convert_to_tensor(xv))
    shape = shape_of(xv)
    if len(shape) != 1:
        raise ValueError(f"vander expects a 1-D input, received shape {shape}.")
    n = shape[0] if N is None else N
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ValueError(f"vander: N must be a non-negative int or None, received {N!r}.")
    if n == 0:
        backend = current()
        return Tensor(backend.xp.zeros((shape[0], 0), dtype=xv.dtype, device=backend.device))
    powers = [ones_like(x)]
    for _ in range(1, n):
        powers.append(multiply(powers[-1], x))
    return stack(powers if increasing else powers[::-1], axis=1)


def diagflat(x, k=0):
    """The square matrix with the flattened `x` on diagonal `k`."""
    xv = value_of(x)
    if not hasattr(xv, "shape"):
        x = convert_to_tensor(xv)
    return diag(reshape(x, (-1,)), k)
