"""Replayed steps owning the threads (`kerasx.backends.numpy_threads`, with
`KERASX_OWN_THREADS=1`): products and
updates split over two threads with the BLAS at one thread give the bits of the
whole work at one BLAS thread where the BLAS's kernels allow it (`splits_exactly`;
elsewhere steps are not owned), the BLAS's thread count comes back after each step,
and a model with large products trains replayed exactly as eagerly at one BLAS
thread.

The Pair's mechanics are checked whatever this machine's BLAS does (`exact_splits`
takes the probe's answer as yes); what depends on the bits of split products is
checked against the real probe."""

import threading

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current

if current().name != "numpy":
    pytest.skip("the NumPy backend's threads", allow_module_level=True)

from kerasx.backends import numpy_threads  # noqa: E402
from kerasx.backends.numpy_blas import threads  # noqa: E402

CONTROL = threads()
needs_control = pytest.mark.skipif(
    CONTROL is None, reason="NumPy here bundles no OpenBLAS whose thread count can be set")
rng = np.random.default_rng(5)


@pytest.fixture(autouse=True)
def owned_steps(monkeypatch):
    monkeypatch.setenv("KERASX_OWN_THREADS", "1")
    monkeypatch.setenv("KERASX_SPLIT_STEPS", "0")  # whole steps (split ones: test_split_step)


# the real probe's answer, taken before any test overrides it
EXACT = numpy_threads.splits_exactly() if CONTROL is not None else False


@pytest.fixture
def exact_splits(monkeypatch):
    """The probe taken as yes: steps are owned whatever this BLAS's split products give."""
    monkeypatch.setattr(numpy_threads, "_EXACT", [True])


def _blas_threads(count):
    """The BLAS at `count` threads for one test, whatever the machine."""
    before = CONTROL.get()
    CONTROL.set(count)
    yield
    CONTROL.set(before)


@pytest.fixture
def two_blas_threads():
    """Two BLAS threads: the case steps are owned in."""
    yield from _blas_threads(2)


@pytest.fixture
def one_blas_thread():
    yield from _blas_threads(1)


def _owner():
    found = numpy_threads.owner()
    assert found is not None
    return found


@needs_control
@pytest.mark.parametrize("m, k, n", [(128, 784, 512), (784, 128, 512), (128, 512, 784),
                                     (37, 300, 1000), (1000, 300, 37)])
def test_a_split_product_has_the_bits_of_the_whole_at_one_thread_where_the_probe_says_so(
        two_blas_threads, exact_splits, m, k, n):
    a = rng.standard_normal((m, k), dtype=np.float32)
    b = rng.standard_normal((n, k), dtype=np.float32).T  # a transposed operand, as in gradients
    with _owner():
        assert numpy_threads.active() is not None
        assert CONTROL.get() == 1
        whole = np.matmul(a, b)
        split = numpy_threads.matmul(a, b)
        into = np.empty((m, n), np.float32)
        returned = numpy_threads.matmul(a, b, out=(into,))
    assert CONTROL.get() == 2 and numpy_threads.active() is None
    assert returned is into
    np.testing.assert_array_equal(into, split)
    if EXACT:
        np.testing.assert_array_equal(split, whole)
    else:  # the same product summed in another order
        np.testing.assert_allclose(split, whole, rtol=1e-5, atol=1e-4)


