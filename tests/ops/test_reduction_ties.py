"""`max`/`min` reductions share the gradient equally among tied extremes (as Keras with
JAX), for every axis/keepdims combination."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current

X = np.array([[1., 3., 3.], [2., 2., 2.], [0., -1., 5.]])


def _reference(x, axis, keepdims, weights, fn):
    ext = fn(x, axis=axis, keepdims=True)
    mask = (x == ext).astype(np.float64)
    share = mask / mask.sum(axis=axis, keepdims=True)
    w = weights if keepdims or axis is None else np.expand_dims(weights, axis)
    return share * w


@pytest.mark.parametrize("name,fn", [("max", np.max), ("min", np.min)])
@pytest.mark.parametrize("axis", [None, 0, 1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_tied_extremes_share_the_gradient(name, fn, axis, keepdims):
    x = X if name == "max" else -X
    out_shape = fn(x, axis=axis, keepdims=keepdims).shape
    weights = np.arange(1.0, 1.0 + np.prod(out_shape)).reshape(out_shape)
    v = Variable(current().asarray(x, dtype="float64"))
    with GradientTape() as tape:
        out = getattr(ops, name)(v, axis=axis, keepdims=keepdims)
        total = ops.sum(ops.multiply(out, current().asarray(weights, dtype="float64")))
    got = ops.convert_to_numpy(tape.gradient(total, v))
    np.testing.assert_allclose(got, _reference(x, axis, keepdims, weights, fn), rtol=1e-12)
