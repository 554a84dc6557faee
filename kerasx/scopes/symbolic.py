"""`SymbolicScope`: marks the symbolic stage (building a graph, not computing)."""

_STACK = []


class SymbolicScope:
    """A scope that marks code as running on symbolic tensors, as Keras's trainers
    open it while they trace a step. kerasx computes eagerly and decides per call
    whether a tensor is symbolic, so the scope only answers `in_symbolic_scope()`."""

    def __enter__(self):
        _STACK.append(self)
        return self

    def __exit__(self, *exc):
        _STACK.remove(self)
        return False


def in_symbolic_scope():
    """Whether a `SymbolicScope` is open."""
    return bool(_STACK)


def get_symbolic_scope():
    """The innermost open `SymbolicScope`, or None."""
    return _STACK[-1] if _STACK else None
