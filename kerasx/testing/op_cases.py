"""The declarative op-test table: each case checks forward, float32 and gradients."""

import dataclasses
from typing import Callable, Sequence

import numpy as np

from kerasx.autodiff.tensor import TensorOps
from kerasx.backends import current
from kerasx.testing.gradcheck import check_gradients, float64


@dataclasses.dataclass
class OpCase:
    """One row of the op table.

    Attributes:
        name: the test id.
        fn: the kerasx call, `fn(*arrays) -> Tensor`.
        reference: the float64 NumPy reference, `reference(*ndarrays) -> ndarray`.
        inputs: host arrays (float64 for float inputs; ints stay ints).
        wrt: indices of inputs to differentiate (None: every float input; [] for none).
        rtol32: tolerance of the float32 run against the float64 reference.
    """

    name: str
    fn: Callable
    reference: Callable
    inputs: Sequence
    wrt: Sequence = None
    rtol32: float = 1e-5
    atol32: float = 1e-6
    grad_rtol: float = 1e-5
    grad_atol: float = 1e-7


def _run(fn, arrays):
    backend = current()
    out = fn(*[backend.asarray(a) for a in arrays])
    return backend.to_numpy(out.value if isinstance(out, TensorOps) else out)


def check_op_case(case, max_elements=None):
    """Forward in float64 and float32 against the reference, then the gradient check
    (`max_elements`: see `check_gradients`)."""
    inputs = [np.asarray(x) for x in case.inputs]
    expected = np.asarray(case.reference(*inputs))
    with float64():
        got64 = _run(case.fn, inputs)
    np.testing.assert_allclose(got64, expected, rtol=1e-10, atol=1e-12,
                               err_msg=f"{case.name}: float64 forward")
    inputs32 = [x.astype(np.float32) if x.dtype == np.float64 else x for x in inputs]
    got32 = _run(case.fn, inputs32)
    if expected.dtype.kind == "f":
        assert got32.dtype == np.float32, f"{case.name}: float32 inputs gave {got32.dtype}"
    np.testing.assert_allclose(got32, expected, rtol=case.rtol32, atol=case.atol32,
                               err_msg=f"{case.name}: float32 forward")
    if case.wrt != []:
        check_gradients(case.fn, inputs, wrt=case.wrt, rtol=case.grad_rtol, atol=case.grad_atol,
                        max_elements=max_elements)
