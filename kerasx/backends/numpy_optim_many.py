"""Multi-tensor NumPy optimizer updates: small variables updated together.

A model with many small weights pays NumPy's per-call cost (about 1 us) for
every pass of every update: Adam's twelve passes over 42 biases and small
kernels cost 294 us a step, against 99 us when the same passes run once over
buffers that hold all of them. `FlatSlots` makes the arrays of a list of slot
Variables views of one buffer, so a single ufunc call updates them all;
`update_many` runs an optimizer's step that way (Adam, SGD with momentum, RMSprop,
Adagrad, Adadelta, Nadam, Adamax), with the per-variable kernels of `numpy_optim`
for large weights.

The views stay private to the optimizer. Before each update `FlatSlots.buffer()`
checks that every Variable still holds its view and that nothing else holds a
view or the buffer; if a Variable was assigned a new array (loading weights)
or an array is held elsewhere (a `value` kept by the caller), the values move
to a fresh buffer first, so an array seen outside never changes.
"""

import sys

import numpy as np

from kerasx.backends.numpy_optim import (adadelta_step, adadelta_update, adagrad_step,
                                         adagrad_update, adam_step, adam_update, adamax_step,
                                         adamax_update, LARGE, nadam_step, nadam_update,
                                         private_buffer, rmsprop_step, rmsprop_update,
                                         sgd_momentum_update)


class FlatSlots:
    """The arrays of `variables` (one dtype, each C-contiguous) as views of one buffer."""

    __slots__ = ("variables", "_buffer", "_views", "_intact_counts")

    def __init__(self, variables):
        self.variables = list(variables)
        self._buffer = None
        self._views = ()

    def buffer(self):
        """The flat buffer, moved first to fresh memory if any view was replaced or shared."""
        if self._buffer is None or not self._intact():
            self._adopt()
        return self._buffer

    def _intact(self):
        if any(var._value is not view for var, view in zip(self.variables, self._views)):
            return False
        return self._reference_counts() == self._intact_counts

    def _reference_counts(self):
        # measured the same way after adopting and before each update, so that
        # any extra holder of the buffer or of a view shows as a larger count
        return [sys.getrefcount(self._buffer)] + [sys.getrefcount(v) for v in self._views]

    def _adopt(self):
        values = [var._value for var in self.variables]
        buffer = np.empty(sum(v.size for v in values), dtype=values[0].dtype)
        self._views = tuple(flat_views(buffer, [v.shape for v in values]))
        for var, value, view in zip(self.variables, values, self._views):
            view[...] = value
            var._value = view
        self._buffer = buffer
        del values, value, view, buffer, var
        self._intact_counts = self._reference_counts()


def flat_views(buffer, shapes):
    """Views of consecutive pieces of the 1-D `buffer`, one per shape."""
    out, start = [], 0
    for shape in shapes:
        size = 1
        for d in shape:
            size *= d
        out.append(buffer[start:start + size].reshape(shape))
        start += size
    return out


# weights with fewer elements share one buffer per update (`update_many`); larger ones
# keep their own passes, which beat copying their gradients into a shared buffer (and
# take some of them through the BLAS: the per-variable kernels switch at the same size)
FLAT_LIMIT = LARGE


def adam_update_many(params, grads, ms, vs, v_hats, alpha, beta_1, beta_2, epsilon, cache):
    """`adam_update` for every parameter, the small ones in shared buffers (see
    `update_many`); `cache` is a dict the optimizer keeps for them."""
    def single(i):
        adam_update(params[i], grads[i], ms[i], vs[i], None if v_hats is None else v_hats[i],
                    alpha, beta_1, beta_2, epsilon)

    slots = [ms, vs] if v_hats is None else [ms, vs, v_hats]
    update_many(single, _adam_flat, (alpha, beta_1, beta_2, epsilon), params, grads, slots, cache)


