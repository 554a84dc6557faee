"""`RematScope` and `remat`: Keras's rematerialization (gradient checkpointing).

`remat(f)` wraps `f` so that, while a `GradientTape` records, a call keeps none of
`f`'s intermediate activations: it is one tape node that runs `f` again when the
backward pass reaches it (`kerasx.autodiff.checkpoint`). Results and gradients are
bit for bit those of `f` itself: the recomputation repeats `f`'s random draws
(dropout masks) from the noted generator state and seeds, runs in the context of
the call (training flag, backend, mixed-precision scope), and leaves no trace:
the layers' seed counters and activity losses and the variables `f` assigned (a
batch normalization's moving statistics, updated once, by the call) are as the
call left them. Without a recording tape (`predict`, `evaluate`) the wrapped
function is `f`.

A layer created inside `RematScope(mode=...)` rematerializes its `call`, as in
Keras (the mode is taken when the layer is made): "full" every layer,
"larger_than" those whose output has more than `output_size_threshold` entries,
"list_of_layers" those named in `layer_names`, "activations" only the
`activation` of layers that have one. A model does not fuse such layers with their
neighbours (a convolution with its pooling, `kerasx.models.fusion`): each runs
its own call, rematerialized.
"""

import collections
import functools
import math

from kerasx import tree

RematMode = collections.namedtuple("RematMode", ["mode", "output_size_threshold", "layer_names"])
_MODES = ("full", "activations", "larger_than", "list_of_layers", None)
_STACK = []


class RematScope:
    """Layers created inside this scope rematerialize their `call` in training.

    Args:
        mode: "full" (every layer), "activations" (the activation function of
            layers that have one), "larger_than" (layers whose output has more
            than `output_size_threshold` entries), "list_of_layers" (the layers
            named in `layer_names`), or None (none; turns an outer scope off).
        output_size_threshold: the output size above which "larger_than"
            applies (default 1024).
        layer_names: the layer names "list_of_layers" applies to.

    The innermost scope at a layer's creation decides for that layer
    (`get_current_remat_mode()`).
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
    """`f` rematerialized: in training its activations are recomputed in the backward
    pass instead of kept (see the module docstring); values and gradients are `f`'s.

    Tensors that need a gradient must reach `f` as arguments (a tensor `f` reads
    from a closure raises an error in the backward pass); the variables `f` reads
    receive their gradients wherever they come from."""
    if not callable(f):
        raise TypeError(f"remat expects a callable (a function or a layer), received {f!r} of "
                        f"type {type(f).__name__}.")

    @functools.wraps(f)
    def rematerialized(*args, **kwargs):
        from kerasx.autodiff import checkpoint

        if not checkpoint.tape.is_recording():
            return f(*args, **kwargs)
        outputs, (slots, losses) = checkpoint.checkpoint(
            _with_new_losses(f), args, kwargs, keep_state=_LayerStateKept())
        for (layer, position), loss in zip(slots.slots, losses):
            layer._activity_losses[position] = loss
        return outputs

    return rematerialized


def _with_new_losses(f):
    """`f` returning `(outputs, (slots, losses))`: the losses (`add_loss`, activity
    regularizers) the layers it calls added, as outputs of the call so that their
    gradients flow, and where each sits in its layer's list."""

    def run(*args, **kwargs):
        called = _CalledLayers()
        with called:
            outputs = f(*args, **kwargs)
        slots, losses = [], []
        for layer, before in called.losses_before():
            for position, loss in enumerate(layer._activity_losses):
                if not any(loss is old for old in before):
                    slots.append((layer, position))
                    losses.append(loss)
        return outputs, (_Slots(slots), losses)

    return run


class _Slots:
    """Where the losses of a call sit (an opaque leaf of the call's outputs)."""

    __slots__ = ("slots",)

    def __init__(self, slots):
        self.slots = slots


