"""Every kind of input `fit`, `evaluate` and `predict` accept gives the same training."""

import math
import threading

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current
from kerasx.trainers import data_adapter
from tests.trainers.helpers import (Recorder, classifier, copy_weights, make_data,
                                    recording_classifier)


def _train(model, *args, **kwargs):
    kwargs.setdefault("verbose", 0)
    kwargs.setdefault("shuffle", False)
    history = model.fit(*args, **kwargs)
    return history.history, model.get_weights()


def _same_run(a, b, rtol=0.0):
    assert a[0].keys() == b[0].keys()
    for key in a[0]:
        np.testing.assert_allclose(a[0][key], b[0][key], rtol=rtol)
    for wa, wb in zip(a[1], b[1]):
        np.testing.assert_allclose(wa, wb, rtol=rtol, atol=1e-7 if rtol else 0)


class Batches(keras.utils.PyDataset):
    def __init__(self, x, y, batch_size, sample_weight=None, **kwargs):
        super().__init__(**kwargs)
        self.x, self.y, self.sw, self.batch_size = x, y, sample_weight, batch_size
        self.events = []
        self.lock = threading.Lock()

    def __len__(self):
        return math.ceil(len(self.x) / self.batch_size)

    def __getitem__(self, index):
        with self.lock:
            self.events.append(index)
        s = slice(index * self.batch_size, (index + 1) * self.batch_size)
        if self.sw is not None:
            return self.x[s], self.y[s], self.sw[s]
        return self.x[s], self.y[s]

    def on_epoch_begin(self):
        self.events.append("begin")

    def on_epoch_end(self):
        self.events.append("end")


def test_backend_arrays_on_the_device_train_like_numpy_arrays():
    x, y = make_data(n=40)
    base = classifier()
    backend = current()
    for shuffle in (False, True):
        keras.utils.set_random_seed(5)
        on_host = _train(copy_weights(base, classifier()), x, y, batch_size=8, epochs=2,
                         shuffle=shuffle)
        keras.utils.set_random_seed(5)
        on_device = _train(copy_weights(base, classifier()), backend.asarray(x),
                           backend.asarray(y), batch_size=8, epochs=2, shuffle=shuffle)
        _same_run(on_host, on_device)
    np.testing.assert_allclose(base.predict(backend.asarray(x), verbose=0),
                               base.predict(x, verbose=0))


def test_nested_lists_of_numbers_are_one_array():
    x, y = make_data(n=20)
    base = classifier()
    a = _train(copy_weights(base, classifier()), x, y, epochs=1)
    b = _train(copy_weights(base, classifier()), x.tolist(), y.tolist(), epochs=1)
    _same_run(a, b)


def _two_input_model():
    a = keras.Input(shape=(2,), name="left")
    b = keras.Input(shape=(3,), name="right")
    merged = keras.layers.Concatenate()([keras.layers.Dense(4, name="l")(a),
                                         keras.layers.Dense(4, name="r")(b)])
    out = keras.layers.Dense(3, activation="softmax", name="out")(merged)
    model = keras.Model([a, b], out)
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="sparse_categorical_crossentropy")
    return model


def test_multi_input_models_take_lists_tuples_and_dicts():
    x, y = make_data(n=40, features=5)
    left, right = x[:, :2], x[:, 2:]
    base = _two_input_model()
    runs = [_train(copy_weights(base, _two_input_model()), data, y, batch_size=8, epochs=1)
            for data in ([left, right], (left, right), {"left": left, "right": right})]
    _same_run(runs[0], runs[1])
    _same_run(runs[0], runs[2])
    p_list = base.predict([left, right], verbose=0)
    p_dict = base.predict({"right": right, "left": left}, verbose=0)
    np.testing.assert_allclose(p_list, p_dict)
    assert p_list.shape == (40, 3)


def test_generator_of_pairs_and_triples_match_arrays():
    x, y = make_data(n=40)
    sw = np.linspace(0.5, 1.5, 40).astype("float32")
    base = classifier()

    def pairs():
        for i in range(0, 40, 10):
            yield x[i:i + 10], y[i:i + 10]

    def triples():
        for i in range(0, 40, 10):
            yield x[i:i + 10], y[i:i + 10], sw[i:i + 10]

    from_arrays = _train(copy_weights(base, classifier()), x, y, batch_size=10, epochs=1)
    from_pairs = _train(copy_weights(base, classifier()), pairs(), epochs=1)
    _same_run(from_arrays, from_pairs)
    weighted_arrays = _train(copy_weights(base, classifier()), x, y, sample_weight=sw,
                             batch_size=10, epochs=1)
    weighted_gen = _train(copy_weights(base, classifier()), triples(), epochs=1)
    _same_run(weighted_arrays, weighted_gen)


def test_a_finite_generator_serves_one_epoch_and_then_says_so():
    x, y = make_data(n=20)

    def once():
        yield x, y

    with pytest.raises(ValueError, match=r"produced no batches in epoch 2.*loop forever"):
        classifier().fit(once(), epochs=2, verbose=0)


