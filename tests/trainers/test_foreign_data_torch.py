"""PyTorch tensors and `torch.utils.data.DataLoader` in fit / evaluate / predict."""

import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current
from kerasx.trainers import data_adapter
from tests.trainers.helpers import (assert_same_run as _same_run, classifier, copy_weights,
                                   fit_run as _fit, make_data)

torch = pytest.importorskip("torch")
from torch.utils.data import DataLoader, IterableDataset, TensorDataset  # noqa: E402


def test_tensors_become_host_arrays_of_the_keras_dtypes():
    x = torch.arange(6, dtype=torch.float64).reshape(3, 2)
    floats, ints, halves = data_adapter.standardize(
        (x, torch.arange(3), x.to(torch.bfloat16)), "x")
    assert type(floats) is np.ndarray and floats.dtype == np.float32
    assert ints.dtype == np.int64 and halves.dtype == np.float32
    np.testing.assert_array_equal(halves, x.numpy())
    same = torch.ones(4, 3)
    assert np.shares_memory(data_adapter.standardize(same, "x"), same.numpy())
    grads = torch.ones(2, 3, requires_grad=True)
    np.testing.assert_array_equal(data_adapter.standardize(grads, "x"), np.ones((2, 3)))


def test_tensors_train_exactly_like_the_same_numpy_arrays():
    x, y = make_data(n=40)
    base = classifier()
    want = _fit(copy_weights(base, classifier()), x, y, batch_size=8, epochs=2,
                validation_split=0.25)
    got = _fit(copy_weights(base, classifier()), torch.from_numpy(x).double(),
               torch.from_numpy(y), batch_size=8, epochs=2, validation_split=0.25)
    _same_run(want, got)
    model = base
    np.testing.assert_array_equal(model.predict(torch.from_numpy(x), verbose=0),
                                  model.predict(x, verbose=0))
    assert model.evaluate(torch.from_numpy(x), torch.from_numpy(y), verbose=0) == \
        model.evaluate(x, y, verbose=0)


def test_a_dataloader_trains_like_arrays_with_its_length_as_steps():
    x, y = make_data(n=20)
    base = classifier()
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8)
    assert len(loader) == 3
    want = _fit(copy_weights(base, classifier()), x, y, batch_size=8, epochs=3)
    model = copy_weights(base, classifier())
    got = _fit(model, loader, epochs=3)
    _same_run(want, got)
    if current().step_recorder() is not None:  # both batch shapes replay, checked
        step = model._compiled_train_step
        assert step.reasons == {} and len(step.programs) == 2
        assert all(p.verified for p in step.programs.values())


def test_dataloader_batches_with_sample_weights_and_dicts():
    x, y = make_data(n=16)
    w = np.linspace(0.5, 2.0, 16).astype("float32")
    base = classifier()
    want = _fit(copy_weights(base, classifier()), x, y, sample_weight=w, batch_size=4)
    loader = DataLoader(TensorDataset(*map(torch.from_numpy, (x, y, w))), batch_size=4)
    _same_run(want, _fit(copy_weights(base, classifier()), loader))

    class Named(torch.utils.data.Dataset):
        def __len__(self):
            return 16

        def __getitem__(self, i):
            return {"features": torch.from_numpy(x[i])}, int(y[i])

    inputs = keras.Input(shape=(4,), name="features")
    model = keras.Model({"features": inputs}, keras.layers.Dense(3, activation="softmax")(inputs))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    history, _ = _fit(model, DataLoader(Named(), batch_size=4), epochs=2)
    assert len(history["loss"]) == 2 and np.isfinite(history["loss"]).all()


def test_evaluate_predict_and_validation_on_dataloaders():
    x, y = make_data(n=20)
    model = classifier()
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8)
    assert model.evaluate(loader, verbose=0) == model.evaluate(x, y, batch_size=8, verbose=0)
    np.testing.assert_array_equal(model.predict(loader, verbose=0), model.predict(x, verbose=0))
    history, _ = _fit(model, loader, validation_data=loader, epochs=2)
    assert len(history["val_loss"]) == 2


