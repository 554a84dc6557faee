"""Training behaviours matched to Keras 3.15.1's own unit tests (trainers, models,
callbacks, optimizers, saving), each case replayed against Keras."""

import importlib.util

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, losses, metrics, optimizers
from kerasx.backends import current


class OnesDense(keras.Model):
    """A subclassed model: one bias-free Dense layer with a kernel of ones."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.dense = layers.Dense(units, use_bias=False, kernel_initializer="ones")

    def call(self, x):
        return self.dense(x)


class TwoOutputs(keras.Model):
    """A subclassed model returning a list of two outputs."""

    def __init__(self, units):
        super().__init__()
        self.first = layers.Dense(units, use_bias=False, kernel_initializer="ones")
        self.second = layers.Dense(units, use_bias=False, kernel_initializer="ones")

    def call(self, x):
        return [self.first(x), self.second(x)]


# -- trainer_test.py ---------------------------------------------------------------------
def test_a_custom_train_step_adds_entries_to_the_logs_of_super_train_step():
    class CustomLogs(OnesDense):
        def train_step(self, data):
            logs = super().train_step(data)
            logs["my_custom_metric"] = 10.0
            return logs

        def test_step(self, data):
            logs = super().test_step(data)
            logs["my_custom_metric"] = 5.0
            return logs

    model = CustomLogs(3)
    model.compile(optimizer="sgd", loss="mse", metrics=[metrics.MeanSquaredError()])
    x, y = np.ones((100, 4)), np.zeros((100, 3))
    history = model.fit(x, y, batch_size=16, verbose=0).history
    assert history["my_custom_metric"] == [10.0]
    assert set(history) == {"loss", "mean_squared_error", "my_custom_metric"}
    listed = model.evaluate(x, y, batch_size=16, verbose=0)
    assert len(listed) == 3 and listed[-1] == 5.0  # custom entries go last, as Keras
    logs = model.evaluate(x, y, batch_size=16, return_dict=True, verbose=0)
    assert logs["my_custom_metric"] == 5.0
    assert logs["loss"] == pytest.approx(listed[0])


class EpochAgnosticMSE(metrics.MeanSquaredError):
    """Keras's test metric that keeps its totals across epochs."""

    def __init__(self):
        super().__init__(name="mse")
        super().reset_state()

    def reset_state(self):
        pass


def test_a_metric_that_never_resets_counts_only_the_trained_samples():
    model = OnesDense(1)
    model.compile(loss="mse", optimizer="sgd", metrics=[EpochAgnosticMSE()])
    x, y = np.ones((80, 4)), np.ones((80, 1))
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(float(logs["mse"]))

    model.fit(x, y, batch_size=8, epochs=2, callbacks=[Record()], verbose=0)
    count = [v for v in model.metrics_variables if v.path.endswith("mse/count")]
    assert float(count[0].numpy()) == 160.0  # 2 epochs of 80 samples (Keras 3.15.1: 160)
    # Keras 3.15.1 gives these running means (first, tenth and last batch)
    np.testing.assert_allclose([seen[0], seen[9], seen[-1]], [9.0, 4.754, 2.825], atol=1e-3)


@pytest.mark.parametrize("spec", ["loss_weights", "symbolic_build"])
def test_a_subclassed_model_with_list_outputs_compiles_with_a_list_of_losses(spec):
    model = TwoOutputs(3)
    model.compile(optimizer=optimizers.SGD(),
                  loss=[losses.MeanSquaredError(), losses.MeanSquaredError()],
                  metrics=[metrics.MeanSquaredError(), metrics.MeanSquaredError()],
                  loss_weights=[0.1, 0.2] if spec == "loss_weights" else None)
    x, y = np.ones((40, 4)), np.zeros((40, 3))
    history = model.fit(x, [y, y], batch_size=20, epochs=3, verbose=0).history
    if spec == "loss_weights":
        # Keras 3.15.1's trainer_test gives these
        np.testing.assert_allclose(history["loss"], [4.778718, 4.694403, 4.611693], atol=1e-3)
    else:
        # Keras 3.15.1 names the unnamed outputs' losses by the loss (both
        # `mean_squared_error_loss`: one log key) and their metrics without a prefix
        assert sorted(history) == ["loss", "mean_squared_error", "mean_squared_error_1",
                                   "mean_squared_error_loss"]
        np.testing.assert_allclose(history["loss"], np.add(
            history["mean_squared_error"], history["mean_squared_error_1"]), rtol=1e-5)
    assert len(model.metrics) == 4  # loss, compile_metrics and two per-output loss means


