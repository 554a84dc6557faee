"""`checkpoint`: a call recorded as one tape node that recomputes its inside when
the backward pass reaches it (rematerialization, gradient checkpointing).

While a tape records, `checkpoint(f, args, kwargs)` runs `f` with recording paused,
so none of the arrays its ops would save for their VJPs stay alive: the node keeps
`f`, its arguments, and what it takes to run `f` again exactly as it ran (the
context variables of the call, the random generator's state and the seed of each
draw, the previous values of the variables `f` assigned). Its VJP runs `f` again on
the same argument values with recording on, then backpropagates the incoming
gradients through that recomputed subgraph, which is freed as it is consumed.

The recomputation sees what the call saw and leaves no trace: the random draws
repeat bit for bit without moving the generator or any seed counter on, variables that `f` assigned
read the values they had before the call while it runs and are put back after it,
so a state update (a batch normalization's moving statistics) is made once, by the
call. Results and gradients are bit for bit those of calling `f` directly.

Gradients reach the tensors passed in `args`/`kwargs` and every variable `f` reads
(found when it is recomputed). A tensor that carries gradient and reaches `f` any
other way (a closure, an attribute) must be passed as an argument instead: its node
may already be behind the backward pass when the recomputation finds it, which is
reported as an error rather than losing its gradient.

While a step is recorded for replay (`kerasx.trainers.compiled_step`, which wraps
the backend's generator), the call keeps the arrays it drew instead: a recorded
program cannot put a generator back to a noted state, but it can hand the call's
own masks on to the recomputation, so replayed steps stay those of the eager step.
"""

import contextvars
import threading
import weakref

from kerasx import tree
from kerasx.autodiff import tape
from kerasx.autodiff.tensor import Tensor
from kerasx.autodiff.variable import WRITE_WATCHERS
from kerasx.backends import current
from kerasx.backends.random import DrawJournal, RandomGenerator
from kerasx.random.counted_seed import counter_states, restore_counters


def checkpoint(f, args, kwargs, keep_state=None):
    """`f(*args, **kwargs)`, recorded as one node that recomputes `f` in the backward
    pass (see the module docstring). Without a recording tape it is the plain call.

    `keep_state`, when given, is a reusable context manager that every
    recomputation runs inside (for state the tape does not know of, such as a
    layer's seed counters or a global scope), made at the call.
    """
    if not tape.is_recording():
        return f(*args, **kwargs)
    backend = current()
    if isinstance(backend.rng, RandomGenerator):
        draws = DrawJournal().recording()
    else:
        draws = _KeptDraws(backend)
    writes = _Writes()
    context = contextvars.copy_context()
    saved = tape.set_recording_level(0)
    try:
        with draws, writes:
            outputs = f(*args, **kwargs)
    finally:
        tape.set_recording_level(saved)
    inputs = _Inputs(args, kwargs)
    leaves = tree.flatten(outputs)
    values, logits = _output_values(leaves)
    node = tape._THREAD.node_class(inputs.parents, None, len(values))
    run = _Recompute(f, inputs, draws, writes, context, keep_state, len(leaves), logits)
    node.vjp = run.vjp_for(weakref.ref(node))
    made = [Tensor(v, node, i) for i, v in enumerate(values)]
    out, position = [], 0
    for leaf in leaves:
        if not isinstance(leaf, Tensor):
            out.append(leaf)
            continue
        tensor = made[position]
        position += 1
        tensor._keras_mask = leaf._keras_mask
        out.append(tensor)
    for (slot, kind, parts), hidden in zip(logits, made[position:]):
        out[slot].logits = (kind, hidden, parts)
    return tree.pack_sequence_as(outputs, out)


def _output_values(leaves):
    """The values of the node's outputs: every Tensor leaf, then the pre-activation of
    each leaf that remembers one (so a fused cross-entropy after the call still finds
    it, and its gradient reaches the call); and `(leaf position, kind, parts)` per
    remembered pre-activation."""
    values, logits = [], []
    for i, leaf in enumerate(leaves):
        if isinstance(leaf, Tensor):
            values.append(leaf.value)
            if leaf.logits is not None and isinstance(leaf.logits[1], Tensor):
                logits.append((i, leaf.logits[0], leaf.logits[2]))
    for i, _, _ in logits:
        values.append(leaves[i].logits[1].value)
    return values, logits


