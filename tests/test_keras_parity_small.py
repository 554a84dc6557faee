"""Small behaviours matched to Keras 3: a schedule's learning rate is a float32 tensor,
and a model compiled with an unknown custom optimizer does not load compiled."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.optimizers import schedules

h5py = pytest.importorskip("h5py")

BUILT_IN_SCHEDULES = [
    (schedules.ExponentialDecay(0.1, 10, 0.5), 0.1 * 0.5 ** 0.3),
    (schedules.InverseTimeDecay(0.1, 10, 0.5), 0.1 / (1 + 0.5 * 0.3)),
    (schedules.PolynomialDecay(0.1, 10), 0.1 * 0.7 + 0.0001 * 0.3),
    (schedules.PiecewiseConstantDecay([1, 2], [0.1, 0.2, 0.3]), 0.3),
    (schedules.CosineDecay(0.1, 10), 0.1 * 0.5 * (1 + np.cos(np.pi * 0.3))),
    (schedules.CosineDecayRestarts(0.1, 10), 0.1 * 0.5 * (1 + np.cos(np.pi * 0.3))),
]


def _is_float32_scalar_tensor(value):
    return (keras.ops.is_tensor(value) and tuple(value.shape) == ()
            and keras.backend.standardize_dtype(value.dtype) == "float32")


@pytest.mark.parametrize("schedule,expected", BUILT_IN_SCHEDULES,
                         ids=[type(s).__name__ for s, _ in BUILT_IN_SCHEDULES])
def test_calling_a_built_in_schedule_returns_a_float32_tensor(schedule, expected):
    value = schedule(3)
    assert _is_float32_scalar_tensor(value)
    assert float(value) == pytest.approx(expected, rel=1e-6)


def test_optimizer_learning_rate_of_a_schedule_is_a_float32_tensor_of_the_current_step():
    opt = keras.optimizers.SGD(schedules.ExponentialDecay(0.1, decay_steps=1, decay_rate=0.5))
    assert _is_float32_scalar_tensor(opt.learning_rate)
    assert float(opt.learning_rate) == pytest.approx(0.1)
    w = keras.Variable(np.ones(2, "float32"))
    opt.apply_gradients([(np.ones(2, "float32"), w)])
    opt.apply_gradients([(np.ones(2, "float32"), w)])
    # the update used the host rate of each step: 1 - 0.1 - 0.05
    np.testing.assert_allclose(keras.ops.convert_to_numpy(w), [0.85, 0.85], rtol=1e-6)
    assert _is_float32_scalar_tensor(opt.learning_rate)
    assert float(opt.learning_rate) == pytest.approx(0.025)

    # a custom schedule may return a Python float: it drives updates, and is returned as is
    class Halving(schedules.LearningRateSchedule):
        def __call__(self, step):
            return 0.2 * 0.5 ** float(step)

        def get_config(self):
            return {}

    opt = keras.optimizers.SGD(Halving())
    w = keras.Variable(np.ones(1, "float32"))
    opt.apply_gradients([(np.ones(1, "float32"), w)])
    np.testing.assert_allclose(keras.ops.convert_to_numpy(w), [0.8], rtol=1e-6)
    assert opt.learning_rate == pytest.approx(0.1)


def test_callbacks_read_a_schedule_learning_rate_as_a_tensor_during_fit():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(schedules.ExponentialDecay(0.1, 1, 0.5)),
                  loss="mse")
    seen = []
    reader = keras.callbacks.LambdaCallback(
        on_epoch_end=lambda epoch, logs: seen.append(model.optimizer.learning_rate))
    x, y = np.ones((4, 3), "float32"), np.zeros((4, 1), "float32")
    model.fit(x, y, batch_size=2, epochs=2, verbose=1, callbacks=[reader])
    assert all(_is_float32_scalar_tensor(lr) for lr in seen)
    assert [float(lr) for lr in seen] == pytest.approx([0.1 * 0.5 ** 2, 0.1 * 0.5 ** 4])


# -- an unknown custom optimizer ------------------------------------------------------------

def test_loading_a_model_compiled_with_an_unregistered_optimizer_raises_type_error(tmp_path):
    class UnlistedSGD(keras.optimizers.SGD):
        pass

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer=UnlistedSGD(0.1), loss="mse")
    model.fit(np.ones((4, 3), "float32"), np.ones((4, 2), "float32"), verbose=0)
    model.save(tmp_path / "m.keras")
    with pytest.raises(TypeError, match=r"Could not locate class 'UnlistedSGD'.*"
                                        r"register_keras_serializable.*custom_objects.*"
                                        r"compile=False"):
        keras.models.load_model(tmp_path / "m.keras")
    assert not keras.models.load_model(tmp_path / "m.keras", compile=False).compiled
    restored = keras.models.load_model(tmp_path / "m.keras",
                                       custom_objects={"UnlistedSGD": UnlistedSGD})
    assert isinstance(restored.optimizer, UnlistedSGD)