class _CalledLayers:
    """The layers called while it is open, each with its losses before its first call."""

    def __init__(self):
        self.seen = {}

    def _note(self, layer):
        if id(layer) not in self.seen:
            self.seen[id(layer)] = (layer, list(layer._activity_losses))

    def __enter__(self):
        _layer_module()._CALL_WATCHERS.append(self._note)
        return self

    def __exit__(self, *exc):
        _layer_module()._CALL_WATCHERS.remove(self._note)
        return False

    def losses_before(self):
        return list(self.seen.values())


class _LayerStateKept:
    """Around a recomputation: the mixed-precision scope of the call, and the Python
    state of every layer the recomputation calls (its call count and activity
    losses) put back as it was before it."""

    def __init__(self):
        from kerasx.dtype_policies import autocast

        self._autocast = autocast
        self._dtype = autocast._SCOPE[0]

    def _note(self, layer):
        for each in [layer] + layer._flatten_layers():
            if id(each) not in self._saved:
                self._saved[id(each)] = _python_state(each)

    def __enter__(self):
        self._saved = {}
        self._outer_dtype = self._autocast._SCOPE[0]
        self._autocast._SCOPE[0] = self._dtype
        _layer_module()._CALL_WATCHERS.append(self._note)
        return self

    def __exit__(self, *exc):
        _layer_module()._CALL_WATCHERS.remove(self._note)
        self._autocast._SCOPE[0] = self._outer_dtype
        for restore in self._saved.values():
            restore()
        self._saved = {}
        return False


def _python_state(layer):
    """A function that puts back `layer`'s call count and activity losses (the
    recomputation puts every seed counter back itself)."""
    own = layer.__dict__
    kept = {name: own[name] for name in ("_seed_calls",) if name in own}
    losses = list(own.get("_activity_losses", ()))

    def restore():
        for name, value in kept.items():
            object.__setattr__(layer, name, value)
        object.__setattr__(layer, "_activity_losses", losses)

    return restore


@functools.cache
def _layer_module():
    from kerasx.layers import layer

    return layer


def rematerialized_call(layer, inputs, args, kwargs):
    """The callable that runs `layer.call` under the layer's `RematMode` (Keras's
    `Layer.rematerialized_call`): `layer.call` itself when the mode leaves it out."""
    mode = layer._remat_mode
    call = layer.call
    if mode.mode == "full":
        return remat(call)
    if mode.mode == "list_of_layers":
        return remat(call) if layer.name in mode.layer_names else call
    if mode.mode == "activations":
        activation = getattr(layer, "activation", None)
        if activation is None:
            return call

        @functools.wraps(call)
        def with_rematerialized_activation(*a, **k):
            object.__setattr__(layer, "activation", remat(activation))
            try:
                return call(*a, **k)
            finally:
                object.__setattr__(layer, "activation", activation)

        return with_rematerialized_activation
    if mode.mode == "larger_than":
        size = _output_size(layer, inputs)
        return remat(call) if size and size > mode.output_size_threshold else call
    return call


def _output_size(layer, inputs):
    """The number of entries of `layer`'s outputs for `inputs` (unknown sizes count 1),
    from `compute_output_shape`, remembered per input shape."""
    from kerasx.autodiff.tape import _Paused

    shapes = tree.map_structure(lambda x: tuple(x.shape), inputs)
    key = repr(shapes)
    cache = layer.__dict__.get("_remat_output_sizes")
    if cache is None:
        cache = {}
        object.__setattr__(layer, "_remat_output_sizes", cache)
    if key not in cache:
        with _Paused():
            out = layer.compute_output_shape(shapes)
        flat = [out] if _is_shape(out) else _shapes_in(out)
        cache[key] = sum(math.prod(d or 1 for d in shape) for shape in flat)
    return cache[key]


def _is_shape(x):
    return isinstance(x, (tuple, list)) and all(d is None or isinstance(d, int) for d in x)


def _shapes_in(structure):
    if _is_shape(structure):
        return [tuple(structure)]
    if isinstance(structure, dict):
        structure = list(structure.values())
    return [s for item in structure for s in _shapes_in(item)]
