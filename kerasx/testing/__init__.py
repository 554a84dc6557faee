"""Test helpers: finite-difference gradient checks and the declarative op-test table."""

from kerasx.testing.gradcheck import (check_gradients, check_layer_gradients, float64,
                                      numeric_gradient, sample_indices)
from kerasx.testing.op_cases import OpCase, check_op_case

__all__ = ["OpCase", "check_gradients", "check_layer_gradients", "check_op_case", "float64",
           "numeric_gradient", "sample_indices"]
