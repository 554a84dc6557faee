"""Optimizer slots kept as views of one contiguous buffer (multi-tensor updates).

A model with many small weights pays NumPy's per-call cost (about 1 us) for
every pass of every update: Adam's twelve passes over 42 biases and small
kernels cost 294 us a step, against 99 us when the same passes run once over
buffers that hold all of them. `FlatSlots` makes the arrays of a list of slot
Variables views of one buffer, so a single ufunc call updates them all.

The views stay private to the optimizer. Before each update `buffer()` checks
that every Variable still holds its view and that nothing else holds a view
or the buffer; if a Variable was assigned a new array (loading weights) or an
array is held elsewhere (a `value` kept by the caller), the values move to a
fresh buffer first, so an array seen outside never changes.
"""

import sys

import numpy as np


class FlatSlots:
    """The arrays of `variables` (one dtype, each C-contiguous) as views of one buffer."""

    __slots__ = ("variables", "_buffer", "_views", "_intact_counts")

    def __init__(self, variables):
        self.variables = list(variables)
        self._buffer = None
        self._views = ()

    def buffer(self):
        """The flat buffer, moved first to fresh memory if any view was replaced or shared."""
        if self._buffer is None or not self._intact():
            self._adopt()
        return self._buffer

    def _intact(self):
        if any(var._value is not view for var, view in zip(self.variables, self._views)):
            return False
        return self._reference_counts() == self._intact_counts

    def _reference_counts(self):
        # measured the same way after adopting and before each update, so that
        # any extra holder of the buffer or of a view shows as a larger count
        return [sys.getrefcount(self._buffer)] + [sys.getrefcount(v) for v in self._views]

    def _adopt(self):
        values = [var._value for var in self.variables]
        buffer = np.empty(sum(v.size for v in values), dtype=values[0].dtype)
        self._views = tuple(flat_views(buffer, [v.shape for v in values]))
        for var, value, view in zip(self.variables, values, self._views):
            view[...] = value
            var._value = view
        self._buffer = buffer
        del values, value, view, buffer, var
        self._intact_counts = self._reference_counts()


def flat_views(buffer, shapes):
    """Views of consecutive pieces of the 1-D `buffer`, one per shape."""
    out, start = [], 0
    for shape in shapes:
        size = 1
        for d in shape:
            size *= d
        out.append(buffer[start:start + size].reshape(shape))
        start += size
    return out
