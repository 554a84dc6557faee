"""Every common mistake fails before training with what was received, what was expected and a fix."""

import numpy as np
import pytest

import kerasx as keras
from tests.trainers.helpers import Recorder

X = np.random.default_rng(0).random((20, 4)).astype("float32")
Y = np.arange(20) % 3


def _classifier(compile=True, loss="sparse_categorical_crossentropy", **kwargs):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    if compile:
        model.compile(optimizer="sgd", loss=loss, metrics=["accuracy"], **kwargs)
    return model


def _two_inputs():
    a, b = keras.Input(shape=(2,), name="left"), keras.Input(shape=(2,), name="right")
    model = keras.Model([a, b], keras.layers.Dense(3)(keras.layers.Concatenate()([a, b])))
    model.compile(optimizer="sgd", loss="mse")
    return model


def _batches(*shapes):
    for n_features in shapes:
        yield np.ones((5, n_features), "float32"), np.zeros(5, "int64")


def _fit(**kwargs):
    return lambda: _classifier().fit(**{"x": X, "y": Y, "verbose": 0, **kwargs})


def _nan_x():
    x = X.copy()
    x[3, 2] = np.nan
    return x


class NotACallback:
    pass


CASES = {
    "x_y_lengths": (_fit(y=Y[:19]), ValueError,
                    r"different numbers of samples \(x: \[20\], y: \[19\]\).*one row per sample"),
    "feature_shape": (_fit(x=np.ones((20, 5), "float32")), ValueError,
                      r"Input data has shape \(20, 5\).*expects inputs of shape \(None, 4\).*Reshape"),
    "missing_y": (lambda: _classifier().fit(X, verbose=0), ValueError,
                  r"received no target data y.*'sparse_categorical_crossentropy'.*Pass y"),
    "validation_split_range": (_fit(validation_split=1.5), ValueError,
                               r"validation_split must be in \[0, 1\), received validation_split=1.5.*e\.g\. 0\.2"),
    "validation_split_generator": (lambda: _classifier().fit(_batches(4), validation_split=0.2, verbose=0),
                                   ValueError, r"validation_split=0.2 is only supported when x is arrays.*Pass validation_data"),
    "negative_batch_size": (_fit(batch_size=-4), ValueError,
                            r"batch_size must be a positive integer, received batch_size=-4.*32, 64 or 128"),
    "nan_in_x": (_fit(x=_nan_x()), ValueError,
                 r"`x` contains NaN or inf \(first at index \(3, 2\), value nan\).*nan_to_num"),
    "inf_in_sample_weight": (_fit(sample_weight=np.where(Y == 1, np.inf, 1.0)), ValueError,
                             r"`sample_weight` contains NaN or inf \(first at index \(1,\), value inf\)"),
    "generator_inconsistent_shapes": (lambda: _classifier().fit(_batches(4, 5), verbose=0), ValueError,
                                      r"Batch 1 \(of new sizes.*\): Input data has shape \(5, 5\).*"
                                      r"expects inputs of shape \(None, 4\)"),
    "class_weight_unknown_class": (_fit(class_weight={0: 1.0, 7: 2.0}), ValueError,
                                   r"class_weight has keys \[7\] that are not class ids.*integers in \[0, 2\]"),
    "class_weight_and_sample_weight": (_fit(class_weight={0: 2.0}, sample_weight=np.ones(20)), ValueError,
                                       r"cannot use class_weight and sample_weight at the same time.*Fold"),
    "fit_before_compile": (lambda: _classifier(compile=False).fit(X, Y, verbose=0), ValueError,
                           r"must call compile\(\) before fit\(\).*model.compile\(optimizer='adam'"),
    "unknown_optimizer": (lambda: _classifier(compile=False).compile(optimizer="adamm", loss="mse"),
                          ValueError, r"Unknown optimizer: 'adamm'. Did you mean 'adam'"),
    "unknown_loss": (lambda: _classifier(compile=False).compile(optimizer="sgd", loss="mean_squared_eror"),
                     ValueError, r"Unknown loss: 'mean_squared_eror'. Did you mean 'mean_squared_error'"),
    "unknown_metric": (lambda: _classifier(compile=False).compile(optimizer="sgd", loss="mse",
                                                                  metrics=["acuracy"]),
                       ValueError, r"Unknown metric: 'acuracy'. Did you mean 'accuracy'"),
    "one_hot_with_sparse_loss": (_fit(y=np.eye(3)[Y]), ValueError,
                                 r"shape \(20, 3\), which look one-hot encoded.*categorical_crossentropy"),
    "class_id_out_of_range": (_fit(y=np.where(Y == 2, 7, Y)), ValueError,
                              r"label value of 7.*\[0, 2\].*3 output classes.*Dense\(8\)"),
    "integer_labels_with_categorical_loss": (
        lambda: _classifier(loss="categorical_crossentropy").fit(X, Y, verbose=0), ValueError,
        r"expects one-hot labels of shape \(batch, 3\) but received labels of shape \(20,\).*to_categorical"),
    "validation_data_wrong_form": (_fit(validation_data=X), ValueError,
                                   r"validation_data must be a tuple \(x_val, y_val\).*received ndarray of shape \(20, 4\)"),
    "validation_data_wrong_length": (_fit(validation_data=(X, Y, None, None)), ValueError,
                                     r"received a tuple of length 4.*validation_data=\(x_val, y_val\)"),
    "negative_epochs": (_fit(epochs=-1), ValueError,
                        r"epochs must be a non-negative integer.*received epochs=-1"),
    "callback_not_an_instance_of_callback": (_fit(callbacks=[NotACallback()]), TypeError,
                                             r"callbacks\[0\] is .*NotACallback.* but every callback must be an "
                                             r"instance of kerasx.callbacks.Callback"),
    "callback_function": (_fit(callbacks=[print]), TypeError,
                          r"callbacks\[0\] is <built-in function print>.*LambdaCallback\(on_epoch_end=fn\)"),
    "callback_class": (_fit(callbacks=[keras.callbacks.EarlyStopping]), TypeError,
                       r"callbacks\[0\] is the class EarlyStopping, not an instance.*EarlyStopping\(\.\.\.\)"),
    "y_with_a_generator": (lambda: _classifier().fit(_batches(4), Y, verbose=0), ValueError,
                           r"received a generator as x and also y=ndarray.*pass y=None"),
    "steps_per_epoch_zero": (_fit(steps_per_epoch=0), ValueError,
                             r"steps_per_epoch must be a positive integer, received steps_per_epoch=0"),
    "validation_freq_zero": (_fit(validation_freq=0), ValueError,
                             r"validation_freq must be a positive integer.*received validation_freq=0"),
    "shuffle_unknown": (_fit(shuffle="yes"), ValueError,
                        r"shuffle must be True, False or 'batch', received shuffle='yes'"),
    "verbose_unknown": (_fit(verbose=3), ValueError,
                        r"verbose must be 0 \(silent\), 1 \(progress bar\), 2.*received verbose=3"),
    "binary_labels_outside_unit_interval": (
        lambda: _binary().fit(X, Y.astype("float32"), verbose=0), ValueError,
        r"expects labels in \[0, 1\], but received values from 0.0 to 2.0"),
    "ragged_lists": (_fit(x=[[1.0, 2.0, 3.0, 4.0], [1.0]] * 10), ValueError,
                     r"`x` could not be converted to an array.*pad sequences"),
    "string_labels": (_fit(y=np.array(["cat", "dog"] * 10)), ValueError,
                      r"`y` holds strings or bytes.*encode text as integers"),
    "generator_tuple_of_four": (lambda: _classifier().fit(iter([(X, Y, None, None)]), verbose=0), ValueError,
                                r"Each batch must be x, \(x,\), \(x, y\) or \(x, y, sample_weight\); batch 0 .*tuple of 4"),
    "sample_weight_shape": (_fit(sample_weight=np.ones((20, 3))), ValueError,
                            r"sample_weight must hold one weight per sample.*received shape \(20, 3\)"),
    "too_few_inputs": (lambda: _two_inputs().fit([np.ones((20, 2))], np.ones((20, 3)), verbose=0),
                       ValueError, r"expects 2 input array\(s\) \['left', 'right'\] but x holds 1"),
    "dict_missing_input": (lambda: _two_inputs().fit({"left": np.ones((20, 2))}, np.ones((20, 3)),
                                                     verbose=0),
                           ValueError, r"inputs named \['left', 'right'\].*keys \['left'\]; missing \['right'\]"),
    "steps_per_execution_zero": (lambda: _classifier(compile=False).compile(
        optimizer="sgd", loss="mse", steps_per_execution=0), ValueError,
        r"steps_per_execution must be a positive integer.*received steps_per_execution=0"),
    "x_is_none": (_fit(x=None), ValueError, r"needs input data x, received x=None"),
    "initial_epoch_negative": (_fit(initial_epoch=-2), ValueError,
                               r"initial_epoch must be a non-negative integer.*received initial_epoch=-2"),
    "finite_generator_second_epoch": (lambda: _classifier().fit(_batches(4), epochs=2, verbose=0),
                                      ValueError, r"produced no batches in epoch 2.*loop forever"),
}


