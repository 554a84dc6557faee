"""The multi-tensor NumPy updates (Adam, SGD with momentum, RMSprop, Adagrad, Adadelta,
Nadam, Adamax): small variables share
buffers, with the results of the per-variable kernels bit for bit and without changing
arrays held elsewhere."""

import contextlib
import weakref

import numpy as np
import pytest

import kerasx
from kerasx import optimizers
from kerasx.backends import current, numpy_optim_many, use_backend
from kerasx.backends.numpy_optim_many import FlatSlots

RNG = np.random.default_rng(11)
# two small float32 kernels, a bias, a variable above FLAT_LIMIT and a float64 pair
SHAPES = [((3, 4), np.float32), ((5,), np.float32), ((7, 2, 3), np.float32),
          ((numpy_optim_many.FLAT_LIMIT + 3,), np.float32), ((4,), np.float64), ((2, 2), np.float64)]


def _variables():
    return [kerasx.Variable(RNG.normal(size=s).astype(d)) for s, d in SHAPES]


def _gradients(steps):
    return [[RNG.normal(size=s).astype(d) for s, d in SHAPES] for _ in range(steps)]


@contextlib.contextmanager
def _per_variable_kernels_only():
    backend = current()
    saved = backend.kernels
    backend.kernels = {k: v for k, v in saved.items() if not k.endswith("_many")}
    try:
        yield
    finally:
        backend.kernels = saved


def _train(make, init, grads, many=True, between=None):
    with contextlib.nullcontext() if many else _per_variable_kernels_only():
        opt = make()
        variables = [kerasx.Variable(v.numpy()) for v in init]
        for step, g in enumerate(grads):
            opt.apply_gradients(zip(g, variables))
            if between is not None:
                between(step, opt, variables)
        return [v.numpy() for v in variables] + [s.numpy() for s in opt.variables[1:]]


MAKERS = {
    "adam": lambda: optimizers.Adam(0.01),
    "amsgrad": lambda: optimizers.Adam(0.01, amsgrad=True),
    "adamw": lambda: optimizers.AdamW(0.01, weight_decay=0.1),
    "schedule": lambda: optimizers.Adam(optimizers.schedules.ExponentialDecay(0.01, 2, 0.5)),
    "sgd_momentum": lambda: optimizers.SGD(0.1, momentum=0.9),
    "sgd_nesterov": lambda: optimizers.SGD(0.1, momentum=0.5, nesterov=True, weight_decay=0.01),
    "rmsprop": lambda: optimizers.RMSprop(0.01),
    "rmsprop_centered_momentum": lambda: optimizers.RMSprop(0.01, momentum=0.9, centered=True),
    "rmsprop_centered": lambda: optimizers.RMSprop(0.01, rho=0.8, centered=True),
    "adagrad": lambda: optimizers.Adagrad(0.05),
    "adadelta": lambda: optimizers.Adadelta(1.0, rho=0.9, global_clipnorm=2.0),
    "nadam": lambda: optimizers.Nadam(0.01),
    "adamax": lambda: optimizers.Adamax(0.01, clipvalue=0.8),
}


@pytest.mark.parametrize("name", sorted(MAKERS))
def test_many_equals_per_variable_kernel_bit_for_bit(name):
    with use_backend("numpy"):
        assert current().kernel("adam_update_many") is numpy_optim_many.adam_update_many
        for kernel in ("sgd_momentum_update_many", "rmsprop_update_many", "adagrad_update_many",
                       "adadelta_update_many", "nadam_update_many", "adamax_update_many"):
            assert current().kernel(kernel) is getattr(numpy_optim_many, kernel)
        init, grads = _variables(), _gradients(5)
        shared = _train(MAKERS[name], init, grads)
        single = _train(MAKERS[name], init, grads, many=False)
    assert len(shared) == len(single)
    for got, want in zip(shared, single):
        assert got.dtype == want.dtype
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name", ["adam", "sgd_momentum", "rmsprop_centered_momentum"])
def test_small_slots_share_one_buffer_per_dtype_across_steps(name):
    with use_backend("numpy"):
        variables = _variables()
        opt = MAKERS[name]()
        for g in _gradients(3):
            opt.apply_gradients(zip(g, variables))
        momenta = opt.momentums if name == "sgd_momentum" else opt._momentums
        # weak references: holding a buffer would make the next update move the slots
        bases = [None if m.value.base is None else weakref.ref(m.value.base) for m in momenta]
        assert bases[0]() is bases[1]() is bases[2]() is not None  # the float32 small ones
        assert bases[4]() is bases[5]() and bases[4]() is not bases[0]()  # the float64 pair
        assert bases[3] is None                                  # above FLAT_LIMIT: its own
        for g in _gradients(2):
            opt.apply_gradients(zip(g, variables))
        for i in (0, 1, 2, 4, 5):  # not moved while nothing else holds them
            assert momenta[i].value.base is bases[i]()


