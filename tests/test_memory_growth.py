"""Loops that run for hours must not grow: what a dropped model, a class defined inside
a function, a call or a fit leaves behind is collected, and what is kept per batch
signature is bounded. (Checked with weak references and counts, never the process's
memory.)"""

import gc
import weakref

import numpy as np
import pytest

import kerasx
from kerasx import layers, ops
from kerasx.backends import current
from kerasx.models import eager_replay
from kerasx.trainers.compiled_step import MAX_SIGNATURES
from kerasx.utils import per_class_cache
from kerasx.utils.per_class_cache import remember

X = np.random.default_rng(0).normal(size=(16, 4)).astype("float32")
Y = np.arange(16) % 3


def _collected(*refs):
    # two passes: a key that a collected value held in a weak dictionary is let go of
    # only when that value's callback has run, during the first
    gc.collect()
    gc.collect()
    return [ref() is None for ref in refs]


def _small_model():
    inputs = kerasx.Input((4,))
    outputs = layers.Dense(3)(layers.Dense(8, activation="relu")(inputs))
    model = kerasx.Model(inputs, outputs)
    model.compile("adam", kerasx.losses.SparseCategoricalCrossentropy(from_logits=True),
                  metrics=["accuracy"])
    return model


def test_per_class_cache_drops_a_collected_class():
    first, second = {}, {}

    class Kept:
        pass

    def remember_a_new_class():
        class Passing:
            pass
        remember(first, Passing, "value")
        remember(second, Passing, "other")
        return weakref.ref(Passing), id(Passing)

    remember(first, Kept, 1)
    passing, key = remember_a_new_class()
    assert first[key] == "value" and second[key] == "other"
    assert _collected(passing) == [True]
    assert first == {id(Kept): 1} and second == {}
    assert key not in per_class_cache._WATCHED and id(Kept) in per_class_cache._WATCHED


def _layer_and_model_classes_used_once():
    """A layer and a Model subclass defined, built and called as a hyperparameter
    search's `build_model` would at each trial; weak references to both classes."""

    class Scale(layers.Layer):  # no get_config: the constructor's arguments are its config
        def __init__(self, units=3, **kwargs):
            super().__init__(**kwargs)
            self.units = units

        def build(self, shape, offset_shape=None):
            self.w = self.add_weight(shape=(shape[-1], self.units))

        def call(self, x, offset=None, training=None):
            y = ops.matmul(x, self.w)
            return y if offset is None else y + offset

    class Net(kerasx.Model):
        pass

    inputs = kerasx.Input((4,))
    model = Net(inputs, Scale()(inputs))  # a Model subclass built from a graph
    model(X, training=False)
    model.predict(X, verbose=0)
    layer = Scale(units=2)
    layer(X, offset=np.ones((16, 2), "float32"))
    assert layer.get_config()["units"] == 2
    return weakref.ref(Scale), weakref.ref(Net)


def test_layer_and_model_classes_defined_in_a_function_are_collected():
    refs = _layer_and_model_classes_used_once()
    assert _collected(*refs) == [True, True]


@pytest.mark.skipif(current().name == "array_api_strict",
                    reason="array_api_strict has no float16")
def test_layer_class_called_under_a_half_precision_policy_is_collected():
    def used_once():
        class Half(layers.Layer):
            def call(self, x):
                return x * 2.0

        Half(dtype="mixed_float16")(X)
        layers.Dense(2, dtype="mixed_float16")(X)
        return weakref.ref(Half)

    assert _collected(used_once()) == [True]


def test_model_class_that_computed_a_loss_is_collected():
    def trained_once():
        class Net(kerasx.Model):
            pass

        inputs = kerasx.Input((4,))
        model = Net(inputs, layers.Dense(3)(inputs))
        model.compile("sgd", "sparse_categorical_crossentropy")
        model.train_on_batch(X, Y)
        return weakref.ref(Net)

    assert _collected(trained_once()) == [True]


def test_models_built_and_trained_in_a_loop_are_collected():
    """build + compile + fit + evaluate + predict + eager calls + a custom step, then
    `clear_session`: no model of an earlier trial stays alive."""
    refs = []
    x = current().asarray(X)
    for _ in range(2):
        model = _small_model()
        model.fit(X, Y, epochs=2, batch_size=8, validation_split=0.25, verbose=0)
        model.evaluate(X, Y, verbose=0)
        model.predict(X, verbose=0)
        for _ in range(eager_replay.CALL_RECORD_AFTER + 3):  # recorded and replayed
            model(x)
        with kerasx.GradientTape() as tape:
            loss = ops.sum(model(x, training=True))
        tape.gradient(loss, model.trainable_weights)
        refs += [weakref.ref(model), weakref.ref(model.history)]
        del model, loss, tape
        kerasx.backend.clear_session()
    assert _collected(*refs) == [True] * len(refs)


def test_earlier_histories_and_call_outputs_are_not_kept():
    model = _small_model()
    first = weakref.ref(model.fit(X, Y, epochs=1, verbose=0))
    model.fit(X, Y, epochs=1, verbose=0)
    x = current().asarray(X)
    outputs = []
    for _ in range(eager_replay.CALL_RECORD_AFTER + 3):
        outputs.append(weakref.ref(model(x)))
        with kerasx.GradientTape():  # a tape closed without taking a gradient
            outputs.append(weakref.ref(model(x)))
    assert _collected(first, *outputs) == [True] * (1 + len(outputs))


def test_eager_calls_on_ever_new_batch_sizes_keep_a_bounded_number_of_recordings():
    model = _small_model()
    sizes = range(1, MAX_SIGNATURES + 5)
    for size in sizes:
        x = current().asarray(X[:size] if size <= 16 else np.resize(X, (size, 4)))
        for _ in range(eager_replay.CALL_RECORD_AFTER + 3):
            model(x)
    calls = model.__dict__.get("_eager_calls")
    kept = {training: len(step.programs) for training, step in calls.steps.items()}
    if current().step_recorder() is None:  # nothing is recorded on this backend
        assert kept == {}
    else:
        assert kept == {None: MAX_SIGNATURES}
