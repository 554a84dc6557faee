"""ScheduleFreeAdamW: the sequences it keeps (z starts at the variable, the recovered x
is the running mean of the z's), warm-up, training and saving through a model, and
argument errors (the numerics against Keras are in test_optimizers_more_golden.py)."""

import numpy as np
import pytest

import kerasx
from kerasx import optimizers
from kerasx.testing import float64


def test_z_starts_as_a_copy_of_the_variable():
    w = kerasx.Variable(np.arange(6, dtype="float32").reshape(2, 3), name="w")
    opt = optimizers.ScheduleFreeAdamW()
    opt.build([w])
    z = opt._momentums[0]
    np.testing.assert_array_equal(z.numpy(), w.numpy())
    w.assign(np.zeros((2, 3), "float32"))
    np.testing.assert_array_equal(z.numpy(), np.arange(6).reshape(2, 3))
    assert [v.name for v in opt.variables] == ["iteration", "learning_rate", "w_momentum",
                                               "w_velocity"]


@pytest.mark.parametrize("beta_1, warmup", [(0.9, 0), (0.5, 3)])
def test_variable_interpolates_z_and_the_mean_of_the_zs(beta_1, warmup):
    """After t steps the variable is (1 - beta_1) z_t + beta_1 mean(z_1..z_t); each z
    step is an Adam-scaled gradient step (no first moment) with a warmed-up rate."""
    rng = np.random.default_rng(3)
    w0 = rng.standard_normal((3, 2))
    grads = rng.standard_normal((5, 3, 2))
    lr, beta_2, eps = 0.1, 0.99, 1e-8
    with float64():
        w = kerasx.Variable(w0, name="w")
        opt = optimizers.ScheduleFreeAdamW(learning_rate=lr, beta_1=beta_1, beta_2=beta_2,
                                           epsilon=eps, warmup_steps=warmup)
        z, v, zs = w0.copy(), np.zeros_like(w0), []
        for t, g in enumerate(grads, start=1):
            opt.apply_gradients([(g, w)])
            v = beta_2 * v + (1 - beta_2) * g * g
            rate = lr * (min(t / warmup, 1.0) if warmup else 1.0)
            z = z - rate * g / (np.sqrt(v / (1 - beta_2 ** t)) + eps)
            zs.append(z)
            np.testing.assert_allclose(opt._momentums[0].numpy(), z, rtol=1e-12)
            expected = (1 - beta_1) * z + beta_1 * np.mean(zs, axis=0)
            np.testing.assert_allclose(w.numpy(), expected, rtol=1e-10, atol=1e-12)


def test_fit_trains_and_resumes_after_save(tmp_path):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((64, 4)).astype("float32")
    y = (x @ rng.standard_normal((4, 1))).astype("float32")
    model = kerasx.Sequential([kerasx.Input((4,)), kerasx.layers.Dense(8, activation="relu"),
                               kerasx.layers.Dense(1)])
    model.compile(optimizer=optimizers.ScheduleFreeAdamW(0.05, warmup_steps=4,
                                                         weight_decay=0.01), loss="mse")
    history = model.fit(x, y, batch_size=16, epochs=10, shuffle=False, verbose=0)
    assert history.history["loss"][-1] < 0.5 * history.history["loss"][0]
    path = str(tmp_path / "sf.keras")
    model.save(path)
    loaded = kerasx.models.load_model(path)
    assert loaded.optimizer.get_config() == model.optimizer.get_config()
    for a, b in zip(model.optimizer.variables, loaded.optimizer.variables):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    model.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    loaded.fit(x, y, batch_size=16, epochs=1, shuffle=False, verbose=0)
    for a, b in zip(model.get_weights(), loaded.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


def test_get_by_name_and_default_name():
    kerasx.utils.clear_session(free_memory=False)
    opt = optimizers.get("ScheduleFreeAdamW")
    assert type(opt) is optimizers.ScheduleFreeAdamW and opt.name == "schedule_free_adam_w"
    assert type(optimizers.get("schedulefreeadamw")) is optimizers.ScheduleFreeAdamW


@pytest.mark.parametrize("kwargs, message", [
    ({"beta_1": 0.0}, "beta_1"),
    ({"beta_1": 1.5}, "beta_1"),
    ({"beta_2": 1.0}, "beta_2"),
    ({"beta_2": "0.9"}, "beta_2"),
    ({"warmup_steps": -1}, "warmup_steps"),
    ({"warmup_steps": 2.5}, "warmup_steps"),
    ({"warmup": 10}, "not recognized"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        optimizers.ScheduleFreeAdamW(**kwargs)
