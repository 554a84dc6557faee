"""Reverse-mode automatic differentiation: Tensor, Variable, GradientTape."""

from kerasx.autodiff.tape import GradientTape, backward, is_recording, record, record_multi, tracked
from kerasx.autodiff.tensor import Tensor, TensorOps, value_of
from kerasx.autodiff.variable import Variable

__all__ = ["GradientTape", "Tensor", "TensorOps", "Variable", "backward", "is_recording",
           "record", "record_multi", "tracked", "value_of"]
