"""`Operation` and `Function`: Keras's stateless operations and callable op graphs."""

from kerasx.graph.function import Function
from kerasx.graph.operation import Operation

__all__ = ["Function", "Operation"]
