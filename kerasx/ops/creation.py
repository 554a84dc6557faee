"""Arrays made from shapes and values: `eye`, `identity`, `tri`, `full`, `full_like`,
`empty`, `linspace`, `meshgrid`.

The dtype defaults to `floatx`, as in Keras (`full_like`: the dtype of `x`).
"""

from kerasx.config import floatx
from kerasx.ops._helpers import Tensor, current, operand_value, value_of


def _dtype(dtype):
    return current().dtype(dtype or floatx())


def _count(value, name):
    """`value` as a size: a non-integer is a TypeError (Keras's "must be an integer or an
    integer tensor"), a negative int a ValueError."""
    value = _integer_scalar(value)
    if isinstance(value, bool) or not isinstance(value, int):
        op, _, arg = name.partition(": ")
        raise TypeError(f"{op}: Argument `{arg}` must be an integer or an integer tensor. "
                        f"Received: {value!r}. Pass a non-negative int.")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative int, received {value!r}.")
    return value


def bounds_dtype(*bounds):
    """The default dtype of a sequence between `bounds`, as Keras picks it: the promoted
    type of the array bounds with a Python float (a float16 or bfloat16 bound keeps its
    type, integers give `floatx`; a float64 bound gives float64)."""
    from kerasx.utils.dtype_promotion import result_type

    dtypes = [getattr(value_of(b), "dtype", None) for b in bounds]
    return result_type(*[d for d in dtypes if d is not None], float)


def _integer_scalar(value):
    """A 0-d integer tensor or array (`ops.shape(x)[0]` of a traced shape, a NumPy int)
    as the Python int it holds, as Keras accepts it; anything else unchanged."""
    v = value_of(value)
    if getattr(v, "shape", None) == () and "int" in str(getattr(v, "dtype", "")):
        return int(current().to_numpy(v))
    return value


def eye(N, M=None, k=0, dtype=None):
    """The `N x M` matrix (square by default) with ones on diagonal `k`."""
    backend = current()
    n = _count(N, "eye: N")
    m = n if M is None else _count(M, "eye: M")
    return Tensor(backend.xp.eye(n, m, k=k, dtype=_dtype(dtype), device=backend.device))


def identity(n, dtype=None):
    """The `n x n` identity matrix."""
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    """The `N x M` matrix with ones at and below diagonal `k`, zeros above."""
    backend = current()
    n = _count(N, "tri: N")
    m = n if M is None else _count(M, "tri: M")
    ones = backend.xp.ones((n, m), dtype=_dtype(dtype), device=backend.device)
    return Tensor(backend.xp.tril(ones, k=k))


def _shape(shape, name):
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    for n in shape:
        _count(n, f"{name}: every size of the shape")
    return shape


def full(shape, fill_value, dtype=None):
    """An array of `shape` filled with `fill_value` (a number, or an array that
    broadcasts to `shape`)."""
    backend = current()
    xp = backend.xp
    shape = _shape(shape, "full")
    fill = value_of(fill_value)
    if isinstance(fill, (int, float, bool)):
        return Tensor(xp.full(shape, fill, dtype=_dtype(dtype), device=backend.device))
    fill = xp.astype(backend.asarray(fill), _dtype(dtype))
    return Tensor(xp.broadcast_to(fill, shape))


def full_like(x, fill_value, dtype=None):
    """An array of the shape of `x` filled with `fill_value`, of the dtype of `x`
    unless `dtype` is given."""
    xv = operand_value(x)
    xv = xv if hasattr(xv, "dtype") else current().asarray(xv)
    return full(tuple(xv.shape), fill_value, dtype=dtype or xv.dtype)


def empty(shape, dtype=None):
    """An array of `shape` whose values are not set."""
    backend = current()
    return Tensor(backend.xp.empty(_shape(shape, "empty"), dtype=_dtype(dtype),
                                   device=backend.device))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """`num` evenly spaced values from `start` to `stop` (included with `endpoint`),
    as `numpy.linspace`: array bounds give one sequence per element, along `axis`, and
    integer dtypes round down. With `retstep`, returns `(values, step)`."""
    backend = current()
    xp = backend.xp
    num = _count(num, "linspace: num")
    work = backend.dtype("float64")
    lo = xp.astype(backend.asarray(value_of(start)), work)
    hi = xp.astype(backend.asarray(value_of(stop)), work)
    lo, hi = xp.broadcast_arrays(lo, hi)
    div = (num - 1) if endpoint else num
    step = (hi - lo) / div if div > 0 else xp.full_like(lo, float("nan"))
    steps = xp.arange(num, dtype=work, device=backend.device)
    steps = xp.reshape(steps, (num,) + (1,) * lo.ndim)
    values = lo + steps * (step if div > 0 else xp.zeros_like(lo))
    if endpoint and num > 1:
        values[-1, ...] = hi
    if lo.ndim:
        values = xp.moveaxis(values, 0, axis)
    target = _dtype(dtype if dtype is not None else bounds_dtype(start, stop))
    floating = backend.isdtype(target, "real floating")
    out = Tensor(xp.astype(values if floating else xp.floor(values), target))
    if not retstep:
        return out
    return out, Tensor(xp.astype(step, target) if floating else step)


def meshgrid(*x, indexing="xy"):
    """Coordinate grids of the 1-D inputs: a list with one array per input, of shape
    `(len(x[1]), len(x[0]), len(x[2]), ...)` for `"xy"` indexing, `(len(x[0]), ...)`
    for `"ij"`. Gradients flow back to each input."""
    from kerasx.ops.shape import broadcast_to, reshape

    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', received {indexing!r}.")
    sizes = []
    for i, v in enumerate(x):
        shape = tuple(getattr(value_of(v), "shape", ()))
        if len(shape) != 1:
            raise ValueError(f"meshgrid expects 1-D inputs; input {i} has shape {shape}.")
        sizes.append(shape[0])
    order = list(range(len(x)))
    if indexing == "xy" and len(x) > 1:
        order[0], order[1] = 1, 0
    grid = tuple(sizes[i] for i in order)
    grids = []
    for i, v in enumerate(x):
        position = order.index(i)
        shape = tuple(sizes[i] if p == position else 1 for p in range(len(x)))
        grids.append(broadcast_to(reshape(v, shape), grid))
    return grids
