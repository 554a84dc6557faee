"""An error raised inside a layer's `call` carries the call's context as in Keras, and a
model given inputs of the wrong size names itself, the layer that failed and the shapes."""

import re
import traceback

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers

X = np.zeros((2, 3), "float32")
# an array argument as the message shows it: `np.ndarray(...)` on NumPy, as Keras's
# NumPy backend writes it (`jnp.ndarray(...)` on JAX)
ARRAY = r"[\w.]+\(shape=\({}\), dtype=float32\)"


class Fails(layers.Layer):
    def call(self, x, training=None):
        raise ValueError("boom")


class Wraps(layers.Layer):
    def __init__(self, inner, **kwargs):
        super().__init__(**kwargs)
        self.inner = inner

    def call(self, x):
        return self.inner(x)


class Scale(layers.Layer):
    """Multiplies by a weight sized by the last axis: other sizes fail to broadcast."""

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1],), initializer="ones")

    def call(self, x):
        return x * self.w


def _raised(fn):
    with pytest.raises(BaseException) as info:
        fn()
    return info.value


def test_the_message_is_keras_s():
    error = _raised(lambda: Fails()(X, training=True))
    # Keras 3.15.1 (JAX backend) gives, with `jnp.ndarray` for the array:
    want = ("Exception encountered when calling Fails.call().\n\n\x1b[1mboom\x1b[0m\n\n"
            "Arguments received by Fails.call():\n  • x=ARRAY\n  • training=True")
    pattern = re.escape(want).replace("ARRAY", ARRAY.format("2, 3"))
    assert type(error) is ValueError
    assert re.fullmatch(pattern, str(error))
    assert error._keras_call_info_injected is True
    assert error.__cause__ is None and error.__suppress_context__


def test_the_traceback_still_reaches_the_raising_line():
    error = _raised(lambda: Fails()(X))
    frames = traceback.extract_tb(error.__traceback__)
    assert frames[-1].name == "call" and "boom" in frames[-1].line


def test_nested_layers_add_the_context_once_at_the_innermost_call():
    error = _raised(lambda: Wraps(Wraps(Fails()))(X))
    assert str(error).count("Exception encountered") == 1
    assert "Fails.call()" in str(error) and "Wraps" not in str(error)


def test_a_build_error_gets_the_context_of_the_calling_layer_only():
    class FailsToBuild(layers.Layer):
        def build(self, input_shape):
            raise ValueError("cannot build")

    # as Keras: a layer's own build is outside its call; the layer calling it adds context
    assert str(_raised(lambda: FailsToBuild()(X))) == "cannot build"
    error = _raised(lambda: Wraps(FailsToBuild())(X))
    assert str(error).startswith("Exception encountered when calling Wraps.call().")
    assert "cannot build" in str(error)


@pytest.mark.parametrize("kind", [TypeError, IndexError, KeyError, NotImplementedError])
def test_the_error_type_is_kept(kind):
    class Raises(layers.Layer):
        def call(self, x):
            raise kind("original")

    error = _raised(lambda: Raises()(X))
    assert type(error) is kind
    assert "original" in str(error) and "Raises.call()" in str(error)


def test_attributes_of_the_error_are_kept():
    class Detailed(ValueError):
        pass

    class Raises(layers.Layer):
        def call(self, x):
            error = Detailed("detailed")
            error.detail = 42
            raise error

    error = _raised(lambda: Raises()(X))
    assert type(error) is Detailed and error.detail == 42 and "Raises.call()" in str(error)


def test_an_error_class_with_another_constructor_passes_unchanged():
    # (Keras turns it into a RuntimeError; its type and text are kept here)
    class TwoArguments(Exception):
        def __init__(self, a, b):
            super().__init__(a, b)

    class Raises(layers.Layer):
        def call(self, x):
            raise TwoArguments("a", "b")

    error = _raised(lambda: Raises()(X))
    assert type(error) is TwoArguments and error.args == ("a", "b")


@pytest.mark.parametrize("kind", [StopIteration, KeyboardInterrupt])
def test_iteration_and_interrupts_pass_unchanged(kind):
    class Raises(layers.Layer):
        def call(self, x):
            raise kind("stop")

    error = _raised(lambda: Raises()(X))
    assert type(error) is kind and str(error) == "stop"


def test_no_context_with_traceback_filtering_off():
    keras.config.disable_traceback_filtering()
    try:
        assert str(_raised(lambda: Fails()(X))) == "boom"
    finally:
        keras.config.enable_traceback_filtering()


