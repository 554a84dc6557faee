"""Fast NumPy optimizer updates, in place with `out=`, checked against the portable path.

Each kernel receives the optimizer's Variables (the parameter and its slots)
and rewrites their arrays in place, using one scratch array instead of the
handful of temporaries the portable expression allocates. An array is only
written in place while its Variable is the sole holder: if anything else
holds it (an array the user passed to `assign`, a `get_weights()` result, a
view), the Variable first gets a private copy, so nothing outside the
optimizer ever sees its values change.
"""

import sys

import numpy as np

from kerasx.backends.numpy_flat_slots import FlatSlots, flat_views


def _refcount_of_value(holder):
    value = holder._value
    return sys.getrefcount(value)


class _Probe:
    __slots__ = ("_value",)


def _baseline():
    probe = _Probe()
    probe._value = np.empty(1)
    return _refcount_of_value(probe)


# references an exclusively held array has when counted by _refcount_of_value
_EXCLUSIVE = _baseline()


def is_exclusive(holder):
    """True when `holder._value` is referenced by `holder` alone."""
    return _refcount_of_value(holder) <= _EXCLUSIVE


def _writeable(value):
    return getattr(getattr(value, "flags", None), "writeable", True)


def private_buffer(var, copy=np.array):
    """The array of `var`, replaced first by a private writable copy if it is shared."""
    value = var._value
    # count first: any temporary made from `value` (even `value.flags`) holds a reference
    if sys.getrefcount(value) > _EXCLUSIVE or value.base is not None or not _writeable(value):
        value = copy(value)
        var._value = value
    return value


def weight_decay(param, rate):
    """`param -= param * rate`."""
    p = private_buffer(param)
    scratch = np.multiply(p, rate)
    p -= scratch


def sgd_update(param, grad, learning_rate):
    """`param -= grad * learning_rate`."""
    p = private_buffer(param)
    scratch = np.multiply(grad, learning_rate)
    p -= scratch


def sgd_momentum_update(param, grad, m, learning_rate, momentum, nesterov):
    """`m = m * momentum - grad * lr`, then `param += m`
    (Nesterov: `param += m * momentum - grad * lr`)."""
    p, mm = private_buffer(param), private_buffer(m)
    step = np.multiply(grad, learning_rate)
    mm *= momentum
    mm -= step
    if nesterov:
        ahead = np.multiply(mm, momentum)
        ahead -= step
        p += ahead
    else:
        p += mm


def adam_update(param, grad, m, v, v_hat, alpha, beta_1, beta_2, epsilon):
    """One Adam (or AMSGrad, with `v_hat`) step with the bias correction in `alpha`:
    `m += (g - m)(1 - b1); v += (g^2 - v)(1 - b2); param -= alpha m / (sqrt(v) + eps)`."""
    p, mm, vv = private_buffer(param), private_buffer(m), private_buffer(v)
    scratch = np.empty_like(mm)
    _adam_step(grad, mm, vv, None if v_hat is None else private_buffer(v_hat), scratch,
               alpha, beta_1, beta_2, epsilon)
    p -= scratch


def _adam_step(grad, m, v, v_hat, scratch, alpha, beta_1, beta_2, epsilon):
    """Updates the arrays `m`, `v` (and `v_hat`) in place and leaves the parameter's
    decrement in `scratch`."""
    np.subtract(grad, m, out=scratch)
    scratch *= 1 - beta_1
    m += scratch
    np.multiply(grad, grad, out=scratch)
    scratch -= v
    scratch *= 1 - beta_2
    v += scratch
    second = v
    if v_hat is not None:
        np.maximum(v_hat, v, out=v_hat)
        second = v_hat
    np.sqrt(second, out=scratch)
    scratch += epsilon
    np.divide(m, scratch, out=scratch)
    scratch *= alpha


# weights with fewer elements share one buffer per update (`adam_update_many`); larger
# ones keep their own passes, which beat copying their gradients into a shared buffer
FLAT_LIMIT = 32768


def adam_update_many(params, grads, ms, vs, v_hats, alpha, beta_1, beta_2, epsilon, cache):
    """`adam_update` for every parameter, the small ones in shared buffers (see
    `update_many`); `cache` is a dict the optimizer keeps for them."""
    def single(i):
        adam_update(params[i], grads[i], ms[i], vs[i], None if v_hats is None else v_hats[i],
                    alpha, beta_1, beta_2, epsilon)

    slots = [ms, vs] if v_hats is None else [ms, vs, v_hats]
    update_many(single, _adam_flat, (alpha, beta_1, beta_2, epsilon), params, grads, slots, cache)


