"""Optimizer behaviours checked against Keras 3.15.1's optimizer unit tests and
against Keras itself (values in comments were computed with Keras 3.15.1)."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import optimizers


def _grad(*shape):
    return np.ones(shape, dtype="float32")


def test_lion_beta_1_error_has_keras_wording():
    # Keras 3.15.1's lion_test matches "Argument `beta_1` must be in the \[0, 1\] range"
    with pytest.raises(ValueError, match=r"Argument `beta_1` must be in the \[0, 1\] range"):
        optimizers.Lion(beta_1=-0.1)
    with pytest.raises(ValueError, match=r"Received: beta_1=0\.0"):
        optimizers.Lion(beta_1=0.0)


@pytest.mark.parametrize("make", [
    lambda: optimizers.Adam(),
    lambda: optimizers.MultiOptimizer(optimizers.OptimizerMap(optimizers.SGD())),
])
def test_set_weights_on_unbuilt_optimizer_has_keras_wording(make):
    # Keras 3.15.1's optimizer_test matches "You are calling*"
    with pytest.raises(ValueError, match=r"You are calling `set_weights\(\)` on an optimizer "
                                         r"that has not yet been built"):
        make().set_weights([np.zeros((), "int32")])


def test_set_weights_after_build_copies_every_variable():
    x = keras.Variable([[1.0, 2.0], [3.0, 4.0]])
    first = optimizers.Adam()
    first.apply_gradients([(np.array([[1.0, 2.0], [3.0, 4.0]], "float32"), x)])
    second = optimizers.Adam()
    second.build([x])
    second.set_weights(first.variables)
    for a, b in zip(first.variables, second.variables):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a),
                                      keras.ops.convert_to_numpy(b))


def test_ema_momentum_error_has_keras_wording():
    with pytest.raises(ValueError, match=r"`ema_momentum` must be in the range \[0, 1\]\. "
                                         r"Received: ema_momentum=1\.5"):
        optimizers.Adam(use_ema=True, ema_momentum=1.5)


def _last_variable(optimizer):
    return optimizer.variables[-1]


def test_nadam_u_product_is_unnamed_and_scoped_when_built_by_apply():
    keras.backend.clear_session()
    w = keras.Variable(np.ones((2,), "float32"))
    optimizer = optimizers.Nadam()
    optimizer.apply_gradients([(_grad(2), w)])
    # Keras 3.15.1: paths [..., 'nadam/variable_momentum', 'nadam/variable_velocity',
    # 'nadam/variable_1'] (the model variable took the name 'variable')
    assert [v.path for v in optimizer.variables] == [
        "nadam/iteration", "nadam/learning_rate", "nadam/variable_momentum",
        "nadam/variable_velocity", "nadam/variable_1"]
    assert _last_variable(optimizer).name == "variable_1"
    # Keras 3.15.1 gives u_product 0.46799996 after one step (0.9 * (1 - 0.5 * 0.96))
    np.testing.assert_allclose(keras.ops.convert_to_numpy(_last_variable(optimizer)),
                               0.9 * (1 - 0.5 * 0.96), rtol=1e-6)


def test_nadam_u_product_is_unscoped_when_built_explicitly():
    keras.backend.clear_session()
    w = keras.Variable(np.ones((2,), "float32"))
    optimizer = optimizers.Nadam()
    optimizer.build([w])
    # Keras 3.15.1: [..., 'nadam/variable_momentum', 'nadam/variable_velocity', 'variable_1']
    assert _last_variable(optimizer).path == "variable_1"
    again = optimizers.Nadam()
    again.build([w])
    assert _last_variable(again).name == "variable_2"


def test_nadam_in_fit_keeps_keras_paths():
    keras.backend.clear_session()
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="nadam", loss="mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)
    # Keras 3.15.1 (compile builds the optimizer outside its name scope)
    assert [v.path for v in model.optimizer.variables] == [
        "nadam/iteration", "nadam/learning_rate", "nadam/sequential_dense_kernel_momentum",
        "nadam/sequential_dense_kernel_velocity", "nadam/sequential_dense_bias_momentum",
        "nadam/sequential_dense_bias_velocity", "variable"]


class _WithOwnVariable(optimizers.SGD):
    """An optimizer whose `build` makes a plain Variable (as Keras's Nadam does)."""

    def build(self, variables):
        if self.built:
            return
        super().build(variables)
        self.extra = keras.Variable(0.0, name="extra")
        self._variables.append(self.extra)


def test_variables_a_build_makes_are_under_the_optimizer_name_when_built_by_apply():
    w = keras.Variable(np.ones((2,), "float32"))
    optimizer = _WithOwnVariable(name="custom_sgd")
    optimizer.apply_gradients([(_grad(2), w)])
    assert optimizer.extra.path == "custom_sgd/extra"
    built = _WithOwnVariable(name="custom_sgd_2")
    built.build([w])
    assert built.extra.path == "extra"
