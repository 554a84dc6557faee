"""The fused optimizer kernels (NumPy in place, CuPy ElementwiseKernel) against the
portable array-API update."""

import contextlib
import re

import numpy as np
import pytest

import kerasx
from kerasx import optimizers
from kerasx.backends import current, cupy_optim, numpy_optim, use_backend

RNG = np.random.default_rng(5)
SHAPES = [(4, 3), (3,)]
GRADS = [[RNG.normal(size=s).astype(np.float32) for s in SHAPES] for _ in range(6)]
INIT = [RNG.normal(size=s).astype(np.float32) for s in SHAPES]

FUSED = [
    ("sgd", lambda: optimizers.SGD(0.1)),
    ("sgd_momentum", lambda: optimizers.SGD(0.1, momentum=0.9)),
    ("sgd_nesterov", lambda: optimizers.SGD(0.1, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("adam", lambda: optimizers.Adam(0.01)),
    ("amsgrad", lambda: optimizers.Adam(0.01, amsgrad=True, clipnorm=0.5)),
    ("adamw", lambda: optimizers.AdamW(0.01, weight_decay=0.2)),
    ("adamax", lambda: optimizers.Adamax(0.01)),
    ("rmsprop", lambda: optimizers.RMSprop(0.01)),
    ("rmsprop_centered_momentum",
     lambda: optimizers.RMSprop(0.01, momentum=0.9, centered=True, clipvalue=1.0)),
    ("rmsprop_momentum", lambda: optimizers.RMSprop(0.01, momentum=0.5, rho=0.8)),
    ("adagrad", lambda: optimizers.Adagrad(0.05, initial_accumulator_value=0.2)),
    ("adadelta", lambda: optimizers.Adadelta(1.0, rho=0.9)),
    ("nadam", lambda: optimizers.Nadam(0.01)),
]


def _train(make, portable=False):
    backend = current()
    saved = backend.kernels
    if portable:
        backend.kernels = {}
    try:
        opt = make()
        variables = [kerasx.Variable(w.copy()) for w in INIT]
        for grads in GRADS:
            opt.apply_gradients(zip(grads, variables))
        return [v.numpy().copy() for v in variables], [s.numpy().copy() for s in opt.variables[2:]]
    finally:
        backend.kernels = saved


@pytest.mark.parametrize("name,make", FUSED, ids=[f[0] for f in FUSED])
def test_numpy_fused_update_equals_portable(name, make):
    with use_backend("numpy"):
        assert current().kernel("adam_update") is numpy_optim.adam_update
        fused_w, fused_slots = _train(make)
        plain_w, plain_slots = _train(make, portable=True)
    for got, want in zip(fused_w + fused_slots, plain_w + plain_slots):
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)


def test_numpy_kernels_update_in_place():
    with use_backend("numpy"):
        w = kerasx.Variable(INIT[0].copy())
        opt = optimizers.Adam(0.01)
        opt.apply_gradients([(GRADS[0][0], w)])
        buffers = [id(w._value)] + [id(s._value) for s in opt.variables[2:]]
        for grads in GRADS[1:]:
            opt.apply_gradients([(grads[0], w)])
        assert [id(w._value)] + [id(s._value) for s in opt.variables[2:]] == buffers


def test_numpy_kernels_never_change_arrays_held_elsewhere():
    with use_backend("numpy"):
        mine = INIT[0].copy()
        w = kerasx.Variable(mine)
        snapshot = w.numpy()
        opt = optimizers.SGD(0.1, momentum=0.5)
        opt.apply_gradients([(GRADS[0][0], w)])
        np.testing.assert_array_equal(mine, INIT[0])
        np.testing.assert_array_equal(snapshot, INIT[0])
        view = w.value[:2]
        before = view.copy()
        opt.apply_gradients([(GRADS[1][0], w)])
        np.testing.assert_array_equal(view, before)
        assert not np.array_equal(w.numpy(), INIT[0])


def test_exclusive_test_counts_references():
    with use_backend("numpy"):
        w = kerasx.Variable(np.ones(3, np.float32))
        assert numpy_optim.is_exclusive(w)
        held = w.value
        assert not numpy_optim.is_exclusive(w)
        del held
        assert numpy_optim.is_exclusive(w)


# -- the CuPy kernels, run through a NumPy emulation of cupy.ElementwiseKernel -------------
class _FakeArray(np.ndarray):
    """A NumPy array with the CuPy `device` context manager."""

    @property
    def device(self):
        return contextlib.nullcontext()


class _FakeElementwiseKernel:
    """Runs a kernel's C body statement by statement with NumPy, after checking the
    argument count and that every `T` argument has the same dtype, as CuPy does."""

    def __init__(self, in_params, out_params, operation, name):
        assert name.startswith("kerasx_")
        self.params = [p.split()[-1] for p in (in_params + "," + out_params).split(",")]
        self.n_out = len(out_params.split(","))
        self.statements = []
        for stmt in (s.strip() for s in operation.split(";")):
            if not stmt:
                continue
            plain = re.match(r"^(\w+)\s*=(?!=)\s*(.*)$", stmt)
            self.statements.append(f"{plain[1]}[...] = {plain[2]}" if plain else stmt)

    def __call__(self, *args):
        assert len(args) == len(self.params), (len(args), self.params)
        assert len({np.asarray(a).dtype for a in args}) == 1, [np.asarray(a).dtype for a in args]
        for out in args[-self.n_out:]:
            assert isinstance(out, _FakeArray)
        env = dict(zip(self.params, args), sqrt=np.sqrt, max=np.maximum, fabs=np.abs)
        for stmt in self.statements:
            exec(stmt, {}, env)


class _FakeCupy:
    ElementwiseKernel = _FakeElementwiseKernel


class _Holder:
    def __init__(self, array):
        self._value = np.array(array).view(_FakeArray)


@pytest.mark.parametrize("name", ["adam", "amsgrad", "adamax", "sgd_momentum", "sgd_nesterov",
                                  "sgd", "weight_decay"])
def test_cupy_kernels_equal_numpy_kernels(name):
    fake = cupy_optim.kernels(_FakeCupy())
    w0, g = INIT[0], GRADS[0][0]
    cu = [_Holder(w0), _Holder(np.zeros_like(w0)), _Holder(np.zeros_like(w0)),
          _Holder(np.zeros_like(w0))]
    with use_backend("numpy"):
        npy = [kerasx.Variable(w0.copy())] + [kerasx.Variable(np.zeros_like(w0)) for _ in range(3)]
        for step, grads in enumerate(GRADS, 1):
            g = grads[0]
            for kernels, h in ((fake, cu), (numpy_optim.KERNELS, npy)):
                if name in ("adam", "amsgrad"):
                    alpha = 0.01 * np.sqrt(1 - 0.999 ** step) / (1 - 0.9 ** step)
                    kernels["adam_update"](h[0], g, h[1], h[2], h[3] if name == "amsgrad" else None,
                                           alpha, 0.9, 0.999, 1e-7)
                elif name == "adamax":
                    kernels["adamax_update"](h[0], g, h[1], h[2], 0.01, 1 - 0.9 ** step, 0.9,
                                             0.999, 1e-7)
                elif name.startswith("sgd_"):
                    kernels["sgd_momentum_update"](h[0], g, h[1], 0.1, 0.9, name == "sgd_nesterov")
                elif name == "sgd":
                    kernels["sgd_update"](h[0], g, 0.1)
                else:
                    kernels["weight_decay"](h[0], 0.05)
        for a, b in zip(cu, npy):
            np.testing.assert_allclose(np.asarray(a._value), b.numpy(), rtol=2e-6, atol=1e-7)


LARGE_FUSED = [(name, make) for name, make in FUSED
               if name in ("sgd", "sgd_momentum", "sgd_nesterov", "adam", "amsgrad", "adamw",
                           "rmsprop", "rmsprop_centered_momentum", "rmsprop_momentum",
                           "adamax", "nadam")]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name,make", LARGE_FUSED, ids=[f[0] for f in LARGE_FUSED])
def test_large_variables_through_the_blas_equal_the_portable_update(name, make, dtype,
                                                                    monkeypatch):
    """Variables of `numpy_optim.LARGE` elements or more take their moments and steps
    through the bundled BLAS's `axpby`/`axpy`: the same values as the portable update
    (and as NumPy's passes) up to rounding."""
    from kerasx.backends import numpy_blas

    blas = numpy_blas.level1()
    if blas is None:
        pytest.skip("this NumPy bundles no OpenBLAS")
    calls = []
    for routine in ("axpby", "axpy"):
        original = getattr(blas, routine)
        monkeypatch.setattr(blas, routine,
                            lambda *a, _f=original, _n=routine: calls.append(_n) or _f(*a))
    rng = np.random.default_rng(8)
    shape = (numpy_optim.LARGE // 64 + 1, 64)
    init = rng.normal(size=shape).astype(dtype)
    grads = [rng.normal(size=shape).astype(dtype) for _ in range(4)]

    def train(kernels=None, with_blas=True):
        backend = current()
        saved = backend.kernels
        if kernels is not None:
            backend.kernels = kernels
        try:
            with monkeypatch.context() as m:
                if not with_blas:
                    m.setattr(numpy_optim, "level1", lambda: None)
                opt = make()
                var = kerasx.Variable(init.copy())
                for g in grads:
                    opt.apply_gradients([(g, var)])
                return [var.numpy().copy()] + [s.numpy().copy() for s in opt.variables[1:]]
        finally:
            backend.kernels = saved

    with use_backend("numpy"):
        got = train()
        assert calls, "the BLAS routines were not used"
        numpy_passes = train(with_blas=False)
        portable = train(kernels={})
    # Nesterov's step adds two terms to the weight one after the other (two roundings
    # at the weight's magnitude, ~1 here), where the portable update adds their sum
    tol = dict(rtol=2e-6, atol=3e-7) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-15)
    for a, b, c in zip(got, numpy_passes, portable):
        np.testing.assert_allclose(a, c, **tol)
        np.testing.assert_allclose(b, c, **tol)
