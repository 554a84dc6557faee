"""The hand-written `tiny` step (`benchmarks/tiny_floor.py`) does the work of kerasx's."""

import numpy as np

import kerasx as keras
from benchmarks import keras_models
from benchmarks.tiny_floor import epoch
from benchmarks.workloads import WORKLOADS


def test_hand_written_epoch_matches_kerasx_fit():
    workload = WORKLOADS["tiny"]
    rng = np.random.default_rng(3)
    x = rng.standard_normal((320, 20)).astype(np.float32)
    y = rng.integers(0, workload.classes, 320)
    keras.utils.set_random_seed(1)
    model = keras_models.build(keras, workload)
    kernel0, bias0 = (np.array(w) for w in model.get_weights())
    bias0 += rng.standard_normal(bias0.shape).astype(np.float32)  # a bias that matters
    model.set_weights([kernel0, bias0])
    kernel, bias = kernel0.copy(), bias0.copy()

    history = model.fit(x, y, batch_size=workload.batch_size, epochs=1, shuffle=False, verbose=0)
    loss, accuracy = epoch(x, y, kernel, bias, workload.batch_size)

    trained_kernel, trained_bias = model.get_weights()
    assert np.abs(trained_kernel - kernel0).max() > 1e-3  # the check below is not vacuous
    np.testing.assert_allclose(kernel, trained_kernel, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bias, trained_bias, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(loss, history.history["loss"][0], rtol=1e-5)
    np.testing.assert_allclose(accuracy, history.history["accuracy"][0], rtol=1e-6)