class SumThenDense(keras.Model):
    """Takes batches of any feature count: a Dense layer on the features' sum."""

    def __init__(self):
        super().__init__()
        self.dense = layers.Dense(2, kernel_initializer="ones")

    def call(self, x):
        return self.dense(keras.ops.sum(x, axis=-1, keepdims=True))


def _batches_of_changing_sizes():
    yield np.ones([16, 4], "float32"), np.ones([16, 2], "float32")
    yield np.ones([16, 5], "float32"), np.ones([16, 2], "float32")
    yield np.ones([2, 6], "float32"), np.ones([2, 2], "float32")


@pytest.mark.parametrize("source", ["generator", "py_dataset"])
def test_batches_of_a_stream_may_change_sizes_when_the_model_takes_them(source):
    class Batches(keras.utils.PyDataset):
        def __len__(self):
            return 3

        def __getitem__(self, index):
            return list(_batches_of_changing_sizes())[index]

    data = _batches_of_changing_sizes() if source == "generator" else Batches()
    model = SumThenDense()
    model.compile(loss="mse", optimizer="sgd")
    history = model.fit(data, verbose=0, shuffle=False).history
    # Keras 3.15.1 (generator_data_adapter_test's batches) gives this loss and kernel
    np.testing.assert_allclose(history["loss"], [10.184066772460938], rtol=1e-6)
    np.testing.assert_allclose(model.get_weights()[0], [[0.51918197, 0.51918197]], rtol=1e-5)
    assert model.predict(_batches_of_changing_sizes(), verbose=0).shape == (34, 2)

# -- functional_test.py ------------------------------------------------------------------
def test_a_functional_model_takes_deeply_nested_dict_inputs_and_round_trips(tmp_path):
    i1, i2, i3 = keras.Input((1,)), keras.Input((2,)), keras.Input((3,))
    with pytest.warns(UserWarning, match="keys in the dict must match the names"):
        model = keras.Model({"1": i1, "others": {"2": i2, "3": i3}},
                            {"1": layers.Dense(1)(i1),
                             "others": {"2": layers.Dense(2)(i2), "3": layers.Dense(3)(i3)}})
    data = {"1": np.ones((2, 1)), "others": {"2": np.ones((2, 2)), "3": np.ones((2, 3))}}
    out = model(data)
    assert sorted(out) == ["1", "others"] and sorted(out["others"]) == ["2", "3"]
    assert tuple(out["others"]["3"].shape) == (2, 3)
    symbolic = model({"1": keras.Input((1,), batch_size=2),
                      "others": {"2": keras.Input((2,), batch_size=2),
                                 "3": keras.Input((3,), batch_size=2)}})
    assert tuple(symbolic["others"]["2"].shape) == (2, 2)
    path = str(tmp_path / "nested.keras")
    model.save(path)
    with pytest.warns(UserWarning, match="keys in the dict must match the names"):
        loaded = keras.saving.load_model(path)
    again = loaded(data)
    for key in ("2", "3"):
        np.testing.assert_allclose(np.asarray(again["others"][key]),
                                   np.asarray(out["others"][key]), rtol=1e-6)


class AddIfGiven(layers.Layer):
    def call(self, x, y=None):
        return x + y if y is not None else x

    def compute_output_shape(self, x_shape):
        return x_shape


