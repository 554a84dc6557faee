"""Bad input to the foundation's public entry points gets an actionable error."""

import warnings

import numpy as np
import pytest

import kerasx as keras

X = np.random.default_rng(0).random((20, 4)).astype("float32")
Y = np.arange(20) % 3


def _classifier(compile=True, loss="sparse_categorical_crossentropy"):
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(3, activation="softmax")])
    if compile:
        model.compile(optimizer="adam", loss=loss, metrics=["accuracy"])
    return model


def test_fit_before_compile():
    with pytest.raises(RuntimeError, match=r"must call compile\(\) before fit\(\).*model.compile"):
        _classifier(compile=False).fit(X, Y, verbose=0)


def test_feature_size_does_not_match_the_model():
    with pytest.raises(ValueError, match=r"shape \(20, 5\).*expects inputs of shape \(None, 4\)"):
        _classifier().fit(np.ones((20, 5), "float32"), Y, verbose=0)


def test_feature_size_mismatch_without_declared_input_names_the_layer():
    model = keras.Sequential([keras.layers.Dense(3)])
    model.compile(optimizer="sgd", loss="mse")
    model.fit(X, np.ones((20, 3), "float32"), verbose=0)
    # built on the first batch (all 20 samples), whose size it keeps, as Keras; any batch
    # size runs, so the error shows None for it
    assert model.input_shape == (20, 4)
    assert model.predict(np.ones((7, 4), "float32"), verbose=0).shape == (7, 3)
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 4\)"):
        model.predict(np.ones((20, 6), "float32"), verbose=0)
    with pytest.raises(ValueError, match=r"Dense layer 'dense'.*last dimension 4.*\(2, 6\)"):
        model.layers[0](np.ones((2, 6), "float32"))


def test_x_and_y_of_different_lengths():
    with pytest.raises(ValueError, match=r"different numbers of samples \(x: \[20\], y: \[19\]\)"):
        _classifier().fit(X, Y[:19], verbose=0)


def test_one_hot_labels_with_sparse_loss():
    with pytest.raises(ValueError, match=r"look one-hot encoded.*categorical_crossentropy"):
        _classifier().fit(X, np.eye(3)[Y], verbose=0)


def test_out_of_range_class_ids():
    with pytest.raises(ValueError, match=r"label value of 7.*\[0, 2\].*3 output classes"):
        _classifier().fit(X, np.where(Y == 2, 7, Y), verbose=0)


def test_negative_class_ids():
    with pytest.raises(ValueError, match=r"label value of -1"):
        _classifier().fit(X, Y - 1, verbose=0)


def test_integer_labels_with_categorical_loss():
    with pytest.raises(ValueError, match=r"expects one-hot labels.*to_categorical"):
        _classifier(loss="categorical_crossentropy").fit(X, Y, verbose=0)


