"""`KerasTensor`: the symbolic tensor of `Input` and of layers called on symbolic tensors.

Python operators, slicing and `.T` on KerasTensors record `kerasx.ops` nodes (bound
here when the module is imported).
"""

__all__ = ["KerasTensor"]

from kerasx.utils.naming import uniquify
from kerasx.utils.shape_args import standardize_shape


class KerasTensor:
    """A placeholder with a shape (None for unknown sizes) and a dtype.

    It is the output of `Input()` or of a layer called on KerasTensors, and
    remembers the call that produced it (`node`, and `index` among that
    call's outputs), so `kerasx.Model(inputs, outputs)` can replay the graph.

    `kerasx.ops` functions and Python operators (`x * 2`, `x[:, 1:3]`, `x.T`,
    `1 - x`, `x > 0`, `x != y`) accept KerasTensors: they add an operation
    node to the graph (`kerasx.layers.core.op_layer.OpLayer`). `==` compares
    identity, as in Keras, so tensors stay usable as dict keys.
    """

    def __init__(self, shape, dtype="float32", sparse=False, ragged=False, record_history=True,
                 name=None, node=None, index=0):
        _refuse_ragged(ragged, "KerasTensor")
        self._shape = standardize_shape(shape)
        self._dtype = _standard_dtype(dtype)
        self._sparse = sparse
        if self.sparse:
            from kerasx.backends import current
            from kerasx.backends.sparse import check_sparse_support

            check_sparse_support(current())
        # as Keras: a given name (a named Input's), else `keras_tensor`, `keras_tensor_1`, ...
        self.name = name if name is not None else uniquify("keras_tensor")
        self.node = node
        self.index = index

    @property
    def ndim(self):
        return len(self.shape)

    # as Keras: these describe what the graph computes, so they cannot be reassigned
    shape = property(lambda self: self._shape, lambda self, value: _immutable("shape"))
    dtype = property(lambda self: self._dtype, lambda self, value: _immutable("dtype"))
    sparse = property(lambda self: self._sparse, lambda self, value: _immutable("sparse"))
    ragged = property(lambda self: False, lambda self, value: _immutable("ragged"))

    @property
    def _keras_history(self):
        """`(layer, node_index, tensor_index)`, as Keras records it."""
        return self.node.layer, self.node.node_index, self.index

    def __repr__(self):
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}, "
                f"ragged=False, name={self.name}>")

    def __bool__(self):
        raise TypeError(
            "A symbolic KerasTensor has no value, so it cannot be used as a Python bool "
            "(in `if`, `and`, `or`). Write the condition inside a layer's `call`, which runs on "
            "real arrays."
        )

    def __iter__(self):
        raise SymbolicIterationError(
            f"Iterating over the symbolic {self!r} is not supported: its values exist only "
            "when the model runs. Index it (x[:, 0]) or use kerasx.ops.split / unstack-style "
            "slicing instead."
        )

    # NumPy would otherwise turn `array * keras_tensor` into an elementwise loop over the
    # array; with None it defers to KerasTensor's reflected operators.
    __array_ufunc__ = None

    def __array__(self, dtype=None, copy=None):
        raise SymbolicValueError(
            f"{self!r} is symbolic: it has no values to convert to an array. Build a "
            "kerasx.Model(inputs, outputs) and call it (or `predict`) on real data."
        )


class SymbolicIterationError(TypeError, NotImplementedError):
    """Iterating over a KerasTensor: NotImplementedError as in Keras, TypeError as Python's
    own refusal to iterate."""


class SymbolicValueError(TypeError, ValueError):
    """Converting a KerasTensor to an array: ValueError as in Keras, TypeError as an
    unconvertible object."""


def _bind_symbolic_operators():
    # Python operators, slicing and `.T` on KerasTensors record `kerasx.ops` nodes.
    from kerasx import ops

    ops._register_symbolic_type(KerasTensor)
    ops._bind_operators(KerasTensor, symbolic=True)


_bind_symbolic_operators()


def _bind_keras_extra_operators():
    # `^`, `round()` and the explicit `__div__` / `__rdiv__` on KerasTensors, as Keras's
    # KerasTensor defines them.
    from kerasx import ops

    KerasTensor.__xor__ = lambda self, other: ops.logical_xor(self, other)
    KerasTensor.__rxor__ = lambda self, other: ops.logical_xor(other, self)
    KerasTensor.__round__ = lambda self, ndigits=None: ops.round(self, decimals=ndigits or 0)
    KerasTensor.__div__ = lambda self, other: ops.divide(self, other)
    KerasTensor.__rdiv__ = lambda self, other: ops.divide(other, self)


_bind_keras_extra_operators()


def _standard_dtype(dtype):
    """The standard name of `dtype`; a ValueError naming the accepted ones for any other."""
    from kerasx.backend import standardize_dtype

    return standardize_dtype(dtype)


def _immutable(attribute):
    raise AttributeError(f"The `{attribute}` attribute of KerasTensor is immutable. One should "
                         "create a new instance of KerasTensor for this.")


def _refuse_ragged(ragged, where):
    if ragged:
        raise ValueError(f"{where}: ragged=True is not supported; kerasx has no ragged tensors "
                         "(they are TensorFlow's). Pad the sequences to one length (e.g. "
                         "kerasx.utils.pad_sequences) and mask the padding.")
