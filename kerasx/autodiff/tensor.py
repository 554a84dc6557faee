"""`Tensor`: a backend array plus, while a tape records, the node that made it."""

from kerasx.backends import current
from kerasx.backends.base import dtype_name, is_foreign_array
from kerasx.backends.host import is_host_value


class TensorOps:
    """Python operators for tensors and variables, bound to `kerasx.ops` on import.

    With a symbolic `KerasTensor` as the other operand (`tensor + kerasx.Input(...)`),
    a binary operator gives way to the KerasTensor's own operator, which records the
    op in the functional graph with this tensor as a constant of the node.
    """

    __slots__ = ()
    __array_priority__ = 100

    @property
    def shape(self):
        return tuple(self.value.shape)

    @property
    def ndim(self):
        return len(self.value.shape)

    @property
    def dtype(self):
        return dtype_name(self.value.dtype)

    def numpy(self):
        """The value as a host NumPy array."""
        return current().to_numpy(self.value)

    def __array__(self, dtype=None, copy=None):
        out = self.numpy()
        return out if dtype is None else out.astype(dtype)

    def __len__(self):
        return self.value.shape[0]

    def __float__(self):
        return float(self.value)

    def __bool__(self):
        return bool(self.value)


class Tensor(TensorOps):
    """The result of a kerasx op.

    `value` is the backend array. `node` is the tape node that produced it (None
    when nothing recorded it) and `index` its position among that node's
    outputs. `tracked` says whether gradients flow through it. `logits` may
    hold `("softmax" | "sigmoid", pre_activation_tensor, kept)` so a following
    cross-entropy can use the stable fused form (`kept`: what a backend kernel
    saved for it, or None).
    """

    __slots__ = ("value", "node", "index", "tracked", "logits", "_keras_mask", "__weakref__")

    def __init__(self, value, node=None, index=0):
        self.value = value
        self.node = node
        self.index = index
        self.tracked = node is not None
        self.logits = None
        self._keras_mask = None

    def __repr__(self):
        return f"<Tensor shape={self.shape} dtype={self.dtype}{' tracked' if self.tracked else ''}>"


_PLAIN = (int, float, complex, type(None))


def value_of(x):
    """The backend array behind a Tensor or Variable. NumPy arrays and scalars, which
    Keras's ops take on every backend, are moved to the backend; an array of another
    library is the backend's clear error; anything else is returned unchanged."""
    if isinstance(x, TensorOps):
        return x.value
    if isinstance(x, _PLAIN):
        return x
    backend = current()
    if backend.is_native(x) or not (is_host_value(x) or is_foreign_array(x)):
        return x
    return backend.asarray(x)