def _binary():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    return model


@pytest.mark.parametrize("name", sorted(CASES))
def test_mistake_gives_an_actionable_error(name):
    action, error, pattern = CASES[name]
    with pytest.raises(error, match=pattern):
        action()


def test_there_are_at_least_twenty_distinct_mistakes():
    assert len(CASES) >= 20


def test_bad_data_is_reported_before_training_starts():
    model = _classifier()
    before = model.get_weights()
    rec = Recorder()
    with pytest.raises(ValueError, match="NaN"):
        model.fit(_nan_x(), Y, verbose=0, callbacks=[rec])
    assert rec.calls == []
    assert model.optimizer.iterations == 0
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_bad_validation_data_is_reported_before_training_starts():
    model = _classifier()
    rec = Recorder()
    with pytest.raises(ValueError, match=r"Input data has shape \(20, 6\)"):
        model.fit(X, Y, validation_data=(np.ones((20, 6), "float32"), Y), verbose=0, callbacks=[rec])
    assert rec.calls == [] and model.optimizer.iterations == 0


@pytest.mark.parametrize("method", ["train_on_batch", "test_on_batch"])
def test_every_batch_of_the_batch_methods_is_checked(method):
    # the model runs on two samples once per batch shape; the data and the labels of
    # every later batch are checked too, before the step
    model = _classifier()
    run = getattr(model, method)
    run(X, Y)
    before = model.get_weights()
    iterations = int(model.optimizer.iterations)
    x = _nan_x()
    with pytest.raises(ValueError, match=r"`x` contains NaN or inf"):
        run(x, Y)
    with pytest.raises(ValueError, match=r"label value of 7.*\[0, 2\]"):
        run(X, np.where(Y == 2, 7, Y))
    with pytest.raises(ValueError, match=r"look one-hot encoded"):
        run(X, np.eye(3)[Y])
    with pytest.raises(ValueError, match=r"`sample_weight` contains NaN or inf"):
        run(X, Y, sample_weight=np.where(Y == 1, np.inf, 1.0))
    assert int(model.optimizer.iterations) == iterations
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    run(X[:7], Y[:7])  # a good batch of another length still runs


