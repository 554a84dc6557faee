"""Control flow with Keras 3's eager semantics: `cond`, `switch`, `while_loop`,
`fori_loop`, `scan`, `associative_scan`, `map`, `vectorized_map`.

kerasx runs eagerly, so each of these is a Python loop or branch over ordinary
kerasx ops: every step is recorded like any other op, and gradients flow through
the loop without a rule of its own. Slicing a sequence is one `unstack` node
and joining the per-step outputs one `stack`, so the backward pass stays linear
in the number of steps.

Given symbolic tensors (a functional model under construction), `scan`, `map`,
`vectorized_map`, `associative_scan`, `fori_loop` and `while_loop` add a
`Lambda` node that runs the loop when the model is called; `cond` and `switch`
choose their branch from a concrete value, so they take an eager `pred` or
`index` (use them inside a layer for a data-dependent choice).
"""

import builtins
import math

from kerasx.autodiff.tensor import TensorOps
from kerasx.config import floatx
from kerasx.ops._helpers import current, dtype_name, shape_of, value_of
from kerasx.ops.moving import unstack
from kerasx.ops.shape import concatenate, convert_to_tensor, flip, getitem, reshape, stack

_slice = builtins.slice


# ---- nested structures (lists, tuples, dicts; None holds nothing) ----

def _flatten(structure):
    if structure is None:
        return []
    if isinstance(structure, dict):
        return [leaf for key in sorted(structure) for leaf in _flatten(structure[key])]
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flatten(item)]
    return [structure]


def _pack(structure, leaves):
    """`leaves` (a flat list, as `_flatten` gives) in the shape of `structure`."""
    it = iter(leaves)

    def build(s):
        if s is None:
            return None
        if isinstance(s, dict):
            built = {key: build(s[key]) for key in sorted(s)}
            return type(s)((key, built[key]) for key in s)
        if isinstance(s, (list, tuple)):
            items = [build(item) for item in s]
            return type(s)(*items) if hasattr(s, "_fields") else type(s)(items)
        return next(it)

    return build(structure)


def _same_structure(a, b):
    if isinstance(a, dict) or isinstance(b, dict):
        return isinstance(a, dict) and isinstance(b, dict) and sorted(a) == sorted(b) and \
            all(_same_structure(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) or isinstance(b, (list, tuple)):
        return isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)) and \
            len(a) == len(b) and all(_same_structure(x, y) for x, y in zip(a, b))
    return (a is None) == (b is None)


def _as_tensor(x):
    """A leaf as a Tensor; Tensors and Variables pass unchanged (their gradient path stays).
    A Python number becomes a tensor of Keras's type for it: bool, int32 or `floatx`."""
    if isinstance(x, TensorOps):
        return x
    if isinstance(x, (bool, int, float)):
        kind = "bool" if isinstance(x, bool) else "int32" if isinstance(x, int) else floatx()
        return convert_to_tensor(x, dtype=kind)
    return convert_to_tensor(x)


def _is_symbolic(*structures):
    from kerasx.ops import _has_symbolic

    return _has_symbolic(list(structures))


def _graph_node(name, run, tensors):
    """A `Lambda` node of a functional graph running `run(tensors)` on real values."""
    from kerasx.layers.core.lambda_layer import Lambda
    from kerasx.utils.naming import uniquify

    return Lambda(run, name=uniquify(name))(tensors)


def _leading_size(name, leaves):
    sizes = {shape_of(value_of(x))[0] if shape_of(value_of(x)) else None for x in leaves}
    if None in sizes:
        raise ValueError(f"{name}: every array to iterate over needs a leading axis; received "
                         f"shapes {[shape_of(value_of(x)) for x in leaves]}.")
    if len(sizes) > 1:
        raise ValueError(f"{name}: the arrays to iterate over must share their leading size; "
                         f"received shapes {[shape_of(value_of(x)) for x in leaves]}.")
    return sizes.pop()


def _check_callable(name, argument, value):
    if not callable(value):
        raise TypeError(f"{name}: `{argument}` should be a callable. Received {value!r} of "
                        f"type {type(value).__name__}; pass a function.")


def _stack_steps(name, outputs):
    """The per-step output structures stacked leaf by leaf along a new leading axis."""
    first = outputs[0]
    for out in outputs[1:]:
        if not _same_structure(first, out):
            raise ValueError(f"{name}: the function returned differently nested outputs at "
                             f"different steps ({first!r} and {out!r}); every step must return "
                             "the same structure.")
    columns = zip(*[[_as_tensor(x) for x in _flatten(out)] for out in outputs])
    return _pack(first, [stack(list(column), axis=0) for column in columns])