class _Inputs:
    """The arguments of a checkpointed call, and fresh leaves standing for the tracked
    tensors among them when it is recomputed (one per distinct tensor, including a
    pre-activation an argument remembers)."""

    __slots__ = ("args", "kwargs", "parents")

    def __init__(self, args, kwargs):
        self.args, self.kwargs = args, kwargs
        parents, seen = [], set()
        for leaf in tree.flatten((args, kwargs)):
            if isinstance(leaf, Tensor) and leaf.tracked:
                for tensor in (leaf, _remembered(leaf)):
                    if tensor is not None and tensor.tracked and id(tensor) not in seen:
                        seen.add(id(tensor))
                        parents.append(tensor)
        self.parents = tuple(parents)

    def detached(self):
        """`(args, kwargs, leaves)`: the arguments with each tracked tensor replaced by
        a leaf of the same value, and those leaves in the order of `parents`."""
        fresh = {}
        for tensor in self.parents:
            leaf = Tensor(tensor.value)
            leaf.tracked = True
            leaf._keras_mask = tensor._keras_mask
            fresh[id(tensor)] = leaf
        for tensor in self.parents:
            if tensor.logits is not None:  # a fused cross-entropy inside reads it as before
                pre = fresh.get(id(_remembered(tensor)), tensor.logits[1])
                fresh[id(tensor)].logits = (tensor.logits[0], pre, tensor.logits[2])

        def swap(x):
            return fresh.get(id(x), x) if isinstance(x, Tensor) else x

        args, kwargs = tree.map_structure(swap, (self.args, self.kwargs))
        return args, kwargs, [fresh[id(t)] for t in self.parents]


def _remembered(tensor):
    logits = tensor.logits
    return logits[1] if logits is not None and isinstance(logits[1], Tensor) else None


class _Writes:
    """Notes the value each variable had before a call first assigned it."""

    __slots__ = ("before",)

    def __init__(self):
        self.before = {}  # id -> (variable, value before its first assignment)

    def _note(self, variable):
        if id(variable) not in self.before:
            self.before[id(variable)] = (variable, variable._value)

    def __enter__(self):
        WRITE_WATCHERS.append(self._note)
        return self

    def __exit__(self, *exc):
        WRITE_WATCHERS.remove(self._note)
        return False

    def put_back(self):
        for variable, value in self.before.values():
            variable._value = value


class _KeptDraws:
    """The draws of a call kept as arrays: `with` it, the backend's generator notes
    what each draw returns; `with` it after `replaying()`, draws return those arrays
    in turn (the `DrawJournal` protocol, for a generator that is wrapped)."""

    def __init__(self, backend):
        self.backend = backend
        self.wrapped = None
        self.arrays = []
        self.position = None

    def replaying(self):
        self.position = 0
        return self

    def __enter__(self):
        self.wrapped = self.backend.rng
        self.thread = threading.get_ident()
        self.backend.rng = self
        return self

    def __exit__(self, *exc):
        self.backend.rng = self.wrapped
        return False

    def __getattr__(self, name):
        method = getattr(self.wrapped, name)
        if not callable(method) or threading.get_ident() != self.thread:
            return method  # (another thread's draws pass through)
        if self.position is not None:
            return self._replayed
        return lambda *args, **kwargs: self._noted(method(*args, **kwargs))

    def _noted(self, array):
        self.arrays.append(array)
        return array

    def _replayed(self, *args, **kwargs):
        if self.position >= len(self.arrays):
            raise RuntimeError(
                f"A recomputation drew more random arrays than the {len(self.arrays)} of the "
                "call it repeats: a rematerialized function must draw the same random "
                "numbers every time it runs with the same inputs.")
        self.position += 1
        return self.arrays[self.position - 1]


class _RecomputedNode(tape.Node):
    """A tape node made while a checkpointed call is recomputed (its own subgraph)."""

    __slots__ = ()