def test_optional_inputs_take_none_in_lists_and_dicts():
    i1, i2 = keras.Input((2,)), keras.Input((2,), optional=True)
    model = keras.Model([i1, i2], AddIfGiven()(i1, i2))
    np.testing.assert_allclose(np.asarray(model([np.ones((2, 2)), None])), np.ones((2, 2)))
    i1 = keras.Input((2,), name="input1")
    i2 = keras.Input((2,), name="input2", optional=True)
    model = keras.Model({"input1": i1, "input2": i2}, AddIfGiven()(i1, i2))
    out = model({"input1": np.ones((2, 2)), "input2": None})
    np.testing.assert_allclose(np.asarray(out), np.ones((2, 2)))
    out = model({"input1": np.ones((2, 2)), "input2": np.ones((2, 2))})
    np.testing.assert_allclose(np.asarray(out), 2 * np.ones((2, 2)))
    required = keras.Input((2,), name="input2")
    model = keras.Model({"input1": i1, "input2": required}, AddIfGiven()(i1, required))
    with pytest.raises(ValueError, match="not optional"):
        model({"input1": np.ones((2, 2)), "input2": None})


def test_dict_inputs_keyed_by_other_names_than_their_tensors_warn():
    a = keras.Input((3,), name="a")
    b = keras.Input((4,), name="b")
    out = layers.Dense(2)(layers.Concatenate()([a, b]))
    with pytest.warns(UserWarning, match="Received key 'c' mapping to a tensor which has "
                                         "name 'a'"):
        model = keras.Model({"c": a, "d": b}, out)
    assert tuple(model({"c": np.ones((2, 3)), "d": np.ones((2, 4))}).shape) == (2, 2)


@pytest.mark.parametrize("kind", ["functional", "sequential"])
def test_the_layers_attribute_of_a_model_cannot_be_set(kind):
    if kind == "functional":
        inputs = keras.Input((3,))
        model = keras.Model(inputs, layers.Dense(5)(inputs))
        message = "`Model.layers` attribute is reserved"
    else:
        model = keras.Sequential()
        message = r"Use `add\(\)` and `pop\(\)`"
    with pytest.raises(AttributeError, match=message):
        model.layers = [layers.Dense(4)]


# -- sequential_test.py ------------------------------------------------------------------
def test_a_sequential_model_passes_dicts_and_lists_to_its_first_layer():
    class Keep(layers.Layer):
        def call(self, inputs):
            return inputs

    model = keras.Sequential([Keep()])
    out = model({"a": np.ones((3, 2)), "b": np.zeros((3, 2))})
    assert isinstance(out, dict) and sorted(out) == ["a", "b"]
    model = keras.Sequential([Keep()])
    out = model([np.ones((3, 2)), np.zeros((3, 2))])
    assert isinstance(out, list) and len(out) == 2


def test_a_sequential_model_of_a_layer_without_shape_inference_runs_eagerly():
    class NoShapes(layers.Layer):
        def call(self, inputs):
            return inputs + 1.0

        def compute_output_spec(self, *args, **kwargs):
            raise NotImplementedError

    model = keras.Sequential([NoShapes()])
    x = np.random.RandomState(0).random_sample((3, 2)).astype("float32")
    np.testing.assert_allclose(np.asarray(model(x)), x + 1, rtol=1e-6)
    assert model.built


def test_calling_an_empty_sequential_model_raises():
    with pytest.raises(ValueError, match="no layers"):
        keras.Sequential()(np.ones((3, 2)))


# -- model_test.py -----------------------------------------------------------------------
def _two_output_model():
    x = keras.Input((3,), name="input_a")
    output_a = layers.Dense(1, name="output_a")(x)
    output_b = layers.Dense(1, name="output_b", activation="sigmoid")(x)
    return keras.Model(x, {"output_a": output_a, "output_b": output_b})


@pytest.mark.parametrize("loss", [{"output_a": "mean_squared_error",
                                   "output_b": ["binary_crossentropy"]},
                                  ["mean_squared_error", ["binary_crossentropy"]]])
