"""Gradient checks against central finite differences in float64."""

import contextlib

import numpy as np

from kerasx import config
from kerasx.autodiff.tape import GradientTape
from kerasx.autodiff.tensor import TensorOps
from kerasx.autodiff.variable import Variable
from kerasx.backends import current


@contextlib.contextmanager
def float64():
    """Runs a block with `floatx() == "float64"` (layers built inside use float64)."""
    saved = config.floatx()
    config.set_floatx("float64")
    try:
        yield
    finally:
        config.set_floatx(saved)


def _scalar(out, projection):
    from kerasx import ops

    return ops.sum(ops.multiply(out, projection))


def _projection(fn, inputs):
    backend = current()
    out = fn(*[backend.asarray(x) for x in inputs])
    value = out.value if isinstance(out, TensorOps) else out
    rng = np.random.default_rng(1234)
    return backend.asarray(rng.standard_normal(tuple(value.shape)))


def numeric_gradient(fn, inputs, index, projection, eps=1e-6):
    """d sum(fn(*inputs) * projection) / d inputs[index], by central differences."""
    backend = current()
    base = [np.array(x, dtype=np.float64, order="C") if np.asarray(x).dtype.kind == "f"
            else np.array(x) for x in inputs]
    grad = np.zeros_like(base[index])
    flat = base[index].reshape(-1)
    gflat = grad.reshape(-1)
    for i in range(flat.size):
        saved = flat[i]
        values = []
        for delta in (eps, -eps):
            flat[i] = saved + delta
            out = fn(*[backend.asarray(b) for b in base])
            values.append(float(backend.to_numpy(_scalar(out, projection).value)))
        flat[i] = saved
        gflat[i] = (values[0] - values[1]) / (2 * eps)
    return grad


def check_gradients(fn, inputs, wrt=None, eps=1e-6, rtol=1e-5, atol=1e-7):
    """Asserts that the tape's gradients of `fn` match finite differences.

    `fn(*arrays)` returns a Tensor; `inputs` are float64 host arrays; `wrt`
    lists the indices of inputs to differentiate (default: all float inputs).
    The output is reduced with a fixed random projection so every output
    element takes part.
    """
    backend = current()
    inputs = [np.asarray(x) for x in inputs]
    wrt = [i for i, x in enumerate(inputs) if x.dtype.kind == "f"] if wrt is None else list(wrt)
    with float64():
        projection = _projection(fn, inputs)
        variables = [Variable(backend.asarray(x), trainable=True) if i in wrt
                     else backend.asarray(x) for i, x in enumerate(inputs)]
        with GradientTape() as tape:
            out = fn(*variables)
            loss = _scalar(out, projection)
        grads = tape.gradient(loss, [variables[i] for i in wrt])
        for i, g in zip(wrt, grads):
            expected = numeric_gradient(fn, inputs, i, projection, eps)
            got = np.zeros_like(expected) if g is None else backend.to_numpy(g)
            np.testing.assert_allclose(
                got, expected, rtol=rtol, atol=atol,
                err_msg=f"gradient of input {i} does not match finite differences")
