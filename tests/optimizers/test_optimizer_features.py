"""Optimizer features beyond one plain step: EMA, gradient accumulation, loss scaling,
names and order of variables, configs, state saving and bad arguments."""

import math

import numpy as np
import pytest

import kerasx
from kerasx import optimizers
from kerasx.backends import current

RNG = np.random.default_rng(3)
W0 = RNG.normal(size=(3, 2)).astype(np.float32)
GRADS = RNG.normal(size=(7, 3, 2)).astype(np.float32)


def _steps(opt, grads=GRADS, w0=W0):
    w = kerasx.Variable(w0.copy(), name="w")
    out = []
    for g in grads:
        opt.apply_gradients([(g, w)])
        out.append(w.numpy().copy())
    return w, np.stack(out)


def _adam_reference(w, grads, lr, b1=0.9, b2=0.999, eps=1e-7):
    w = w.astype(np.float64)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    out = []
    for t, g in enumerate(grads, 1):
        m += (g - m) * (1 - b1)
        v += (g * g - v) * (1 - b2)
        w = w - lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t) * m / (np.sqrt(v) + eps)
        out.append(w)
    return np.stack(out)


def test_ema_follows_keras_semantics():
    """average = m * average + (1 - m) * w (m = 0 on the first step), and every
    `ema_overwrite_frequency` steps the weights become the average (checked against
    Keras 3.15 by hand)."""
    opt = optimizers.SGD(0.1, use_ema=True, ema_momentum=0.9, ema_overwrite_frequency=3)
    w, got = _steps(opt)
    ref_w, avg, expected = W0.astype(np.float64), None, []
    for step, g in enumerate(GRADS):
        ref_w = ref_w - 0.1 * g
        avg = ref_w.copy() if step == 0 else 0.9 * avg + 0.1 * ref_w
        if (step + 1) % 3 == 0:
            ref_w = avg.copy()
        expected.append(ref_w)
    np.testing.assert_allclose(got, np.stack(expected), rtol=1e-5, atol=1e-6)
    opt.finalize_variable_values([w])
    np.testing.assert_allclose(w.numpy(), avg, rtol=1e-5, atol=1e-6)


def test_gradient_accumulation_updates_every_n_steps_with_the_mean():
    opt = optimizers.Adam(0.05, gradient_accumulation_steps=3)
    _, got = _steps(opt)
    means = [GRADS[0:3].mean(0), GRADS[3:6].mean(0)]
    updates = _adam_reference(W0, means, 0.05)
    expected = [W0, W0, updates[0], updates[0], updates[0], updates[1], updates[1]]
    np.testing.assert_allclose(got, np.stack(expected), rtol=1e-5, atol=1e-6)
    assert opt.iterations == 2 and opt._iterations.host_value == 7


def test_loss_scale_factor_unscales_gradients():
    _, scaled = _steps(optimizers.SGD(0.1, loss_scale_factor=8.0), grads=GRADS * 8.0)
    _, plain = _steps(optimizers.SGD(0.1))
    np.testing.assert_allclose(scaled, plain, rtol=1e-6)
    assert float(optimizers.SGD(loss_scale_factor=4.0).scale_loss(2.0)) == 8.0


def test_clipping_rules():
    g = np.array([[3.0, 4.0]], np.float32)
    w = kerasx.Variable(np.zeros((1, 2), np.float32))
    optimizers.SGD(1.0, clipnorm=1.0).apply_gradients([(g, w)])
    np.testing.assert_allclose(w.numpy(), [[-0.6, -0.8]], rtol=1e-6)
    w2 = kerasx.Variable(np.zeros((1, 2), np.float32))
    optimizers.SGD(1.0, clipvalue=2.0).apply_gradients([(g, w2)])
    np.testing.assert_allclose(w2.numpy(), [[-2.0, -2.0]])
    a, b = kerasx.Variable(np.zeros(1, np.float32)), kerasx.Variable(np.zeros(1, np.float32))
    optimizers.SGD(1.0, global_clipnorm=1.0).apply_gradients(
        [(np.array([3.0], np.float32), a), (np.array([4.0], np.float32), b)])
    np.testing.assert_allclose([a.numpy()[0], b.numpy()[0]], [-0.6, -0.8], rtol=1e-6)


def test_weight_decay_and_exclusions():
    opt = optimizers.SGD(0.5, weight_decay=0.1)
    kernel = kerasx.Variable(np.ones(2, np.float32), name="kernel")
    bias = kerasx.Variable(np.ones(2, np.float32), name="bias")
    opt.exclude_from_weight_decay(var_names=["bias"])
    zero = np.zeros(2, np.float32)
    opt.apply_gradients([(zero, kernel), (zero, bias)])
    np.testing.assert_allclose(kernel.numpy(), [0.95, 0.95], rtol=1e-6)
    np.testing.assert_allclose(bias.numpy(), [1.0, 1.0])
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