def test_a_per_output_loss_may_be_a_list_of_one_loss(loss):
    rs = np.random.RandomState(0)
    x, y1, y2 = rs.rand(8, 3), rs.rand(8, 1), rs.randint(0, 2, (8, 1))
    model = _two_output_model()
    model.compile(optimizer="sgd", loss=loss)
    logs = model.evaluate(x, {"output_a": y1, "output_b": y2}, return_dict=True, verbose=0)
    pred = model.predict(x, verbose=0)
    mse = np.mean((pred["output_a"] - y1) ** 2)
    p = np.clip(pred["output_b"], 1e-7, 1 - 1e-7)
    bce = -np.mean(y2 * np.log(p) + (1 - y2) * np.log(1 - p))
    np.testing.assert_allclose([logs["output_a_loss"], logs["output_b_loss"]], [mse, bce],
                               rtol=1e-4)
    np.testing.assert_allclose(logs["loss"], mse + bce, rtol=1e-4)


def test_a_custom_compute_loss_may_split_one_output_for_a_list_of_losses():
    class SplitOutput(keras.Model):
        def __init__(self):
            inputs = keras.Input((3,), name="inputs")
            super().__init__(inputs=inputs, outputs=layers.Dense(1, name="a")(inputs))

        def compute_loss(self, x, y, y_pred, sample_weight=None, **kwargs):
            return super().compute_loss(x=x, y=y, y_pred=[y_pred, y_pred],
                                        sample_weight=sample_weight, **kwargs)

    rs = np.random.RandomState(1)
    x, y1, y2 = rs.rand(8, 3), rs.rand(8, 1), rs.randint(0, 2, (8, 1)).astype("float32")
    model = SplitOutput()
    assert len(model.outputs) == 1
    model.compile(optimizer="sgd", loss=["mean_squared_error", "binary_crossentropy"])
    history = model.fit(x, (y1, y2), batch_size=2, epochs=1, verbose=0).history
    per_output = [v[0] for k, v in sorted(history.items()) if k != "loss"]
    assert len(per_output) == 2
    np.testing.assert_allclose(history["loss"][0], sum(per_output), rtol=1e-5)


# -- callbacks ---------------------------------------------------------------------------
def test_state_a_call_assigns_counts_only_the_training_steps():
    class CountsCalls(layers.Layer):
        def __init__(self):
            super().__init__()
            self.counter = self.add_weight(shape=(), initializer="zeros", trainable=False)

        def call(self, x):
            self.counter.assign_add(1.0)
            return x

    model = keras.Sequential([keras.Input((3,)), CountsCalls(), layers.Dense(1)])
    model.compile(loss="mse", optimizer="sgd")
    seen = []

    class Record(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(float(model.layers[0].counter.numpy()))

    model.fit(np.ones((10, 3)), np.ones((10, 1)), batch_size=4, epochs=2,
              callbacks=[Record()], verbose=0)
    assert seen == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]  # one call per step, as Keras


def test_lambda_callback_keeps_other_keyword_arguments_as_attributes():
    def custom(logs):
        return logs

    callback = keras.callbacks.LambdaCallback(custom_method=custom)
    assert callback.custom_method is custom
    with pytest.raises(ValueError, match="not a callback hook"):
        keras.callbacks.LambdaCallback(on_epoch_ends=custom)


def test_swap_ema_weights_reads_the_averages_inside_a_loss_scale_optimizer():
    rs = np.random.RandomState(0)
    x, y = rs.rand(16, 3).astype("float32"), rs.rand(16, 1).astype("float32")
    model = keras.Sequential([keras.Input((3,)), layers.Dense(1)])
    optimizer = optimizers.LossScaleOptimizer(optimizers.SGD(use_ema=True))
    model.compile(optimizer=optimizer, loss="mse", metrics=["mse"])
    model.fit(x, y, epochs=2, batch_size=4, verbose=0,
              callbacks=[keras.callbacks.SwapEMAWeights()], validation_data=(x, y))
    averages = optimizer.inner_optimizer._model_variables_moving_average
    kernel_before = model.layers[0].kernel.numpy()
    logs = model.evaluate(x, y, verbose=0, return_dict=True,
                          callbacks=[keras.callbacks.SwapEMAWeights()])
    ema_kernel, ema_bias = (a.numpy() for a in averages)
    expected = np.mean((x @ ema_kernel + ema_bias - y) ** 2)
    np.testing.assert_allclose(logs["mse"], expected, rtol=1e-5)
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), kernel_before)