@needs_control
def test_steps_are_owned_only_where_split_products_keep_the_bits_of_the_whole(
        two_blas_threads, monkeypatch):
    # the probe's verdict against the products themselves, split as `matmul` splits them
    CONTROL.set(1)
    agree = True
    for m, k, n in numpy_threads._PROBED:
        a = rng.standard_normal((m, k), dtype=np.float32)
        b = rng.standard_normal((k, n), dtype=np.float32)
        h, w = numpy_threads._half(m), numpy_threads._half(n)
        whole = a @ b
        agree &= np.array_equal(np.concatenate([a[:h] @ b, a[h:] @ b]), whole)
        agree &= np.array_equal(np.concatenate([a @ b[:, :w], a @ b[:, w:]], axis=1), whole)
    CONTROL.set(2)
    monkeypatch.setattr(numpy_threads, "_EXACT", [])
    assert numpy_threads.splits_exactly() == agree
    assert CONTROL.get() == 2  # the probe ran at one thread and gave the two back
    assert (numpy_threads.owner() is None) == (not agree)
    monkeypatch.setattr(numpy_threads, "_EXACT", [False])
    assert numpy_threads.owner() is None
    monkeypatch.setattr(numpy_threads, "_EXACT", [True])
    assert numpy_threads.owner() is not None


@needs_control
def test_small_products_stacks_and_outside_an_owned_step_run_whole(two_blas_threads, exact_splits):
    calls = []
    original = numpy_threads.Pair.both

    def counting(self, fn, first, second):
        calls.append(fn)
        return original(self, fn, first, second)

    a = rng.standard_normal((4, 64, 64), dtype=np.float32)
    big = rng.standard_normal((256, 256), dtype=np.float32)
    numpy_threads.Pair.both = counting
    try:
        np.testing.assert_array_equal(numpy_threads.matmul(big, big), big @ big)
        with _owner():
            np.testing.assert_array_equal(numpy_threads.matmul(a, a), np.matmul(a, a))
            small = big[:8, :8]
            np.testing.assert_array_equal(numpy_threads.matmul(small, small), small @ small)
            assert calls == []
            numpy_threads.matmul(big, big)
    finally:
        numpy_threads.Pair.both = original
    assert calls == [numpy_threads._product]


@needs_control
def test_halves_give_the_whole_result_and_raise_the_workers_errors(two_blas_threads, exact_splits):
    x = rng.standard_normal(100_001).astype(np.float32)
    y = rng.standard_normal(100_001).astype(np.float32)
    expected = np.sqrt(np.abs(x)) + y
    seen = []

    def step(a, none, b, shift):
        seen.append((a.size, none, threading.current_thread().name))
        np.sqrt(np.abs(a), out=a)
        a += b + shift

    with _owner():
        numpy_threads.halves(step, (x, None, y), 0.0)
    np.testing.assert_array_equal(x, expected)
    assert sorted(s for s, _, _ in seen) == [50_000, 50_001]
    assert {n for _, n, _ in seen} == {None}
    assert len({t for _, _, t in seen}) == 2

    def failing(a, shift):
        if threading.current_thread().name == "kerasx-pair":
            raise ValueError("in the worker")

    with _owner(), pytest.raises(ValueError, match="in the worker"):
        numpy_threads.halves(failing, (x,), 0.0)
    with _owner():  # the pair still serves after an error
        numpy_threads.halves(step, (x, None, y), 0.0)

    def failing_in_both(a, shift):
        raise ValueError(f"in {threading.current_thread().name}")

    with _owner(), pytest.raises(ValueError, match="in MainThread"):
        numpy_threads.halves(failing_in_both, (x,), 0.0)
    with _owner():  # the worker's error went with the caller's, not to the next hand-off
        numpy_threads.halves(step, (x, None, y), 0.0)


@needs_control
def test_the_owner_leaves_other_thread_counts_and_nested_steps_alone(one_blas_thread, exact_splits):
    assert numpy_threads.owner() is None  # one BLAS thread: nothing to own
    CONTROL.set(2)
    owner = _owner()
    with owner:
        with owner:  # a nested step keeps the outer step's ownership
            assert numpy_threads.active() is not None and CONTROL.get() == 1
        assert numpy_threads.active() is not None and CONTROL.get() == 1
    assert numpy_threads.active() is None and CONTROL.get() == 2
    CONTROL.set(3)
    with owner:  # a count changed since the step was recorded is left as it is
        assert numpy_threads.active() is None and CONTROL.get() == 3


