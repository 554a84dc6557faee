"""`SymbolicScope`: marks the symbolic stage (building a graph, not computing)."""

import threading


class _Stack(threading.local):
    def __init__(self):
        self.open = []  # this thread's open scopes, innermost last


_STACK = _Stack()


class SymbolicScope:
    """A scope that marks code as running on symbolic tensors, as Keras's trainers
    open it while they trace a step. kerasx computes eagerly and decides per call
    whether a tensor is symbolic, so the scope only answers `in_symbolic_scope()`
    (in the thread that opened it, as Keras's scopes are per thread)."""

    def __enter__(self):
        _STACK.open.append(self)
        return self

    def __exit__(self, *exc):
        _STACK.open.remove(self)
        return False


def in_symbolic_scope():
    """Whether a `SymbolicScope` is open in this thread."""
    return bool(_STACK.open)


def get_symbolic_scope():
    """The innermost `SymbolicScope` open in this thread, or None."""
    return _STACK.open[-1] if _STACK.open else None
