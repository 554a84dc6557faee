"""Model subclassing: attribute tracking, call/build, custom layers with add_weight, and
overridden train_step / test_step."""

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.testing import check_gradients, float64

rng = np.random.default_rng(21)


class Classifier(kerasx.Model):
    def __init__(self, units=32, classes=10, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(units, activation="relu")
        self.dropout = layers.Dropout(0.2)
        self.out = layers.Dense(classes, activation="softmax")
        self.calls_in_training = 0

    def call(self, inputs, training=None):
        if training:
            self.calls_in_training += 1
        return self.out(self.dropout(self.hidden(inputs), training=training))


class Scale(kerasx.layers.Layer):
    """A custom layer: `inputs * scale + shift`, with a non-trainable call counter."""

    def build(self, input_shape):
        self.scale = self.add_weight(shape=(input_shape[-1],), initializer="ones", name="scale")
        self.shift = self.add_weight(shape=(input_shape[-1],), initializer="zeros", name="shift")
        self.seen = self.add_weight(shape=(), initializer="zeros", trainable=False, name="seen")

    def call(self, inputs):
        self.seen.assign(self.seen.value + 1.0)
        return inputs * self.scale + self.shift


class Blocks(kerasx.Model):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.blocks = [layers.Dense(4, activation="tanh"), Scale(), layers.Dense(2)]

    def call(self, inputs):
        x = inputs
        for block in self.blocks:
            x = block(x)
        return x


def test_subclassed_model_trains_with_fit(digits):
    x_train, y_train, x_test, y_test = digits
    model = Classifier(name="digits_classifier")
    assert model.name == "digits_classifier" and not model.built
    assert [type(l).__name__ for l in model.layers] == ["Dense", "Dropout", "Dense"]
    # eager steps: call() runs at every step (replayed steps skip it)
    model.compile(optimizer=kerasx.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], jit_compile=False)
    history = model.fit(x_train, y_train, epochs=5, batch_size=64, verbose=0)
    assert len(model.trainable_weights) == 4
    assert model.calls_in_training == 5 * int(np.ceil(len(x_train) / 64))
    assert history.history["accuracy"][-1] > 0.9
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    assert accuracy > 0.9 and loss < 0.4


def test_build_creates_weights_and_shapes():
    model = Classifier(units=8, classes=3)
    model.build((None, 5))
    assert model.built and model.count_params() == 5 * 8 + 8 + 8 * 3 + 3
    assert [w.shape for w in model.weights] == [(5, 8), (8,), (8, 3), (3,)]
    assert model.hidden.output_shape == (None, 8)
    lines = []
    model.summary(print_fn=lines.append)
    assert any("Total params: 75" in line for line in lines)
    with pytest.raises(ValueError, match=r"build\(\) needs the input shape"):
        Classifier().build()


def test_layers_in_lists_and_custom_layers_are_tracked():
    model = Blocks()
    x = rng.standard_normal((3, 5)).astype(np.float32)
    out = model(x)
    assert out.shape == (3, 2)
    scale = model.blocks[1]
    assert [w.name for w in scale.weights] == ["scale", "shift", "seen"]
    assert len(model.trainable_weights) == 6 and len(model.non_trainable_weights) == 1
    assert float(scale.seen.numpy()) == 1.0
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((3, 2), np.float32), epochs=1, verbose=0)
    assert float(scale.seen.numpy()) > 1.0
    assert not np.allclose(scale.scale.numpy(), 1.0)  # trained by fit