def _adam_flat(grad, slots, scratch, alpha, beta_1, beta_2, epsilon):
    adam_step(grad, slots[0], slots[1], slots[2] if len(slots) > 2 else None, scratch,
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


def rmsprop_update_many(params, grads, vs, ms, averages, learning_rate, rho, momentum, epsilon,
                       cache):
    """`rmsprop_update` for every parameter, the small ones in shared buffers (`ms` and
    `averages` are None where the optimizer has no such slots)."""
    def single(i):
        rmsprop_update(params[i], grads[i], vs[i], None if ms is None else ms[i],
                       None if averages is None else averages[i], learning_rate, rho, momentum,
                       epsilon)

    slots = [vs] + [s for s in (ms, averages) if s is not None]
    update_many(single, _rmsprop_flat, (ms is not None, averages is not None, learning_rate,
                                        rho, momentum, epsilon), params, grads, slots, cache)


def _rmsprop_flat(grad, slots, scratch, has_momentum, centered, learning_rate, rho, momentum,
                  epsilon):
    m = slots[1] if has_momentum else None
    average = slots[-1] if centered else None
    # the shared gradient copy is ours, so it serves as the second scratch array
    change = rmsprop_step(grad, slots[0], m, average, scratch, grad, learning_rate, rho,
                          momentum, epsilon)
    return change, np.subtract


def adagrad_update_many(params, grads, accumulators, learning_rate, epsilon, cache):
    """`adagrad_update` for every parameter, the small ones in shared buffers."""
    def single(i):
        adagrad_update(params[i], grads[i], accumulators[i], learning_rate, epsilon)

    update_many(single, _adagrad_flat, (learning_rate, epsilon), params, grads, [accumulators],
                cache)


def _adagrad_flat(grad, slots, scratch, learning_rate, epsilon):
    return adagrad_step(grad, slots[0], scratch, grad, learning_rate, epsilon), np.subtract


def adadelta_update_many(params, grads, acc_grads, acc_deltas, learning_rate, rho, epsilon,
                         cache):
    """`adadelta_update` for every parameter, the small ones in shared buffers."""
    def single(i):
        adadelta_update(params[i], grads[i], acc_grads[i], acc_deltas[i], learning_rate, rho,
                        epsilon)

    update_many(single, _adadelta_flat, (learning_rate, rho, epsilon), params, grads,
                [acc_grads, acc_deltas], cache)


def _adadelta_flat(grad, slots, scratch, learning_rate, rho, epsilon):
    return (adadelta_step(grad, slots[0], slots[1], scratch, grad, learning_rate, rho,
                          epsilon), np.add)


def nadam_update_many(params, grads, ms, vs, learning_rate, coefficients, epsilon, cache):
    """`nadam_update` for every parameter, the small ones in shared buffers."""
    def single(i):
        nadam_update(params[i], grads[i], ms[i], vs[i], learning_rate, coefficients, epsilon)

    update_many(single, _nadam_flat, (learning_rate, coefficients, epsilon), params, grads,
                [ms, vs], cache)


def _nadam_flat(grad, slots, scratch, learning_rate, coefficients, epsilon):
    return (nadam_step(grad, slots[0], slots[1], scratch, grad, learning_rate, coefficients,
                       epsilon), np.subtract)


def adamax_update_many(params, grads, ms, us, learning_rate, correction, beta_1, beta_2,
                       epsilon, cache):
    """`adamax_update` for every parameter, the small ones in shared buffers."""
    def single(i):
        adamax_update(params[i], grads[i], ms[i], us[i], learning_rate, correction, beta_1,
                      beta_2, epsilon)

    update_many(single, _adamax_flat, (learning_rate, correction, beta_1, beta_2, epsilon),
                params, grads, [ms, us], cache)


def _adamax_flat(grad, slots, scratch, *args):
    return adamax_step(grad, slots[0], slots[1], scratch, *args), np.subtract


def update_many(single, step, args, params, grads, slot_lists, cache):
    """One optimizer step for every parameter, with shared buffers for the small ones.

    Parameters of `FLAT_LIMIT` elements or more, any alone in its dtype, and any
    whose gradient has another dtype go through `single(i)`, the per-variable
    kernel. The slots of the others become views of one buffer per slot
    (`FlatSlots`), their gradients are copied into one more, and `step(grad,
    slot_buffers, scratch, *args)` runs once over all of them, returning the flat
    change and the ufunc that applies it to each parameter's piece. The step does the per-variable kernel's arithmetic,
    operation for operation, so the results are the same bit for bit. `cache`
    holds the shared buffers from step to step.
    """
    groups = {}
    for i, grad in enumerate(grads):
        dtype = slot_lists[0][i]._value.dtype
        if grad.size < FLAT_LIMIT and grad.dtype == dtype:
            groups.setdefault(dtype, []).append(i)
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


KERNELS = {
    "adam_update_many": adam_update_many,
    "sgd_momentum_update_many": sgd_momentum_update_many,
    "rmsprop_update_many": rmsprop_update_many,
    "adagrad_update_many": adagrad_update_many,
    "adadelta_update_many": adadelta_update_many,
    "nadam_update_many": nadam_update_many,
    "adamax_update_many": adamax_update_many,
}
