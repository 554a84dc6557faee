"""Behaviours matched to Keras 3.15.1: the base `call` raises, ml_dtypes floats as training
data, batch callbacks under `steps_per_execution` with `steps_per_epoch`, the warning for
`shuffle` on streams that cannot be shuffled, and the errors for unusable data."""

import inspect
import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers
from kerasx.layers.layer import Layer

rng = np.random.default_rng(0)


# -- the base call ---------------------------------------------------------------------------
class _Misspelled(layers.Layer):
    def cal(self, x):  # `call` misspelled: nothing overrides the base
        return x * 2.0


def test_a_layer_without_call_raises_instead_of_passing_its_input_through():
    # Keras: NotImplementedError "Layer _Misspelled does not have a `call` method implemented."
    message = r"Layer _Misspelled does not have a `call` method implemented"
    with pytest.raises(NotImplementedError, match=message):
        _Misspelled()(np.ones((2, 3), "float32"))
    with pytest.raises(NotImplementedError, match=message):
        _Misspelled()(keras.Input((3,)))
    with pytest.raises(NotImplementedError, match=r"Layer Layer does not have a `call`"):
        layers.Layer()(np.ones((2, 3), "float32"))


def test_a_subclassed_model_without_call_raises():
    class NoCall(keras.Model):
        pass

    # Keras: NotImplementedError "Model NoCall does not have a `call()` method implemented."
    with pytest.raises(NotImplementedError, match=r"Model NoCall does not have a `call\(\)` method"):
        NoCall()(np.ones((2, 3), "float32"))


def test_a_model_subclass_built_from_a_graph_still_calls_its_graph():
    class FromGraph(keras.Model):
        pass

    inputs = keras.Input((3,))
    model = FromGraph(inputs, layers.Dense(2)(inputs))
    assert model(np.ones((4, 3), "float32")).shape == (4, 2)


# bases meant to be subclassed, whose `call` raises in Keras as well
_BASES = {"Layer", "Wrapper", "Model"}


def _public_layer_classes():
    for module in (keras.layers, keras.models):
        for name in dir(module):
            obj = getattr(module, name)
            if inspect.isclass(obj) and issubclass(obj, Layer) and name not in _BASES:
                yield obj


@pytest.mark.parametrize("cls", sorted(set(_public_layer_classes()), key=lambda c: c.__name__),
                         ids=lambda c: c.__name__)
def test_every_public_layer_has_its_own_call(cls):
    assert cls.call is not Layer.call


# -- ml_dtypes floats as data ------------------------------------------------------------------
def _regressor(seed_weights=None):
    model = keras.Sequential([keras.Input((4,)), layers.Dense(1)])
    if seed_weights is not None:
        model.set_weights(seed_weights)
    model.compile("sgd", "mse")
    return model


@pytest.mark.parametrize("which", ["y", "x", "both"])
def test_fit_trains_on_bfloat16_arrays_as_on_their_float32_values(which):
    ml_dtypes = pytest.importorskip("ml_dtypes")
    x = rng.normal(size=(16, 4)).astype(ml_dtypes.bfloat16)
    y = rng.normal(size=(16, 1)).astype(ml_dtypes.bfloat16)
    given_x = x if which in ("x", "both") else x.astype("float32")
    given_y = y if which in ("y", "both") else y.astype("float32")
    start = _regressor().get_weights()
    reference = _regressor(start)
    expected = reference.fit(x.astype("float32"), y.astype("float32"), batch_size=8,
                             shuffle=False, epochs=2, verbose=0).history["loss"]
    model = _regressor(start)
    # Keras 3.15.1 trains on bfloat16 `x` and `y` (casting floats to floatx)
    got = model.fit(given_x, given_y, batch_size=8, shuffle=False, epochs=2,
                    verbose=0).history["loss"]
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    np.testing.assert_allclose(model.evaluate(given_x, given_y, verbose=0),
                               reference.evaluate(x.astype("float32"), y.astype("float32"),
                                                  verbose=0), rtol=1e-6)
    assert model.predict(given_x, verbose=0).dtype == np.float32


