"""Training setups where Keras 3.15.1 and kerasx were compared and the difference traced.

- Validation of a dict-output model with per-timestep outputs (a sparse head among them):
  kerasx gives Keras's values.
- `LossScaleOptimizer(Nadam)`: kerasx steps exactly as `Nadam` alone. Keras 3.15.1 on JAX
  does not: `LossScaleOptimizer.build` turns automatic tracking off while it builds the
  inner optimizer, so Nadam's running product of momentum factors (`_u_product`, a plain
  `backend.Variable`) is not among `inner_optimizer.variables`; the stateless JAX step
  then reads it as 1.0 every step and drops its update.
- A head without a loss under decoupled weight decay: its variables get no gradient and
  are left alone, as in Keras's TensorFlow and PyTorch trainers (whose optimizers drop
  None gradients, with "Gradients do not exist" warnings). Keras's JAX trainer
  differentiates every trainable variable, so such a head gets zero gradients and
  decays (0.1 becomes 0.09025 after two steps of SGD(0.1, weight_decay=0.5)).
"""

import numpy as np
import pytest

import kerasx as keras


def _dict_output_sequence_model():
    steps = 3
    rng = np.random.default_rng(356)
    def batch(rows):
        x = [rng.normal(size=(rows, steps, 2)).astype("float32") for _ in range(2)]
        y = {"out_0": rng.normal(size=(rows, steps, 2)).astype("float32"),
             "headc": rng.integers(0, 4, size=(rows, steps)).astype("int32")}
        return x, y
    train, val = batch(12), batch(7)
    inputs = [keras.Input((steps, 2), name=f"in{i}") for i in range(2)]
    hidden = keras.layers.Concatenate()(inputs)
    model = keras.Model(inputs, {
        "out_0": keras.layers.Dense(2, name="out_0")(hidden),
        "headc": keras.layers.Dense(4, activation="softmax", name="headc")(hidden)})
    model.set_weights([np.linspace(-1, 1, w.size).reshape(w.shape).astype("float32")
                       for w in model.get_weights()])
    return model, train, val


def test_validation_of_per_timestep_dict_outputs_with_a_sparse_head():
    model, (x, y), (xv, yv) = _dict_output_sequence_model()
    model.compile(optimizer=keras.optimizers.SGD(0.1),
                  loss={"out_0": "cosine_similarity",
                        "headc": "sparse_categorical_crossentropy"},
                  loss_weights={"out_0": 2.0, "headc": 0.5},
                  metrics={"headc": ["sparse_categorical_accuracy"]})
    history = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False,
                        validation_data=(xv, yv)).history
    # Keras 3.15.1 gives these (JAX backend, same data and initial weights)
    keras_values = {
        "headc_loss": [1.742302, 1.715996], "headc_sparse_categorical_accuracy": [0.194444] * 2,
        "loss": [0.976018, 0.943898], "out_0_loss": [0.052434, 0.04295],
        "val_headc_loss": [1.485204, 1.476492],
        "val_headc_sparse_categorical_accuracy": [0.333333] * 2,
        "val_loss": [0.419743, 0.410195], "val_out_0_loss": [-0.161429, -0.164026]}
    assert list(history) == list(keras_values)
    for key, want in keras_values.items():
        np.testing.assert_allclose(history[key], want, rtol=1e-5, atol=2e-6, err_msg=key)
    # the last validation loss of the sparse head: mean over samples and time steps
    probs = np.asarray(model.predict(xv, verbose=0)["headc"], np.float64)
    picked = np.take_along_axis(probs, yv["headc"][..., None].astype(np.int64), -1)
    np.testing.assert_allclose(history["val_headc_loss"][-1], -np.log(picked).mean(),
                               rtol=1e-5)


