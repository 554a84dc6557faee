"""The sampled finite-difference check of the test suite: which elements it takes, and that
it still fails on a gradient that is wrong at one row, column or channel only."""

import numpy as np
import pytest

from kerasx import ops
from tests.sampled_gradcheck import LIMIT, check_gradients, sample_indices

X = np.random.default_rng(0).standard_normal((2, 6, 6, 3))


def test_small_inputs_are_checked_whole():
    np.testing.assert_array_equal(sample_indices((4, 12)), np.arange(48))
    np.testing.assert_array_equal(sample_indices(()), [0])


@pytest.mark.parametrize("shape", [(2, 6, 6, 3), (3, 3, 16, 16), (1, 100), (7, 60)])
def test_large_inputs_take_every_index_of_every_axis(shape):
    picked = sample_indices(shape)
    assert LIMIT <= len(picked) <= LIMIT + 2 and len(set(picked.tolist())) == len(picked)
    assert picked[0] == 0 and picked[-1] == np.prod(shape) - 1
    np.testing.assert_array_equal(picked, np.sort(picked))
    for axis, coords in enumerate(np.unravel_index(picked, shape)):
        if shape[axis] <= LIMIT:
            assert set(coords.tolist()) == set(range(shape[axis])), axis
    np.testing.assert_array_equal(picked, sample_indices(shape))


def _frozen_at(v, axis, index):
    """tanh(v), with no gradient through `index` along `axis` (a wrong gradient there)."""
    parts = [ops.tanh(v[tuple(slice(None) if a != axis else slice(None, index)
                              for a in range(4))]),
             ops.stop_gradient(ops.tanh(v[tuple(slice(None) if a != axis else
                                                slice(index, index + 1) for a in range(4))])),
             ops.tanh(v[tuple(slice(None) if a != axis else slice(index + 1, None)
                              for a in range(4))])]
    return ops.concatenate(parts, axis=axis)


def test_a_right_gradient_passes():
    check_gradients(lambda v: ops.multiply(ops.tanh(v), v), [X])


@pytest.mark.parametrize("axis,index", [(0, 1), (1, 0), (1, 5), (2, 3), (3, 2)])
def test_a_gradient_wrong_at_one_index_of_one_axis_fails(axis, index):
    with pytest.raises(AssertionError, match="does not match finite differences"):
        check_gradients(lambda v: _frozen_at(v, axis, index), [X])
