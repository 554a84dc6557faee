"""The NumPy backend's `concat` kernel (whole rows copied as opaque elements) against
NumPy's concatenation."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.backends import current

pytestmark = pytest.mark.skipif("current().name != 'numpy'", reason="a NumPy kernel")


@pytest.mark.parametrize("shapes, axis", [
    ([(64, 32, 32, 16), (64, 32, 32, 16)], -1),
    ([(64, 32, 32, 16), (64, 32, 32, 32), (64, 32, 32, 3)], 3),
    ([(64, 32, 32, 8), (64, 30, 32, 8)], 1),
    ([(600, 64, 8), (200, 64, 8)], 0),
    ([(128, 100, 64), (128, 100, 0), (128, 100, 64)], -1),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int16, np.bool_])
def test_concat_kernel_equals_numpy(shapes, axis, dtype):
    rng = np.random.default_rng(len(shapes))
    arrays = [(rng.standard_normal(s) * 100).astype(dtype) for s in shapes]
    got = current().kernel("concat")(arrays, axis)
    assert got is not None and got.dtype == dtype
    np.testing.assert_array_equal(got, np.concatenate(arrays, axis))


def test_concat_kernel_declines_and_the_op_still_concatenates():
    kernel = current().kernel("concat")
    rng = np.random.default_rng(1)
    a = rng.standard_normal((64, 32, 32, 16)).astype(np.float32)
    declined = [
        [a, a.astype(np.float64)],                # mixed dtypes (the op promotes)
        [a, a[..., ::2].repeat(2, -1)[:, ::-1]],  # a reversed (non-contiguous) view
        [a[:1, :2], a[:1, :2]],                   # small: NumPy's own copy is faster
        [a, a[:, :, :, :8].copy().reshape(64, 32, 16, 16)],  # shapes that do not fit
    ]
    for arrays in declined:
        assert kernel(arrays, -1) is None
    assert kernel([a, a], 4) is None and kernel([np.float32(1).reshape(())] * 2, 0) is None
    out = ops.convert_to_numpy(ops.concatenate([a, a[:, ::-1]], axis=-1))
    np.testing.assert_array_equal(out, np.concatenate([a, a[:, ::-1]], -1))


def test_concatenate_gradient_through_the_kernel():
    rng = np.random.default_rng(2)
    a, b = (Variable(rng.standard_normal((64, 32, 32, c)).astype(np.float32)) for c in (16, 8))
    g = rng.standard_normal((64, 32, 32, 24)).astype(np.float32)
    with GradientTape() as tape:
        out = ops.concatenate([a, b], axis=-1)
    ga, gb = tape.gradient(out, [a, b], output_gradients=g)
    np.testing.assert_array_equal(np.asarray(ga), g[..., :16])
    np.testing.assert_array_equal(np.asarray(gb), g[..., 16:])