def test_pydataset_runs_every_batch_once_per_epoch_with_epoch_hooks():
    x, y = make_data(n=45)
    base = classifier()
    dataset = Batches(x, y, 10)
    from_dataset = _train(copy_weights(base, classifier()), dataset, epochs=2)
    from_arrays = _train(copy_weights(base, classifier()), x, y, batch_size=10, epochs=2)
    _same_run(from_dataset, from_arrays)
    assert dataset.events == ["begin", 0, 1, 2, 3, 4, "end"] * 2


def test_pydataset_shuffle_changes_the_batch_order_not_the_batches():
    x, y = make_data(n=60)
    dataset = Batches(x, y, 10)
    classifier().fit(dataset, epochs=2, shuffle=True, verbose=0)
    epochs = [[e for e in dataset.events[i * 8 + 1:i * 8 + 7]] for i in range(2)]
    for order in epochs:
        assert sorted(order) == list(range(6))
    assert epochs[0] != list(range(6)) or epochs[1] != list(range(6))


def test_pydataset_with_workers_gives_the_same_training():
    x, y = make_data(n=60)
    base = classifier()
    serial = _train(copy_weights(base, classifier()), Batches(x, y, 10), epochs=2)
    parallel_dataset = Batches(x, y, 10, workers=3, max_queue_size=4)
    parallel = _train(copy_weights(base, classifier()), parallel_dataset, epochs=2)
    _same_run(serial, parallel)
    assert sorted(e for e in parallel_dataset.events if isinstance(e, int)) == sorted(list(range(6)) * 2)
    threaded = Batches(x, y, 10, use_multiprocessing=True, workers=2)
    _same_run(serial, _train(copy_weights(base, classifier()), threaded, epochs=2))


def test_infinite_pydataset_needs_steps_per_epoch():
    x, y = make_data(n=40)

    class Endless(keras.utils.PyDataset):
        num_batches = None

        def __getitem__(self, index):
            i = (index % 4) * 10
            return x[i:i + 10], y[i:i + 10]

    dataset = Endless()
    with pytest.raises(ValueError, match=r"Endless is infinite.*pass steps_per_epoch"):
        classifier().fit(dataset, epochs=1, verbose=0)
    rec = Recorder()
    classifier().fit(dataset, steps_per_epoch=6, epochs=2, verbose=0, callbacks=[rec])
    assert rec.names().count("on_train_batch_end") == 12


def test_pydataset_without_super_init_warns_and_uses_defaults():
    x, y = make_data(n=20)

    class NoInit(keras.utils.PyDataset):
        def __init__(self):
            pass

        def __len__(self):
            return 2

        def __getitem__(self, index):
            return x[index * 10:(index + 1) * 10], y[index * 10:(index + 1) * 10]

    with pytest.warns(UserWarning, match=r"should call `super\(\).__init__\(\*\*kwargs\)`"):
        classifier().fit(NoInit(), epochs=1, verbose=0)


def test_validation_data_as_generator_or_pydataset():
    x, y = make_data(n=40)
    xv, yv = make_data(n=20, seed=3)
    model = classifier(lr=0.0)
    expected = model.evaluate(xv, yv, verbose=0, return_dict=True)

    def val_batches():
        while True:
            for i in range(0, 20, 10):
                yield xv[i:i + 10], yv[i:i + 10]

    h_gen = model.fit(x, y, validation_data=val_batches(), validation_steps=2, epochs=2, verbose=0)
    h_ds = model.fit(x, y, validation_data=Batches(xv, yv, 10), epochs=1, verbose=0)
    assert h_gen.history["val_loss"] == pytest.approx([expected["loss"]] * 2, rel=1e-6)
    assert h_ds.history["val_accuracy"][0] == pytest.approx(expected["accuracy"], rel=1e-6)


def test_evaluate_and_predict_accept_generators_and_pydatasets():
    x, y = make_data(n=30)
    model = classifier()
    expected = model.evaluate(x, y, batch_size=10, verbose=0)
    assert model.evaluate(Batches(x, y, 10), verbose=0) == pytest.approx(expected, rel=1e-6)

    def batches():
        for i in range(0, 30, 10):
            yield x[i:i + 10], y[i:i + 10]

    assert model.evaluate(batches(), verbose=0) == pytest.approx(expected, rel=1e-6)
    predictions = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(Batches(x, y, 10), verbose=0), predictions, rtol=1e-6)
    inputs_only = (x[i:i + 10] for i in range(0, 30, 10))
    np.testing.assert_allclose(model.predict(inputs_only, verbose=0), predictions, rtol=1e-6)


def test_prefetching_large_batches_in_a_thread_gives_identical_training(monkeypatch):
    x, y = make_data(n=64)
    base = classifier()
    keras.utils.set_random_seed(11)
    plain = _train(copy_weights(base, classifier()), x, y, batch_size=8, epochs=2, shuffle=True)
    monkeypatch.setattr(data_adapter, "PREFETCH_MIN_BYTES", 0)
    keras.utils.set_random_seed(11)
    model = copy_weights(base, classifier())
    history = model.fit(x, y, batch_size=8, epochs=2, shuffle=True, verbose=0)
    _same_run(plain, (history.history, model.get_weights()))
    assert data_adapter.ArrayBatches(x, y, batch_size=8).prefetch is True


