"""`kerasx.Variable` takes Keras's keyword arguments and checks their values."""

import numpy as np
import pytest

import kerasx as keras


def test_keras_keyword_arguments_are_taken_and_kept():
    v = keras.Variable(np.zeros(3), trainable=False, autocast=False, aggregation="sum",
                       synchronization="on_read", name="counts")
    assert (v.autocast, v.aggregation, v.synchronization, v.layout) == (
        False, "sum", "on_read", None)
    assert v.name == "counts" and not v.trainable


@pytest.mark.parametrize("kwargs, message", [
    ({"aggregation": "max"}, "invalid aggregation='max'"),
    ({"synchronization": "always"}, "invalid synchronization='always'"),
])
def test_invalid_values_are_refused(kwargs, message):
    with pytest.raises(ValueError, match=message):
        keras.Variable(np.zeros(2), **kwargs)
