"""`RematScope` and `remat`: Keras's rematerialization (gradient checkpointing) API.

kerasx's tape keeps what each op's VJP needs until the backward pass reads it,
and does not recompute: `remat(f)` runs `f` as it is, with exactly `f`'s values
and gradients and `f`'s memory, and a `RematScope` records its settings
(`get_current_remat_mode()`) without changing how layers run. A recomputing
backward pass would re-run `f`'s random draws and state updates (dropout
masks, seed counters, moving statistics), which would change the training
trajectory; keeping the activations is the exact choice.
"""

import collections
import functools

RematMode = collections.namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])
_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
_STACK = []


class RematScope:
    """A scope that names which layers Keras would rematerialize.

    Args:
        mode: "full", "activations", "larger_than", "list_of_layers", or None.
        output_size_threshold: the output size above which "larger_than"
            applies (default 1024).
        layer_names: the layer names "list_of_layers" applies to.

    In kerasx the scope is recorded (`get_current_remat_mode()`) and layers
    keep their activations: results and gradients are those without it.
    """

    def __init__(self, mode="full", output_size_threshold=1024, layer_names=None):
        if mode not in _MODES:
            raise ValueError(f"Invalid mode '{mode}'. Supported modes are: 'full', "
                             "'activations', 'larger_than', 'list_of_layers', or  None.")
        self.mode = mode
        self.output_size_threshold = output_size_threshold
        self.layer_names = layer_names or []
        self._pop_on_exit = False

    def __enter__(self):
        _STACK.append(self)
        self._pop_on_exit = True
        return self

    def __exit__(self, *exc):
        if self._pop_on_exit:
            _STACK.pop()
            self._pop_on_exit = False
        return False


def get_current_remat_mode():
    """The innermost `RematScope`'s settings as a `RematMode`, or None."""
    if not _STACK:
        return None
    scope = _STACK[-1]
    return RematMode(scope.mode, scope.output_size_threshold, scope.layer_names)


def remat(f):
    """`f` marked for rematerialization. kerasx keeps `f`'s activations for the
    backward pass instead of recomputing them (see the module docstring), so the
    wrapped function returns exactly `f`'s values and gradients."""
    if not callable(f):
        raise TypeError(f"remat expects a callable (a function or a layer), received {f!r} of "
                        f"type {type(f).__name__}.")

    @functools.wraps(f)
    def rematerialized(*args, **kwargs):
        return f(*args, **kwargs)

    return rematerialized