@pytest.mark.parametrize("method", ["fit", "evaluate"])
def test_later_generator_batches_have_their_labels_checked(method):
    # the first batch is checked against the model; the later ones against the losses
    # it found, before their step (a later batch of other shapes is refused as such)
    def batches():
        yield X, Y
        yield X, Y
        yield X, np.where(Y == 2, 7, Y)

    model = _classifier()
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"Batch 2: Received a label value of 7.*\[0, 2\]"):
        getattr(model, method)(batches(), verbose=0)
    if method == "fit":  # the two good batches trained
        assert int(model.optimizer.iterations) == 2
        assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))


@pytest.mark.parametrize("metric", ["categorical_accuracy", "binary_accuracy", "auc", "precision"])
@pytest.mark.parametrize("method", ["fit", "evaluate", "train_on_batch"])
def test_metrics_that_cannot_read_class_ids_fail_before_training(metric, method):
    # Keras fails inside the first step on the shapes (or, for categorical_accuracy,
    # reports 0.0); here the metric is tried on two samples before any step
    model = _classifier(compile=False)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", metrics=[metric])
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"Metric '\w+' compares labels with predictions value "
                                         r"for value, but received labels of shape \(None,\) for "
                                         r"predictions of shape \(None, 3\)\. The labels look "
                                         r"like class ids: use 'sparse_categorical_accuracy'"):
        getattr(model, method)(X, Y, **({} if method == "train_on_batch" else {"verbose": 0}))
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_the_metric_probe_leaves_no_state_behind():
    # the probe's update is reset: the metrics count the samples of the call only
    model = _classifier(compile=False)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", keras.metrics.SparseTopKCategoricalAccuracy(k=2)])
    probs = model.predict(X, verbose=0)
    logs = model.evaluate(X, Y, return_dict=True, verbose=0)
    np.testing.assert_allclose(logs["accuracy"], np.mean(probs.argmax(axis=1) == Y), rtol=1e-6)
    top2 = np.argsort(-probs, axis=1)[:, :2]
    np.testing.assert_allclose(logs["sparse_top_k_categorical_accuracy"],
                               np.mean((top2 == Y[:, None]).any(axis=1)), rtol=1e-6)
    for metric in model._compile_metrics.flat_metrics:
        assert metric.variables[1].numpy() == len(X)  # (total, count)
    # a generator's first batch is probed inside the epoch, after its metrics were reset
    model.fit(iter([(X, Y), (X, Y)]), verbose=0)
    for metric in model._compile_metrics.flat_metrics:
        assert metric.variables[1].numpy() == 2 * len(X)


def test_a_renamed_sparse_metric_keeps_its_own_error():
    # a sparse metric takes class ids: its errors are not put down to the labels' shape
    model = _classifier(compile=False)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=[keras.metrics.SparseTopKCategoricalAccuracy(k=0, name="top0")])
    with pytest.raises(ValueError, match=r"^sparse_top_k_categorical_accuracy: k must be a "
                                         r"positive integer, received k=0"):
        model.fit(X, Y, verbose=0)