def _two_optimizer_model():
    first = optimizers.SGD(learning_rate=0.1)
    second = optimizers.SGD(learning_rate=0.01)
    optimizer = optimizers.MultiOptimizer(optimizers.OptimizerMap(
        default_optimizer=second, optimizer_map={".*dense_1/.*": first}))
    model = keras.Sequential([layers.Dense(2, use_bias=False, name="dense_1"),
                              layers.Dense(1, use_bias=False, name="dense_2")])
    model.compile(loss="mse", optimizer=optimizer)
    return model, first, second


def test_learning_rate_callbacks_set_each_rate_of_a_multi_optimizer():
    model, first, second = _two_optimizer_model()
    scheduler = keras.callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.5)
    scheduler.set_model(model)
    scheduler.on_epoch_begin(1)
    np.testing.assert_allclose([float(first.learning_rate), float(second.learning_rate)],
                               [0.05, 0.005], rtol=1e-6)
    logs = {}
    scheduler.on_epoch_end(1, logs)
    assert set(logs) == {f"learning_rate_{first.name}", f"learning_rate_{second.name}"}

    model, first, second = _two_optimizer_model()
    reduce = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1)
    reduce.set_model(model)
    reduce.on_train_begin()
    reduce.on_epoch_end(0, {"val_loss": 1.0})
    reduce.on_epoch_end(1, {"val_loss": 1.0})
    np.testing.assert_allclose([float(first.learning_rate), float(second.learning_rate)],
                               [0.05, 0.005], rtol=1e-6)


def test_swap_ema_weights_swaps_the_averages_of_the_inner_optimizers_that_keep_them():
    first = optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.9)
    second = optimizers.SGD(learning_rate=0.1)
    model = keras.Sequential([layers.Dense(2, use_bias=False, name="dense_1"),
                              layers.Dense(1, use_bias=False, name="dense_2")])
    model.compile(loss="mse", optimizer=optimizers.MultiOptimizer(optimizers.OptimizerMap(
        default_optimizer=second, optimizer_map={".*dense_1/.*": first})))
    model.train_on_batch(np.ones((1, 1)), np.ones((1, 1)))
    model.layers[0].kernel.assign(np.full((1, 2), 2.0, "float32"))
    model.layers[1].kernel.assign(np.full((2, 1), 3.0, "float32"))
    first._model_variables_moving_average[0].assign(np.full((1, 2), 9.0, "float32"))
    swap = keras.callbacks.SwapEMAWeights()
    swap.set_model(model)
    swap.on_test_begin()
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), np.full((1, 2), 9.0))
    np.testing.assert_array_equal(model.layers[1].kernel.numpy(), np.full((2, 1), 3.0))
    swap.on_test_end()
    np.testing.assert_array_equal(model.layers[0].kernel.numpy(), np.full((1, 2), 2.0))