def test_binary_labels_outside_unit_interval():
    model = keras.Sequential([keras.Input(shape=(4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile(optimizer="adam", loss="binary_crossentropy")
    with pytest.raises(ValueError, match=r"labels in \[0, 1\].*from 0.0 to 2.0"):
        model.fit(X, Y.astype("float32"), verbose=0)


@pytest.mark.parametrize("loss", ["mse", "mae", "huber", "binary_crossentropy"])
def test_one_label_per_sample_for_several_output_units(loss):
    # Keras broadcasts the (samples,) labels against (samples, 3) outputs and fails on the
    # shapes inside the loss; here the labels are refused before training, with the fix
    model = _classifier(loss=loss)
    with pytest.raises(ValueError, match=r"one label per sample \(shape \(20,\)\) for a "
                                         r"model output of shape \(None, 3\).*\(samples, 3\)"
                                         r".*Dense\(1\)"):
        model.fit(X, (Y % 2).astype("float32"), verbose=0)
    # a custom loss may take one class id per sample: it is left alone
    custom = _classifier(loss=lambda y_true, y_pred: keras.ops.mean(y_pred, axis=-1) * 0.0)
    custom.fit(X, Y.astype("float32"), verbose=0)


@pytest.mark.parametrize("units, y, pattern", [
    (3, np.where(Y == 2, 7, Y), r"label value of 7.*\[0, 2\].*'sparse_categorical_crossentropy'"),
    (1, Y.astype("float32"), r"'binary_crossentropy' expects labels in \[0, 1\].*from 0.0 to 2.0"),
    (3, np.eye(2)[Y % 2],
     r"'categorical_crossentropy' expects one-hot labels of shape \(batch, 3\)"),
], ids=["sparse", "binary", "one_hot"])
def test_the_crossentropy_alias_checks_labels_as_the_loss_it_becomes(units, y, pattern):
    # "crossentropy" stays a name until the first batch shows which loss it is; the labels
    # are checked against that loss before any step, in fit and in evaluate alike
    model = keras.Sequential([keras.Input(shape=(4,)),
                              keras.layers.Dense(units, activation="softmax" if units > 1
                                                 else "sigmoid")])
    model.compile(optimizer="sgd", loss="crossentropy")
    before = model.get_weights()
    with pytest.raises(ValueError, match=pattern):
        model.fit(X, y, verbose=0)
    with pytest.raises(ValueError, match=pattern):
        model.evaluate(X, y, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("kind, kwargs, pattern", [
    ("optimizer", {"optimizer": "adamm", "loss": "mse"}, r"Unknown optimizer: 'adamm'. Did you mean 'adam'"),
    ("loss", {"optimizer": "sgd", "loss": "mean_squared_eror"},
     r"Unknown loss: 'mean_squared_eror'. Did you mean 'mean_squared_error'"),
    ("metric", {"optimizer": "sgd", "loss": "sparse_categorical_crossentropy", "metrics": ["acuracy"]},
     r"Unknown metric: 'acuracy'. Did you mean 'accuracy'"),
])
def test_unknown_names_suggest_the_closest(kind, kwargs, pattern):
    model = _classifier(compile=False)
    with pytest.raises(ValueError, match=pattern):
        model.compile(**kwargs)
        model.fit(X, Y, verbose=0)


def test_nan_in_inputs_is_reported_before_training():
    x = X.copy()
    x[3, 2] = np.nan
    model = _classifier()
    before = model.get_weights()
    with pytest.raises(ValueError, match=r"`x` contains NaN or inf \(first at index \(3, 2\)"):
        model.fit(x, Y, verbose=0)
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_batch_size_and_validation_split_are_checked():
    with pytest.raises(ValueError, match=r"batch_size must be a positive integer, received batch_size=-4"):
        _classifier().fit(X, Y, batch_size=-4, verbose=0)
    with pytest.raises(ValueError, match=r"validation_split must be in \[0, 1\), received validation_split=1.5"):
        _classifier().fit(X, Y, validation_split=1.5, verbose=0)


def test_missing_labels_for_a_supervised_loss():
    with pytest.raises(ValueError, match=r"received no target data y.*Pass y"):
        _classifier().fit(X, verbose=0)


def test_dense_argument_and_layer_errors():
    with pytest.raises(ValueError, match=r"units must be a positive integer, received units=0"):
        keras.layers.Dense(0)
    with pytest.raises(TypeError, match=r"Unrecognized keyword arguments passed to Dense: \['unit'\]"):
        keras.layers.Dense(3, unit=4)
    with pytest.raises(ValueError, match=r"expects a Layer instance.*Dense\(10\)"):
        keras.Sequential([keras.layers.Dense])
    with pytest.raises(ValueError, match=r"Dropout: Invalid value received for argument `rate`.*between 0 and 1.*rate=1.5"):
        keras.layers.Dropout(1.5)


def test_set_weights_checks_count_and_shapes():
    model = _classifier()
    with pytest.raises(ValueError, match=r"expects 2 weight arrays"):
        model.set_weights([np.zeros((4, 3))])
    with pytest.raises(ValueError, match=r"weight 'kernel' has shape \(4, 3\) but the value given has shape \(3, 3\)"):
        model.set_weights([np.zeros((3, 3)), np.zeros(3)])


def test_input_shape_on_a_layer_warns_as_keras_and_still_builds_the_sequential():
    with pytest.warns(UserWarning, match=r"Do not pass an `input_shape`/`input_dim`.*Input"):
        model = keras.Sequential([keras.layers.Dense(3, input_shape=(4,))])
    assert model.built and model.output_shape == (None, 3)
    with pytest.warns(UserWarning, match="input_dim"):
        keras.layers.Dense(3, input_dim=4)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        keras.layers.Embedding(10, 3)  # its own `input_dim`, not the input's shape
        keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])
