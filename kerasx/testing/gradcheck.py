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


def numeric_gradient(fn, inputs, index, projection, eps=1e-6, indices=None):
    """d sum(fn(*inputs) * projection) / d inputs[index], by central differences: the whole
    gradient, or its entries at the flat `indices` only (two evaluations per entry)."""
    backend = current()
    base = [np.array(x, dtype=np.float64, order="C") if np.asarray(x).dtype.kind == "f"
            else np.array(x) for x in inputs]
    flat = base[index].reshape(-1)
    picked = range(flat.size) if indices is None else indices
    values_at = np.zeros(len(picked))
    for j, i in enumerate(picked):
        saved = flat[i]
        values = []
        for delta in (eps, -eps):
            flat[i] = saved + delta
            out = fn(*[backend.asarray(b) for b in base])
            values.append(float(backend.to_numpy(_scalar(out, projection).value)))
        flat[i] = saved
        values_at[j] = (values[0] - values[1]) / (2 * eps)
    return values_at.reshape(base[index].shape) if indices is None else values_at


def sample_indices(shape, limit, seed=0):
    """Sorted distinct flat indices of the elements a sampled check takes in an array of
    `shape`: all of them up to `limit` elements; else every index of every axis at least
    once (each batch row, position, edge and channel), the first and last elements, and
    seeded random ones up to `limit` in all."""
    size = int(np.prod(shape, dtype=np.int64))
    if size <= limit:
        return np.arange(size)
    rng = np.random.default_rng(seed)
    n = min(max(shape), limit)
    coords = [rng.permutation(np.arange(n) % dim) if dim <= n
              else rng.choice(dim, n, replace=False) for dim in shape]
    chosen = set(np.ravel_multi_index(coords, shape).tolist()) | {0, size - 1}
    for i in rng.permutation(size).tolist():
        if len(chosen) >= limit:
            break
        chosen.add(i)
    return np.array(sorted(chosen))


def check_gradients(fn, inputs, wrt=None, eps=1e-6, rtol=1e-5, atol=1e-7,
                    max_elements=None):
    """Asserts that the tape's gradients of `fn` match finite differences.

    `fn(*arrays)` returns a Tensor; `inputs` are float64 host arrays; `wrt`
    lists the indices of inputs to differentiate (default: all float inputs).
    The output is reduced with a fixed random projection so every output
    element takes part. `max_elements`: take the finite differences of a larger
    input at `sample_indices` only (the tape's gradient is still computed whole).
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
            shape = inputs[i].shape
            picked = None if max_elements is None else sample_indices(shape, max_elements)
            expected = numeric_gradient(fn, inputs, i, projection, eps, picked)
            got = np.zeros(shape) if g is None else np.asarray(backend.to_numpy(g))
            where = ""
            if picked is not None:
                got, where = got.reshape(-1)[picked], f" (at flat indices {picked.tolist()})"
            np.testing.assert_allclose(
                got, expected, rtol=rtol, atol=atol,
                err_msg=f"gradient of input {i} does not match finite differences{where}")


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
