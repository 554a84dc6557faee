"""`HostScalar`: an optimizer variable whose scalar value lives on the host."""

import math
import struct

from kerasx.autodiff.tensor import value_of
from kerasx.autodiff.variable import Variable
from kerasx.backends import current


# the float types whose optimizer arithmetic Keras rounds step by step
HALF_TYPES = ("float16", "bfloat16")


def round_to(value, dtype):
    """The Python float `value` rounded to the nearest number of the float type `dtype`
    (`"float16"`, `"bfloat16"`, `"float32"`; any other name leaves it as it is)."""
    if dtype == "float16":
        try:
            return struct.unpack("e", struct.pack("e", value))[0]
        except OverflowError:  # beyond float16's largest number: infinity, as NumPy casts
            return math.copysign(math.inf, value)
    if dtype in ("float32", "bfloat16"):
        try:
            value = struct.unpack("f", struct.pack("f", value))[0]
        except OverflowError:
            return math.copysign(math.inf, value)
    if dtype == "bfloat16" and math.isfinite(value):
        bits = struct.unpack("I", struct.pack("f", value))[0]
        # to nearest, ties to even, on the upper 16 bits of the float32 pattern
        bits = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
        value = struct.unpack("f", struct.pack("I", bits))[0]
    return value


class HostScalar(Variable):
    """A scalar optimizer variable whose value is kept on the host.

    The step counter, the learning rate and Nadam's momentum product are
    plain Python numbers to the update code (no device round trip per step),
    yet they appear in `optimizer.variables` in Keras's order, with Keras's
    names, so optimizer state saves and loads like Keras's. The device copy
    is made only when someone reads `.value`.
    """

    __slots__ = ("_host", "_stale", "_kind")

    def __init__(self, value, dtype, name):
        self._kind = dtype
        self._stale = False
        self._host = self._coerce(value)
        super().__init__(self._host, shape=(), dtype=dtype, trainable=False, name=name)

    def _coerce(self, value):
        value = value_of(value)
        if self._kind.startswith("int"):
            return int(value)
        # a float variable holds the number rounded to its dtype, as in Keras
        return round_to(float(value), self._kind)

    @property
    def value(self):
        if self._stale:
            self._value = current().asarray(self._host, dtype=self.dtype)
            self._stale = False
        return self._value

    @property
    def dtype(self):
        return self._kind

    @property
    def shape(self):
        return ()

    @property
    def host_value(self):
        """The value as a Python int or float."""
        return self._host

    def assign(self, value):
        self._host = self._coerce(value)
        self._stale = True
        return self

    def assign_add(self, delta):
        return self.assign(self._host + value_of(delta))

    def assign_sub(self, delta):
        return self.assign(self._host - value_of(delta))

    def __float__(self):
        return float(self._host)

    def __int__(self):
        return int(self._host)

    def __index__(self):
        if not self._kind.startswith("int"):
            raise TypeError(f"{self.name} is a float variable and cannot be used as an index.")
        return self._host

    def __eq__(self, other):
        if isinstance(other, HostScalar):
            return self._host == other._host
        if isinstance(other, (int, float)):
            return self._host == other
        return NotImplemented

    def __hash__(self):
        return id(self)

    def numpy(self):
        return current().to_numpy(self.value)

    def __repr__(self):
        return f"<Variable path={self.path}, shape=(), dtype={self.dtype}, value={self._host}>"
