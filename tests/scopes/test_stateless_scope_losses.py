"""`StatelessScope(collect_losses=...)` and `Layer.add_loss`, and the paths of variables
created inside `name_scope`, as in Keras 3."""

import numpy as np

import kerasx as keras
from kerasx import ops
from tests.conftest import to_numpy

x = np.ones((3, 2), "float32")


class _Inner(keras.layers.Layer):
    def build(self, input_shape):
        self.w = self.add_weight((2,), "ones", regularizer=keras.regularizers.L1(1.0), name="w")

    def call(self, inputs):
        self.add_loss(ops.sum(inputs))
        return inputs * self.w


class _Outer(keras.layers.Layer):
    def __init__(self):
        super().__init__()
        self.inner = _Inner()
        self.dense = keras.layers.Dense(2, activity_regularizer="l2")

    def call(self, inputs):
        return self.dense(self.inner(inputs))


def _floats(losses):
    return [float(to_numpy(loss)) for loss in losses]


def _mapped_to_twos(layer):
    return [(v, np.full(v.shape, 2.0, "float32")) for v in layer.trainable_variables]


def _expected_in_scope():
    """Keras's `losses` with every weight 2.0: the inner layer's `add_loss`, the dense
    layer's activity penalty (l2 of its outputs, 10.0 each, over the batch), then the
    L1 penalty of `w`."""
    return [6.0, 0.01 * 6 * 10.0 ** 2 / 3, 4.0]


def test_a_collecting_scope_takes_the_losses_the_call_adds():
    layer = _Outer()
    layer(x)
    assert len(layer.losses) == 3  # an eager call: its two losses and the penalty
    with keras.StatelessScope(_mapped_to_twos(layer), collect_losses=True) as scope:
        layer(x)
        np.testing.assert_allclose(_floats(layer.losses), _expected_in_scope(), rtol=1e-6)
        np.testing.assert_allclose(_floats(layer.inner.losses), [6.0, 4.0], rtol=1e-6)
    np.testing.assert_allclose(_floats(scope.losses), _expected_in_scope()[:2], rtol=1e-6)
    # as in Keras, the call in the scope cleared the eager losses: the penalty is left
    np.testing.assert_allclose(_floats(layer.losses), [2.0])


def test_a_scope_that_does_not_collect_drops_them():
    layer = _Outer()
    layer(x)
    with keras.StatelessScope(_mapped_to_twos(layer)) as scope:
        layer(x)
        # only the penalty, of the weights' values in the scope
        np.testing.assert_allclose(_floats(layer.losses), [4.0])
    assert scope.losses == []
    np.testing.assert_allclose(_floats(layer.losses), [2.0])


def test_add_loss_flattens_a_list_into_the_scope_and_keeps_it_outside():
    layer = keras.layers.Layer()
    first, second = ops.convert_to_tensor(1.0), ops.convert_to_tensor(2.0)
    with keras.StatelessScope(collect_losses=True) as scope:
        layer.add_loss([first, second])
        assert layer.losses == [first, second]
    assert scope.losses == [first, second] and layer.losses == []
    layer.add_loss(first)
    assert layer.losses == [first]


def test_stateless_call_returns_the_losses_of_the_call():
    layer = _Outer()
    layer(x)
    values = [np.full(v.shape, 2.0, "float32") for v in layer.trainable_variables]
    _, _, losses = layer.stateless_call(values, [], x, return_losses=True)
    np.testing.assert_allclose(_floats(losses), _expected_in_scope(), rtol=1e-6)


def test_variables_made_in_a_name_scope_get_its_path():
    assert keras.Variable(1.0, name="w").path == "w"
    with keras.name_scope("a"):
        assert keras.Variable(1.0, name="w").path == "a/w"
        with keras.name_scope("b"):
            assert keras.Variable(1.0, name="w").path == "a/b/w"
        with keras.name_scope("b", override_parent="z"):
            assert keras.Variable(1.0, name="u").path == "z/b/u"
        dense = keras.layers.Dense(2)
        dense.build((None, 3))
        assert dense.kernel.path == f"a/{dense.name}/kernel"


def test_a_variable_made_in_build_gets_the_path_of_its_layer():
    class Own(keras.layers.Layer):
        def build(self, input_shape):
            self.v = keras.Variable(np.ones(2, "float32"), name="v")

        def call(self, inputs):
            return inputs * self.v

    model = keras.Sequential([keras.Input((2,)), Own(name="inner")], name="seq")
    assert model.layers[0].v.path == "seq/inner/v"
