"""Each `fit` argument has its documented effect (Keras 3 semantics)."""

import warnings

import numpy as np
import pytest

import kerasx as keras
from tests.trainers.helpers import (Recorder, classifier, copy_weights,
                                    infinite_batches, make_data, recording_classifier)


def test_batch_size_sets_the_number_and_size_of_steps():
    x, y = make_data(n=64)
    model = recording_classifier()
    rec = Recorder()
    model.fit(x, y, batch_size=10, epochs=1, verbose=0, shuffle=False, callbacks=[rec])
    assert [len(b) for b in model.seen] == [10] * 6 + [4]
    assert rec.params["steps"] == 7
    model.seen.clear()
    model.fit(x, y, epochs=1, verbose=0)  # default batch size 32
    assert [len(b) for b in model.seen] == [32, 32]


def test_epochs_is_the_number_of_passes_and_zero_trains_nothing():
    x, y = make_data()
    model = classifier()
    before = model.get_weights()
    history = model.fit(x, y, epochs=0, verbose=0)
    assert history.history == {} and history.epoch == []
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)
    history = model.fit(x, y, epochs=3, verbose=0)
    assert history.epoch == [0, 1, 2] and len(history.history["loss"]) == 3


def test_initial_epoch_changes_the_epoch_numbers_in_history_and_callbacks(capsys):
    x, y = make_data()
    model = classifier()
    rec = Recorder()
    history = model.fit(x, y, epochs=5, initial_epoch=3, verbose=1, callbacks=[rec])
    assert history.epoch == [3, 4]
    assert len(history.history["loss"]) == 2
    assert [c[1] for c in rec.calls if c[0] == "on_epoch_begin"] == [3, 4]
    assert [c[1] for c in rec.calls if c[0] == "on_epoch_end"] == [3, 4]
    out = capsys.readouterr().out
    assert "Epoch 4/5" in out and "Epoch 5/5" in out and "Epoch 1/5" not in out


def test_validation_split_holds_out_the_last_fraction_before_shuffling():
    x, y = make_data(n=40)
    model = recording_classifier()
    history = model.fit(x, y, validation_split=0.25, batch_size=5, epochs=1, verbose=0,
                        shuffle=True)
    seen = np.concatenate(model.seen)
    assert len(seen) == 30
    assert sorted(map(tuple, seen)) == sorted(map(tuple, x[:30]))  # shuffled, never the last 10
    val_loss = model.evaluate(x[30:], y[30:], verbose=0)
    assert history.history["val_loss"][0] == pytest.approx(val_loss, rel=1e-6)


def test_validation_data_tuple_with_and_without_sample_weight():
    x, y = make_data(n=48)
    xv, yv = make_data(n=20, seed=1)
    sw = np.linspace(0.0, 2.0, 20).astype("float32")
    model = classifier(lr=0.0)  # weights stay fixed, so evaluate() must match exactly
    h2 = model.fit(x, y, validation_data=(xv, yv), epochs=1, verbose=0)
    h3 = model.fit(x, y, validation_data=(xv, yv, sw), epochs=1, verbose=0)
    assert h2.history["val_loss"][0] == pytest.approx(model.evaluate(xv, yv, verbose=0)[0], rel=1e-6)
    weighted = model.evaluate(xv, yv, sample_weight=sw, verbose=0)[0]
    assert h3.history["val_loss"][0] == pytest.approx(weighted, rel=1e-6)
    assert weighted != pytest.approx(h2.history["val_loss"][0])
    assert sorted(h2.history) == ["accuracy", "loss", "val_accuracy", "val_loss"]


def test_validation_freq_validates_every_second_epoch():
    x, y = make_data()
    model = classifier()
    rec = Recorder()
    history = model.fit(x, y, validation_data=(x, y), validation_freq=2, epochs=5, verbose=0,
                        callbacks=[rec])
    assert len(history.history["loss"]) == 5
    assert len(history.history["val_loss"]) == 2
    epoch_logs = rec.logs_of("on_epoch_end")
    assert ["val_loss" in logs for logs in epoch_logs] == [False, True, False, True, False]
    assert rec.names().count("on_test_begin") == 2


def test_validation_freq_as_a_list_of_epochs():
    x, y = make_data()
    rec = Recorder()
    classifier().fit(x, y, validation_data=(x, y), validation_freq=[1, 4], epochs=4, verbose=0,
                     callbacks=[rec])
    assert ["val_loss" in logs for logs in rec.logs_of("on_epoch_end")] == [True, False, False, True]


def test_validation_steps_limits_and_restarts_the_validation_data():
    x, y = make_data(n=32)
    xv, yv = make_data(n=40, seed=1)
    model = classifier(lr=0.0)
    rec = Recorder()
    history = model.fit(x, y, validation_data=(xv, yv), validation_steps=2, batch_size=10,
                        epochs=2, verbose=0, callbacks=[rec])
    assert rec.names().count("on_test_batch_end") == 4
    # Keras 3.15.1 resets its validation iterator before each evaluation: every epoch
    # sees the first two batches (checked: val_loss [1.1193, 1.1193] for this setup).
    first = model.evaluate(xv[:20], yv[:20], verbose=0)[0]
    assert history.history["val_loss"] == pytest.approx([first, first], rel=1e-6)