# ---- branches ----

def _concrete_scalar(name, argument, value):
    if _is_symbolic(value):
        raise ValueError(
            f"{name}: `{argument}` is a symbolic tensor, whose value is known only when the "
            f"model runs. Call {name} inside a layer's `call` (or a Lambda layer), where "
            f"`{argument}` holds data.")
    v = value_of(value)
    if not hasattr(v, "shape"):
        return v
    if math.prod(shape_of(v)) != 1:
        raise ValueError(f"{name}: `{argument}` must be a scalar, received an array of shape "
                         f"{shape_of(v)}.")
    return current().to_numpy(v).reshape(())[()]


def cond(pred, true_fn, false_fn):
    """`true_fn()` if `pred` holds, else `false_fn()`; only the chosen branch runs."""
    _check_callable("cond", "true_fn", true_fn)
    _check_callable("cond", "false_fn", false_fn)
    if _is_symbolic(pred):
        return _symbolic_cond(pred, true_fn, false_fn)
    v = _concrete_scalar("cond", "pred", pred)
    return true_fn() if bool(v) else false_fn()


def _leaf_spec(leaf):
    value = value_of(leaf)
    dtype = getattr(value, "dtype", None)
    return (shape_of(value) if hasattr(value, "shape") else (),
            type(value).__name__ if dtype is None else dtype_name(dtype))


def _symbolic_cond(pred, true_fn, false_fn):
    """A graph node that picks the branch when the model runs, as Keras's symbolic `cond`:
    both branches must give outputs of one structure, shapes and dtypes. They take no
    arguments, so they may not compute on the model's symbolic tensors."""
    outputs = true_fn(), false_fn()
    if _is_symbolic(*outputs):
        _concrete_scalar("cond", "pred", pred)  # raises: call cond inside a layer instead
    specs = [[_leaf_spec(leaf) for leaf in _flatten(out)] for out in outputs]
    if not _same_structure(*outputs) or specs[0] != specs[1]:
        raise ValueError(
            f"cond: `true_fn` and `false_fn` should return outputs of the same kind (struct, "
            f"dtype and shape); received {specs[0]} and {specs[1]} (shape, dtype per output). "
            "Make both branches return the same structure of tensors of one shape and dtype.")
    return _graph_node("cond", lambda p: cond(p, true_fn, false_fn), pred)


def switch(index, branches, *operands):
    """`branches[index](*operands)`, with `index` clamped to the valid range."""
    if not isinstance(branches, (list, tuple)) or not branches:
        raise ValueError(f"switch: `branches` must be a non-empty list of callables, received "
                         f"{branches!r}.")
    for i, branch in enumerate(branches):
        _check_callable("switch", f"branches[{i}]", branch)
    if _is_symbolic(index):  # the model picks the branch when it runs, as Keras's node does
        return _graph_node("switch", lambda t: switch(t[0], branches, *t[1:]),
                           [index, *operands])
    v = _concrete_scalar("switch", "index", index)
    i = int(v)
    return branches[builtins.min(builtins.max(i, 0), len(branches) - 1)](*operands)


# ---- loops ----

def while_loop(cond, body, loop_vars, maximum_iterations=None):
    """Runs `loop_vars = body(*loop_vars)` while `cond(*loop_vars)` holds, at most
    `maximum_iterations` times.

    A tuple or list of loop variables is passed to `cond` and `body` as separate
    arguments, and the result is a tuple; a single tensor or a dict is passed as
    one argument and returned as it is.
    """
    _check_callable("while_loop", "cond", cond)
    _check_callable("while_loop", "body", body)
    if maximum_iterations is not None and (isinstance(maximum_iterations, bool) or
                                           int(maximum_iterations) != maximum_iterations or
                                           maximum_iterations < 0):
        raise ValueError(f"while_loop: `maximum_iterations` must be None or a non-negative "
                         f"integer, received {maximum_iterations!r}.")
    if _is_symbolic(loop_vars):
        return _graph_node("while_loop", lambda v: while_loop(
            cond, body, v, maximum_iterations), loop_vars)
    spread = isinstance(loop_vars, (list, tuple))
    state = tuple(loop_vars) if spread else (loop_vars,)
    state = _pack(state, [_as_tensor(x) for x in _flatten(state)])
    steps = 0
    while maximum_iterations is None or steps < maximum_iterations:
        keep_going = _concrete_scalar("while_loop", "cond(...)", cond(*state))
        if not bool(keep_going):
            break
        new = body(*state)
        new = tuple(new) if isinstance(new, (list, tuple)) else (new,)
        if not _same_structure(new, state):
            raise ValueError(f"while_loop: `body` must return the structure of `loop_vars` "
                             f"({len(state)} value(s), nested alike); received {new!r}.")
        state = new
        steps += 1
    return state if spread else state[0]


