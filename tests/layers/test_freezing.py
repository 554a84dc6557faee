"""`layer.trainable = False` freezes the layer's own variables (their `trainable` flags)
and its sublayers', as Keras; training notices freezing, unfreezing and a variable's
flag set directly, also with recorded (replayed) steps."""

import numpy as np
import pytest

import kerasx as keras


def _names_and_flags(layer):
    return [(v.name, v.trainable) for v in layer.weights]


def test_freezing_sets_the_flags_of_the_variables_tracked_as_trainable():
    bn = keras.layers.BatchNormalization()
    bn.build((None, 3))
    assert _names_and_flags(bn) == [("gamma", True), ("beta", True),
                                    ("moving_mean", False), ("moving_variance", False)]
    bn.trainable = False
    assert all(not flag for _, flag in _names_and_flags(bn))
    assert bn.trainable_weights == [] and len(bn.non_trainable_weights) == 4
    bn.trainable = True  # the moving statistics stay non-trainable
    assert _names_and_flags(bn) == [("gamma", True), ("beta", True),
                                    ("moving_mean", False), ("moving_variance", False)]


def test_a_variable_flag_set_directly_keeps_its_place():
    dense = keras.layers.Dense(2)
    dense.build((None, 3))
    dense.kernel.trainable = False
    # as Keras: the order of `weights` is that of tracking, whatever the flags now
    assert [v.name for v in dense.weights] == ["kernel", "bias"]
    assert [v.name for v in dense.trainable_weights] == ["bias"]
    assert [v.name for v in dense.non_trainable_weights] == ["kernel"]
    dense.trainable = True  # unfreezing the layer turns it back on
    assert _names_and_flags(dense) == [("kernel", True), ("bias", True)]


def test_a_frozen_layer_creates_frozen_weights_and_unfreezes_them():
    dense = keras.layers.Dense(2, trainable=False)
    dense.build((None, 3))
    assert _names_and_flags(dense) == [("kernel", False), ("bias", False)]
    dense.trainable = True
    assert _names_and_flags(dense) == [("kernel", True), ("bias", True)]


def test_freezing_reaches_sublayers_and_a_sublayer_can_be_unfrozen():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dense(1)])
    model.trainable = False
    assert not any(v.trainable for v in model.weights)
    model.layers[0].trainable = True
    assert [v.trainable for v in model.weights] == [True, True, False, False]
    assert model.trainable_weights == []  # the model itself stays frozen
    model.trainable = True
    assert len(model.trainable_weights) == 4


def test_saved_order_does_not_change_when_frozen(tmp_path):
    pytest.importorskip("h5py")

    class StatsFirst(keras.layers.Layer):
        def build(self, input_shape):
            self.count = self.add_weight(shape=(), trainable=False, name="count",
                                         initializer="ones")
            self.scale = self.add_weight(shape=(input_shape[-1],), name="scale")

        def call(self, x):
            return x * self.scale

    def model():
        return keras.Sequential([keras.Input((2,)), StatsFirst()])

    saved = model()
    before = [v.name for v in saved.weights]
    assert before == ["scale", "count"]  # trainable first, as Keras
    saved.trainable = False
    assert [v.name for v in saved.weights] == before
    path = str(tmp_path / "frozen.weights.h5")
    saved.save_weights(path)
    loaded = model()
    loaded.load_weights(path)
    for a, b in zip(saved.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("jit_compile", ["auto", False])
def test_training_notices_freezing_after_compile(jit_compile):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 3)).astype("float32")
    y = rng.normal(size=(12, 2)).astype("float32")
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2), keras.layers.Dense(2)])
    model.compile(keras.optimizers.SGD(0.1), "mse", jit_compile=jit_compile)
    # two short fits: the steps are recorded and replayed (with jit_compile="auto")
    model.fit(x, y, batch_size=4, epochs=2, verbose=0)
    first, second = model.layers

    def changed(fit_epochs=1):
        before = [w.copy() for w in model.get_weights()]
        model.fit(x, y, batch_size=4, epochs=fit_epochs, verbose=0)
        return [not np.array_equal(a, b) for a, b in zip(before, model.get_weights())]

    first.trainable = False
    assert changed() == [False, False, True, True]
    first.trainable = True
    second.kernel.trainable = False
    assert changed() == [True, True, False, True]
    second.kernel.trainable = True
    assert changed() == [True, True, True, True]