def test_trainable_weights_order_frozen_sublayers_shared_weights_and_overrides():
    class OnlyShift(Scale):
        @property
        def trainable_weights(self):  # a layer may choose what it exposes
            return [self.shift]

    class Nested(kerasx.Model):
        def __init__(self):
            super().__init__()
            self.first = layers.Dense(3)
            self.inner = Blocks()
            self.again = self.first  # the same layer twice: its weights listed once
            self.picky = OnlyShift()

        def call(self, x):
            return self.picky(self.inner(self.again(self.first(x)[:, :3])))

    model = Nested()
    model(rng.standard_normal((2, 3)).astype(np.float32))
    names = [w.path for w in model.trainable_weights]
    inner = model.inner
    expected = [model.first.kernel, model.first.bias, inner.blocks[0].kernel,
                inner.blocks[0].bias, inner.blocks[1].scale, inner.blocks[1].shift,
                inner.blocks[2].kernel, inner.blocks[2].bias, model.picky.shift]
    assert names == [w.path for w in expected]
    inner.blocks[1].trainable = False
    assert [w.path for w in model.trainable_weights] == [
        w.path for w in expected if w not in (inner.blocks[1].scale, inner.blocks[1].shift)]
    inner.trainable = False
    assert [w.path for w in model.trainable_weights] == [
        model.first.kernel.path, model.first.bias.path, model.picky.shift.path]
    model.first.bias.trainable = False
    assert [w.path for w in model.trainable_weights] == [
        model.first.kernel.path, model.picky.shift.path]


def test_custom_layer_gradients():
    # Gradients with respect to the input through the custom layer.
    with float64():
        layer = Scale()
        layer.build((2, 3))
        layer.scale.assign(np.array([0.5, -1.5, 2.0]))
        check_gradients(lambda x: layer(x), [rng.standard_normal((2, 3))])
        # And with respect to the weights, watched by the tape like any trainable variable.
        x = rng.standard_normal((2, 3))
        with kerasx.GradientTape() as tape:
            total = kerasx.ops.sum(layer(x))
        g_scale, g_shift = tape.gradient(total, [layer.scale, layer.shift])
        np.testing.assert_allclose(kerasx.backends.current().to_numpy(g_scale), x.sum(axis=0))
        np.testing.assert_allclose(kerasx.backends.current().to_numpy(g_shift), [2.0, 2.0, 2.0])


def test_subclassed_model_inside_functional_model():
    inputs = kerasx.Input((6,))
    inner = Classifier(units=4, classes=2, name="inner_classifier")
    model = kerasx.Model(inputs, inner(inputs))
    assert [l.name for l in model.layers][1] == "inner_classifier"
    assert model.output_shape == (None, 2)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    np.testing.assert_allclose(model.predict(x, verbose=0), inner.predict(x, verbose=0), rtol=1e-6)


