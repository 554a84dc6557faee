"""`kerasx.random`: seeds and SeedGenerator streams, the distributions, errors, and a
sampling layer of a variational autoencoder trained by `fit`."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import ops, random


def host(x):
    return np.asarray(ops.convert_to_numpy(x))


def test_an_integer_seed_gives_the_same_numbers_at_every_call():
    a = host(random.normal((4, 5), seed=7))
    np.testing.assert_array_equal(a, host(random.normal((4, 5), seed=7)))
    assert not np.array_equal(a, host(random.normal((4, 5), seed=8)))


def test_a_seed_generator_advances_and_repeats_from_its_seed():
    g1, g2 = random.SeedGenerator(3), random.SeedGenerator(3)
    first, second = host(random.uniform((6,), seed=g1)), host(random.uniform((6,), seed=g1))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, host(random.uniform((6,), seed=g2)))
    np.testing.assert_array_equal(second, host(random.uniform((6,), seed=g2)))
    assert g1.state.numpy().tolist() == [3, 2] and g1.get_config()["seed"] == 3


def test_set_random_seed_makes_unseeded_draws_and_generators_repeatable():
    def draws():
        keras.utils.set_random_seed(11)
        g = random.SeedGenerator()
        return host(random.normal((5,))), host(random.normal((5,), seed=g))

    (a1, b1), (a2, b2) = draws(), draws()
    np.testing.assert_array_equal(a1, a2)
    np.testing.assert_array_equal(b1, b2)


def test_the_distributions_have_their_moments():
    n = 200_000
    x = host(random.normal((n,), mean=2.0, stddev=3.0, seed=1))
    assert x.dtype == np.float32 and abs(x.mean() - 2.0) < 0.05 and abs(x.std() - 3.0) < 0.05
    u = host(random.uniform((n,), minval=-1.0, maxval=3.0, seed=2))
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.02
    t = host(random.truncated_normal((n,), mean=1.0, stddev=0.5, seed=3))
    assert t.min() >= 0.0 and t.max() <= 2.0 and abs(t.mean() - 1.0) < 0.01
    g = host(random.gamma((n,), alpha=2.5, seed=4))
    assert abs(g.mean() - 2.5) < 0.03 and abs(g.var() - 2.5) < 0.1
    b = host(random.beta((n,), alpha=2.0, beta=6.0, seed=5))
    assert b.min() >= 0.0 and b.max() <= 1.0 and abs(b.mean() - 0.25) < 0.005
    k = host(random.binomial((n,), counts=10, probabilities=0.3, seed=6))
    assert k.dtype == np.float32 and set(np.unique(k)) <= set(range(11))
    assert abs(k.mean() - 3.0) < 0.03
    d = host(random.normal((3,), dtype="float64", seed=1))
    assert d.dtype == np.float64


def test_distribution_parameters_may_be_arrays():
    alpha = np.array([0.5, 5.0, 50.0])
    g = host(random.gamma((100_000, 3), alpha=alpha, seed=9))
    np.testing.assert_allclose(g.mean(axis=0), alpha, rtol=0.03)
    k = host(random.binomial((100_000, 2), counts=np.array([4.0, 20.0]),
                             probabilities=ops.convert_to_tensor([0.5, 0.1]), seed=2))
    np.testing.assert_allclose(k.mean(axis=0), [2.0, 2.0], rtol=0.03)


def test_randint_covers_its_range_as_int32():
    r = host(random.randint((10_000,), 3, 9, seed=1))
    assert r.dtype == np.int32 and set(np.unique(r)) == set(range(3, 9))
    assert host(random.randint((4,), 0, 5, dtype="int64", seed=1)).dtype == np.int64


def test_categorical_draws_by_the_softmax_of_the_logits():
    logits = np.log(np.array([[0.2, 0.5, 0.3, 0.0], [0.0, 0.0, 0.0, 1.0]]) + 1e-30)
    ids = host(random.categorical(logits, 50_000, seed=4))
    assert ids.shape == (2, 50_000) and ids.dtype == np.int32
    freq = np.stack([np.bincount(row, minlength=4) for row in ids]) / 50_000
    np.testing.assert_allclose(freq[0], [0.2, 0.5, 0.3, 0.0], atol=0.01)
    assert freq[0, 3] == 0.0 and (ids[1] == 3).all()


def test_dropout_zeroes_at_the_rate_scales_the_rest_and_passes_gradients():
    x = ops.convert_to_tensor(np.ones((400, 50), dtype="float32"))
    y = host(random.dropout(x, 0.3, seed=1))
    assert set(np.unique(y)) == {0.0, np.float32(1 / 0.7)}
    assert abs((y == 0).mean() - 0.3) < 0.01
    shared = host(random.dropout(x, 0.5, noise_shape=(None, 1), seed=2))
    assert ((shared == 0).all(axis=1) | (shared != 0).all(axis=1)).all()
    v = keras.Variable(np.ones((20, 10)))
    with keras.GradientTape() as tape:
        out = random.dropout(v, 0.4, seed=5)
        loss = ops.sum(out)
    grad = host(tape.gradient(loss, v))
    np.testing.assert_allclose(grad, host(out))


def test_shuffle_reorders_whole_slices_along_the_axis():
    x = np.arange(24.0).reshape(6, 4)
    rows = host(random.shuffle(x, seed=3))
    assert sorted(map(tuple, rows)) == sorted(map(tuple, x)) and not np.array_equal(rows, x)
    cols = host(random.shuffle(x, axis=1, seed=3))
    np.testing.assert_array_equal(np.sort(cols, axis=1), x)
    v = keras.Variable(x)
    with keras.GradientTape() as tape:
        loss = ops.sum(random.shuffle(v, seed=1) * ops.arange(6.0)[:, None])
    grad = host(tape.gradient(loss, v))
    np.testing.assert_array_equal(np.sort(grad[:, 0]), np.arange(6.0))


@pytest.mark.parametrize("call, match", [
    (lambda: random.normal((2,), seed="1"), "seed"),
    (lambda: random.SeedGenerator(1.5), "integer seed"),
    (lambda: random.normal((2,), dtype="int32"), "float dtype"),
    (lambda: random.randint((2,), 5, 5), "minval < maxval"),
    (lambda: random.dropout(np.ones(3), 1.5), "rate"),
    (lambda: random.categorical(np.zeros(3), 2), r"\(batch, classes\)"),
    (lambda: random.uniform((2, -1)), "non-negative"),
    (lambda: random.shuffle(np.arange(6), axis=2), "not an axis"),
])
def test_bad_arguments_are_refused(call, match):
    with pytest.raises(ValueError, match=match):
        call()


class Sampling(keras.layers.Layer):
    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        eps = random.normal(ops.shape(mean), seed=self.seed_generator)
        return mean + ops.exp(0.5 * log_var) * eps


def _vae_like(seed):
    keras.utils.set_random_seed(0)
    inputs = keras.Input((6,))
    mean = keras.layers.Dense(2)(inputs)
    log_var = keras.layers.Dense(2)(inputs)
    z = Sampling(seed=seed)([mean, log_var])
    model = keras.Model(inputs, keras.layers.Dense(6)(z))
    model.compile(optimizer="adam", loss="mse")
    return model


def test_a_sampling_layer_trains_and_repeats_with_its_seed():
    x = np.random.default_rng(0).standard_normal((64, 6)).astype("float32")
    runs = []
    for _ in range(2):
        model = _vae_like(seed=5)
        history = model.fit(x, x, epochs=5, batch_size=16, verbose=0).history["loss"]
        runs.append((history, model.predict(x, verbose=0)))
    (history, first), (_, second) = runs
    assert history[-1] < history[0]
    np.testing.assert_array_equal(first, second)


class Noise(keras.layers.Layer):
    """Adds normal noise at every call, training or not (as a VAE's sampling layer)."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.seed_generator = random.SeedGenerator(1337)

    def call(self, x):
        return x + random.normal(ops.shape(x), seed=self.seed_generator)


def _noisy_model():
    keras.backend.clear_session()
    inputs = keras.Input((3,))
    hidden = keras.layers.Dense(3)(inputs)
    noise = Noise()
    model = keras.Model(inputs, keras.layers.Dense(1)(noise(hidden)))
    return model, noise.seed_generator


def test_a_seed_generators_state_is_a_variable_of_the_layer_not_a_weight():
    model, generator = _noisy_model()
    state = generator.state
    assert (state.path, state.dtype, state.shape, state.trainable) == (
        "seed_generator/seed_generator_state", "uint32", (2,), False)
    assert [v.path for v in model.variables] == [
        "dense/kernel", "dense/bias", "seed_generator/seed_generator_state", "dense_1/kernel",
        "dense_1/bias"]
    assert model.non_trainable_variables == [state]
    assert all(w is not state for w in model.weights) and len(model.weights) == 4
    tree = model.get_state_tree()["non_trainable_variables"]
    assert host(tree["seed_generator"]["seed_generator_state"]).tolist() == [1337, 0]


def test_draws_are_counted_as_keras_counts_them():
    # Keras 3.15.1 with the same program: [1337, n] for n = 0, 1, 2, 4, 5 (building the
    # model on Inputs draws nothing, each call, predict batch and training step draws once)
    model, generator = _noisy_model()
    x, y = np.ones((8, 3), "float32"), np.ones((8, 1), "float32")
    counts = [generator.draws]
    model(x[:2])
    counts.append(generator.draws)
    model.predict(x[:2], verbose=0)
    counts.append(generator.draws)
    model.compile("adam", "mse")
    model.fit(x, y, epochs=2, verbose=0)
    counts.append(generator.draws)
    model.evaluate(x, y, verbose=0)
    counts.append(generator.draws)
    assert counts == [0, 1, 2, 4, 5]
    assert generator.state.numpy().tolist() == [1337, 5]


def test_stateless_call_reads_and_returns_the_generators_state():
    model, generator = _noisy_model()
    x = np.ones((2, 3), "float32")
    trainable = [v.value for v in model.trainable_variables]
    state = [v.value for v in model.non_trainable_variables]
    first, advanced = model.stateless_call(trainable, state, x)
    again, _ = model.stateless_call(trainable, state, x)
    np.testing.assert_array_equal(host(first), host(again))  # the same state, the same noise
    assert host(advanced[0]).tolist() == [1337, 1] and generator.draws == 0
    later, _ = model.stateless_call(trainable, advanced, x)
    assert not np.array_equal(host(first), host(later))
    np.testing.assert_array_equal(host(model(x)), host(first))  # eager: draw 1 too


def test_assigning_the_state_repeats_the_draws():
    generator = random.SeedGenerator(4)
    first = host(random.uniform((5,), seed=generator))
    generator.state.assign([4, 0])
    np.testing.assert_array_equal(host(random.uniform((5,), seed=generator)), first)
    with pytest.raises(ValueError, match=r"two numbers \[seed, draws\]"):
        generator.state.assign([1, 2, 3])
