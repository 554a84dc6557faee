"""The suite's gradient checks on large inputs: `kerasx.testing`'s float64 central
differences (same step, projection and tolerances) taken at `LIMIT` sampled elements of
each larger input (every index of every axis at least once; see
`kerasx.testing.sample_indices`); smaller inputs are checked at every element."""

from kerasx import testing

LIMIT = 48


def sample_indices(shape, limit=LIMIT, seed=0):
    """The flat indices the sampled checks take in an array of `shape`."""
    return testing.sample_indices(shape, limit, seed)


def check_gradients(fn, inputs, wrt=None, eps=1e-6, rtol=1e-5, atol=1e-7, limit=LIMIT):
    """`kerasx.testing.check_gradients` on `limit` sampled elements of a larger input."""
    testing.check_gradients(fn, inputs, wrt=wrt, eps=eps, rtol=rtol, atol=atol,
                            max_elements=limit)


def check_op_case(case, limit=LIMIT):
    """`kerasx.testing.check_op_case` with the sampled gradient check."""
    testing.check_op_case(case, max_elements=limit)
