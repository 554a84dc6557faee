"""Gradients of gradients: nested tapes (gradient penalties, second derivatives) against
central finite differences of first-order gradients in float64."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import GradientTape, Variable, layers, ops
from tests.conftest import to_numpy
from tests.sampled_gradcheck import sample_indices

EPS = 1e-6


def _first_order_gradients(fn, values, watch):
    """The gradients of `fn` at `values` with respect to the inputs in `watch` (one tape)."""
    xs = [Variable(v) if i in watch else ops.convert_to_tensor(v) for i, v in enumerate(values)]
    with GradientTape() as tape:
        y = fn(*xs)
    return [to_numpy(g) for g in tape.gradient(y, [xs[i] for i in watch])]


def check_second_order(fn, values, watch=None, outer=None, rtol=1e-6, atol=1e-7):
    """Checks the derivative, with respect to every input in `outer`, of
    `phi = sum_i <r_i, d fn / d x_i>` (the first gradients, for `x_i` in `watch`, taken
    by an inner tape inside an outer one) against central finite differences of phi, at
    every element of an input of up to `sample_indices`'s limit and a covering sample of
    a larger one."""
    values = [np.asarray(v, np.float64) for v in values]
    watch = list(range(len(values))) if watch is None else list(watch)
    outer = watch if outer is None else list(outer)
    rng = np.random.default_rng(0)
    weights = [rng.normal(size=values[i].shape) for i in watch]

    def phi(vals):
        grads = _first_order_gradients(fn, vals, watch)
        return sum(float(np.sum(w * g)) for w, g in zip(weights, grads))

    xs = [Variable(v) if i in set(watch) | set(outer) else ops.convert_to_tensor(v)
          for i, v in enumerate(values)]
    with GradientTape() as outer_tape:
        with GradientTape() as inner_tape:
            y = fn(*xs)
        grads = inner_tape.gradient(y, [xs[i] for i in watch])
        penalty = sum(ops.sum(g * w) for g, w in zip(grads, weights))
    got = outer_tape.gradient(penalty, [xs[i] for i in outer])
    for i, g in zip(outer, got):
        picked = sample_indices(values[i].shape)
        expected = np.zeros(len(picked))
        for j, k in enumerate(picked):
            up = [v.copy() for v in values]
            down = [v.copy() for v in values]
            up[i].reshape(-1)[k] += EPS  # a view: the copies are contiguous
            down[i].reshape(-1)[k] -= EPS
            expected[j] = (phi(up) - phi(down)) / (2 * EPS)
        assert g is not None, f"no second-order gradient for input {i}"
        np.testing.assert_allclose(np.reshape(to_numpy(g), -1)[picked], expected, rtol=rtol,
                                   atol=atol, err_msg=f"input {i} at flat indices {picked}")


def _values(*shapes, low=-1.0, high=1.0, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.uniform(low, high, size=s) for s in shapes]


def _away_from_zero(*shapes, seed=1):
    rng = np.random.default_rng(seed)
    return [rng.choice([-1.0, 1.0], size=s) * rng.uniform(0.2, 1.0, size=s) for s in shapes]


ELEMENTWISE = {
    "add": (lambda x, y: ops.sum(ops.square(x + y) * x), _values((2, 3), (3,))),
    "subtract": (lambda x, y: ops.sum(ops.square(x - y) * y), _values((2, 3), (2, 1))),
    "multiply": (lambda x, y: ops.sum(x * y * x * y), _values((2, 3), (3,))),
    "divide": (lambda x, y: ops.sum(x / y), _values((2, 3), (3,), low=0.5, high=2.0)),
    "negative": (lambda x: ops.sum(ops.negative(x) * x * x), _values((4,))),
    "square": (lambda x: ops.sum(ops.square(ops.square(x))), _values((4,))),
    "sqrt": (lambda x: ops.sum(ops.sqrt(x) * x), _values((4,), low=0.5, high=2.0)),
    "power": (lambda x: ops.sum(x ** 3 + x ** 2), _values((4,))),
    "power_tensor": (lambda x, y: ops.sum(x ** y), _values((3,), (3,), low=0.5, high=2.0)),
    "exp_log": (lambda x: ops.sum(ops.exp(x) * ops.log(x)), _values((4,), low=0.5, high=2.0)),
    "sin_cos": (lambda x: ops.sum(ops.sin(x) * ops.cos(x * x)), _values((4,))),
    "tanh": (lambda x: ops.sum(ops.tanh(x) * x), _values((5,))),
    "sigmoid": (lambda x: ops.sum(ops.sigmoid(x) * x), _values((5,))),
    "relu": (lambda x: ops.sum(ops.relu(x) * x * x), _away_from_zero((6,))),
    "leaky_relu": (lambda x: ops.sum(ops.leaky_relu(x, 0.2) * x * x), _away_from_zero((6,))),
    "maximum": (lambda x, y: ops.sum(ops.maximum(x, y) * x * y), _away_from_zero((5,), (5,))),
    "abs": (lambda x: ops.sum(ops.abs(x) * x * x), _away_from_zero((5,))),
    "minimum": (lambda x, y: ops.sum(ops.minimum(x, y) * x * y), _away_from_zero((5,), (5,))),
    "softplus": (lambda x: ops.sum(ops.softplus(x) * x), _values((5,))),
    "clip": (lambda x: ops.sum(ops.clip(x, -0.5, 0.5) * x * x), _away_from_zero((6,))),
    "expm1_log1p": (lambda x: ops.sum(ops.expm1(x) * ops.log1p(x)), _values((4,), low=0.1)),
    "reciprocal": (lambda x: ops.sum(ops.reciprocal(x) * x * x * x),
                   _values((4,), low=0.5, high=2.0)),
    "where": (lambda x, y: ops.sum(ops.where(x > 0, x * x, y * x)), _away_from_zero((5,), (5,))),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_second_derivatives_of_elementwise_ops(name):
    fn, values = ELEMENTWISE[name]
    check_second_order(fn, values)


def test_an_untracked_operand_is_a_constant_of_the_recorded_backward():
    c = np.array([0.5, -1.5, 2.0])
    check_second_order(lambda x, y: ops.sum(x * x * y / c), _values((3,), (3,)), watch=[0],
                       outer=[0, 1])


STRUCTURAL = {
    "sum_axes": (lambda x: ops.sum(ops.square(ops.sum(x, axis=(0, 2)))), _values((2, 3, 2))),
    "mean_keepdims": (lambda x: ops.sum(ops.square(ops.mean(x, axis=1, keepdims=True)) * x),
                      _values((2, 3))),
    # a float64 Flatten: a float32 one reads its input in float32, as Keras's layers
    "reshape_flatten": (lambda x: ops.sum(ops.square(ops.reshape(x, (3, 2))) @ np.ones((2, 1))
                                          * ops.reshape(layers.Flatten(dtype="float64")(x[:1]),
                                                        (3, 1))),
                        _values((2, 3))),
    "transpose": (lambda x: ops.sum(ops.transpose(x) * ops.transpose(x) @ x), _values((2, 2))),
    "broadcast_to": (lambda x: ops.sum(ops.square(ops.broadcast_to(x, (3, 2, 4)))),
                     _values((2, 1))),
    "getitem": (lambda x: ops.sum(ops.square(x[1:, ::2]) * x[:1, :2]), _values((3, 4))),
    "pad": (lambda x: ops.sum(ops.square(ops.pad(x, ((1, 0), (2, 1)))) @ np.ones((6, 1))),
            _values((2, 3))),
    "concatenate": (lambda x, y: ops.sum(ops.square(ops.concatenate([x, y * x], axis=0))),
                    _values((2, 2), (1, 2))),
    "matmul": (lambda a, b: ops.sum(ops.square(ops.matmul(a, b))), _values((2, 3), (3, 2))),
    "matmul_batched": (lambda a, b: ops.sum(ops.tanh(a @ b)), _values((2, 2, 3), (3, 2))),
    "dense": (lambda x, w, b: ops.sum(ops.tanh(ops.dense(x, w, b))),
              _values((3, 4), (4, 2), (2,))),
    "dense_constant_input": (lambda w, b: ops.sum(ops.tanh(ops.dense(np.full((2, 3), 0.7), w, b))),
                             _values((3, 2), (2,))),
    "dense_3d": (lambda x, w, b: ops.sum(ops.square(ops.dense(x, w, b, relu=True))),
                 _values((2, 2, 3), (3, 2), (2,), seed=3)),
}


@pytest.mark.parametrize("name", sorted(STRUCTURAL))
def test_second_derivatives_of_reductions_shapes_and_products(name):
    fn, values = STRUCTURAL[name]
    check_second_order(fn, values)


@pytest.mark.parametrize("padding,strides", [("same", 2), ("valid", 1), ("same", 1)])
def test_second_derivatives_through_a_convolution(padding, strides):
    def fn(x, w, b):
        y = ops.conv(x, w, strides=strides, padding=padding, data_format="channels_last")
        return ops.sum(ops.tanh(y + b) * y)

    check_second_order(fn, _values((2, 5, 5, 2), (3, 3, 2, 3), (3,)), rtol=1e-5, atol=1e-6)


def test_second_derivatives_through_a_channels_first_convolution_with_fused_bias():
    def fn(x, w, b):
        y = ops.conv(x, w, strides=2, padding="same", data_format="channels_first", bias=b)
        return ops.sum(ops.square(y) * y)

    check_second_order(fn, _values((1, 2, 4, 4), (2, 2, 2, 2), (2,)), rtol=1e-5, atol=1e-6)


def test_second_derivatives_through_a_dilated_causal_1d_convolution():
    def fn(x, w):
        return ops.sum(ops.sigmoid(ops.conv(x, w, padding="causal", dilation_rate=2)) * x)

    check_second_order(fn, _values((2, 7, 2), (3, 2, 2)), rtol=1e-5, atol=1e-6)


def test_second_derivative_through_a_cast():
    x = Variable(np.array([0.5, -1.5, 2.0]))
    with GradientTape() as outer:
        with GradientTape() as inner:
            y = ops.sum(ops.cast(x, "float32") ** 3)
        g = inner.gradient(y, x)
        assert g.dtype == "float64"
        total = ops.sum(g)
    np.testing.assert_allclose(to_numpy(outer.gradient(total, x)), 6 * to_numpy(x), rtol=1e-6)


def test_kernel_second_derivative_of_a_convolution_on_constant_input():
    # the input takes no gradient: the kernel's is rebuilt from the kept im2col matrix
    x = ops.convert_to_tensor(_values((2, 4, 4, 2))[0])

    def fn(w):
        return ops.sum(ops.tanh(ops.conv(x, w, strides=2, padding="same")))

    check_second_order(fn, _values((3, 3, 2, 2)), rtol=1e-5, atol=1e-6)


def _critic():
    """A small WGAN-GP critic: conv same/stride 2, leaky ReLU, dropout, flatten, dense."""
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        layers.ZeroPadding2D((1, 1)),
        layers.Conv2D(4, 3, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Conv2D(4, 3, strides=2, padding="same"),
        layers.LeakyReLU(0.2),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dropout(0.2),
        layers.Dense(1),
    ])


def _gradient_penalty(critic, interpolated):
    with GradientTape() as gp_tape:
        gp_tape.watch(interpolated)
        pred = critic(interpolated, training=False)
    grads = gp_tape.gradient(pred, [interpolated])[0]
    norm = ops.sqrt(ops.sum(ops.square(grads), axis=[1, 2, 3]))
    return ops.mean((norm - 1.0) ** 2)


def test_gradient_penalty_of_a_conv_critic_against_finite_differences():
    keras.config.set_floatx("float64")
    critic = _critic()
    rng = np.random.default_rng(0)
    images = rng.normal(size=(2, 8, 8, 1))
    interpolated = ops.convert_to_tensor(images)
    with GradientTape() as tape:
        penalty = _gradient_penalty(critic, interpolated)
    grads = tape.gradient(penalty, critic.trainable_weights)
    # every kernel is reached; a bias only moves the leaky ReLUs' kinks (or, the last one,
    # not the input gradient at all): its derivative is zero and it is left unconnected
    assert all(g is not None for w, g in zip(critic.trainable_weights, grads)
               if "kernel" in w.path)

    def penalty_at():
        with GradientTape() as gp_tape:
            x = ops.convert_to_tensor(images)
            gp_tape.watch(x)
            pred = critic(x, training=False)
        g = to_numpy(gp_tape.gradient(pred, x))
        return np.mean((np.sqrt(np.sum(g ** 2, axis=(1, 2, 3))) - 1.0) ** 2)

    for weight, grad in zip(critic.trainable_weights, grads):
        base = to_numpy(weight)
        flat_grad = np.zeros(base.size) if grad is None else to_numpy(grad).ravel()
        for k in range(0, base.size, max(1, base.size // 6)):
            values = []
            for step in (EPS, -EPS):
                moved = base.copy().ravel()
                moved[k] += step
                weight.assign(moved.reshape(base.shape))
                values.append(penalty_at())
            weight.assign(base)
            np.testing.assert_allclose(flat_grad[k], (values[0] - values[1]) / (2 * EPS),
                                       rtol=1e-5, atol=1e-8)


def _pinn():
    return keras.Sequential([keras.Input((1,)), layers.Dense(8, activation="tanh"),
                             layers.Dense(8, activation="tanh"), layers.Dense(1)])


def _u_xx(model, x):
    with GradientTape() as second:
        second.watch(x)
        with GradientTape() as first:
            first.watch(x)
            u = model(x)
        u_x = first.gradient(u, x)
    return second.gradient(u_x, x)


def test_pinn_second_derivative_and_its_weight_gradients():
    keras.config.set_floatx("float64")
    model = _pinn()
    points = np.linspace(-1.0, 1.0, 5)[:, None]
    x = ops.convert_to_tensor(points)
    with GradientTape() as tape:
        u_xx = _u_xx(model, x)
        residual = ops.mean(ops.square(u_xx + ops.sin(x)))
    grads = tape.gradient(residual, model.trainable_weights)

    def u(p):
        return to_numpy(model(ops.convert_to_tensor(p)))

    h = 1e-4
    fd_u_xx = (u(points + h) - 2 * u(points) + u(points - h)) / h ** 2
    np.testing.assert_allclose(to_numpy(u_xx), fd_u_xx, rtol=1e-5, atol=1e-6)

    def residual_at():
        at = ops.convert_to_tensor(points)
        return float(ops.mean(ops.square(ops.add(_u_xx(model, at), ops.sin(at)))))

    # u_xx does not depend on the output bias: its gradient alone is None
    assert [g is None for g in grads] == [False] * 5 + [True]
    for weight, grad in zip(model.trainable_weights, grads):
        base = to_numpy(weight)
        grad = np.zeros(base.shape) if grad is None else grad
        for k in range(0, base.size, max(1, base.size // 4)):
            values = []
            for step in (EPS, -EPS):
                moved = base.copy().ravel()
                moved[k] += step
                weight.assign(moved.reshape(base.shape))
                values.append(residual_at())
            weight.assign(base)
            np.testing.assert_allclose(to_numpy(grad).ravel()[k],
                                       (values[0] - values[1]) / (2 * EPS), rtol=1e-5, atol=1e-8)


def test_pinn_trains_on_its_second_derivative():
    keras.config.set_floatx("float64")
    model = _pinn()
    optimizer = keras.optimizers.Adam(0.01)
    x = ops.convert_to_tensor(np.linspace(-1.0, 1.0, 16)[:, None])
    weights = model.trainable_weights[:-1]  # u_xx does not depend on the output bias
    losses = []
    for _ in range(60):
        with GradientTape() as tape:
            loss = ops.mean(ops.square(_u_xx(model, x) + ops.sin(x)))
        optimizer.apply(tape.gradient(loss, weights), weights)
        losses.append(float(loss))
    assert losses[-1] < 0.2 * losses[0]


class _WGAN(keras.Model):
    """The keras.io WGAN-GP step: critic loss plus a weighted gradient penalty."""

    def __init__(self, critic, generator):
        super().__init__()
        self.critic = critic
        self.generator = generator
        self.penalty_grads = None

    def compile(self, d_optimizer, **kwargs):
        super().compile(**kwargs)
        self.d_optimizer = d_optimizer

    def train_step(self, real_images):
        batch = ops.shape(real_images)[0]
        noise = keras.random.normal((batch, 4))
        with GradientTape() as tape:
            fake = self.generator(noise, training=True)
            fake_logits = self.critic(fake, training=True)
            real_logits = self.critic(real_images, training=True)
            d_cost = ops.mean(fake_logits) - ops.mean(real_logits)
            alpha = keras.random.uniform((batch, 1, 1, 1))
            interpolated = real_images + alpha * (fake - real_images)
            gp = _gradient_penalty(self.critic, interpolated)
            d_loss = d_cost + 10.0 * gp
        with GradientTape() as gp_only:
            gp_again = _gradient_penalty(self.critic, real_images + 0.5 * (fake - real_images))
        self.penalty_grads = gp_only.gradient(gp_again, self.critic.trainable_weights)
        grads = tape.gradient(d_loss, self.critic.trainable_weights)
        self.d_optimizer.apply(grads, self.critic.trainable_weights)
        return {"d_loss": d_loss, "gp": gp}


@pytest.mark.parametrize("jit_compile", [False, "auto"])
def test_wgan_gp_train_step_in_fit(jit_compile):
    critic = _critic()
    generator = keras.Sequential([keras.Input((4,)), layers.Dense(64, activation="tanh"),
                                  layers.Reshape((8, 8, 1))])
    model = _WGAN(critic, generator)
    model.compile(keras.optimizers.Adam(1e-3), jit_compile=jit_compile)
    images = np.random.default_rng(0).normal(size=(32, 8, 8, 1)).astype("float32")
    history = model.fit(images, batch_size=8, epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["d_loss"]))
    assert np.all(np.array(history.history["gp"]) > 0)
    for weight, grad in zip(critic.trainable_weights, model.penalty_grads):
        if "kernel" in weight.path:  # biases: see the finite-difference test above
            assert grad is not None and np.any(to_numpy(grad) != 0), weight.path


def test_persistent_tape_differentiates_its_own_gradients_again():
    x = Variable(np.array([0.5, -1.0, 2.0]))
    with GradientTape(persistent=True) as tape:
        y = ops.sum(x ** 3)
        dy = tape.gradient(y, x)
        d2y = tape.gradient(ops.sum(dy), x)
    np.testing.assert_allclose(to_numpy(dy), 3 * to_numpy(x) ** 2)
    np.testing.assert_allclose(to_numpy(d2y), 6 * to_numpy(x))
    # asked again outside the block, it still answers (first order)
    np.testing.assert_allclose(to_numpy(tape.gradient(d2y, x)), [6.0, 6.0, 6.0])


def test_persistent_outer_tape_answers_twice():
    x = Variable(np.array([0.5, -1.0]))
    with GradientTape(persistent=True) as outer:
        with GradientTape() as inner:
            y = ops.sum(ops.tanh(x) * x)
        g = inner.gradient(y, x)
        penalty = ops.sum(g * g)
    first = to_numpy(outer.gradient(penalty, x))
    again = to_numpy(outer.gradient(penalty, x))
    np.testing.assert_allclose(first, again)
    check_second_order(lambda v: ops.sum(ops.tanh(v) * v), [to_numpy(x)])


def test_third_derivative_through_three_tapes():
    x = Variable(np.array([0.3, 1.1]))
    with GradientTape() as t3:
        with GradientTape() as t2:
            with GradientTape() as t1:
                y = ops.sum(ops.sin(x) * x)
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    d3 = t3.gradient(d2, x)
    v = to_numpy(x)
    # (x sin x)''' = -3 sin x - x cos x
    np.testing.assert_allclose(to_numpy(d3), -3 * np.sin(v) - v * np.cos(v), rtol=1e-10)


def _cube_without_a_rule(x):
    """An op recorded with a hand-written VJP and no differentiable rule."""
    from kerasx.autodiff.tape import record

    return record(x.value ** 3, (x,), lambda g: (3.0 * x.value ** 2 * g,))


def test_an_op_without_a_differentiable_rule_raises_naming_it():
    x = Variable(np.array([[0.2, -0.4, 1.0]]))
    with GradientTape() as outer:
        with GradientTape() as inner:
            y = ops.sum(ops.sin(_cube_without_a_rule(x * 2.0)) * x)
        g = inner.gradient(y, x)
        penalty = ops.sum(g * g)
    # the first-order gradient itself is right
    v = to_numpy(x)
    np.testing.assert_allclose(to_numpy(g), np.sin(8 * v ** 3)
                               + 24 * v ** 3 * np.cos(8 * v ** 3))
    with pytest.raises(NotImplementedError, match=r"second derivatives\) are not available "
                                                 r"through `tests\.autodiff\.test_higher_order\."
                                                 r"_cube_without_a_rule`.*Available for: "
                                                 r".*conv.*dense.*fft") as error:
        outer.gradient(penalty, x)
    # the list names public ops, internal nodes by the ops they serve
    listed = str(error.value).split("Available for: ")[1]
    assert "max_pool" in listed and "elu, erf" in listed and "take_gradient" not in listed


def test_ops_outside_the_path_to_the_sources_need_no_rule():
    # the inner gradient is taken with respect to `h`, after an op without a rule
    x = Variable(np.array([[0.2, -0.4, 1.0]]))
    with GradientTape() as outer:
        h = ops.rfft(x)[0]
        with GradientTape() as inner:
            inner.watch(h)
            y = ops.sum(ops.tanh(h) * h)
        g = inner.gradient(y, h)
        penalty = ops.sum(ops.square(g))
    # the outer pass goes through rfft once: its first-order rule is enough
    assert outer.gradient(penalty, x) is not None
    w = Variable(np.array([0.5, 2.0]))
    with GradientTape() as outer:
        h = ops.rfft(ops.convert_to_tensor(np.array([[0.2, -0.4, 1.0]])))[0]
        with GradientTape() as inner:
            y = ops.sum(ops.tanh(h * w) * w)
        g = inner.gradient(y, w)
        penalty = ops.sum(ops.square(g))
    assert outer.gradient(penalty, w) is not None
