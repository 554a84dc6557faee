"""Define-by-run reverse mode: tape nodes, recording state and the backward pass.

Recording is per thread, as PyTorch's grad mode is: a `GradientTape` opened in one
thread records that thread's ops only, so two threads can each train a model (or
one train while another predicts) without one's tape missing or taking the other's
ops.
"""

import threading

from kerasx.autodiff.tensor import Tensor
from kerasx.backends import current


class _ThreadState(threading.local):
    """A thread's recording depth, open tapes, node class (for recomputation) and the
    stand-ins its open StatelessScopes hold."""

    level = 0

    def __init__(self):
        self.open_tapes = []  # the GradientTapes inside their `with` block, outermost first
        self.node_class = Node
        # id(variable) -> the tracked Tensor or Variable an open StatelessScope reads in its
        # place: ops record that tensor as their input, so gradients reach what the scope
        # got (another thread's ops on the same variables are left as they are)
        self.substitutes = {}


# the recording depth summed over all threads: when 0 (inference, replayed steps) an
# op learns that nothing records from one list read, without the thread-local lookup
_ANY = [0]
_LEVEL_CHANGE = threading.Lock()
# the number of open StatelessScopes holding stand-ins, over all threads: when 0 an op
# skips the thread-local lookup of its thread's (`_ThreadState.substitutes`)
SUBSTITUTING = [0]


class Node:
    """One recorded op: the tracked inputs it read and its VJP rule.

    `vjp(grad)` maps the gradient of the output (a tuple of gradients, one per
    output, when `n_out > 1`; a missing one is None) to one gradient per entry
    of `parents` (None where an input takes no gradient).
    """

    __slots__ = ("parents", "vjp", "n_out", "__weakref__")

    def __init__(self, parents, vjp, n_out=1):
        self.parents = parents
        self.vjp = vjp
        self.n_out = n_out


_THREAD = _ThreadState()


def recording_level():
    """How many recording contexts (tapes, recomputations) are open in this thread."""
    return _THREAD.level if _ANY[0] else 0


def set_recording_level(level):
    """Sets this thread's recording depth (0 pauses recording); returns the old one."""
    with _LEVEL_CHANGE:
        old = _THREAD.level
        _ANY[0] += level - old
        _THREAD.level = level
    return old


def is_recording():
    return bool(_ANY[0]) and _THREAD.level > 0


def tracked(*xs):
    """True when a tape records in this thread and any of `xs` carries gradient."""
    if not _ANY[0] or not _THREAD.level:
        return False
    if SUBSTITUTING[0]:
        xs = _substituted(xs)
    for x in xs:
        if getattr(x, "tracked", False):
            return True
    return False


def _substituted(xs):
    """`xs` with the stand-ins of this thread's open StatelessScopes in place."""
    table = _THREAD.substitutes
    return [table.get(id(x), x) for x in xs] if table else xs


def record(value, inputs, vjp):
    """Wraps `value` in a Tensor whose node routes gradients to `inputs` by `vjp`.

    Call it only when `tracked(*inputs)` is True. Untracked inputs are stored as
    None so the node keeps nothing alive it does not need.
    """
    if SUBSTITUTING[0]:
        inputs = _substituted(inputs)
    parents = tuple(x if getattr(x, "tracked", False) else None for x in inputs)
    return Tensor(value, _THREAD.node_class(parents, vjp))


def record_multi(values, inputs, vjp):
    """Like `record` for an op with several outputs; returns a tuple of Tensors."""
    if SUBSTITUTING[0]:
        inputs = _substituted(inputs)
    parents = tuple(x if getattr(x, "tracked", False) else None for x in inputs)
    node = _THREAD.node_class(parents, vjp, len(values))
    return tuple(Tensor(v, node, i) for i, v in enumerate(values))


class GradientTape:
    """Records the ops run inside `with GradientTape() as tape:` for `tape.gradient`.

    Trainable variables are watched automatically; `watch(x)` adds a tensor or
    a non-trainable variable. A non-persistent tape frees each node's saved
    arrays as the backward pass consumes them.
    """

    def __init__(self, persistent=False, watch_accessed_variables=True):
        self.persistent = persistent
        self.watch_accessed_variables = watch_accessed_variables
        self._watched_vars = []
        self._open = False
        self._used = False
        self._shared = False

    def __enter__(self):
        set_recording_level(_THREAD.level + 1)
        self._open = True
        open_tapes = _THREAD.open_tapes
        if open_tapes:
            # tapes open together record the same nodes (`with A() as a, B() as b:`):
            # none of them may free what the other's gradient() still needs
            self._shared = True
            for tape in open_tapes:
                tape._shared = True
        open_tapes.append(self)
        return self

    def __exit__(self, *exc):
        if self._open:
            set_recording_level(_THREAD.level - 1)
            self._open = False
            _THREAD.open_tapes.remove(self)
        return False

    def _unwatch(self):
        # Watched non-trainable variables stay tracked until the gradient is taken:
        # VJP rules may consult an input's `tracked` flag during the backward pass.
        for v in self._watched_vars:
            v.tracked = v.trainable
        self._watched_vars = []

    def __del__(self):
        self._unwatch()

    def watch(self, x):
        """Makes gradients flow to `x` (a Tensor or Variable, or a list of them)."""
        for item in x if isinstance(x, (list, tuple)) else [x]:
            if isinstance(item, Tensor):
                item.tracked = True
            elif hasattr(item, "assign"):
                if not item.trainable:
                    self._watched_vars.append(item)
                item.tracked = True
            else:
                raise TypeError(
                    f"GradientTape.watch expects kerasx Tensors or Variables, got "
                    f"{type(item).__name__}. Convert an array with "
                    "kerasx.ops.convert_to_tensor(x) and watch (and use) the result."
                )

    def stop_recording(self):
        """A context in which ops are not recorded."""
        return _Paused()

    def gradient(self, target, sources, output_gradients=None):
        """Gradients of `target` (summed if not scalar) with respect to `sources`.

        `sources` may be one Tensor/Variable or a (nested) list; the result has the
        same structure, with None for sources the target does not depend on.
        """
        if self._used and not self.persistent:
            raise RuntimeError(
                "A non-persistent GradientTape can compute gradients only once. "
                "Use GradientTape(persistent=True) to call gradient() several times."
            )
        self._used = True
        flat, rebuild = _flatten(sources)
        targets, seeds = _target_leaves(target, output_gradients)
        if len(targets) == 1:
            grads = self._backward(targets[0], flat, seeds[0], True)
        else:
            grads = [None] * len(flat)
            for i, (leaf, seed) in enumerate(zip(targets, seeds)):
                last = i == len(targets) - 1
                grads = [g if a is None else a if g is None else a + g
                         for a, g in zip(grads, self._backward(leaf, flat, seed, last))]
        if not self.persistent:
            self._unwatch()
        return rebuild(grads)

    def _backward(self, target, flat_sources, seed, may_release):
        if recording_level() > (1 if self._open else 0) or (self.persistent and self._open):
            # another tape records (or this persistent one does): record this backward
            # pass too, so that its gradients can be differentiated again
            from kerasx.autodiff.higher_order import recorded_backward

            return recorded_backward(target, flat_sources, seed)
        return backward(target, flat_sources, seed,
                        release=may_release and not (self.persistent or self._shared))