def test_an_iterable_dataset_without_length_runs_whole_passes():
    x, y = make_data(n=20)

    class Stream(IterableDataset):
        def __iter__(self):
            for i in range(0, 20, 8):
                yield torch.from_numpy(x[i:i + 8]), torch.from_numpy(y[i:i + 8])

    loader = DataLoader(Stream(), batch_size=None)
    with pytest.raises(TypeError):
        len(loader)
    base = classifier()
    want = _fit(copy_weights(base, classifier()), x, y, batch_size=8, epochs=2)
    _same_run(want, _fit(copy_weights(base, classifier()), loader, epochs=2))


def test_keras_refusals_and_warnings_for_a_dataloader():
    x, y = make_data(n=16)
    loader = DataLoader(TensorDataset(torch.from_numpy(x), torch.from_numpy(y)), batch_size=8)
    model = classifier()
    with pytest.raises(ValueError, match=r"fit\(\) received a torch DataLoader as x and also y"):
        model.fit(loader, y, verbose=0, shuffle=False)
    with pytest.raises(ValueError, match=r"torch DataLoader as x and also sample_weight"):
        model.fit(loader, sample_weight=np.ones(16), verbose=0, shuffle=False)
    with pytest.raises(ValueError, match=r"class_weight is not supported for a torch DataLoader"):
        model.fit(loader, class_weight={0: 1.0, 1: 1.0, 2: 2.0}, verbose=0, shuffle=False)
    with pytest.raises(ValueError, match=r"validation_split=0.5 is only supported when x is "
                                         r"arrays"):
        model.fit(loader, validation_split=0.5, verbose=0, shuffle=False)
    with pytest.warns(UserWarning, match=r"`shuffle=True` was passed, but will be ignored since "
                                         r"the data `x` was provided as a torch DataLoader"):
        model.fit(loader, verbose=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(loader, verbose=0, shuffle=False, batch_size=5)


def test_a_generator_of_tensors_and_single_batches():
    x, y = make_data(n=16)
    base = classifier()

    def batches(wrap):
        while True:
            yield wrap(x[:8]), wrap(y[:8])
            yield wrap(x[8:]), wrap(y[8:])

    want = _fit(copy_weights(base, classifier()), batches(np.asarray), steps_per_epoch=2)
    got = _fit(copy_weights(base, classifier()), batches(torch.from_numpy), steps_per_epoch=2)
    _same_run(want, got)
    twin = copy_weights(base, classifier())
    assert base.train_on_batch(torch.from_numpy(x), torch.from_numpy(y)) == \
        twin.train_on_batch(x, y)
    np.testing.assert_array_equal(base.predict_on_batch(torch.from_numpy(x)),
                                  base.predict_on_batch(x))


def test_a_dataset_of_samples_is_refused_with_the_dataloader_to_use():
    x, y = make_data(n=16)
    dataset = TensorDataset(torch.from_numpy(x), torch.from_numpy(y))
    with pytest.raises(TypeError, match=r"x is a torch Dataset \(TensorDataset\), whose items "
                                        r"are single samples.*DataLoader\(dataset, batch_size"):
        classifier().fit(dataset, verbose=0)


def test_convert_to_tensor_takes_torch_tensors_and_ops_refuse_them():
    t = keras.ops.convert_to_tensor(torch.arange(6.0).reshape(2, 3).requires_grad_(True))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(t), np.arange(6.0).reshape(2, 3))
    assert t.dtype == "float32"
    assert keras.ops.convert_to_tensor(torch.ones(2, dtype=torch.bfloat16)).dtype == "float32"
    with pytest.raises(TypeError, match="cannot be mixed"):
        keras.ops.add(torch.ones(2), 1.0)