# -- steps_per_execution with steps_per_epoch --------------------------------------------------
class _Batches(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.begins, self.ends = [], []

    def on_epoch_begin(self, epoch, logs=None):
        self.begins.append([])
        self.ends.append([])

    def on_train_batch_begin(self, batch, logs=None):
        self.begins[-1].append(batch)

    def on_train_batch_end(self, batch, logs=None):
        self.ends[-1].append(batch)


def test_steps_per_execution_draws_whole_groups_in_each_epoch():
    # Keras's rule: an epoch of steps_per_epoch runs groups at range(0, steps_per_epoch,
    # steps_per_execution), each drawing steps_per_execution batches, and the next epoch
    # continues the pass. 10 batches, steps_per_epoch=5, steps_per_execution=2: the first
    # epoch draws 6 batches, the second the 4 left (Keras 3.15.1: begins [[0, 2, 4], [0, 2]],
    # ends [[1, 3, 5], [1, 3]]), so two epochs see each batch once.
    x = rng.normal(size=(80, 4)).astype("float32")
    y = rng.normal(size=(80, 1)).astype("float32")
    start = _regressor().get_weights()
    model = _regressor(start)
    model.compile("sgd", "mse", steps_per_execution=2)
    seen = _Batches()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the data runs out in the second epoch
        model.fit(x, y, batch_size=8, epochs=2, steps_per_epoch=5, shuffle=False,
                  callbacks=[seen], verbose=0)
    assert seen.begins == [[0, 2, 4], [0, 2]]
    assert seen.ends == [[1, 3, 5], [1, 3]]
    one_pass = _regressor(start)
    one_pass.fit(x, y, batch_size=8, epochs=1, shuffle=False, verbose=0)
    for got, expected in zip(model.get_weights(), one_pass.get_weights()):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_steps_per_execution_on_a_generator_with_steps_per_epoch():
    drawn = []

    def forever():
        while True:
            drawn.append(1)
            yield np.ones((4, 4), "float32"), np.ones((4, 1), "float32")

    model = _regressor()
    model.compile("sgd", "mse", steps_per_execution=3)
    seen = _Batches()
    model.fit(forever(), steps_per_epoch=4, epochs=2, shuffle=False, callbacks=[seen],
              verbose=0)
    # Keras 3.15.1: groups begin at 0 and 3, each of 3 batches: 12 batches drawn and
    # 12 optimizer steps in two epochs of steps_per_epoch=4
    assert seen.begins == [[0, 3], [0, 3]]
    assert seen.ends == [[2, 5], [2, 5]]
    assert len(drawn) == 12
    assert int(keras.ops.convert_to_numpy(model.optimizer.iterations)) == 12


def test_evaluate_and_predict_with_steps_draw_whole_groups():
    # Keras 3.15.1: steps=5 with steps_per_execution=2 runs 3 groups of 2 batches, so 48 of
    # the 80 rows (evaluate gives 744.1667, predict 48 rows)
    model = keras.Sequential([keras.Input((1,)), layers.Dense(1, kernel_initializer="ones",
                                                              use_bias=False)])
    model.compile("sgd", "mse", steps_per_execution=2)
    x = np.arange(80, dtype="float32").reshape(80, 1)
    y = np.zeros((80, 1), "float32")
    expected = np.mean(x[:48].astype("float64") ** 2)
    assert model.evaluate(x, y, batch_size=8, steps=5, verbose=0) == pytest.approx(expected)
    assert model.predict(x, batch_size=8, steps=5, verbose=0).shape == (48, 1)


# -- shuffle on streams ------------------------------------------------------------------------
def _forever():
    while True:
        yield np.ones((4, 4), "float32"), np.ones((4, 1), "float32")


class _Finite(keras.utils.PyDataset):
    def __len__(self):
        return 2

    def __getitem__(self, index):
        return np.ones((4, 4), "float32"), np.ones((4, 1), "float32")


class _Infinite(keras.utils.PyDataset):
    @property
    def num_batches(self):
        return None

    def __getitem__(self, index):
        return np.ones((4, 4), "float32"), np.ones((4, 1), "float32")


def _shuffle_warnings(fit):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit(_regressor())
    return [str(w.message) for w in caught if "shuffle" in str(w.message)]


def test_shuffle_warns_for_a_generator_and_an_infinite_pydataset():
    # Keras 3.15.1 warns "`shuffle=True` was passed, but will be ignored since the data `x`
    # was provided as a generator..." (fit's default shuffle=True) and "...as an infinite
    # PyDataset..."; nothing for shuffle=False, a finite PyDataset or evaluate.
    gen = _shuffle_warnings(lambda m: m.fit(_forever(), steps_per_epoch=2, verbose=0))
    assert len(gen) == 1 and "provided as a generator" in gen[0]
    infinite = _shuffle_warnings(lambda m: m.fit(_Infinite(), steps_per_epoch=2, verbose=0))
    assert len(infinite) == 1 and "provided as an infinite PyDataset" in infinite[0]
    assert _shuffle_warnings(lambda m: m.fit(_forever(), steps_per_epoch=2, shuffle=False,
                                             verbose=0)) == []
    assert _shuffle_warnings(lambda m: m.fit(_Finite(), verbose=0)) == []
    assert _shuffle_warnings(lambda m: m.evaluate(_forever(), steps=2, verbose=0)) == []


# -- unusable data -----------------------------------------------------------------------------
@pytest.mark.parametrize("x", ["abc", b"abc", {"a": "abc"}], ids=["str", "bytes", "dict-str"])
def test_a_string_as_data_is_a_value_error(x):
    # Keras 3.15.1: ValueError "Unrecognized data type: x=abc (of type <class 'str'>)"
    with pytest.raises(ValueError, match=r"`x` holds a string"):
        _regressor().fit(x, np.ones((2, 1), "float32"), verbose=0)


@pytest.mark.parametrize("call", ["fit", "evaluate", "predict"])
def test_an_empty_generator_is_named_as_such(call):
    def empty():
        return
        yield

    # Keras 3.15.1: ValueError "When passing a Python generator to a Keras model, the
    # generator must yield at least one batch. Received an empty generator."
    options = {"shuffle": False} if call == "fit" else {}
    with pytest.raises(ValueError, match=r"must yield at least one batch\. Received an empty"):
        getattr(_regressor(), call)(empty(), verbose=0, **options)