def fori_loop(lower, upper, body_fun, init_val):
    """`val = body_fun(i, val)` for `i` in `range(lower, upper)`; returns the final `val`."""
    _check_callable("fori_loop", "body_fun", body_fun)
    if _is_symbolic(init_val):
        return _graph_node("fori_loop", lambda v: fori_loop(lower, upper, body_fun, v), init_val)
    bounds = []
    for argument, value in (("lower", lower), ("upper", upper)):
        v = _concrete_scalar("fori_loop", argument, value)
        if isinstance(v, bool) or int(v) != v:
            raise ValueError(f"fori_loop: `{argument}` must be an integer, received {value!r}.")
        bounds.append(int(v))
    val = init_val
    for i in range(*bounds):
        val = body_fun(i, val)
    return val


def scan(f, init, xs=None, length=None, reverse=False, unroll=1):
    """Scans `f(carry, x) -> (carry, y)` over the leading axis of `xs`.

    Returns the final carry and the `y`s stacked along a new leading axis (in the
    order of `xs`, also with `reverse=True`, which only runs the steps backwards).
    `xs` and the carry may be nested lists, tuples or dicts; without `xs`, `f`
    receives None `length` times. A step returning `y=None` gives `ys=None`.
    `unroll` is accepted for compatibility (every step runs eagerly).
    """
    _check_callable("scan", "f", f)
    if not isinstance(unroll, bool) and (not isinstance(unroll, int) or unroll < 1):
        raise ValueError(f"scan: `unroll` must be a positive integer or a boolean, received "
                         f"{unroll!r}.")
    if xs is None and length is None:
        raise ValueError("scan: got no `xs` to scan over and no `length`; pass one of them.")
    if _is_symbolic(init, xs):
        return _graph_node("scan", lambda t: scan(f, t[0], t[1], length, reverse), (init, xs))
    leaves = _flatten(xs)
    if leaves:
        n = _leading_size("scan", leaves)
        if length is not None and int(length) != n:
            raise ValueError(f"scan: `length`={length} does not match the leading size {n} of "
                             "`xs`.")
        columns = [unstack(_as_tensor(x), axis=0) for x in leaves]
        slices = [_pack(xs, [column[i] for column in columns]) for i in range(n)]
    else:
        n = int(length)
        slices = [None] * n
    if n == 0:
        raise ValueError("scan: there are no steps to run (`xs` has a leading size of 0 or "
                         "`length`=0), so the stacked outputs have no known shape.")
    carry = _pack(init, [_as_tensor(x) for x in _flatten(init)])
    ys = [None] * n
    for i in (reversed(range(n)) if reverse else range(n)):
        step = f(carry, slices[i])
        if not isinstance(step, (list, tuple)) or len(step) != 2:
            raise ValueError(f"scan: `f` must return a pair (new carry, output), received "
                             f"{step!r}.")
        new_carry, ys[i] = step
        if not _same_structure(new_carry, carry):
            raise ValueError(f"scan: the carry returned by `f` ({new_carry!r}) must have the "
                             f"structure of `init` ({init!r}).")
        carry = new_carry
    if all(y is None for y in ys):
        return carry, None
    return carry, _stack_steps("scan", ys)


def map(f, xs):
    """`f` applied to each slice of `xs` (a tensor or nested structure) along the leading
    axis, the results stacked: `stack([f(x) for x in xs])`."""
    _check_callable("map", "f", f)
    if _is_symbolic(xs):
        return _graph_node("map", lambda t: map(f, t), xs)
    leaves = _flatten(xs)
    if not leaves:
        raise ValueError(f"map: `xs` holds no arrays to map over, received {xs!r}.")
    n = _leading_size("map", leaves)
    if n == 0:
        raise ValueError("map: `xs` has a leading size of 0; there is nothing to map over.")
    columns = [unstack(_as_tensor(x), axis=0) for x in leaves]
    return _stack_steps("map", [f(_pack(xs, [c[i] for c in columns])) for i in range(n)])


