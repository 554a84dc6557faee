"""`ops.custom_gradient`: the decorated function's hand-written gradient replaces the one
of its forward ops, under a GradientTape and inside a layer trained by `fit`, in the
calling conventions Keras's backends use."""

import numpy as np
import pytest

import kerasx
from kerasx import GradientTape, Variable, ops
from kerasx.testing import float64
from tests.conftest import to_numpy


@ops.custom_gradient
def log1pexp(x):
    e = ops.exp(x)

    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1, e))

    return ops.log(1 + e), grad


def _tape_gradient(fn, *values):
    variables = [Variable(np.asarray(v, np.float64)) for v in values]
    with GradientTape() as tape:
        total = ops.sum(fn(*variables))
    grads = tape.gradient(total, variables)
    return [None if g is None else to_numpy(g) for g in grads]


def test_keras_documentation_example_gives_the_stable_gradient():
    x = np.array([-3.0, 0.0, 2.0, 100.0])
    with float64():
        out = to_numpy(log1pexp(x))
        (grad,) = _tape_gradient(log1pexp, x)
    np.testing.assert_allclose(out[:3], np.log1p(np.exp(x[:3])))
    np.testing.assert_allclose(grad, 1.0 / (1.0 + np.exp(-x)))


def test_the_hand_written_gradient_replaces_the_forward_ops_gradient():
    @ops.custom_gradient
    def square_with_gradient_five(x):
        return x * x, lambda upstream: upstream * 5.0

    (grad,) = _tape_gradient(lambda x: square_with_gradient_five(x) * 2.0, [1.0, -3.0])
    np.testing.assert_allclose(grad, [10.0, 10.0])


def test_several_outputs_and_arguments_with_a_missing_gradient():
    @ops.custom_gradient
    def pair(x, y):
        def grad(upstream):
            d_product, d_sum = upstream
            return d_product * 3.0 + d_sum, None

        return (x * y, x + y), grad

    gx, gy = _tape_gradient(lambda x, y: pair(x, y)[1] * 2.0, [1.0, 2.0], [3.0, 4.0])
    np.testing.assert_allclose(gx, [2.0, 2.0])  # the unused product's upstream is zero
    assert gy is None or not np.any(gy)


def test_a_torch_style_gradient_function_receives_the_arguments():
    seen = []

    @ops.custom_gradient
    def scaled(x, factor):
        def grad(*args, upstream):
            seen.append(len(args))
            return upstream * args[1], upstream * args[0]

        return x * factor, grad

    gx, gf = _tape_gradient(scaled, [1.0, 2.0], [3.0, 5.0])
    assert seen == [2]
    np.testing.assert_allclose(gx, [3.0, 5.0])
    np.testing.assert_allclose(gf, [1.0, 2.0])


def test_a_scalar_gradient_is_broadcast_to_the_argument():
    @ops.custom_gradient
    def total(x):
        return ops.sum(x), lambda upstream: upstream

    (grad,) = _tape_gradient(total, np.ones((2, 3)))
    np.testing.assert_allclose(grad, np.ones((2, 3)))


@pytest.mark.parametrize("grad_fn, message", [
    (lambda upstream: (upstream, upstream), "returned 2 value"),
    (lambda upstream: ops.ones((5,)), "shape"),
])
def test_a_gradient_function_returning_the_wrong_thing_is_refused(grad_fn, message):
    @ops.custom_gradient
    def f(x):
        return x * 2.0, grad_fn

    with pytest.raises(ValueError, match=message):
        _tape_gradient(f, np.ones(3))


def test_a_function_not_returning_a_gradient_function_is_refused():
    @ops.custom_gradient
    def f(x):
        return x

    with pytest.raises(ValueError, match=r"\(output, grad_fn\)"):
        f(np.ones(2))
    with pytest.raises(TypeError, match="decorates a function"):
        ops.custom_gradient(3)


class _Scale(kerasx.layers.Layer):
    """`inputs * w`, with `w`'s gradient scaled by `factor` through a custom gradient."""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, inputs):
        factor = self.factor

        @ops.custom_gradient
        def scale(x, w):
            def grad(upstream):
                return upstream * w, ops.sum(upstream * x, axis=0) * factor

            return x * w, grad

        return scale(inputs, self.w)


def _trained_weights(factor):
    kerasx.utils.set_random_seed(5)
    x = np.random.default_rng(0).standard_normal((32, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    model = kerasx.Sequential([kerasx.Input((3,)), _Scale(factor), kerasx.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    return [to_numpy(w) for w in model.layers[0].weights + model.layers[1].weights]


class _PlainScale(_Scale):
    def call(self, inputs):
        return inputs * self.w


def test_fit_uses_the_custom_gradient():
    exact = _trained_weights(1.0)
    kerasx.utils.set_random_seed(5)
    x = np.random.default_rng(0).standard_normal((32, 3)).astype(np.float32)
    y = x @ np.array([[1.0], [-2.0], [0.5]], np.float32)
    plain = kerasx.Sequential([kerasx.Input((3,)), _PlainScale(1.0), kerasx.layers.Dense(1)])
    plain.compile(optimizer="sgd", loss="mse")
    plain.fit(x, y, epochs=2, batch_size=8, verbose=0, shuffle=False)
    for got, want in zip(exact, [to_numpy(w) for w in plain.weights]):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    frozen = _trained_weights(0.0)
    np.testing.assert_array_equal(frozen[0], np.ones(3))  # no gradient reached w
    assert not np.allclose(exact[0], np.ones(3))


@ops.custom_gradient
def _blocked(x):
    """The identity, letting no gradient through."""
    return x * 1.0, lambda upstream: upstream * 0.0


def test_a_custom_gradient_in_a_functional_model_applies_when_fit_trains_it():
    kerasx.utils.set_random_seed(3)
    inp = kerasx.Input((3,))
    before, after = kerasx.layers.Dense(2), kerasx.layers.Dense(1)
    model = kerasx.Model(inp, after(_blocked(before(inp))))
    x = np.random.default_rng(1).standard_normal((16, 3)).astype(np.float32)
    y = x.sum(axis=1, keepdims=True)
    start = [to_numpy(w) for w in before.weights + after.weights]
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, y, epochs=2, batch_size=4, verbose=0)
    for w, w0 in zip(before.weights, start[:2]):
        np.testing.assert_array_equal(to_numpy(w), w0)
    assert not np.allclose(to_numpy(after.weights[0]), start[2])