def test_prefetcher_hands_over_items_in_order_and_reraises_errors():
    def items():
        yield 1
        yield 2
        raise KeyError("broken source")

    fetch = data_adapter.Prefetcher(items())
    assert next(fetch) == 1 and next(fetch) == 2
    with pytest.raises(KeyError, match="broken source"):
        next(fetch)
    endless = data_adapter.Prefetcher(iter(range(10**9)))
    assert next(endless) == 0
    endless.close()
    assert not endless._thread.is_alive()


def test_batches_reach_the_device_as_they_are_drawn():
    x, y = make_data(n=30)
    batches = data_adapter.ArrayBatches(x, y, batch_size=10)
    backend = current()
    first = next(batches.epoch())
    assert backend.is_native(first[0].value) and backend.is_native(first[1].value)
    assert first[0].shape == (10, 4) and first[2] is None
    assert isinstance(batches.x, np.ndarray)  # the dataset itself stays on the host


@pytest.mark.parametrize("order", [None, [7, 0, 29, 3, 3, 12]], ids=["slices", "indices"])
def test_batch_rows_of_a_lone_array_match_the_structure_walk(order):
    """The per-batch shortcut for a lone array (host or device) gives what
    `to_device(slice_rows(...))` / `to_device(take(...))` give, as for structures."""
    x, y = make_data(n=30)
    backend = current()
    idx = None if order is None else np.asarray(order)
    pair = None if idx is None else (idx, backend.asarray(idx))  # on the host and the device
    for structure in (x, backend.asarray(x), y, {"a": x, "b": y}, [x, y], None):
        got = data_adapter._batch_rows(structure, backend)(2, 8, pair)
        want = data_adapter.to_device(data_adapter.slice_rows(structure, 2, 8) if idx is None
                                      else data_adapter.take(structure, idx))
        got_leaves, want_leaves = data_adapter.flatten(got), data_adapter.flatten(want)
        assert len(got_leaves) == len(want_leaves)
        for g, w in zip(got_leaves, want_leaves):
            assert backend.is_native(g.value) and g.dtype == w.dtype
            np.testing.assert_array_equal(backend.to_numpy(g.value), backend.to_numpy(w.value))


def test_device_data_is_shuffled_by_indices_moved_once_per_pass(monkeypatch):
    """Arrays already on the device take their shuffled rows with the pass's order moved
    there once, and the batches are those of the same data on the host."""
    backend = current()
    if backend.name == "numpy":
        pytest.skip("the NumPy backend's device arrays are the host arrays")
    x, y = make_data(n=30)
    moved = []
    asarray = backend.asarray

    def recording_asarray(a, *args, **kwargs):
        if not backend.is_native(a):
            moved.append(getattr(a, "shape", None))  # what moves from the host
        return asarray(a, *args, **kwargs)

    monkeypatch.setattr(backend, "asarray", recording_asarray)

    def one_pass(data):
        keras.utils.set_random_seed(3)
        batches = data_adapter.ArrayBatches(*data, batch_size=8, shuffle=True, prefetch=False)
        moved.clear()
        return [(backend.to_numpy(bx.value), backend.to_numpy(by.value))
                for bx, by, _ in batches.epoch()]

    device_batches = one_pass((asarray(x), asarray(y)))
    assert moved == [(30,)]  # the permutation, once
    got = one_pass((x, y))
    for (dx, dy), (hx, hy) in zip(device_batches, got):
        np.testing.assert_array_equal(dx, hx)
        np.testing.assert_array_equal(dy, hy)
    assert not np.array_equal(np.concatenate([b[0] for b in got]), x)
    # a dict of device arrays: the same batches, with one move of the order
    keras.utils.set_random_seed(3)
    batches = data_adapter.ArrayBatches({"a": asarray(x), "b": asarray(x)}, asarray(y),
                                        batch_size=8, shuffle=True, prefetch=False)
    moved.clear()
    for (bx, by, _), (hx, hy) in zip(batches.epoch(), got):
        np.testing.assert_array_equal(backend.to_numpy(bx["b"].value), hx)
        np.testing.assert_array_equal(backend.to_numpy(by.value), hy)
    assert moved == [(30,)]


def test_fit_shuffles_pydataset_batches_by_default_like_keras():
    x, y = make_data(n=60)
    model = recording_classifier()
    model.fit(Batches(x, y, 10), epochs=1, verbose=0, shuffle=False)
    np.testing.assert_array_equal(np.concatenate(model.seen), x)
    model.seen.clear()
    keras.utils.set_random_seed(3)
    model.fit(Batches(x, y, 10), epochs=1, verbose=0)
    chunks = [x[i:i + 10] for i in range(0, 60, 10)]
    order = [next(i for i, c in enumerate(chunks) if np.array_equal(c, b)) for b in model.seen]
    assert sorted(order) == list(range(6)) and order != list(range(6))