def _adam_flat(grad, slots, scratch, alpha, beta_1, beta_2, epsilon):
    _adam_step(grad, slots[0], slots[1], slots[2] if len(slots) > 2 else None, scratch,
               alpha, beta_1, beta_2, epsilon)
    return scratch, np.subtract


def sgd_momentum_update_many(params, grads, ms, learning_rate, momentum, nesterov, cache):
    """`sgd_momentum_update` for every parameter, the small ones in shared buffers."""
    def single(i):
        sgd_momentum_update(params[i], grads[i], ms[i], learning_rate, momentum, nesterov)

    update_many(single, _sgd_momentum_flat, (learning_rate, momentum, nesterov), params, grads,
                [ms], cache)


def _sgd_momentum_flat(grad, slots, scratch, learning_rate, momentum, nesterov):
    m = slots[0]
    grad *= learning_rate  # the shared gradient copy is ours to overwrite
    m *= momentum
    m -= grad
    if not nesterov:
        return m, np.add
    np.multiply(m, momentum, out=scratch)
    scratch -= grad
    return scratch, np.add


def update_many(single, step, args, params, grads, slot_lists, cache):
    """One optimizer step for every parameter, with shared buffers for the small ones.

    Parameters of `FLAT_LIMIT` elements or more, and any alone in its dtype, go
    through `single(i)`, the per-variable kernel. The slots of the others become
    views of one buffer per slot (`FlatSlots`), their gradients are copied into
    one more, and `step(grad, slot_buffers, scratch, *args)` runs once over all
    of them, returning the flat change and the ufunc that applies it to each
    parameter's piece. The step does the per-variable kernel's arithmetic,
    operation for operation, so the results are the same bit for bit. `cache`
    holds the shared buffers from step to step.
    """
    groups = {}
    for i, grad in enumerate(grads):
        if grad.size < FLAT_LIMIT:
            groups.setdefault(grad.dtype, []).append(i)
        else:
            single(i)
    for members in groups.values():
        if len(members) == 1:
            single(members[0])
            continue
        key = tuple(slot_lists[0][i].uid for i in members)
        group = cache.get(key)
        if group is None:
            group = cache[key] = _FlatGroup([params[i] for i in members],
                                            [[slots[i] for i in members] for slots in slot_lists])
        group.update([grads[i] for i in members], step, args)


class _FlatGroup:
    """The shared buffers of one set of parameters: their slots, gradient and change."""

    def __init__(self, params, slot_lists):
        self.params = params
        self.slots = [FlatSlots(slots) for slots in slot_lists]
        shapes = [p._value.shape for p in params]
        dtype = slot_lists[0][0]._value.dtype
        size = sum(p._value.size for p in params)
        self.grad = np.empty(size, dtype)
        self.change = np.empty(size, dtype)
        self.changes = flat_views(self.change, shapes)

    def update(self, grads, step, args):
        buffers = [slots.buffer() for slots in self.slots]
        np.concatenate([g.reshape(-1) for g in grads], out=self.grad)
        change, apply = step(self.grad, buffers, self.change, *args)
        if change is self.change:
            pieces = self.changes
        else:  # a slot buffer: its pieces are the slot variables' arrays
            pieces = [v._value for v in self.slots[_index_of(buffers, change)].variables]
        for param, piece in zip(self.params, pieces):
            p = private_buffer(param)
            apply(p, piece, out=p)


def _index_of(items, item):
    return next(i for i, x in enumerate(items) if x is item)


def adamax_update(param, grad, m, u, learning_rate, correction, beta_1, beta_2, epsilon):
    """`m += (g - m)(1 - b1); u = max(b2 u, |g|); param -= lr m / (correction (u + eps))`."""
    p, mm, uu = private_buffer(param), private_buffer(m), private_buffer(u)
    scratch = np.subtract(grad, mm)
    scratch *= 1 - beta_1
    mm += scratch
    uu *= beta_2
    np.abs(grad, out=scratch)
    np.maximum(uu, scratch, out=uu)
    np.add(uu, epsilon, out=scratch)
    scratch *= correction
    np.divide(mm, scratch, out=scratch)
    scratch *= learning_rate
    p -= scratch


KERNELS = {
    "weight_decay": weight_decay,
    "sgd_update": sgd_update,
    "sgd_momentum_update": sgd_momentum_update,
    "sgd_momentum_update_many": sgd_momentum_update_many,
    "adam_update": adam_update,
    "adam_update_many": adam_update_many,
    "adamax_update": adamax_update,
}