def test_validation_batch_size_defaults_to_batch_size():
    x, y = make_data(n=32)
    xv, yv = make_data(n=40, seed=1)
    rec = Recorder()
    classifier().fit(x, y, validation_data=(xv, yv), batch_size=10, validation_batch_size=8,
                     epochs=1, verbose=0, callbacks=[rec])
    assert rec.names().count("on_test_batch_end") == 5
    rec = Recorder()
    classifier().fit(x, y, validation_data=(xv, yv), batch_size=10, epochs=1, verbose=0,
                     callbacks=[rec])
    assert rec.names().count("on_test_batch_end") == 4


def test_shuffle_false_keeps_the_order():
    x, y = make_data(n=50)
    model = recording_classifier()
    model.fit(x, y, batch_size=8, epochs=2, shuffle=False, verbose=0)
    seen = np.concatenate(model.seen)
    np.testing.assert_array_equal(seen, np.concatenate([x, x]))


def test_shuffle_true_reshuffles_every_epoch():
    x, y = make_data(n=50)
    model = recording_classifier()
    model.fit(x, y, batch_size=8, epochs=2, shuffle=True, verbose=0)
    first, second = np.concatenate(model.seen[:7]), np.concatenate(model.seen[7:])
    for epoch in (first, second):
        assert not np.array_equal(epoch, x)
        assert sorted(map(tuple, epoch)) == sorted(map(tuple, x))
    assert not np.array_equal(first, second)


def test_shuffle_batch_permutes_only_within_contiguous_batches():
    x, y = make_data(n=50)
    model = recording_classifier()
    model.fit(x, y, batch_size=8, epochs=1, shuffle="batch", verbose=0)
    assert len(model.seen) == 7
    moved = False
    for i, batch in enumerate(model.seen):
        chunk = x[i * 8:(i + 1) * 8]
        assert sorted(map(tuple, batch)) == sorted(map(tuple, chunk))
        moved |= not np.array_equal(batch, chunk)
    assert moved


def _one_step_gradient(model, x, y, **fit_kwargs):
    """The gradient of one full-batch SGD step (lr=1): w_before - w_after."""
    before = model.get_weights()
    model.fit(x, y, batch_size=len(x), epochs=1, shuffle=False, verbose=0, **fit_kwargs)
    return [b - a for b, a in zip(before, model.get_weights())]


def test_class_weight_changes_the_gradient_exactly_as_the_equivalent_sample_weight():
    x, y = make_data(n=30)
    base = classifier(lr=1.0, metrics=None)
    class_weight = {0: 1.0, 1: 3.0, 2: 0.25}
    table = np.array([1.0, 3.0, 0.25], dtype="float32")
    g_class = _one_step_gradient(copy_weights(base, classifier(lr=1.0, metrics=None)), x, y,
                                 class_weight=class_weight)
    g_sample = _one_step_gradient(copy_weights(base, classifier(lr=1.0, metrics=None)), x, y,
                                  sample_weight=table[y])
    g_plain = _one_step_gradient(copy_weights(base, classifier(lr=1.0, metrics=None)), x, y)
    for a, b in zip(g_class, g_sample):
        np.testing.assert_array_equal(a, b)
    assert not all(np.allclose(a, b) for a, b in zip(g_class, g_plain))


def test_class_weight_missing_classes_weigh_one():
    x, y = make_data(n=30)
    base = classifier(lr=1.0, metrics=None)
    g_partial = _one_step_gradient(copy_weights(base, classifier(lr=1.0, metrics=None)), x, y,
                                   class_weight={1: 2.0})
    g_full = _one_step_gradient(copy_weights(base, classifier(lr=1.0, metrics=None)), x, y,
                                class_weight={0: 1.0, 1: 2.0, 2: 1.0})
    for a, b in zip(g_partial, g_full):
        np.testing.assert_array_equal(a, b)


def test_sample_weight_scales_the_gradient():
    x, y = make_data(n=30)
    base = classifier(lr=1.0, metrics=None)
    g_one = _one_step_gradient(copy_weights(base, classifier(lr=1.0, metrics=None)), x, y)
    g_two = _one_step_gradient(copy_weights(base, classifier(lr=1.0, metrics=None)), x, y,
                               sample_weight=np.full(30, 2.0, "float32"))
    g_zero = _one_step_gradient(copy_weights(base, classifier(lr=1.0, metrics=None)), x, y,
                                sample_weight=np.zeros(30, "float32"))
    for a, b, z in zip(g_one, g_two, g_zero):
        np.testing.assert_allclose(2 * a, b, rtol=1e-5, atol=1e-7)
        np.testing.assert_array_equal(z, np.zeros_like(z))


