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


def check_layer_gradients(layer, x, rtol=1e-6, atol=1e-8, eps=1e-6):
    """Asserts that the tape's gradients of a built float64 `layer` with respect to its
    input `x` (a host array) and to its trainable weights match finite differences (the
    output reduced by a fixed random projection). The weights keep their values."""
    backend = current()
    weights = list(layer.trainable_weights)
    originals = [backend.to_numpy(w.value).copy() for w in weights]
    x = np.asarray(x)

    def output(x_value, *weight_values):
        for var, value in zip(weights, weight_values):
            var.assign(value)
        return layer(x_value)

    try:
        projection = _projection(output, [x] + originals)
        watched = Variable(backend.asarray(x), trainable=True)
        with GradientTape() as tape:
            loss = _scalar(layer(watched), projection)
        grads = tape.gradient(loss, [watched] + weights)
        for i, g in enumerate(grads):
            expected = numeric_gradient(output, [x] + originals, i, projection, eps)
            got = np.zeros_like(expected) if g is None else backend.to_numpy(g)
            what = "the input" if i == 0 else repr(weights[i - 1].path)
            np.testing.assert_allclose(got, expected, rtol=rtol, atol=atol,
                                       err_msg=f"gradient of {what} does not match finite "
                                               "differences")
    finally:
        for var, value in zip(weights, originals):
            var.assign(backend.asarray(value))