def vectorized_map(function, elements):
    """`function` applied to each slice of `elements` along the leading axis, the results
    stacked. A list, tuple or dict of tensors is sliced together and `function` receives
    one such structure of slices per step."""
    _check_callable("vectorized_map", "function", function)
    if _is_symbolic(elements):
        return _graph_node("vectorized_map", lambda t: vectorized_map(function, t), elements)
    return map(function, elements)


# ---- associative scan ----

def associative_scan(f, elems, reverse=False, axis=0):
    """Inclusive scan of the associative `f(a, b)` along `axis`:
    `[e0, f(e0, e1), f(f(e0, e1), e2), ...]`, in O(log n) calls of `f` on whole slices.

    `f` is applied elementwise over the `axis` dimension to (nested structures of)
    arrays shaped like `elems`; the result has the shape and structure of `elems`.
    """
    _check_callable("associative_scan", "f", f)
    if _is_symbolic(elems):
        return _graph_node("associative_scan",
                           lambda t: associative_scan(f, t, reverse, axis), elems)
    leaves = [_as_tensor(x) for x in _flatten(elems)]
    if not leaves:
        raise ValueError(f"associative_scan: `elems` holds no arrays, received {elems!r}.")
    ndim = len(shape_of(value_of(leaves[0])))
    if isinstance(axis, bool) or not isinstance(axis, int) or not -ndim <= axis < ndim:
        raise ValueError(f"associative_scan: `axis` must be an integer in [{-ndim}, {ndim}) for "
                         f"arrays of rank {ndim}, received {axis!r}.")
    ax = axis % ndim
    sizes = {shape_of(value_of(x))[ax] if len(shape_of(value_of(x))) > ax else None
             for x in leaves}
    if len(sizes) != 1 or None in sizes:
        raise ValueError("associative_scan: the arrays of `elems` must have the same first "
                         f"dimension: they must share the size of axis {axis}; received "
                         f"shapes {[shape_of(value_of(x)) for x in leaves]}.")
    if reverse:
        leaves = [flip(x, axis=ax) for x in leaves]

    def combine(a, b):
        out = f(_pack(elems, a), _pack(elems, b))
        if not _same_structure(out, elems):
            raise ValueError(f"associative_scan: `f` must return the structure of `elems`, "
                             f"received {out!r}.")
        return [_as_tensor(x) for x in _flatten(out)]

    scanned = _prefix(combine, leaves, ax)
    if reverse:
        scanned = [flip(x, axis=ax) for x in scanned]
    return _pack(elems, scanned)


def _along(x, ax, start=None, stop=None, step=None):
    return getitem(x, (_slice(None),) * ax + (_slice(start, stop, step), Ellipsis))


def _prefix(combine, leaves, ax):
    """The odd/even recursion: combine neighbouring pairs, scan the half-length result
    (the prefixes at odd positions), then fill in the even positions from it."""
    n = shape_of(value_of(leaves[0]))[ax]
    if n < 2:
        return leaves
    odd = _prefix(combine, combine([_along(x, ax, 0, -1, 2) for x in leaves],
                                   [_along(x, ax, 1, None, 2) for x in leaves]), ax)
    before = odd if n % 2 else [_along(x, ax, 0, -1) for x in odd]
    even = combine(before, [_along(x, ax, 2, None, 2) for x in leaves])
    even = [concatenate([_along(x, ax, 0, 1), e], axis=ax) for x, e in zip(leaves, even)]
    return [_interleave(e, o, ax) for e, o in zip(even, odd)]


def _interleave(even, odd, ax):
    """`[even0, odd0, even1, odd1, ...]` along `ax`; `even` may be one longer."""
    m = shape_of(value_of(odd))[ax]
    head = even if shape_of(value_of(even))[ax] == m else _along(even, ax, 0, m)
    pairs = stack([head, odd], axis=ax + 1)
    shape = shape_of(value_of(pairs))
    merged = reshape(pairs, shape[:ax] + (2 * m,) + shape[ax + 2:])
    if head is even:
        return merged
    return concatenate([merged, _along(even, ax, m, None)], axis=ax)
