"""`Layer.compute_output_spec`: a layer that declares its outputs is taken at its word in
functional models; the default gives unrecorded KerasTensors."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import ops


class Split(keras.layers.Layer):
    """Outputs a dict whose second entry is int32: declared, not probed."""

    probes = 0

    def call(self, x):
        Split.probes += 1
        n = ops.shape(x)[-1] // 2
        return {"a": x[..., :n], "b": ops.cast(x[..., n:] > 0, "int32")}

    def compute_output_spec(self, x):
        half = x.shape[-1] // 2
        return {"a": keras.KerasTensor(x.shape[:-1] + (half,), x.dtype),
                "b": keras.KerasTensor(x.shape[:-1] + (x.shape[-1] - half,), "int32")}


def test_a_declared_spec_shapes_the_functional_outputs():
    inputs = keras.Input((6,))
    Split.probes = 0
    outputs = Split()(inputs)
    assert Split.probes == 0  # the layer did not run on probe arrays
    assert (outputs["a"].shape, outputs["b"].shape, outputs["b"].dtype) == (
        (None, 3), (None, 3), "int32")
    result = keras.Model(inputs, outputs).predict(np.array([[1, 2, 3, -1, 0, 5]], "float32"),
                                                  verbose=0)
    np.testing.assert_array_equal(result["b"], [[0, 0, 1]])


def test_the_default_spec_does_not_record_a_call():
    dense = keras.layers.Dense(4)
    spec = dense.compute_output_spec(keras.KerasTensor((None, 5)))
    assert spec.shape == (None, 4) and spec.dtype == "float32"
    assert not dense.built  # from Dense.compute_output_shape, as in Keras
    probe = keras.layers.Lambda(lambda x: ops.concatenate([x, x], axis=-1))
    assert probe.compute_output_spec(keras.KerasTensor((None, 3))).shape == (None, 6)
    with pytest.raises(AttributeError, match="never been called on a symbolic tensor"):
        probe.output  # the spec's probe recorded no call


def test_a_spec_that_is_not_keras_tensors_is_refused():
    class Bad(keras.layers.Layer):
        def call(self, x):
            return x

        def compute_output_spec(self, x):
            return (None, 3)

    with pytest.raises(TypeError, match="compute_output_spec must return KerasTensors"):
        Bad()(keras.Input((3,)))