def test_variables_follow_keras_names_and_order():
    layer = kerasx.layers.Dense(2)
    layer.build((None, 3))
    opt = optimizers.Adam(amsgrad=True, use_ema=True, gradient_accumulation_steps=2)
    opt.build(layer.trainable_variables)
    # the list Keras 3.15 gives for the same optimizer and layer
    assert [v.path for v in opt.variables] == [
        "adam/iteration", "adam/learning_rate", "adam/dense_kernel_average",
        "adam/dense_bias_average", "adam/dense_kernel_gradient_accumulator",
        "adam/dense_bias_gradient_accumulator", "adam/dense_kernel_momentum",
        "adam/dense_kernel_velocity", "adam/dense_bias_momentum", "adam/dense_bias_velocity",
        "adam/dense_kernel_velocity_hat", "adam/dense_bias_velocity_hat"]
    nadam = optimizers.Nadam()
    nadam.build(layer.trainable_variables)
    assert [v.name for v in nadam.variables][-1] == "variable"
    assert len(nadam.variables) == 7


def test_slots_live_on_the_variables_device():
    w = kerasx.Variable(np.ones((2, 2), np.float32))
    opt = optimizers.Adam()
    opt.apply_gradients([(np.ones((2, 2), np.float32), w)])
    device = getattr(w.value, "device", None)
    for slot in opt.variables[2:]:
        assert getattr(slot.value, "device", None) == device
        assert slot.dtype == w.dtype and slot.shape == w.shape
    assert current().is_native(opt.variables[0].value) or opt.variables[0].numpy() == 1


def test_iterations_and_learning_rate_variables():
    opt = optimizers.RMSprop(learning_rate=0.01)
    _steps(opt, grads=GRADS[:3])
    assert opt.iterations == 3 and int(opt.iterations) == 3 and opt.iterations.numpy() == 3
    # Keras's dtype="int" on its NumPy, JAX and PyTorch backends (files and summaries agree)
    assert opt.iterations.dtype == "int32" and opt.iterations.numpy().dtype == "int32"
    assert float(opt.learning_rate) == pytest.approx(0.01)
    opt.learning_rate = 0.5
    assert float(opt.learning_rate) == 0.5
    opt.learning_rate.assign(0.25)
    assert opt.get_config()["learning_rate"] == 0.25


def test_state_round_trip():
    opt = optimizers.Adam(0.01)
    w, _ = _steps(opt, grads=GRADS[:2])
    store = {}
    opt.save_own_variables(store)
    fresh = optimizers.Adam(0.01)
    w2 = kerasx.Variable(w.numpy().copy(), name="w")
    fresh.build([w2])
    fresh.load_own_variables(store)
    assert int(fresh.iterations) == 2
    for g in GRADS[2:4]:
        opt.apply_gradients([(g, w)])
        fresh.apply_gradients([(g, w2)])
    np.testing.assert_allclose(w2.numpy(), w.numpy(), rtol=1e-6)


@pytest.mark.parametrize("cls", [optimizers.SGD, optimizers.RMSprop, optimizers.Adagrad,
                                 optimizers.Adadelta, optimizers.Adam, optimizers.AdamW,
                                 optimizers.Adamax, optimizers.Nadam, optimizers.Lion,
                                 optimizers.Ftrl])
def test_config_round_trip(cls):
    opt = cls(learning_rate=0.03, clipnorm=2.0, name="mine")
    again = optimizers.deserialize(optimizers.serialize(opt))
    assert type(again) is cls and again.get_config() == opt.get_config()


@pytest.mark.parametrize("name,cls", [
    ("rmsprop", optimizers.RMSprop), ("RMSprop", optimizers.RMSprop), ("sgd", optimizers.SGD),
    ("Adam", optimizers.Adam), ("adamw", optimizers.AdamW), ("adagrad", optimizers.Adagrad),
    ("adadelta", optimizers.Adadelta), ("adamax", optimizers.Adamax), ("nadam", optimizers.Nadam),
    ("lion", optimizers.Lion), ("ftrl", optimizers.Ftrl)])
def test_get_by_name(name, cls):
    assert type(optimizers.get(name)) is cls


def test_unknown_name_suggests():
    with pytest.raises(ValueError, match=r"Unknown optimizer: 'adma'\. Did you mean .*'adam'"):
        optimizers.get("adma")
    with pytest.raises(ValueError, match=r"Did you mean 'rmsprop'"):
        optimizers.get("rmsporp")