def test_steps_per_epoch_with_arrays_continues_through_the_data():
    x, y = make_data(n=60)
    model = recording_classifier()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(x, y, batch_size=10, steps_per_epoch=3, epochs=3, shuffle=False, verbose=0)
    rows = [b for b in model.seen]
    assert len(rows) == 9
    np.testing.assert_array_equal(np.concatenate(rows[:6]), x)  # epochs 1-2: one full pass
    np.testing.assert_array_equal(np.concatenate(rows[6:]), x[:30])  # epoch 3: a new pass


def test_steps_per_epoch_beyond_the_data_ends_the_epoch_early_with_a_warning():
    x, y = make_data(n=60)
    model = recording_classifier()
    with pytest.warns(UserWarning, match=r"ran out after 6 batches.*steps_per_epoch=4"):
        model.fit(x, y, batch_size=10, steps_per_epoch=4, epochs=2, shuffle=False, verbose=0)
    assert len(model.seen) == 6  # 4 batches, then the 2 left in the pass


def test_steps_per_epoch_without_batch_size_derives_the_batch_size():
    x, y = make_data(n=60)
    model = recording_classifier()
    model.fit(x, y, steps_per_epoch=4, epochs=1, shuffle=False, verbose=0)
    assert [len(b) for b in model.seen] == [15, 15, 15, 15]


def test_steps_per_epoch_with_a_generator():
    x, y = make_data(n=40)
    drawn = []
    model = recording_classifier()
    rec = Recorder()
    history = model.fit(infinite_batches(x, y, 8, drawn), steps_per_epoch=3, epochs=2, verbose=0,
                        callbacks=[rec])
    assert drawn == list(range(6))  # each epoch continues the generator
    assert rec.names().count("on_train_batch_end") == 6
    assert rec.params["steps"] == 3
    assert len(history.history["loss"]) == 2
    np.testing.assert_array_equal(model.seen[3], x[24:32])


def test_callbacks_receive_the_model_and_params():
    x, y = make_data()
    rec = Recorder()
    model = classifier()
    model.fit(x, y, epochs=2, batch_size=16, verbose=0, callbacks=[rec])
    assert rec.model is model
    assert rec.params == {"verbose": 0, "epochs": 2, "steps": 4}


def test_a_single_callback_instance_is_accepted():
    x, y = make_data()
    rec = Recorder()
    classifier().fit(x, y, epochs=1, verbose=0, callbacks=rec)
    assert "on_train_end" in rec.names()


def test_fit_returns_a_history_also_stored_on_the_model():
    x, y = make_data()
    model = classifier()
    history = model.fit(x, y, epochs=2, verbose=0)
    assert model.history is history
    assert isinstance(history, keras.callbacks.History)
    assert history.params["epochs"] == 2


def test_stop_training_from_a_callback_ends_fit_after_the_batch():
    x, y = make_data(n=64)
    model = classifier()

    class Stop(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            if batch == 1:
                self.model.stop_training = True

    rec = Recorder()
    history = model.fit(x, y, batch_size=8, epochs=3, verbose=0, callbacks=[Stop(), rec])
    assert rec.names().count("on_train_batch_end") == 2
    assert len(history.history["loss"]) == 1


def test_compile_arguments_are_accepted_with_their_documented_meaning():
    model = classifier(compile=False)
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", run_eagerly=True,
                  jit_compile=False, auto_scale_loss=False, steps_per_execution=2)
    assert model.run_eagerly is True and model.jit_compile is False
    assert model.auto_scale_loss is False and model.steps_per_execution == 2
    x, y = make_data()
    assert model.fit(x, y, epochs=1, verbose=0).history["loss"][0] > 0
    with pytest.raises(ValueError, match=r"jit_compile must be 'auto', True or False, received 'xla'"):
        model.compile(optimizer="sgd", loss="mse", jit_compile="xla")


def test_an_optimizer_loss_scale_factor_leaves_the_update_unchanged():
    x, y = make_data(n=30)
    base = classifier(lr=1.0, metrics=None)
    plain = _one_step_gradient(copy_weights(base, classifier(lr=1.0, metrics=None)), x, y)
    model = copy_weights(base, classifier(compile=False))
    model.compile(optimizer=keras.optimizers.SGD(1.0, loss_scale_factor=1024.0),
                  loss="sparse_categorical_crossentropy")
    loss_before = model.evaluate(x, y, verbose=0)
    before = model.get_weights()
    history = model.fit(x, y, batch_size=30, epochs=1, shuffle=False, verbose=0)
    for a, w0, w1 in zip(plain, before, model.get_weights()):
        np.testing.assert_allclose(a, w0 - w1, rtol=1e-5, atol=1e-7)
    assert history.history["loss"][0] == pytest.approx(loss_before, rel=1e-6)  # reported unscaled
