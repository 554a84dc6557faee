"""`view_as_complex` and `view_as_real`: complex numbers to and from `(..., 2)` pairs
of their real and imaginary parts.

Gradients treat a complex number as the pair of its parts: the cotangent of a
complex result is `dL/d real + 1j * dL/d imag`, so `view_as_real(view_as_complex(x))`
passes gradients through unchanged, as do sums and real scalings between them.
"""

from importlib import import_module

from kerasx.backends.base import dtype_name
from kerasx.ops._helpers import Tensor, current, record, shape_of, tracked, value_of


def _operand(x):
    backend = current()
    v = value_of(x)
    return v if backend.is_native(v) else backend.asarray(v)


def _complex_dtype(xp, real_dtype):
    return xp.complex128 if dtype_name(real_dtype) == "float64" else xp.complex64


def view_as_complex(x):
    """The complex tensor `x[..., 0] + 1j * x[..., 1]` of a real tensor `(..., 2)`:
    complex64, or complex128 for float64 input."""
    backend = current()
    xp = backend.xp
    xv = _operand(x)
    shape = shape_of(xv)
    if not shape or shape[-1] != 2:
        raise ValueError(f"view_as_complex: Last dimension of input must be size 2 (real "
                         f"and imaginary): it needs a real tensor whose last dimension is 2, "
                         f"received shape {shape}. Stack the parts on a new last axis: "
                         "ops.stack([real, imag], axis=-1).")
    if backend.isdtype(xv.dtype, "complex floating"):
        raise TypeError("view_as_complex expects a real tensor, received a complex one; "
                        "use view_as_real to split a complex tensor into its parts.")
    ctype = _complex_dtype(xp, xv.dtype)
    unit = xp.asarray(1j, dtype=ctype, device=backend.device)
    out = xp.astype(xv[..., 0], ctype) + xp.astype(xv[..., 1], ctype) * unit
    if not tracked(x):
        return Tensor(out)
    real_type = xv.dtype

    def vjp(g):
        if not backend.isdtype(g.dtype, "complex floating"):
            g = xp.astype(g, ctype)
        return (xp.astype(xp.stack([xp.real(g), xp.imag(g)], axis=-1), real_type),)

    return record(out, (x,), vjp)


def view_as_real(x):
    """The `(..., 2)` real tensor of the real and imaginary parts of complex `x` (a real
    `x` keeps its dtype and gets zero imaginary parts)."""
    backend = current()
    xp = backend.xp
    xv = _operand(x)
    if backend.isdtype(xv.dtype, "complex floating"):
        out = xp.stack([xp.real(xv), xp.imag(xv)], axis=-1)
    else:
        out = xp.stack([xv, xp.zeros_like(xv)], axis=-1)
    if not tracked(x):
        return Tensor(out)
    complex_input = backend.isdtype(xv.dtype, "complex floating")

    def vjp(g):
        if not complex_input:
            return (g[..., 0],)
        ctype = xv.dtype
        unit = xp.asarray(1j, dtype=ctype, device=backend.device)
        return (xp.astype(g[..., 0], ctype) + xp.astype(g[..., 1], ctype) * unit,)

    return record(out, (x,), vjp)


# registers the differentiable rules
import_module("kerasx.ops.complex_grads")