@pytest.mark.parametrize("make,message", [
    (lambda: optimizers.SGD(clipnorm=1.0, clipvalue=1.0), "Only one of `clipnorm`"),
    (lambda: optimizers.SGD(learning_rate=-1.0), "must be >= 0"),
    (lambda: optimizers.SGD(learning_rate="fast"), "should be a float"),
    (lambda: optimizers.SGD(learning_rate="0.1"), r"should be a float.*'0\.1'"),  # as Keras
    (lambda: optimizers.SGD(lr=0.1), r"use `learning_rate=0.1`"),
    (lambda: optimizers.Adam(betas=(0.9, 0.99)), r"not recognized by Adam: \['betas'\]"),
    (lambda: optimizers.SGD(momentum=1.5), "momentum` must be a float between"),
    (lambda: optimizers.AdamW(weight_decay=None), "weight_decay` must be a float"),
    (lambda: optimizers.Lion(beta_1=0.0), "beta_1` must be in the"),
    (lambda: optimizers.Ftrl(learning_rate_power=0.5), "learning_rate_power` needs"),
    (lambda: optimizers.Adam(gradient_accumulation_steps=1), "must be an integer >= 2"),
    (lambda: optimizers.Adam(use_ema=True, ema_momentum=2.0), "ema_momentum` must be in"),
])
def test_bad_arguments(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_bad_apply_calls():
    w = kerasx.Variable(np.zeros(2, np.float32))
    opt = optimizers.SGD()
    with pytest.raises(ValueError, match="1 gradients for 2 variables"):
        opt.apply([np.zeros(2, np.float32)], [w, w])
    with pytest.raises(ValueError, match="No gradients provided for any variable"):
        opt.apply([None], [w])
    opt.apply([np.ones(2, np.float32)], [w])
    other = kerasx.Variable(np.zeros(2, np.float32))
    with pytest.raises(ValueError, match="Unknown variable.*Create a new optimizer"):
        opt.apply([np.ones(2, np.float32)], [other])
    with pytest.raises(ValueError, match=r"Gradient of shape \(3,\) does not match"):
        opt.apply([np.ones(3, np.float32)], [w])
    with pytest.warns(UserWarning, match="Gradients do not exist"):
        optimizers.SGD().apply([np.ones(2, np.float32), None], [w, other])


def test_missing_gradients_warn_once_per_set_of_variables(recwarn):
    """As Keras's traced step warns once (a replayed step must not warn again)."""
    a, b, c = (kerasx.Variable(np.zeros(2, np.float32), name=n) for n in "abc")
    opt, one = optimizers.SGD(), np.ones(2, np.float32)
    for _ in range(3):
        opt.apply([one, None, one], [a, b, c])
    opt.apply([one, None, None], [a, b, c])  # another set of variables warns again
    messages = [str(w.message) for w in recwarn if "Gradients do not exist" in str(w.message)]
    assert len(messages) == 2 and "'c'" in messages[1]


def test_constraint_applied_after_the_step():
    w = kerasx.Variable(np.array([0.5, -0.5], np.float32), constraint=kerasx.constraints.NonNeg())
    optimizers.SGD(1.0).apply_gradients([(np.array([-1.0, -1.0], np.float32), w)])
    np.testing.assert_allclose(w.numpy(), [1.5, 0.5])
    optimizers.SGD(1.0).apply_gradients([(np.array([1.0, 1.0], np.float32), w)])
    np.testing.assert_allclose(w.numpy(), [0.5, 0.0])


def test_global_clipnorm_keeps_each_gradient_dtype():
    """The norm of float32 and float64 gradients together is float64; scaling by it must
    not turn the float32 gradients into float64 ones."""
    seen = []

    class Recording(kerasx.optimizers.SGD):
        def update_step(self, gradient, variable, learning_rate):
            seen.append(gradient.dtype == variable.value.dtype)
            super().update_step(gradient, variable, learning_rate)

    variables = [kerasx.Variable(np.ones(3, np.float32)), kerasx.Variable(np.ones(2, np.float64))]
    grads = [np.full(3, 4.0, np.float32), np.full(2, 4.0, np.float64)]
    Recording(0.1, global_clipnorm=1.0).apply_gradients(zip(grads, variables))
    assert seen == [True, True]
    np.testing.assert_allclose(variables[0].numpy(), 1.0 - 0.1 * 4.0 / np.sqrt(80.0), rtol=1e-6)


def test_a_keras_style_custom_optimizer_trains():
    """An optimizer written as Keras 3's guide writes one: slots from
    `add_variable_from_reference`, updates through `self.assign` / `assign_add` /
    `assign_sub`."""

    class MomentumSGD(kerasx.optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, momentum=0.5, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)
            self.momentum = momentum

        def build(self, variables):
            super().build(variables)
            self.velocities = [self.add_variable_from_reference(v, "velocity")
                               for v in variables]

        def update_step(self, gradient, variable, learning_rate):
            velocity = self.velocities[self._get_variable_index(variable)]
            self.assign(velocity, velocity * self.momentum)
            self.assign_add(velocity, gradient)
            self.assign_sub(variable, velocity * learning_rate)

    w = kerasx.Variable(np.array([1.0, -2.0], np.float32))
    optimizer = MomentumSGD()
    for _ in range(2):
        optimizer.apply_gradients([(np.array([1.0, 1.0], np.float32), w)])
    # velocity 1 then 1.5: w moves by 0.1 then 0.15
    np.testing.assert_allclose(w.numpy(), [0.75, -2.25], rtol=1e-6)
