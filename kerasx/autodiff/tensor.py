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

    def __int__(self):
        return int(self.value)

    def __bool__(self):
        return bool(self.value)

    def __format__(self, spec):
        # f"{loss:.4f}" formats a scalar as its Python number, as on backend arrays
        if spec and not self.value.shape:
            return format(self.numpy().item(), spec)
        return format(str(self), spec) if not spec else object.__format__(self, spec)

    def __complex__(self):
        return complex(self.value)

    def __index__(self):
        return self.value.__index__()

    # -- the array API: tensors work with array-API code (`kerasx.array_api`) ------------
    def __array_namespace__(self, api_version=None):
        """`kerasx.array_api`, the array API over kerasx's (differentiable) ops."""
        if api_version not in (None, "2021.12", "2022.12", "2023.12", "2024.12"):
            raise ValueError(f"kerasx implements the array API 2024.12 (and the earlier "
                             f"versions); received api_version={api_version!r}.")
        from kerasx import array_api

        return array_api

    def __dlpack__(self, **kwargs):
        return self.value.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return self.value.__dlpack_device__()

    @property
    def device(self):
        return current().device

    def to_device(self, device, /, *, stream=None):
        if device != current().device:
            raise ValueError(f"kerasx tensors live on the active backend's device "
                             f"({current().device!r}); received device={device!r}.")
        return self

    @property
    def size(self):
        size = 1
        for n in self.shape:
            size *= n
        return size

    @property
    def mT(self):
        from kerasx import ops

        return ops.swapaxes(self, -1, -2)


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
        tracked = ", tracked" if self.tracked else ""
        return f"<Tensor shape={self.shape}, dtype={self.dtype}{tracked}{value_text(self)}>"


_PLAIN = (int, float, complex, type(None))


def value_text(tensor):
    """`, value=[...]`, the values as NumPy prints them (as Keras's variables show
    theirs), or "" when they cannot be read."""
    try:
        values = tensor.numpy()
    except Exception:  # a placeholder of a recorded step has no values to show
        return ""
    return f", value={values}"


def value_of(x):
    """The backend array behind a Tensor or Variable. NumPy arrays and scalars, which
    Keras's ops take on every backend, are moved to the backend, lists of Python numbers
    too (with Keras's dtypes: `ops.floor([1.0, 2.5])` is float32); an array of another
    library is the backend's clear error; anything else is returned unchanged."""
    if isinstance(x, TensorOps):
        return x.value
    if isinstance(x, _PLAIN):
        return x
    backend = current()
    if type(x) is list:  # not tuples: those are index keys, shapes and axes too
        return _python_data_value(backend, x)
    if backend.is_native(x) or not (is_host_value(x) or is_foreign_array(x)):
        return x
    return backend.asarray(x)


def _python_data_value(backend, x):
    """A (nested) list of Python numbers as the array Keras reads from it
    (floats as `floatx`, integers as int32, booleans as bool); any other sequence (of
    tensors, of arrays) is returned unchanged."""
    from kerasx.ops.shape import python_data_dtype

    dtype = python_data_dtype(x)
    return x if dtype is None else backend.asarray(x, dtype=backend.dtype(dtype))