# -- optimizers --------------------------------------------------------------------------
def test_loss_scale_optimizer_names_the_refused_arguments_as_keras():
    with pytest.raises(ValueError, match="Instead, set `clipnorm` on the `inner_optimizer`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), clipnorm=1.0)
    with pytest.raises(ValueError, match="does not support arguments: `foo`, `bar`"):
        optimizers.LossScaleOptimizer(optimizers.SGD(), foo=1, bar=2)


# -- saving ------------------------------------------------------------------------------
@pytest.mark.skipif(importlib.util.find_spec("ml_dtypes") is None
                    or current().name not in ("numpy", "cupy"),
                    reason="bfloat16 needs ml_dtypes on the numpy or cupy backend")
@pytest.mark.parametrize("suffix", [".keras", ".weights.h5"])
@pytest.mark.parametrize("dest_dtype", ["bfloat16", "float32"])
def test_bfloat16_weights_reload_and_are_marked_as_keras_marks_them(tmp_path, suffix,
                                                                    dest_dtype):
    h5py = pytest.importorskip("h5py")

    def model(dtype):
        return keras.Sequential([keras.Input((3,)), layers.Dense(5, dtype=dtype)])

    source = model("bfloat16")
    path = str(tmp_path / f"w{suffix}")
    source.save(path) if suffix == ".keras" else source.save_weights(path)
    dest = model(dest_dtype)
    dest.load_weights(path)
    for saved, loaded in zip(source.get_weights(), dest.get_weights()):
        np.testing.assert_array_equal(np.asarray(saved, "float32"), np.asarray(loaded, "float32"))
    assert keras.backend.standardize_dtype(dest.weights[0].dtype) == dest_dtype
    if suffix == ".weights.h5":
        # Keras 3.15.1 writes bfloat16 as 2-byte opaque data with the attribute dtype=bfloat16
        with h5py.File(path) as f:
            kernel = f["layers"][next(iter(f["layers"]))]["vars"]["0"]
            assert kernel.dtype.kind == "V" and kernel.attrs["dtype"] == "bfloat16"


def test_fit_evaluate_and_predict_take_none_for_an_optional_input():
    class AddIfGivenDense(layers.Layer):
        def __init__(self):
            super().__init__()
            self.dense = layers.Dense(2)

        def call(self, x, o=None):
            return self.dense(x if o is None else x + o)

    x_in = keras.Input((2,), name="x")
    o_in = keras.Input((2,), name="o", optional=True)
    model = keras.Model({"x": x_in, "o": o_in}, AddIfGivenDense()(x_in, o_in))
    model.compile(loss="mse", optimizer="adam")
    x = np.random.RandomState(0).rand(4, 2).astype("float32")
    y = np.ones((4, 2), "float32")
    model.fit({"x": x, "o": None}, y, batch_size=2, verbose=0)
    kernel, bias = (w.numpy() for w in model.layers[-1].dense.weights)
    np.testing.assert_allclose(model.predict({"x": x, "o": None}, verbose=0), x @ kernel + bias,
                               rtol=1e-5)
    loss = model.evaluate({"x": x, "o": None}, y, verbose=0)
    np.testing.assert_allclose(loss, np.mean((x @ kernel + bias - y) ** 2), rtol=1e-5)

    def batches():
        for _ in range(2):
            yield {"x": x, "o": None}, y

    model.fit(batches(), verbose=0)
    assert model.predict(({"x": x, "o": None},) for _ in range(2)).shape == (8, 2)


# -- compile_utils_test.py ---------------------------------------------------------------
def _nested_identity_model(structure):
    inputs = keras.tree.map_structure(lambda a: keras.Input(a.shape[1:]), structure)
    outputs = keras.tree.map_structure(lambda t: layers.Activation("linear")(t), inputs)
    return keras.Model(inputs, outputs)


def test_nested_dict_outputs_take_losses_keyed_by_the_same_nesting():
    yt = np.array([[0.1, 0.2], [0.3, 0.4], [0.5, 0.6]], "float32")
    yt2 = np.array([[0.7, 0.8], [0.9, 1.0], [1.1, 1.2]], "float32")
    yp1 = np.array([[1.2, 1.1], [1.0, 0.9], [0.8, 0.7]], "float32")
    yp2 = np.array([[0.6, 0.5], [0.4, 0.3], [0.2, 0.1]], "float32")
    preds = {"a": {"c": yp1, "d": yp2}, "b": yp2}
    model = _nested_identity_model(preds)
    model.compile(loss={"a": {"c": "mse", "d": "mae"}})
    logs = model.evaluate(preds, {"a": {"c": yt, "d": yt2}, "b": yt2}, batch_size=3,
                          return_dict=True, verbose=0)
    mse, mae = np.mean((yp1 - yt) ** 2), np.mean(np.abs(yp2 - yt2))
    # Keras 3.15.1's compile_utils_test gives 1.07666 for the total, keyed as here
    assert sorted(logs) == ["a/c_loss", "a/d_loss", "loss"]
    np.testing.assert_allclose([logs["a/c_loss"], logs["a/d_loss"], logs["loss"]],
                               [mse, mae, 1.07666], rtol=1e-4)

    model = _nested_identity_model(preds)
    model.compile(loss="mse", optimizer="sgd")
    history = model.fit(preds, {"a": {"c": yt, "d": yt2}, "b": yt2}, verbose=0).history
    assert sorted(history) == ["a/c_loss", "a/d_loss", "b_loss", "loss"]
