"""Whole training runs compared with Keras 3.15.1.

`test_golden_recipe` replays the `fuzz_training` golden family: random compile / fit /
evaluate / predict recipes (tests/golden/training_recipe.py) that Keras ran from the stored
initial weights; kerasx must give the same History (keys, order, per-epoch values), final
weights, evaluate / predict / test_on_batch / train_on_batch results.
"""

import numpy as np
import pytest

import kerasx as keras
from tests.golden.loader import load_cases
from tests.golden.training_recipe import replay_case, run_recipe

GOLDEN = load_cases("fuzz_training")
pytestmark = pytest.mark.filterwarnings("ignore:The training data ran out")


@pytest.mark.parametrize("case", GOLDEN, ids=[c["name"] for c in GOLDEN])
def test_golden_recipe(case):
    replay_case(keras, case, run_recipe)


def _sparse_classifier():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(25, 4)).astype("float32")
    y = rng.integers(0, 3, size=(25,)).astype("int32")
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="softmax")])
    model.compile(optimizer=keras.optimizers.AdamW(0.05, weight_decay=0.1),
                  loss="sparse_categorical_crossentropy",
                  metrics=["sparse_top_k_categorical_accuracy", "sparse_categorical_accuracy",
                           "accuracy"],
                  weighted_metrics=["sparse_categorical_accuracy"])
    return model, x, y


def test_history_keys_sorted_across_training_and_validation():
    model, x, y = _sparse_classifier()
    sw = np.linspace(0.5, 1.5, 7).astype("float32")
    history = model.fit(x, y, batch_size=7, epochs=1, verbose=0, shuffle=False,
                        validation_data=(x[:7], y[:7], sw),
                        callbacks=[keras.callbacks.ReduceLROnPlateau("val_loss", patience=0)])
    # Keras 3.15.1 gives this order (its CallbackList sorts the logs of every hook;
    # ReduceLROnPlateau then adds learning_rate)
    assert list(history.history) == [
        "accuracy", "loss", "sparse_categorical_accuracy", "sparse_top_k_categorical_accuracy",
        "val_accuracy", "val_loss", "val_sparse_categorical_accuracy",
        "val_sparse_top_k_categorical_accuracy", "val_weighted_sparse_categorical_accuracy",
        "weighted_sparse_categorical_accuracy", "learning_rate"]


def test_callbacks_get_a_sorted_copy_of_the_epoch_logs():
    model, x, y = _sparse_classifier()
    seen = {}

    class Record(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen["epoch_end"] = list(logs)

        def on_train_end(self, logs=None):
            seen["train_end"] = list(logs)

    model.fit(x, y, batch_size=7, epochs=1, verbose=0, validation_data=(x[:7], y[:7]),
              callbacks=[keras.callbacks.ReduceLROnPlateau("val_loss", patience=0), Record()])
    assert seen["epoch_end"][-1] == "learning_rate"
    assert seen["epoch_end"][:-1] == sorted(seen["epoch_end"][:-1])
    # Keras 3.15.1: on_train_end gets the epoch's own logs, without what callbacks added
    assert "learning_rate" not in seen["train_end"]
    assert seen["train_end"] == sorted(seen["train_end"])


def test_validation_steps_start_at_the_first_batch_every_epoch():
    model, x, y = _sparse_classifier()
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    history = model.fit(x, y, batch_size=5, epochs=3, verbose=0, shuffle=False,
                        steps_per_epoch=2, validation_data=(x[:12], y[:12]), validation_steps=1)
    # Keras 3.15.1 resets the cached validation iterator before each evaluation, so every
    # epoch validates on rows 0-4 (kerasx had gone on to rows 5-9, then 10-11)
    first_batch_loss = model.evaluate(x[:5], y[:5], verbose=0)
    np.testing.assert_allclose(history.history["val_loss"][-1], first_batch_loss, rtol=1e-6)
