"""Gradients of gradients: the backward pass recorded on the tape.

`GradientTape.gradient` called while another tape records (a gradient penalty, the
second derivative of a physics-informed network), or by a persistent tape inside its
own `with` block, runs `recorded_backward`: the same reverse pass, with gradients as
Tensors and each node's VJP replaced by its *differentiable rule*, a function written
with kerasx's own (recorded) ops. The first-order pass never looks at these rules.

A rule is found lazily from the node's first-order VJP closure: the op whose body
made that closure (its module and name) is the key under which the rule was
registered with `differentiable_vjp`, and the closure's captured variables (the
op's arguments, saved values, flags) are what the rule reads, by their names in the
op's source (tests/autodiff/test_higher_order.py runs every rule, so a renamed one
fails there). Recording therefore costs the first-order pass nothing.

A rule is called as `rule(g, parents, outputs, env)`:
    g: the gradient of the node's output, a Tensor (a tuple, None where missing, for
        a node with several outputs).
    parents: the node's tracked inputs (None where an input takes no gradient).
    outputs: the node's output Tensors (a tuple, None for one nothing used).
    env: the variables the first-order VJP closure captured, by name, the attributes
        the op set on that closure (what the rule needs and the closure does not
        read), and the node itself under `NODE` (see `output_of`).
It returns one gradient (a Tensor, or None) per parent, or None to decline a node it
does not cover (which then behaves as an op without a rule).
"""

from kerasx.autodiff.tensor import Tensor

_RULES = {}  # (module, op name) -> differentiable rule
_BY_CODE = {}  # code object of a first-order VJP -> ((module, op name), rule or None)


def differentiable_vjp(op, rule=None):
    """Registers `rule` as the differentiable VJP of the closures made inside `op`.

    Used as a decorator (`@differentiable_vjp(dense)`) or called with the rule. For
    ops built on a shared helper (`_unary`, `_binary`), the helper's rule looks up
    the per-op rule registered for the op's own closure (its `grad` lambda).
    """
    def register(fn):
        _RULES[(op.__module__, op.__qualname__)] = fn
        _BY_CODE.clear()  # a lookup made before this registration is stale
        return fn

    return register if rule is None else register(rule)


def dispatching_vjp(helper, pick):
    """Registers the rule of a shared helper (`_unary`, `_binary`) whose VJP closure
    calls a per-op rule: `pick(env)` is that per-op closure, and the decorated
    `rule(per_op_rule, g, parents, outputs, env)` applies the op's own rule."""
    def register(fn):
        _RULES[(helper.__module__, helper.__qualname__)] = _Dispatch(pick, fn)
        _BY_CODE.clear()
        return fn

    return register


class _Dispatch:
    __slots__ = ("pick", "apply")

    def __init__(self, pick, apply):
        self.pick = pick
        self.apply = apply


def captured(fn):
    """The variables the closure `fn` captured, by name, and the attributes set on it
    (a fused op attaches the arguments of the ops it fuses that its VJP does not read)."""
    env = dict(getattr(fn, "__dict__", ()))
    for name, cell in zip(fn.__code__.co_freevars, fn.__closure__ or ()):
        try:
            env[name] = cell.cell_contents
        except ValueError:  # a variable the op assigns only on another path
            pass
    return env


def rule_of(fn):
    """`(op name, rule)` for the first-order VJP closure `fn`; the rule is None when
    the op has no differentiable rule."""
    code = getattr(fn, "__code__", None)
    found = _BY_CODE.get(code)
    if found is None:
        if code is None:
            key = (getattr(fn, "__module__", "?"), getattr(fn, "__qualname__", repr(fn)))
        else:
            key = (fn.__module__, fn.__qualname__.split(".<locals>.")[0])
        found = (key, _RULES.get(key))
        if code is not None:
            _BY_CODE[code] = found
    (module, name), rule = found
    return f"{module}.{name}", rule


NODE = "<node>"  # the key of the node itself in a rule's `env` (no variable has that name)


def output_of(env, outputs, i, value):
    """Output `i` of the node whose rule got `env` and `outputs`: the Tensor the forward
    returned, or, where nothing used it (None in `outputs`), a new Tensor of `value`
    on the same node, so that a rule reading it still differentiates through the op."""
    if outputs[i] is not None:
        return outputs[i]
    return Tensor(value, env[NODE], i)


