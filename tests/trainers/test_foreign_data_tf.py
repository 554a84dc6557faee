"""TensorFlow tensors and `tf.data.Dataset` in fit / evaluate / predict."""

import warnings

import numpy as np
import pytest

from tests.trainers.helpers import (assert_same_run as _same_run, classifier, copy_weights,
                                   fit_run as _fit, make_data)

tf = pytest.importorskip("tensorflow")


def test_tensors_and_a_dataset_train_like_the_arrays():
    x, y = make_data(n=24)
    base = classifier()
    want = _fit(copy_weights(base, classifier()), x, y, batch_size=8, epochs=2)
    got = _fit(copy_weights(base, classifier()), tf.constant(x, tf.float64), tf.constant(y),
               batch_size=8, epochs=2)
    _same_run(want, got)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    _same_run(want, _fit(copy_weights(base, classifier()), dataset, epochs=2))
    assert base.evaluate(dataset, verbose=0) == base.evaluate(x, y, batch_size=8, verbose=0)
    np.testing.assert_array_equal(base.predict(dataset, verbose=0), base.predict(x, verbose=0))


def test_cardinality_gives_the_steps_and_class_weight_applies():
    x, y = make_data(n=24)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    model = classifier()
    with pytest.raises(ValueError, match=r"tf.data.Dataset is infinite.*steps_per_epoch"):
        model.fit(dataset.repeat(), verbose=0, shuffle=False)
    history, _ = _fit(model, dataset.repeat(), steps_per_epoch=2, epochs=2)
    assert len(history["loss"]) == 2
    history, _ = _fit(model, dataset.filter(lambda a, b: True), epochs=2)  # unknown length
    assert len(history["loss"]) == 2
    base = classifier()
    table = {0: 1.0, 1: 3.0, 2: 0.5}
    want = _fit(copy_weights(base, classifier()), x, y, batch_size=8, class_weight=table)
    _same_run(want, _fit(copy_weights(base, classifier()), dataset, class_weight=table))


def test_keras_refusals_and_warnings_for_a_dataset():
    x, y = make_data(n=16)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(8)
    model = classifier()
    with pytest.raises(ValueError, match=r"received a tf.data.Dataset as x and also y"):
        model.fit(dataset, y, verbose=0, shuffle=False)
    with pytest.warns(UserWarning, match=r"ignored since the data `x` was provided as a "
                                         r"tf.data.Dataset"):
        model.fit(dataset, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(dataset, verbose=0, shuffle=False)