def _target_leaves(target, output_gradients):
    """The tensors of a (nested) target and their seeds: a structure of targets is
    differentiated as the sum of its leaves, as TensorFlow's tapes do (None leaves,
    such as the gradients of unconnected variables, contribute nothing)."""
    targets, _ = _flatten(target)
    if output_gradients is None:
        seeds = [None] * len(targets)
    else:
        seeds, _ = _flatten(output_gradients)
        if len(seeds) != len(targets):
            raise ValueError(
                f"GradientTape.gradient received {len(targets)} targets but "
                f"{len(seeds)} output_gradients; pass one output gradient per target "
                "(in the target's structure), or none."
            )
    kept = [(t, s) for t, s in zip(targets, seeds) if t is not None]
    return [t for t, _ in kept], [s for _, s in kept]


class _Paused:
    def __enter__(self):
        self._saved = set_recording_level(0)

    def __exit__(self, *exc):
        set_recording_level(self._saved)
        return False


def backward(target, sources, seed=None, release=False):
    """Reverse pass from `target` to the list `sources`; returns a list of gradients."""
    xp = current().xp
    value = target.value if hasattr(target, "value") else target
    if seed is None:
        seed = xp.ones_like(value)
    else:
        seed = seed.value if hasattr(seed, "value") else seed
    source_pos = {}
    for i, s in enumerate(sources):
        source_pos.setdefault(id(s), []).append(i)
    results = [None] * len(sources)
    for i in source_pos.get(id(target), ()):
        results[i] = seed
    root = getattr(target, "node", None)
    if root is None:
        return results
    node_grads = {root: [None] * root.n_out}
    node_grads[root][target.index] = seed
    for node in reversed(_topological_order(root)):
        gs = node_grads.pop(node, None)
        if gs is None:
            continue
        grads_in = node.vjp(gs[0] if node.n_out == 1 else tuple(gs))
        for parent, g in zip(node.parents, grads_in):
            if parent is None or g is None:
                continue
            # inlined (this loop runs for every edge of the graph): a source takes `g`
            where = source_pos.get(id(parent))
            if where is not None:
                for i in where:
                    results[i] = g if results[i] is None else results[i] + g
            pnode = parent.node  # parents are Tensors or Variables (whose node is None)
            if pnode is not None:
                slot = node_grads.get(pnode)
                if slot is None:
                    slot = node_grads[pnode] = [None] * pnode.n_out
                old = slot[parent.index]
                slot[parent.index] = g if old is None else old + g
        if release:
            node.vjp = _released
            node.parents = ()
    return results


def _released(grad):
    raise RuntimeError(
        "This part of the graph was freed by an earlier gradient() call; "
        "use GradientTape(persistent=True) to differentiate it again."
    )


def _topological_order(root):
    order = []
    seen = {root}
    stack = [(root, iter(root.parents))]
    while stack:
        node, it = stack[-1]
        for p in it:
            n = getattr(p, "node", None)
            if n is not None and n not in seen:
                seen.add(n)
                stack.append((n, iter(n.parents)))
                break
        else:
            stack.pop()
            order.append(node)
    return order


def _sequence(kind, values):
    """`values` as a list, tuple or named tuple of type `kind`."""
    if kind is list:
        return list(values)
    return kind(*values) if hasattr(kind, "_fields") else kind(values)


def _flatten(structure):
    if isinstance(structure, (list, tuple)):
        kind = type(structure)
        if not any(isinstance(item, (list, tuple, dict)) for item in structure):
            # the common flat list of variables
            return list(structure), lambda values: _sequence(kind, values)
        flats, builders = [], []
        for item in structure:
            f, b = _flatten(item)
            flats.append(f)
            builders.append(b)

        def rebuild(values):
            out, pos = [], 0
            for f, b in zip(flats, builders):
                out.append(b(values[pos:pos + len(f)]))
                pos += len(f)
            return _sequence(kind, out)

        return [x for f in flats for x in f], rebuild
    if isinstance(structure, dict):
        keys = list(structure)
        flat, rebuild_list = _flatten([structure[k] for k in keys])
        return flat, lambda values: dict(zip(keys, rebuild_list(values)))
    return [structure], lambda values: values[0]