def input_tensor(parent, value):
    """A node's input as a Tensor in the type the op computed in (`value`'s): the parent
    (cast where the op widened it), or the constant `value` for an input that takes no
    gradient (None in `parents`)."""
    if parent is None:
        return Tensor(value)
    if parent.value.dtype == value.dtype:
        return parent
    from kerasx.ops.shape import cast

    return cast(parent, value.dtype)


def not_available(op):
    """The error for a gradient of a gradient through `op`, which has no rule."""
    from kerasx import ops

    # the public ops among the covered ones, internal nodes named by the ops they serve
    names = set()
    for (_, name), rule in _RULES.items():
        if not isinstance(rule, _Dispatch):
            names.update(_PUBLIC_NAMES.get(name, (name,) if hasattr(ops, name) else ()))
    names = sorted(names, key=str.lower)
    op = _UNCOVERED_NAMES.get(op, op)
    return NotImplementedError(
        f"Gradients of gradients (second derivatives) are not available through `{op}`: "
        "the gradient computed by the inner GradientTape passed through this op, whose "
        "backward pass is not recorded. Available for: " + ", ".join(names) + ". Write "
        "that part with these ops, or take the outer derivative by finite differences.")


# internal nodes with rules -> the public ops (and layers) they are the nodes of
_PUBLIC_NAMES = {
    "_extremum": ("max", "min", "segment_max", "segment_min"), "_scaled_elu": ("elu", "selu"),
    "pool": ("max_pool", "average_pool"), "constant_pad": ("pad",),
    "_triangle": ("triu", "tril"), "_permuted": ("sort",), "batch_dot": ("Dot",),
    "merge_n": ("the merge layers",), "_run": ("the recurrent layers",),
    "fused_batch_normalization": ("BatchNormalization",),
    "_solve_node": ("solve", "solve_triangular"), "l1_l2_penalty": ("the L1 / L2 regularizers",),
    "orthogonal_penalty": ("OrthogonalRegularizer",),
    "conv_max_pool": ("the convolution and pooling layers models fuse",),
    "_vjp": ("custom_gradient",),
}

# internal nodes without rules -> what a user knows them as
_UNCOVERED_NAMES = {
    "kerasx.layers.core.jax_layer._tape_vjp": "JaxLayer / FlaxLayer (its JAX function)",
}


def _applying(apply, per_op):
    return lambda *args: apply(per_op, *args)


def _raising(op):
    def vjp(grad):
        raise not_available(op)

    return vjp


def refused(grads, error):
    """The gradients `grads` (Tensors, or None) of a rule that cannot differentiate them
    again, as Tensors whose own gradient raises `error`: their first-order values stand,
    and only a gradient taken through them fails, with the reason."""
    from kerasx.autodiff.tape import Node

    def vjp(grad):
        raise error

    return tuple(None if g is None else Tensor(g.value, Node((), vjp)) for g in grads)


def recorded_backward(target, sources, seed=None, stop_at_sources=False):
    """Reverse pass from `target` to the list `sources`, recorded: returns Tensors.

    Only the nodes between the sources and the target run. A node without a
    differentiable rule contributes its first-order gradient, marked so that
    differentiating it again raises the error naming the op. With `stop_at_sources`
    the sources are leaves: the pass neither enters their own nodes nor routes a
    gradient from one source into another (`composite_vjp`).
    """
    from kerasx.autodiff.tape import Node
    from kerasx.ops import ones_like

    if seed is None:
        seed = ones_like(Tensor(target.value if hasattr(target, "value") else target))
    elif not isinstance(seed, Tensor):
        seed = Tensor(getattr(seed, "value", seed))
    source_pos = {}
    for i, s in enumerate(sources):
        source_pos.setdefault(id(s), []).append(i)
    results = [None] * len(sources)
    for i in source_pos.get(id(target), ()):
        results[i] = seed
    root = getattr(target, "node", None)
    if root is None:
        return results
    order, outputs = _walk(target, source_pos if stop_at_sources else ())
    leads = set()  # the nodes a source is reached from
    for node in order:
        for p in node.parents:
            if p is not None and (id(p) in source_pos or p.node in leads):
                leads.add(node)
                break
    node_grads = {root: [None] * root.n_out}
    node_grads[root][target.index] = seed
    for node in reversed(order):
        gs = node_grads.pop(node, None)
        if gs is None or node not in leads:
            continue
        g = gs[0] if node.n_out == 1 else tuple(gs)
        op, rule = rule_of(node.vjp)
        if rule is not None:
            env = captured(node.vjp)
            env[NODE] = node
            if isinstance(rule, _Dispatch):
                op, per_op = rule_of(rule.pick(env))
                rule = None if per_op is None else _applying(rule.apply, per_op)
        grads_in = None if rule is None else rule(g, node.parents, outputs[node], env)
        if grads_in is None:  # no rule, or the rule declined this node
            raw = node.vjp(g.value if node.n_out == 1 else
                           tuple(None if x is None else x.value for x in g))
            grads_in = [None if x is None else Tensor(x, Node((), _raising(op)))
                        for x in raw]
        for parent, gp in zip(node.parents, grads_in):
            if parent is None or gp is None:
                continue
            where = source_pos.get(id(parent))
            if where is not None:
                for i in where:
                    results[i] = gp if results[i] is None else results[i] + gp
            pnode = parent.node
            if pnode is not None and pnode in leads:
                slot = node_grads.get(pnode)
                if slot is None:
                    slot = node_grads[pnode] = [None] * pnode.n_out
                old = slot[parent.index]
                slot[parent.index] = gp if old is None else old + gp
    return results