def _nadam_reference(x, y, kernel, steps, lr=0.1, beta_1=0.9, beta_2=0.999, eps=1e-7):
    """Nadam (Keras's formulas, float64) on the mse of a bias-free Dense layer."""
    kernel = kernel.astype(np.float64)
    m, v, u_product = np.zeros_like(kernel), np.zeros_like(kernel), 1.0
    for t in range(1, steps + 1):
        grad = x.T @ (2.0 * (x @ kernel - y) / y.size)
        u_t = beta_1 * (1 - 0.5 * 0.96 ** t)
        u_t_1 = beta_1 * (1 - 0.5 * 0.96 ** (t + 1))
        u_product *= u_t
        m += (grad - m) * (1 - beta_1)
        v += (grad ** 2 - v) * (1 - beta_2)
        m_hat = u_t_1 * m / (1 - u_product * u_t_1) + (1 - u_t) * grad / (1 - u_product)
        v_hat = v / (1 - beta_2 ** t)
        kernel -= lr * m_hat / (np.sqrt(v_hat) + eps)
    return kernel


def test_loss_scaled_nadam_keeps_its_momentum_product_across_steps():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    kernel = np.full((3, 2), 0.1, np.float32)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, use_bias=False)])
    model.set_weights([kernel])
    model.compile(loss="mse", optimizer=keras.optimizers.LossScaleOptimizer(
        keras.optimizers.Nadam(learning_rate=0.1), initial_scale=2.0 ** 15,
        dynamic_growth_steps=2))
    for _ in range(3):
        model.train_on_batch(x, y)
    # Keras 3.15.1 on JAX restarts the product from 1.0 at every step (see the module
    # docstring): its kernel differs from step 2 on
    np.testing.assert_allclose(model.get_weights()[0], _nadam_reference(x, y, kernel, 3),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.filterwarnings("ignore:Gradients do not exist")
def test_weight_decay_leaves_a_head_without_loss_alone():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 3)).astype("float32")
    y = rng.normal(size=(8, 2)).astype("float32")
    inputs = keras.Input((3,))
    model = keras.Model(inputs, [keras.layers.Dense(2, name="a")(inputs),
                                 keras.layers.Dense(2, name="b")(inputs)])
    start = [np.full((3, 2), 0.1, np.float32), np.zeros(2, np.float32)] * 2
    model.set_weights(start)
    model.compile(optimizer=keras.optimizers.SGD(0.1, weight_decay=0.5), loss=[None, "mse"])
    with pytest.warns(UserWarning, match=r"Gradients do not exist for variables \['a/kernel'"):
        model.fit(x, [y, y], batch_size=4, epochs=1, verbose=0, shuffle=False)
    after = model.get_weights()
    np.testing.assert_array_equal(after[0], start[0])
    np.testing.assert_array_equal(after[1], start[1])
    assert not np.allclose(after[2], start[2])


def test_one_per_timestep_sample_weight_for_several_outputs_is_refused():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(6, 3, 2)).astype("float32")
    y = [rng.normal(size=(6, 3, 1)).astype("float32")] * 2
    inputs = keras.Input((3, 2))
    model = keras.Model(inputs, [keras.layers.Dense(1)(inputs), keras.layers.Dense(1)(inputs)])
    model.compile(optimizer="sgd", loss=["mse", "mse"])
    per_timestep = np.ones((6, 3), np.float32)
    # Keras 3.15.1 raises "For a model with multiple outputs, when providing a single
    # `sample_weight` array, it should only have one scalar score per sample" in fit and
    # evaluate (its array adapter); train_on_batch / test_on_batch take it. (Keras then
    # fails on the 1-D weights, which it broadcasts along the time axis; kerasx weights
    # each sample.)
    for run in (lambda sw: model.fit(x, y, sample_weight=sw, verbose=0),
                lambda sw: model.evaluate(x, y, sample_weight=sw, verbose=0)):
        with pytest.raises(ValueError, match=r"multiple outputs.*received shape \(6, 3\)"):
            run(per_timestep)
        run(np.ones((6,), np.float32))
        run(np.ones((6, 1), np.float32))
    model.train_on_batch(x, y, sample_weight=per_timestep)
    model.test_on_batch(x, y, sample_weight=per_timestep)
    model.fit(x, y, sample_weight=[per_timestep, per_timestep], verbose=0)