class _Recompute:
    """The VJP of a checkpointed call: runs it again recording, then backpropagates."""

    def __init__(self, f, inputs, draws, writes, context, kept, n_leaves, logits):
        self.f, self.inputs, self.draws, self.writes = f, inputs, draws, writes
        self.context, self.kept = context, kept
        self.n_leaves, self.logits = n_leaves, logits

    def vjp_for(self, node_ref):
        def vjp(grads):
            node = node_ref()
            fresh, targets = self._rerun()
            if len(targets) != node.n_out:
                raise RuntimeError(
                    f"A rematerialized function returned {len(targets)} tensors when "
                    f"recomputed, {node.n_out} when first called: it must return the same "
                    "structure for the same inputs.")
            _check_inside(targets)
            leaf_grads = _leaf_gradients(targets, grads if node.n_out > 1 else (grads,))
            fresh_ids = {id(leaf) for leaf in fresh}
            read = tuple(leaf for leaf, _ in leaf_grads.values() if id(leaf) not in fresh_ids)
            node.parents = self.inputs.parents + read
            return [leaf_grads.get(id(leaf), (None, None))[1] for leaf in fresh + list(read)]

        return vjp

    def _rerun(self):
        """Runs the call again with recording on; returns the fresh input leaves, and
        the recomputed output tensors in the order of the node's outputs."""
        args, kwargs, fresh = self.inputs.detached()
        overwritten = _Writes()
        current = [(v, v._value) for v, _ in self.writes.before.values()]
        counters = counter_states()  # seed counters count the call's draws once
        self.writes.put_back()
        thread = tape._THREAD
        saved, saved_node = tape.set_recording_level(1), thread.node_class
        thread.node_class = _RecomputedNode
        try:
            with self.draws.replaying(), overwritten, self.kept or _Nothing():
                outputs = self.context.run(self.f, *args, **kwargs)
        finally:
            tape.set_recording_level(saved)
            thread.node_class = saved_node
            restore_counters(counters)
            overwritten.put_back()
            for variable, value in current:
                variable._value = value
        flat = tree.flatten(outputs)
        if len(flat) != self.n_leaves:
            raise RuntimeError(
                f"A rematerialized function returned {len(flat)} values when recomputed, "
                f"{self.n_leaves} when first called: it must return the same structure for "
                "the same inputs.")
        targets = [leaf for leaf in flat if isinstance(leaf, Tensor)]
        for slot, _, _ in self.logits:
            targets.append(flat[slot].logits[1])
        return fresh, targets


def _leaf_gradients(targets, grads):
    """Backpropagates `grads` (one per target, None for none) through the recomputed
    subgraph, freeing it as it goes; returns `{id: (leaf, gradient)}` for every
    tracked leaf reached (the fresh input leaves, variables, watched tensors, and the
    variables a nested rematerialized call finds when it is recomputed in turn)."""
    root = tape.Node(tuple(targets), lambda _: grads)
    node_grads = {root: [None]}
    leaf_grads = {}
    for node in reversed(tape._topological_order(root)):
        gs = node_grads.pop(node, None)
        if gs is None:
            continue
        grads_in = node.vjp(gs[0] if node.n_out == 1 else tuple(gs))
        for parent, g in zip(node.parents, grads_in):
            if parent is None or g is None:
                continue
            pnode = parent.node
            if pnode is None:
                if parent.tracked:
                    old = leaf_grads.get(id(parent))
                    leaf_grads[id(parent)] = (parent, g if old is None else old[1] + g)
                continue
            slot = node_grads.get(pnode)
            if slot is None:
                slot = node_grads[pnode] = [None] * pnode.n_out
            old = slot[parent.index]
            slot[parent.index] = g if old is None else old + g
        node.vjp = tape._released
        node.parents = ()
    return leaf_grads


class _Nothing:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def _check_inside(targets):
    """Raises when the recomputed subgraph reads a tensor recorded outside it."""
    seen, stack = set(), list(targets)
    while stack:
        x = stack.pop()
        node = getattr(x, "node", None) if x is not None else None
        if node is None or node in seen:
            continue
        if not isinstance(node, _RecomputedNode):
            raise RuntimeError(
                f"A rematerialized function read the tensor {x!r}, which carries gradient "
                "and was not passed to it as an argument. Pass it as an argument (or "
                "compute it inside the function) so that its gradient can flow.")
        seen.add(node)
        stack.extend(node.parents)