def _walk(target, stop=()):
    """`(nodes in topological order, parents first; {node: its output Tensors})`; the
    nodes of the Tensors whose ids are in `stop` are left out."""
    root = target.node
    outputs = {root: [None] * root.n_out}
    outputs[root][target.index] = target
    order = []
    stack = [(root, iter(root.parents))]
    while stack:
        node, it = stack[-1]
        for p in it:
            n = getattr(p, "node", None)
            if n is None or id(p) in stop:
                continue
            if n not in outputs:
                outputs[n] = [None] * n.n_out
                outputs[n][p.index] = p
                stack.append((n, iter(n.parents)))
                break
            if outputs[n][p.index] is None:
                outputs[n][p.index] = p
        else:
            stack.pop()
            order.append(node)
    return order, {n: (outs[0] if n.n_out == 1 else tuple(outs)) for n, outs in outputs.items()}


def sum_to_shape(g, shape):
    """`g` summed down to `shape`, undoing a broadcast, as recorded ops."""
    from kerasx.autodiff.broadcast import broadcast_axes
    from kerasx.ops.reduction import sum as reduce_sum
    from kerasx.ops.shape import reshape

    shape = tuple(shape)
    gshape = tuple(g.shape)
    if gshape == shape:
        return g
    axes = broadcast_axes(gshape, shape)
    if axes:
        g = reduce_sum(g, axis=axes, keepdims=True)
    return reshape(g, shape) if tuple(g.shape) != shape else g


def composite_vjp(forward, g, parents, constants):
    """The VJP of a fused op, as recorded ops: `forward(*inputs)` recomputes the op
    from kerasx ops that have differentiable rules (a normalization from means and
    square roots), and its recorded backward, seeded with `g`, runs down to the
    node's parents, which are leaves here.

    `parents`: the node's tracked inputs (None where an input takes no gradient);
    `constants`: the values standing in for the None ones. For a node with several
    outputs, `forward` returns them all and `g` is a tuple (None where missing).
    Returns one gradient per parent (None where the parent is None).
    """
    from kerasx.backends import current

    native = current().is_native
    inputs = [p if p is not None else Tensor(c) if c is not None and native(c) else c
              for p, c in zip(parents, constants)]
    y = forward(*inputs)
    first = {}  # a Tensor passed twice takes its whole gradient once
    for i, p in enumerate(parents):
        if p is not None:
            first.setdefault(id(p), i)
    order = sorted(first.values())
    sources = [parents[i] for i in order]
    if isinstance(g, tuple):  # several outputs: the target sums <g_i, y_i>
        from kerasx.ops import multiply, sum as reduce_sum

        pairs = [(gi, yi) for gi, yi in zip(g, y) if gi is not None]
        target = reduce_sum(multiply(pairs[0][0], pairs[0][1]))
        for gi, yi in pairs[1:]:
            target = target + reduce_sum(multiply(gi, yi))
        # the output gradients are leaves too: the pass stays out of their graphs
        grads = recorded_backward(target, sources + [gi for gi, _ in pairs],
                                  stop_at_sources=True)[:len(sources)]
    else:
        grads = recorded_backward(y, sources, seed=g, stop_at_sources=True)
    out = [None] * len(parents)
    for i, grad in zip(order, grads):
        out[i] = grad
    return tuple(out)