def test_arrays_held_outside_never_change():
    with use_backend("numpy"):
        variables = _variables()
        opt = optimizers.Adam(0.01)
        steps = _gradients(3)
        opt.apply_gradients(zip(steps[0], variables))
        held_view = opt._momentums[0].value
        held_piece = opt._velocities[1].value[:2]
        held_weight = variables[0].value
        before = [a.copy() for a in (held_view, held_piece, held_weight)]
        for g in steps[1:]:
            opt.apply_gradients(zip(g, variables))
        for array, copy in zip((held_view, held_piece, held_weight), before):
            np.testing.assert_array_equal(array, copy)
        assert not np.array_equal(opt._momentums[0].numpy(), before[0])


def test_assigned_slots_and_weights_are_taken_up():
    """Assigning a slot (as loading an optimizer does) and a weight between steps gives
    what the per-variable kernel gives."""
    def between(step, opt, variables):
        if step == 1:
            opt._velocities[2].assign(np.full(SHAPES[2][0], 0.25, np.float32))
            opt._momentums[4].assign(np.ones(4))
            variables[1].assign(np.zeros(5, np.float32))

    with use_backend("numpy"):
        init, grads = _variables(), _gradients(4)
        shared = _train(MAKERS["adam"], init, grads, between=between)
        single = _train(MAKERS["adam"], init, grads, many=False, between=between)
    for got, want in zip(shared, single):
        np.testing.assert_array_equal(got, want)


def test_missing_gradients_update_the_others():
    with use_backend("numpy"):
        init, grads = _variables(), _gradients(3)
        grads[1][0] = None
        results = []
        for many in (True, False):
            with contextlib.nullcontext() if many else _per_variable_kernels_only():
                opt = optimizers.Adam(0.01)
                variables = [kerasx.Variable(v.numpy()) for v in init]
                with pytest.warns(UserWarning, match="Gradients do not exist"):
                    for g in grads:
                        opt.apply_gradients(zip(g, variables))
                results.append([v.numpy() for v in variables])
    for got, want in zip(*results):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("base", [optimizers.Adam, optimizers.SGD, optimizers.RMSprop,
                                  optimizers.Adagrad, optimizers.Adadelta, optimizers.Nadam,
                                  optimizers.Adamax])
def test_subclass_update_step_is_still_called_per_variable(base):
    calls = []

    class Counting(base):
        def update_step(self, gradient, variable, learning_rate):
            calls.append(variable.name)
            super().update_step(gradient, variable, learning_rate)

    with use_backend("numpy"):
        variables = _variables()
        opt = Counting(0.01, momentum=0.9) if base in (optimizers.SGD, optimizers.RMSprop) \
            else Counting(0.01)
        opt.apply_gradients(zip(_gradients(1)[0], variables))
    assert len(calls) == len(variables)


def test_flat_slots_moves_to_fresh_memory_only_when_needed():
    with use_backend("numpy"):
        owners = [kerasx.Variable(np.arange(3, dtype=np.float32)),
                  kerasx.Variable(np.ones((2, 2), np.float32))]
        slots = FlatSlots(owners)
        np.testing.assert_array_equal(slots.buffer(), [0, 1, 2, 1, 1, 1, 1])
        first = weakref.ref(slots.buffer())
        assert slots.buffer() is first()
        held = owners[1].value
        second = weakref.ref(slots.buffer())
        assert second() is not None and second() is not first()  # moved
        assert not np.shares_memory(held, owners[1].value)
        slots.buffer()[:] = 7.0
        np.testing.assert_array_equal(held, 1.0)
        del held
        assert slots.buffer() is second()
        owners[0].assign(np.full(3, 5.0, np.float32))
        np.testing.assert_array_equal(slots.buffer(), [5, 5, 5, 7, 7, 7, 7])
