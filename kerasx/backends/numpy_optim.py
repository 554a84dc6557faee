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
    """`adam_update` for every parameter, the small ones in shared buffers.

    The slots of parameters under `FLAT_LIMIT` elements become views of one buffer
    per slot and dtype (`FlatSlots`), their gradients are copied into one more,
    and Adam's passes run once over all of them; each parameter then takes its
    piece of the step. The arithmetic is `adam_update`'s, operation for
    operation, so the results are the same bit for bit. `cache` (a dict the
    optimizer keeps) holds the shared buffers from step to step.
    """
    groups = {}
    for i, grad in enumerate(grads):
        if grad.size < FLAT_LIMIT:
            groups.setdefault(grad.dtype, []).append(i)
        else:
            adam_update(params[i], grad, ms[i], vs[i], None if v_hats is None else v_hats[i],
                        alpha, beta_1, beta_2, epsilon)
    for members in groups.values():
        if len(members) == 1:
            i = members[0]
            adam_update(params[i], grads[i], ms[i], vs[i], None if v_hats is None else v_hats[i],
                        alpha, beta_1, beta_2, epsilon)
            continue
        key = tuple(ms[i].uid for i in members)
        group = cache.get(key)
        if group is None:
            group = cache[key] = _FlatAdamGroup(
                [params[i] for i in members], [ms[i] for i in members], [vs[i] for i in members],
                None if v_hats is None else [v_hats[i] for i in members])
        group.update([grads[i] for i in members], alpha, beta_1, beta_2, epsilon)


class _FlatAdamGroup:
    """The shared buffers of one set of parameters: slots, gradient and step."""

    def __init__(self, params, ms, vs, v_hats):
        self.params = params
        self.slots = [FlatSlots(ms), FlatSlots(vs), None if v_hats is None else FlatSlots(v_hats)]
        size = sum(p._value.size for p in params)
        dtype = ms[0]._value.dtype
        self.grad = np.empty(size, dtype)
        self.step = np.empty(size, dtype)
        self.steps = flat_views(self.step, [p._value.shape for p in params])

    def update(self, grads, alpha, beta_1, beta_2, epsilon):
        m, v, v_hat = (None if s is None else s.buffer() for s in self.slots)
        np.concatenate([g.reshape(-1) for g in grads], out=self.grad)
        _adam_step(self.grad, m, v, v_hat, self.step, alpha, beta_1, beta_2, epsilon)
        for param, step in zip(self.params, self.steps):
            p = private_buffer(param)
            p -= step


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
    "adam_update": adam_update,
    "adam_update_many": adam_update_many,
    "adamax_update": adamax_update,
}