def _mlp():
    return keras.Sequential([keras.Input((784,)), keras.layers.Dense(512, activation="relu"),
                             keras.layers.Dropout(0.2), keras.layers.Dense(10, "softmax")])


def _fit(jit, x, y):
    keras.utils.set_random_seed(7)
    model = _mlp()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=jit)
    history = model.fit(x, y, batch_size=128, epochs=2, verbose=0)
    return model, history.history


@needs_control
def test_where_split_products_lose_bits_the_mlp_replays_verified_and_unowned(
        two_blas_threads, monkeypatch):
    monkeypatch.setattr(numpy_threads, "_EXACT", [False])
    x = rng.standard_normal((640, 784)).astype(np.float32)
    model, _ = _fit("auto", x, rng.integers(0, 10, 640))
    (program,) = model._compiled_train_step.programs.values()
    assert program.verified and program.owner is None and program.runs > 0
    assert CONTROL.get() == 2


@needs_control
@pytest.mark.skipif(not EXACT, reason="this BLAS sums the halves of a split product in "
                    "another order than the whole, so steps are not owned here (see the test "
                    "above)")
def test_large_products_are_replayed_on_owned_threads_as_eager_steps_at_one_thread(
        two_blas_threads):
    x = rng.standard_normal((1280, 784)).astype(np.float32)
    y = rng.integers(0, 10, 1280)
    model, _ = _fit("auto", x, y)
    (program,) = model._compiled_train_step.programs.values()
    assert program.verified and program.owner is not None
    assert CONTROL.get() == 2

    # one more step from the same state, replayed (owned) and eagerly at one BLAS thread
    # (OpenBLAS on two threads may sum the 784 products of the first layer in another order)
    every = (model.variables + model.optimizer.variables
             + [v for m in model.metrics for v in m.variables])
    state = [v.value.copy() for v in every]
    batch = (x[:128], y[:128])
    split = []
    original = numpy_threads.Pair.both

    def counting(self, fn, first, second):
        split.append(fn.__name__)
        return original(self, fn, first, second)

    numpy_threads.Pair.both = counting
    try:
        keras.utils.set_random_seed(3)
        with program.owner:
            replayed_logs = program.run(batch)
    finally:
        numpy_threads.Pair.both = original
    assert split.count("_product") == 2 and "_adam_blas" in split  # 784 x 512 forward and back
    replayed = [v.value.copy() for v in every]
    for v, value in zip(every, state):
        v.assign(value)
    keras.utils.set_random_seed(3)
    CONTROL.set(1)
    eager_logs = model.train_step(batch)
    CONTROL.set(2)
    for a, b in zip(replayed, [v.value for v in every]):
        np.testing.assert_array_equal(a, b)
    for name in replayed_logs:
        np.testing.assert_array_equal(np.asarray(replayed_logs[name]),
                                      np.asarray(keras.ops.convert_to_numpy(eager_logs[name])))


@needs_control
def test_steps_are_owned_only_when_asked(two_blas_threads, exact_splits, monkeypatch):
    assert numpy_threads.owner() is not None
    monkeypatch.delenv("KERASX_OWN_THREADS")
    assert numpy_threads.owner() is None
    x = rng.standard_normal((256, 784)).astype(np.float32)
    model, _ = _fit("auto", x, rng.integers(0, 10, 256))
    (program,) = model._compiled_train_step.programs.values()
    assert program.verified and program.owner is None


@needs_control
def test_a_step_on_another_thread_does_not_use_the_owned_pair(two_blas_threads, exact_splits):
    owner = _owner()
    seen = {}

    def other():
        with owner:  # the threads are taken: this step runs unowned
            seen["pair"] = numpy_threads.active()

    with owner:
        thread = threading.Thread(target=other)
        thread.start()
        thread.join()
        assert numpy_threads.active() is not None
    assert seen == {"pair": None}
