"""GradientTape semantics: what is recorded, watched, freed and returned."""

import numpy as np
import pytest

from kerasx import GradientTape, Variable, ops
from kerasx.autodiff.tape import is_recording
from tests.conftest import to_numpy


def test_trainable_variables_are_watched_and_gradients_accumulate_over_uses():
    w = Variable(np.array([1.0, 2.0, 3.0], np.float32))
    with GradientTape() as tape:
        y = ops.sum(w * w) + ops.sum(w * 3.0)
    np.testing.assert_allclose(to_numpy(tape.gradient(y, w)), [5.0, 7.0, 9.0])


def test_nothing_is_recorded_outside_a_tape():
    w = Variable(np.ones(3, np.float32))
    assert not is_recording()
    y = ops.sum(w * 2.0)
    assert y.node is None and not y.tracked


def test_non_trainable_variables_need_watch():
    w = Variable(np.ones(2, np.float32), trainable=False)
    with GradientTape() as tape:
        y = ops.sum(w * 4.0)
    assert tape.gradient(y, w) is None
    with GradientTape() as tape:
        tape.watch(w)
        y = ops.sum(w * 4.0)
    np.testing.assert_allclose(to_numpy(tape.gradient(y, w)), [4.0, 4.0])
    assert not w.tracked


def test_watched_tensor_and_structured_sources():
    x = ops.convert_to_tensor(np.array([1.0, 2.0], np.float32))
    w = Variable(np.array([3.0, 4.0], np.float32))
    with GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(x * w)
    grads = tape.gradient(y, {"x": x, "pair": [w]})
    np.testing.assert_allclose(to_numpy(grads["x"]), [3.0, 4.0])
    np.testing.assert_allclose(to_numpy(grads["pair"][0]), [1.0, 2.0])


def test_unconnected_sources_get_none_and_non_scalar_targets_are_summed():
    a, b = Variable(np.ones(2, np.float32)), Variable(np.ones(2, np.float32))
    with GradientTape() as tape:
        y = a * 3.0
    ga, gb = tape.gradient(y, [a, b])
    np.testing.assert_allclose(to_numpy(ga), [3.0, 3.0])
    assert gb is None


def test_non_persistent_tape_refuses_a_second_gradient_and_persistent_allows_it():
    w = Variable(np.ones(2, np.float32))
    with GradientTape() as tape:
        y = ops.sum(ops.exp(w))
    tape.gradient(y, w)
    with pytest.raises(RuntimeError, match="persistent=True"):
        tape.gradient(y, w)
    with GradientTape(persistent=True) as tape:
        y = ops.sum(ops.exp(w))
        z = ops.sum(w * 2.0)
    np.testing.assert_allclose(to_numpy(tape.gradient(y, w)), np.exp([1.0, 1.0]), rtol=1e-6)
    np.testing.assert_allclose(to_numpy(tape.gradient(z, w)), [2.0, 2.0])


def test_stop_recording_and_stop_gradient():
    w = Variable(np.array([2.0], np.float32))
    with GradientTape() as tape:
        with tape.stop_recording():
            frozen = w * 10.0
        y = ops.sum(frozen * w + ops.stop_gradient(w * w))
    np.testing.assert_allclose(to_numpy(tape.gradient(y, w)), [20.0])


def test_python_operators_and_getitem_are_differentiable():
    w = Variable(np.arange(6, dtype=np.float32).reshape(2, 3))
    with GradientTape() as tape:
        y = ops.sum((2.0 - w[0]) ** 2 / 2.0) + ops.sum(-w[1:, 1:] @ ops.ones((2, 1)))
    expected = np.array([[-2.0, -1.0, 0.0], [0.0, -1.0, -1.0]])
    np.testing.assert_allclose(to_numpy(tape.gradient(y, w)), expected)


def test_shared_subexpression_gets_both_gradient_paths():
    w = Variable(np.array([1.5], np.float32))
    with GradientTape() as tape:
        h = ops.tanh(w)
        y = ops.sum(h * h + h)
    t = np.tanh(1.5)
    np.testing.assert_allclose(to_numpy(tape.gradient(y, w)), [(2 * t + 1) * (1 - t * t)], rtol=1e-6)


def test_gradient_keeps_the_structure_of_sources():
    import collections

    Pair = collections.namedtuple("Pair", "first second")
    a, b, c = (Variable(np.full(2, v, np.float32)) for v in (1.0, 2.0, 3.0))
    with GradientTape() as tape:
        y = ops.sum(a * 1.0) + ops.sum(b * 2.0) + ops.sum(c * 3.0)
    grads = tape.gradient(y, {"ab": Pair(a, [b]), "c": (c,)})
    assert isinstance(grads["ab"], Pair) and isinstance(grads["ab"].second, list)
    assert isinstance(grads["c"], tuple)
    for got, want in ((grads["ab"].first, 1.0), (grads["ab"].second[0], 2.0), (grads["c"][0], 3.0)):
        np.testing.assert_allclose(to_numpy(got), [want, want])
