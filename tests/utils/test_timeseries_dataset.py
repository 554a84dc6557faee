"""`timeseries_dataset_from_array`: windows, strides, sampling, bounds, targets,
shuffling, single windows, training on it, and errors."""

import numpy as np
import pytest

import kerasx as keras
from kerasx.utils import timeseries_dataset_from_array as windows_of


def _all(dataset):
    return [batch for batch in dataset]


def test_windows_follow_stride_and_sampling_rate():
    data = np.arange(99)
    dataset = windows_of(data, None, sequence_length=10, sequence_stride=3, sampling_rate=2,
                         batch_size=4)
    batches = _all(dataset)
    stacked = np.concatenate(batches)
    starts = np.arange(0, 99 - 18, 3)
    np.testing.assert_array_equal(stacked, starts[:, None] + 2 * np.arange(10))
    assert len(dataset) == len(batches) == -(-len(starts) // 4)
    np.testing.assert_array_equal(stacked[-1], np.arange(78, 97, 2))


def test_each_window_gets_the_target_at_its_start():
    data = np.arange(50.0)
    dataset = windows_of(data[:-10], data[10:], sequence_length=10, batch_size=8)
    x, y = dataset[0]
    np.testing.assert_array_equal(x[0], data[:10])
    assert y[0] == data[10] and x.shape == (8, 10) and y.shape == (8,)
    xs = np.concatenate([b[0] for b in dataset])
    ys = np.concatenate([b[1] for b in dataset])
    np.testing.assert_array_equal(ys, xs[:, -1] + 1)


def test_start_and_end_bound_the_windows_and_features_are_kept():
    data = np.arange(60.0).reshape(30, 2)
    targets = np.arange(30) * 10
    dataset = windows_of(data, targets, sequence_length=4, batch_size=None, start_index=5,
                         end_index=20)
    windows = _all(dataset)
    assert len(windows) == 20 - 5 - 3
    first_x, first_y = windows[0]
    np.testing.assert_array_equal(first_x, data[5:9])
    assert first_y == 50
    np.testing.assert_array_equal(windows[-1][0], data[16:20])


def test_shuffle_draws_every_window_in_a_new_repeatable_order_each_epoch():
    data = np.arange(40)

    def epochs(seed):
        dataset = windows_of(data, None, sequence_length=3, batch_size=5, shuffle=True,
                             seed=seed)
        out = []
        for _ in range(2):
            out.append(np.concatenate(_all(dataset))[:, 0])
            dataset.on_epoch_end()
        return out

    first, second = epochs(7)
    assert sorted(first) == list(range(38)) and sorted(second) == list(range(38))
    assert list(first) != list(range(38)) and list(first) != list(second)
    again = epochs(7)
    np.testing.assert_array_equal(first, again[0])
    np.testing.assert_array_equal(second, again[1])


def test_an_lstm_trains_on_the_windows():
    keras.utils.set_random_seed(0)
    t = np.linspace(0, 20, 400, dtype="float32")
    series = np.sin(t)[:, None]
    train = windows_of(series[:-8], series[8:, 0], sequence_length=8, batch_size=32,
                       shuffle=True, seed=1)
    model = keras.Sequential([keras.Input((8, 1)), keras.layers.LSTM(8), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.02), loss="mse")
    history = model.fit(train, epochs=4, verbose=0).history["loss"]
    assert history[-1] < history[0] / 2
    assert model.predict(windows_of(series, None, 8, batch_size=64), verbose=0).shape == (393, 1)


@pytest.mark.parametrize("kwargs, match", [
    ({"sequence_length": 0}, "sequence_length"),
    ({"sequence_length": 3, "sequence_stride": 0}, "sequence_stride"),
    ({"sequence_length": 3, "sampling_rate": 1.5}, "sampling_rate"),
    ({"sequence_length": 3, "batch_size": 0}, "batch_size"),
    ({"sequence_length": 3, "start_index": 8, "end_index": 4}, "start_index < end_index"),
    ({"sequence_length": 3, "end_index": 11}, "len\\(data\\) = 10"),
    ({"sequence_length": 4, "sampling_rate": 4}, "spans 13 steps"),
])
def test_bad_arguments_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        windows_of(np.arange(10), None, **kwargs)


def test_indexing_past_the_end_raises_index_error():
    dataset = windows_of(np.arange(10), None, sequence_length=3, batch_size=4)
    assert len(dataset) == 2
    np.testing.assert_array_equal(dataset[-1], [[4, 5, 6], [5, 6, 7], [6, 7, 8], [7, 8, 9]])
    with pytest.raises(IndexError, match="2 batches"):
        dataset[2]


def test_format_takes_keras_values_and_refuses_others():
    data = np.arange(20, dtype="float32")
    windows = [windows_of(data, None, 4, batch_size=8, format=f)[0]
               for f in ("tf", "grain")]
    np.testing.assert_array_equal(windows[0], windows[1])
    with pytest.raises(ValueError, match='either "tf" or "grain". Received: format=.torch.'):
        windows_of(data, None, 4, format="torch")