def test_subclassed_model_with_dict_outputs():
    class TwoHeads(kerasx.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.body = layers.Dense(8, activation="relu")
            self.cls = layers.Dense(3, activation="softmax")
            self.reg = layers.Dense(1)

        def call(self, inputs):
            h = self.body(inputs)
            return {"label": self.cls(h), "value": self.reg(h)}

    model = TwoHeads()
    model.compile(optimizer="adam", loss={"label": "sparse_categorical_crossentropy",
                                          "value": "mse"}, metrics={"label": ["accuracy"]})
    x = rng.standard_normal((32, 4)).astype(np.float32)
    y = {"label": rng.integers(0, 3, 32), "value": rng.standard_normal((32, 1)).astype(np.float32)}
    history = model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert sorted(history.history) == ["label_accuracy", "label_loss", "loss", "value_loss"]


class CountingModel(kerasx.Model):
    """A train_step written as Keras's guide writes it, plus a counter."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.hidden = layers.Dense(8, activation="relu")
        self.out = layers.Dense(1)
        self.train_steps = 0
        self.test_steps = 0
        self.freeze = False

    def call(self, inputs):
        return self.out(self.hidden(inputs))

    def train_step(self, data):
        self.train_steps += 1
        x, y = data[0], data[1]
        with kerasx.GradientTape() as tape:
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred)
        grads = tape.gradient(loss, self.trainable_variables)
        if self.freeze:
            grads = [g * 0.0 for g in grads]
        self.optimizer.apply(grads, self.trainable_variables)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        return self.get_metrics_result()

    def test_step(self, data):
        self.test_steps += 1
        return super().test_step(data)


def _regression_data():
    x = rng.standard_normal((64, 3)).astype(np.float32)
    return x, (x @ np.array([[1.0], [-2.0], [0.5]], np.float32)).astype(np.float32)


def test_overridden_train_step_is_used_and_matches_the_default():
    x, y = _regression_data()
    kerasx.utils.set_random_seed(7)
    custom = CountingModel()
    # eager steps: the test counts them and flips a Python attribute between fits
    custom.compile(optimizer="sgd", loss="mse", metrics=["mae"], jit_compile=False)
    custom.build((None, 3))
    start = custom.get_weights()

    class Plain(CountingModel):
        train_step = kerasx.Model.train_step

    plain = Plain()
    plain.compile(optimizer="sgd", loss="mse", metrics=["mae"], jit_compile=False)
    plain.build((None, 3))
    plain.set_weights(start)
    h_custom = custom.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    h_plain = plain.fit(x, y, epochs=3, batch_size=16, shuffle=False, verbose=0)
    assert custom.train_steps == 12 and plain.train_steps == 0
    assert sorted(h_custom.history) == ["loss", "mae"]
    for key in h_plain.history:
        np.testing.assert_allclose(h_custom.history[key], h_plain.history[key], rtol=1e-6)
    for a, b in zip(custom.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-6)
    # The custom logic really runs: frozen gradients leave the weights unchanged.
    custom.freeze = True
    before = custom.get_weights()
    custom.fit(x, y, epochs=1, batch_size=16, verbose=0)
    for a, b in zip(before, custom.get_weights()):
        np.testing.assert_array_equal(a, b)
    custom.evaluate(x, y, batch_size=32, verbose=0)
    assert custom.test_steps == 2


def test_train_step_with_own_metric_trackers():
    class Tracked(kerasx.Model):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.dense = layers.Dense(1)
            self.loss_tracker = kerasx.metrics.Mean(name="loss")
            self.mae_metric = kerasx.metrics.MeanAbsoluteError(name="mae")

        def call(self, inputs):
            return self.dense(inputs)

        def train_step(self, data):
            x, y = data[0], data[1]
            with kerasx.GradientTape() as tape:
                y_pred = self(x, training=True)
                loss = kerasx.ops.mean(kerasx.ops.square(y_pred - y))
            grads = tape.gradient(loss, self.trainable_variables)
            self.optimizer.apply_gradients(zip(grads, self.trainable_variables))
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    x, y = _regression_data()
    model = Tracked()
    model.compile(optimizer=kerasx.optimizers.SGD(0.1))  # no compiled loss: train_step owns it
    history = model.fit(x, y, epochs=6, batch_size=16, verbose=0)
    assert sorted(history.history) == ["loss", "mae"]
    assert history.history["loss"][-1] < 0.2 * history.history["loss"][0]


def test_positional_arguments_are_rejected():
    with pytest.raises(TypeError, match=r"keyword arguments only.*\(inputs, outputs\)"):
        kerasx.Model("not a tensor")


def test_add_weight_and_add_variable_take_kerass_arguments():
    class Scaled(kerasx.layers.Layer):
        def build(self, input_shape):
            self.scale = self.add_variable((input_shape[-1],), "ones", name="scale")
            self.kernel = self.add_weight(shape=(input_shape[-1], 2), autocast=False)
            self.steps = self.add_weight(shape=(), dtype="int32", trainable=False, name="steps")

        def call(self, x):
            return ops.matmul(ops.cast(x, self.compute_dtype) * self.scale, self.kernel)

    layer = Scaled()
    out = layer(np.ones((3, 4), "float32"))
    assert out.shape == (3, 2) and layer.compute_dtype == layer.variable_dtype == "float32"
    assert layer.input_dtype == "float32" and layer.input_spec is None
    np.testing.assert_array_equal(layer.steps.numpy(), 0)  # integers start at zero
    assert str(layer.steps.dtype) == "int32" and str(layer.kernel.dtype) == "float32"
    assert float(np.abs(layer.kernel.numpy()).max()) > 0  # floats: glorot uniform
    assert Scaled().add_weight(shape=(1,), overwrite_with_gradient=True).overwrite_with_gradient
    assert not layer.kernel.overwrite_with_gradient
