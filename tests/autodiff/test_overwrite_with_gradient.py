"""`Variable.overwrite_with_gradient`: every optimizer assigns such a variable its
gradient (no learning rate, clipping, weight decay, loss scaling, constraint, slot),
as Keras 3's base optimizer does; with gradient accumulation the largest gradient of
the round is assigned at its last step."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import ops
from kerasx.backends import current
from tests.conftest import to_numpy

G1 = np.array([[1.0, -1.0], [3.0, 0.5]], "float32")
G2 = np.array([[2.0, -3.0], [1.0, 0.25]], "float32")
START = np.array([[1.0, 2.0], [3.0, 4.0]], "float32")


def _variables(constraint=None):
    v = keras.Variable(START, name="v")
    v.overwrite_with_gradient = True
    w = keras.Variable(START, name="w", constraint=constraint)
    return v, w


def _grads(g):
    return current().asarray(g)


def test_the_flag_defaults_to_false_and_takes_booleans_only():
    v = keras.Variable(START)
    assert v.overwrite_with_gradient is False
    v.overwrite_with_gradient = True
    assert v.overwrite_with_gradient is True
    with pytest.raises(TypeError, match="must be a boolean"):
        v.overwrite_with_gradient = 1
    layer = keras.layers.Dense(2)
    marked = layer.add_weight((3,), "ones", overwrite_with_gradient=True, name="scale")
    assert marked.overwrite_with_gradient and not layer.add_weight((3,)).overwrite_with_gradient


# the optimizer, and the paths of its variables Keras 3.15 creates for `v` (marked) and `w`
OPTIMIZERS = {
    "sgd": (lambda: keras.optimizers.SGD(1.0, momentum=0.5, clipnorm=0.1, weight_decay=0.1,
                                         loss_scale_factor=4.0),
            ["sgd/iteration", "sgd/learning_rate", "sgd/w_momentum"]),
    "adam_ema": (lambda: keras.optimizers.Adam(use_ema=True, ema_overwrite_frequency=2,
                                               global_clipnorm=1.0),
                 ["adam/iteration", "adam/learning_rate", "adam/w_average", "adam/w_momentum",
                  "adam/w_velocity"]),
    "adafactor": (keras.optimizers.Adafactor,
                  ["adafactor/iteration", "adafactor/learning_rate", "adafactor/w",
                   "adafactor/w", "adafactor/w_velocity"]),
    "muon": (keras.optimizers.Muon, ["muon/iteration", "muon/learning_rate", "muon/w_momentum"]),
    "adamw": (keras.optimizers.AdamW, ["adamw/iteration", "adamw/learning_rate",
                                       "adamw/w_momentum", "adamw/w_velocity"]),
    "rmsprop": (lambda: keras.optimizers.RMSprop(momentum=0.9, centered=True),
                ["rmsprop/iteration", "rmsprop/learning_rate", "rmsprop/w_velocity",
                 "rmsprop/w_momentum", "rmsprop/w_average_gradient"]),
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_every_optimizer_assigns_the_gradient_and_updates_the_rest_as_usual(name):
    make, paths = OPTIMIZERS[name]
    keras.utils.clear_session(free_memory=False)
    optimizer = make()
    v, w = _variables(constraint=keras.constraints.NonNeg())
    keras.utils.clear_session(free_memory=False)
    twin = make()
    alone = keras.Variable(START, name="w", constraint=keras.constraints.NonNeg())
    for g in (G1, G2, G1):
        optimizer.apply_gradients([(_grads(g), v), (_grads(g), w)])
        twin.apply_gradients([(_grads(g), alone)])
        # the gradient itself: no learning rate, clipping, decay, loss scale or constraint
        np.testing.assert_array_equal(to_numpy(v), g)
    # the other variable moves exactly as without the marked one (no slot for `v`)
    np.testing.assert_array_equal(to_numpy(w), to_numpy(alone))
    assert [x.path.split("/", 1)[1] for x in optimizer.variables] == \
        [p.split("/", 1)[1] for p in paths]
    assert int(to_numpy(optimizer.iterations)) == 3


def test_gradient_accumulation_assigns_the_largest_gradient_of_the_round():
    # Keras's optimizer_test: the accumulator keeps max(g, accumulator), assigned at the
    # round's last step, when the accumulator goes back to zero
    v, w = _variables()
    optimizer = keras.optimizers.SGD(1.0, gradient_accumulation_steps=2)
    ones, twos = np.ones((2, 2), "float32"), np.full((2, 2), 2.0, "float32")
    optimizer.apply_gradients([(_grads(ones), v), (_grads(ones), w)])
    np.testing.assert_array_equal(to_numpy(v), START)
    np.testing.assert_array_equal(to_numpy(w), START)
    np.testing.assert_array_equal(to_numpy(optimizer._accumulated_gradients[0]), ones)
    optimizer.apply_gradients([(_grads(twos), v), (_grads(twos), w)])
    np.testing.assert_array_equal(to_numpy(v), twos)
    np.testing.assert_allclose(to_numpy(w), START - 1.5)
    for accumulator in optimizer._accumulated_gradients:
        np.testing.assert_array_equal(to_numpy(accumulator), np.zeros((2, 2)))
    assert int(optimizer.iterations) == 1
    # a maximum, against the zeroed accumulator too (Keras: negative entries become 0)
    for g in (G1, G2):
        optimizer.apply_gradients([(_grads(g), v), (_grads(g), w)])
    np.testing.assert_array_equal(to_numpy(v), np.maximum(np.maximum(G1, 0), G2))
    assert [x.path for x in optimizer.variables][2:] == \
        ["sgd/v_gradient_accumulator", "sgd/w_gradient_accumulator"]


def test_a_loss_scale_optimizer_leaves_the_gradient_unscaled():
    v, w = _variables()
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(1.0))
    alone = keras.Variable(START)
    twin = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(1.0))
    optimizer.apply([_grads(G1), _grads(G1)], [v, w])
    twin.apply([_grads(G1)], [alone])
    np.testing.assert_array_equal(to_numpy(v), G1)
    np.testing.assert_array_equal(to_numpy(w), to_numpy(alone))
    # only marked variables: no update, the step still counts
    only = keras.optimizers.Adam()
    only.apply([_grads(G2)], [v])
    np.testing.assert_array_equal(to_numpy(v), G2)
    assert int(to_numpy(only.iterations)) == 1 and len(only.variables) == 2


class _Tracker(keras.layers.Layer):
    """A layer whose `peak` weight is written through its "gradient": the running
    maximum of |inputs| (the float8 amax pattern)."""

    def build(self, input_shape):
        self.kernel = self.add_weight((input_shape[-1], 1), "ones", name="kernel")
        self.peak = self.add_weight((), "zeros", overwrite_with_gradient=True, name="peak")

    def call(self, x):
        @ops.custom_gradient
        def observe(x, peak):
            new_peak = ops.maximum(peak, ops.max(ops.abs(x)))

            def grad(upstream):
                return upstream, new_peak

            return x, grad

        return ops.matmul(observe(x, self.peak), self.kernel)


@pytest.mark.parametrize("jit_compile", [False, True])
def test_fit_writes_the_gradient_of_a_marked_weight(jit_compile):
    model = keras.Sequential([keras.Input((3,)), _Tracker()])
    model.compile(keras.optimizers.Adam(0.01), "mse", jit_compile=jit_compile)
    x = np.random.default_rng(0).normal(size=(12, 3)).astype("float32")
    model.fit(x, np.zeros((12, 1), "float32"), batch_size=4, epochs=2, shuffle=False,
              verbose=0)
    layer = model.layers[0]
    np.testing.assert_allclose(to_numpy(layer.peak), np.abs(x).max(), rtol=1e-6)
    assert len(model.optimizer.variables) == 4  # slots for the kernel only