def test_containers_and_defaults_are_shown_as_keras_shows_them():
    class Two(layers.Layer):
        def call(self, inputs, scale=1.0):
            raise TypeError("two")

    error = _raised(lambda: Two()([X, X[:, :1]], scale=2.0))
    # Keras 3.15.1: "  • inputs=['jnp.ndarray(shape=(2, 3), dtype=float32)',
    # 'jnp.ndarray(shape=(2, 1), dtype=float32)']\n  • scale=2.0"
    lines = str(error).split("\n")
    assert re.fullmatch(r"  • inputs=\['{}', '{}'\]".format(ARRAY.format("2, 3"),
                                                          ARRAY.format("2, 1")), lines[-2])
    assert lines[-1] == "  • scale=2.0"
    error = _raised(lambda: Two()({"a": X}))
    assert re.fullmatch(r"  • inputs=\{{'a': '{}'\}}".format(ARRAY.format("2, 3")),
                        str(error).split("\n")[-2])
    assert str(error).split("\n")[-1] == "  • scale=1.0"


def test_a_layer_s_own_input_check_is_not_wrapped():
    # as Keras's input-spec errors, raised before `call`: the message names the layer
    dense = layers.Dense(2)
    dense(np.zeros((2, 4), "float32"))
    error = _raised(lambda: dense(np.zeros((2, 5), "float32")))
    assert "Exception encountered" not in str(error) and "'dense'" in str(error)


def test_symbolic_calls_keep_their_own_message():
    error = _raised(lambda: Wraps(Fails())(keras.Input((3,))))
    assert "Exception encountered" not in str(error)
    assert "boom" in str(error) and "(None, 3)" in str(error)


def test_a_layer_failing_inside_a_model_gets_its_context_once():
    class FailsOnSeven(layers.Layer):
        def call(self, x):
            if x.shape[0] == 7:
                raise ValueError("seven")
            return x

    inputs = keras.Input((3,))
    inner = keras.Model(inputs, layers.Dense(2)(FailsOnSeven()(inputs)), name="inner")
    outer_inputs = keras.Input((3,))
    outer = keras.Model(outer_inputs, inner(outer_inputs), name="outer")
    x = np.zeros((7, 3), "float32")
    for run in (lambda: outer(x), lambda: outer.predict(x, batch_size=7, verbose=0)):
        message = str(_raised(run))
        # Keras 3.15.1 gives the same text for both, with `jnp.ndarray` for the array
        want = ("Exception encountered when calling FailsOnSeven.call().\n\n\x1b[1mseven\x1b[0m"
                "\n\nArguments received by FailsOnSeven.call():\n  • x=ARRAY")
        assert re.fullmatch(re.escape(want).replace("ARRAY", ARRAY.format("7, 3")), message)


def _scaler():
    inputs = keras.Input((4,))
    return keras.Model(inputs, Scale(name="scale")(inputs), name="scaler")


def test_a_functional_model_names_itself_the_failing_layer_and_the_shapes():
    error = _raised(lambda: _scaler()(np.zeros((2, 5), "float32")))
    assert type(error) is ValueError
    message = str(error)
    assert "model 'scaler'" in message
    assert "expected shape (None, 4), found shape (2, 5)" in message
    assert "layer 'scale' (Scale) failed on inputs of shape (2, 5): " in message
    assert "Exception encountered" not in message


@pytest.mark.parametrize("with_input", [True, False])
def test_a_sequential_model_names_itself_the_failing_layer_and_the_shapes(with_input):
    stack = [keras.Input((4,))] if with_input else []
    model = keras.Sequential(stack + [Scale(name="scale")], name="stack")
    model(np.zeros((2, 4), "float32"))
    error = _raised(lambda: model(np.zeros((3, 5), "float32")))
    assert type(error) is ValueError
    message = str(error)
    # a model built by its first batch takes any batch size: None is shown
    assert "model 'stack'" in message and "expected shape (None, 4), found shape (3, 5)" in message
    assert "layer 'scale' (Scale) failed on inputs of shape (3, 5): " in message


def test_predict_and_fit_name_the_layer_that_failed_on_the_data():
    model = _scaler()
    model.compile(optimizer="sgd", loss="mse")
    x = np.zeros((2, 5), "float32")
    for run in (lambda: model.predict(x, verbose=0),
                lambda: model.fit(x, np.zeros((2, 4), "float32"), verbose=0)):
        message = str(_raised(run))
        assert "model 'scaler' expects inputs of shape (None, 4)" in message
        assert "Run on the first sample: layer 'scale' (Scale) failed on inputs of shape (1, 5)" \
            in message


def test_predict_names_a_layer_whose_own_check_failed():
    inputs = keras.Input((None, 4))
    model = keras.Model(inputs, layers.Dense(2, name="dense")(inputs), name="steps")
    message = str(_raised(lambda: model.predict(np.zeros((2, 3, 5), "float32"), verbose=0)))
    assert "model 'steps' expects inputs of shape (None, None, 4)" in message
    assert re.search(r"Run on the first sample: .*'dense'.*\(1, 3, 5\)", message)


def test_a_fully_convolutional_model_still_runs_on_another_image_size():
    inputs = keras.Input((32, 32, 3))
    model = keras.Model(inputs, layers.Conv2D(2, 3)(inputs))
    x = np.zeros((2, 28, 28, 3), "float32")
    assert tuple(model(x).shape) == (2, 26, 26, 2)
    assert model.predict(x, verbose=0).shape == (2, 26, 26, 2)
