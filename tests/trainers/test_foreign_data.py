"""Framework tensors and loaders, seen through small stand-ins (no framework needed).

The stand-ins speak the protocols kerasx reads: DLPack (`__dlpack__`,
`__dlpack_device__`), `__array__`, `.cpu()`, `requires_grad` / `.detach()`,
and a loader with `__iter__` and `__len__`. Classes that pretend to come from
PyTorch, TensorFlow or CuPy set their `__module__` to that library's.
"""

import types
import warnings

import numpy as np
import pytest

import kerasx as keras
from kerasx.backends import current
from kerasx.backends.base import framework_array_to_backend, is_framework_array
from kerasx.trainers import data_adapter
from tests.trainers.helpers import (Recorder, assert_same_run as _same_run, classifier,
                                   copy_weights, fit_run, make_data)


class HostTensor:
    """A CPU tensor of some framework: DLPack and `__array__` over a NumPy array."""

    def __init__(self, array, requires_grad=False):
        self._array = np.asarray(array)
        self.requires_grad = requires_grad
        self.exports = 0

    shape = property(lambda self: self._array.shape)
    dtype = property(lambda self: self._array.dtype)

    def __dlpack__(self, **kwargs):
        if self.requires_grad:
            raise RuntimeError("Can't export tensors that require gradient, use detach()")
        self.exports += 1
        return self._array.__dlpack__(**kwargs)

    def __dlpack_device__(self):
        return (1, 0)

    def __array__(self, dtype=None, copy=None):
        if self.requires_grad:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad.")
        return np.asarray(self._array, dtype=dtype)

    def detach(self):
        return HostTensor(self._array)


class CudaTensor:
    """A tensor in GPU memory that only `.cpu()` brings to the host (as PyTorch's)."""

    def __init__(self, array):
        self._array = np.asarray(array)
        self.moved = 0

    shape = property(lambda self: self._array.shape)

    def __dlpack__(self, **kwargs):
        raise BufferError("a CUDA tensor cannot be exported to the CPU")

    def __dlpack_device__(self):
        return (2, 0)

    def __array__(self, dtype=None, copy=None):
        raise TypeError("can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu()")

    def cpu(self):
        self.moved += 1
        return HostTensor(self._array)


class GpuArray(CudaTensor):
    """A GPU array that copies itself to the host through `__array__` (as JAX's)."""

    cpu = None

    def __array__(self, dtype=None, copy=None):
        return np.asarray(self._array, dtype=dtype)


class Loader:
    """A DataLoader-like iterable: every `iter()` is a new pass over the batches."""

    def __init__(self, batches):
        self.batches = batches
        self.passes = 0

    def __iter__(self):
        self.passes += 1
        return iter(list(self.batches))


class SizedLoader(Loader):
    """A loader that knows its number of batches, as a DataLoader over a map dataset."""

    def __len__(self):
        return len(self.batches)


def _tensors(x, y, batch_size, wrap=HostTensor):
    return [(wrap(x[i:i + batch_size]), wrap(y[i:i + batch_size]))
            for i in range(0, len(x), batch_size)]


def _fit(model, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return fit_run(model, *args, **kwargs)


# -- conversion of single arrays ---------------------------------------------------------
def test_a_cpu_tensor_becomes_a_host_array_sharing_its_memory():
    a = np.arange(12, dtype="float32").reshape(4, 3)
    t = HostTensor(a)
    out = data_adapter.standardize(t, "x")
    assert type(out) is np.ndarray and t.exports == 1
    assert np.shares_memory(out, a)  # through DLPack, no copy


def test_floats_of_a_tensor_become_floatx_and_ints_stay():
    out = data_adapter.standardize((HostTensor(np.ones((2, 3))), HostTensor(np.arange(2))), "x")
    assert out[0].dtype == np.float32 and out[1].dtype == np.int64


def test_a_tensor_recording_gradients_is_detached():
    t = HostTensor(np.ones((2, 3), "float32"), requires_grad=True)
    np.testing.assert_array_equal(data_adapter.standardize(t, "x"), np.ones((2, 3)))


def test_a_cuda_tensor_is_copied_to_the_host_by_its_cpu_method():
    """Keras's NumPy and JAX paths call `.cpu()` on a PyTorch tensor, then `np.asarray`."""
    t = CudaTensor(np.arange(6.0).reshape(3, 2))
    out = data_adapter.standardize(t, "x")
    assert t.moved == 1 and type(out) is np.ndarray
    np.testing.assert_array_equal(out, np.arange(6.0).reshape(3, 2))


def test_a_gpu_array_without_cpu_method_is_copied_through_array():
    out = data_adapter.standardize(GpuArray(np.eye(3)), "x")
    np.testing.assert_array_equal(out, np.eye(3))


def test_on_cupy_a_cuda_tensor_is_imported_through_dlpack_without_a_host_copy():
    """The CuPy backend's namespace imports CUDA memory (`xp.from_dlpack`); a CPU
    tensor goes to the host as on every backend. A stand-in backend records the calls."""
    imported = []
    device = object()

    def from_dlpack(x):
        imported.append(x)
        return types.SimpleNamespace(device=device)

    backend = types.SimpleNamespace(name="cupy", device=device,
                                    xp=types.SimpleNamespace(from_dlpack=from_dlpack))
    cuda = CudaTensor(np.ones((2, 2)))
    out = framework_array_to_backend(cuda, backend)
    assert imported == [cuda] and out.device is device and cuda.moved == 0
    host = framework_array_to_backend(HostTensor(np.ones(2)), backend)
    assert type(host) is np.ndarray and len(imported) == 1


def test_numpy_backend_libraries_and_plain_objects_are_no_framework_arrays():
    cupy_like = type("ndarray", (HostTensor,), {"__module__": "cupy._core.core"})
    assert is_framework_array(HostTensor(np.ones(2)))
    assert not is_framework_array(np.ones(2))
    assert not is_framework_array(cupy_like(np.ones(2)))
    assert not is_framework_array([1.0, 2.0])


def test_an_array_of_another_backend_library_stays_refused():
    """A CuPy array reaching the NumPy backend means the data was prepared for the CuPy
    backend: refused, although it speaks DLPack, rather than copied every epoch."""
    if current().name == "cupy":
        pytest.skip("CuPy arrays are the native arrays here")
    cupy_like = type("ndarray", (HostTensor,), {"__module__": "cupy._core.core"})
    model = classifier()
    x, y = make_data(n=8)
    with pytest.raises(TypeError, match=r"`x` is an array of cupy but the active backend is "
                                        r"'.*cannot be mixed.*KERASX_BACKEND.*x.get\(\)"):
        model.fit(cupy_like(x), y, verbose=0)


def test_an_unreadable_tensor_is_a_clear_error():
    class Sparse(HostTensor):
        def __dlpack__(self, **kwargs):
            raise RuntimeError("sparse tensors do not support DLPack")

        def __array__(self, dtype=None, copy=None):
            raise TypeError("can't convert a sparse tensor to numpy")

    with pytest.raises(TypeError, match=r"`y` is a .*Sparse that could not be read as an "
                                        r"array .*sparse.*to_dense"):
        data_adapter.standardize(Sparse(np.ones(3)), "y")


# -- fit / evaluate / predict on tensors -------------------------------------------------
def test_tensors_train_exactly_like_the_same_numpy_arrays():
    x, y = make_data(n=40)
    base = classifier()
    want = _fit(copy_weights(base, classifier()), x, y, batch_size=8, epochs=2,
                validation_data=(x[:8], y[:8]))
    got = _fit(copy_weights(base, classifier()), HostTensor(x.astype("float64")), HostTensor(y),
               batch_size=8, epochs=2, validation_data=(HostTensor(x[:8]), CudaTensor(y[:8])))
    _same_run(want, got)


def test_evaluate_predict_and_single_batches_take_tensors():
    x, y = make_data(n=20)
    model = classifier()
    np.testing.assert_array_equal(model.predict(HostTensor(x), verbose=0),
                                  model.predict(x, verbose=0))
    assert model.evaluate(CudaTensor(x), HostTensor(y), verbose=0) == \
        model.evaluate(x, y, verbose=0)
    np.testing.assert_array_equal(model.predict_on_batch(GpuArray(x)), model.predict_on_batch(x))
    assert model.test_on_batch(HostTensor(x), HostTensor(y)) == model.test_on_batch(x, y)
    twin = copy_weights(model, classifier())
    assert model.train_on_batch(HostTensor(x), HostTensor(y)) == twin.train_on_batch(x, y)


def test_a_generator_of_tensors_trains_like_one_of_arrays():
    x, y = make_data(n=24)
    base = classifier()

    def batches(wrap):
        while True:
            for i in range(0, 24, 8):
                yield wrap(x[i:i + 8]), wrap(y[i:i + 8])

    want = _fit(copy_weights(base, classifier()), batches(np.asarray), steps_per_epoch=3,
                epochs=2)
    got = _fit(copy_weights(base, classifier()), batches(HostTensor), steps_per_epoch=3, epochs=2)
    _same_run(want, got)


def test_a_pydataset_of_tensors_trains_like_one_of_arrays():
    x, y = make_data(n=24)
    base = classifier()

    class Batches(keras.utils.PyDataset):
        def __init__(self, wrap):
            super().__init__()
            self.wrap = wrap

        def __len__(self):
            return 3

        def __getitem__(self, i):
            return self.wrap(x[8 * i:8 * i + 8]), self.wrap(y[8 * i:8 * i + 8])

    want = _fit(copy_weights(base, classifier()), Batches(np.asarray), epochs=2)
    _same_run(want, _fit(copy_weights(base, classifier()), Batches(CudaTensor), epochs=2))


# -- DataLoader-like iterables -----------------------------------------------------------
def test_a_loader_starts_a_new_pass_every_epoch_and_trains_like_arrays():
    x, y = make_data(n=20)
    base = classifier()
    loader = SizedLoader(_tensors(x, y, 8))
    recorder = Recorder()
    want = _fit(copy_weights(base, classifier()), x, y, batch_size=8, epochs=3)
    got = _fit(copy_weights(base, classifier()), loader, epochs=3, callbacks=[recorder])
    _same_run(want, got)
    assert loader.passes == 3
    steps = [e for e in recorder.calls if e[0] == "on_train_batch_end"]
    assert len(steps) == 9


def test_steps_per_epoch_continues_a_pass_and_warns_when_it_runs_out():
    """As Keras: with len(loader) = 3 and steps_per_epoch = 2 the epochs draw 2, 1
    (the pass ran out: a warning) and 2 batches."""
    x, y = make_data(n=24)
    loader = SizedLoader(_tensors(x, y, 8))
    counts = []

    class Count(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            counts.append(0)

        def on_train_batch_end(self, batch, logs=None):
            counts[-1] += 1

    model = classifier()
    with pytest.warns(UserWarning, match=r"The SizedLoader iterable ran out of batches after 3 "
                                         r"\(this epoch drew 1\), before steps_per_epoch=2"):
        model.fit(loader, epochs=3, steps_per_epoch=2, callbacks=[Count()], verbose=0,
                  shuffle=False)
    assert counts == [2, 1, 2] and loader.passes == 2


def test_a_loader_of_unknown_length_runs_whole_passes():
    x, y = make_data(n=20)
    loader = Loader(_tensors(x, y, 8))
    assert not hasattr(type(loader), "__len__")
    base = classifier()
    want = _fit(copy_weights(base, classifier()), x, y, batch_size=8, epochs=2)
    got = _fit(copy_weights(base, classifier()), loader, epochs=2)
    _same_run(want, got)
    assert loader.passes == 2


def test_loader_batches_may_carry_sample_weights_and_dicts():
    x, y = make_data(n=16)
    w = np.linspace(0.5, 2.0, 16).astype("float32")
    base = classifier()
    want = _fit(copy_weights(base, classifier()), x, y, sample_weight=w, batch_size=8)
    loader = SizedLoader([(HostTensor(x[i:i + 8]), HostTensor(y[i:i + 8]), HostTensor(w[i:i + 8]))
                          for i in (0, 8)])
    _same_run(want, _fit(copy_weights(base, classifier()), loader))

    inputs = keras.Input(shape=(4,), name="features")
    model = keras.Model({"features": inputs}, keras.layers.Dense(3, activation="softmax")(inputs))
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    loader = SizedLoader([({"features": HostTensor(x[i:i + 8])}, HostTensor(y[i:i + 8]))
                          for i in (0, 8)])
    history, _ = _fit(model, loader)
    assert np.isfinite(history["loss"][0])


def test_evaluate_and_predict_read_one_pass_of_a_loader():
    x, y = make_data(n=20)
    model = classifier()
    loader = SizedLoader(_tensors(x, y, 8))
    assert model.evaluate(loader, verbose=0) == model.evaluate(x, y, batch_size=8, verbose=0)
    np.testing.assert_array_equal(model.predict(loader, verbose=0), model.predict(x, verbose=0))
    history, _ = _fit(model, x, y, validation_data=loader, epochs=2)
    assert len(history["val_loss"]) == 2 and loader.passes == 4


def test_a_loader_refuses_y_and_sample_weight_and_validation_split():
    x, y = make_data(n=16)
    loader = SizedLoader(_tensors(x, y, 8))
    model = classifier()
    with pytest.raises(ValueError, match=r"received a SizedLoader iterable as x and also "
                                         r"y=ndarray.*pass y=None"):
        model.fit(loader, y, verbose=0)
    with pytest.raises(ValueError, match=r"also sample_weight.*\(x, y, sample_weight\) batches"):
        model.evaluate(loader, sample_weight=np.ones(16), verbose=0)
    with pytest.raises(ValueError, match=r"validation_split=0.2 is only supported when x is "
                                         r"arrays.*validation_data"):
        model.fit(loader, validation_split=0.2, verbose=0)


def test_replayed_steps_still_replay_on_loader_batches():
    if current().step_recorder() is None:
        pytest.skip("this backend runs every step eagerly")
    x, y = make_data(n=20)
    model = classifier()
    _fit(model, SizedLoader(_tensors(x, y, 8)), epochs=3)
    step = model._compiled_train_step
    assert step.reasons == {}
    assert len(step.programs) == 2 and all(p.verified for p in step.programs.values())


# -- Keras's rules for a torch DataLoader and a tf.data.Dataset ---------------------------
def _pretend(module, name, base=SizedLoader, **attrs):
    return type(name, (base,), {"__module__": module, **attrs})


def test_a_torch_dataloader_refuses_class_weight_and_warns_on_shuffle():
    DataLoader = _pretend("torch.utils.data.dataloader", "DataLoader")
    x, y = make_data(n=16)
    loader = DataLoader(_tensors(x, y, 8))
    model = classifier()
    with pytest.raises(ValueError, match=r"class_weight is not supported for a torch "
                                         r"DataLoader.*sample_weights"):
        model.fit(loader, class_weight={0: 1.0, 1: 2.0, 2: 1.0}, verbose=0, shuffle=False)
    with pytest.warns(UserWarning, match=r"`shuffle=True` was passed, but will be ignored.*"
                                         r"torch DataLoader"):
        model.fit(loader, verbose=0)
    with pytest.raises(ValueError, match=r"received a torch DataLoader as x and also y"):
        model.fit(loader, y, verbose=0, shuffle=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.fit(loader, verbose=0, shuffle=False, batch_size=3)  # batch_size is ignored
        model.evaluate(loader, verbose=0)


def test_a_tf_dataset_uses_its_cardinality_and_keeps_class_weight():
    cardinalities = {}

    def cardinality(self):
        return cardinalities.get(id(self), len(self.batches))

    Dataset = _pretend("tensorflow.python.data.ops.dataset_ops", "DatasetV2",
                       cardinality=cardinality)
    x, y = make_data(n=24)
    dataset = Dataset(_tensors(x, y, 8))
    model = classifier()
    with pytest.warns(UserWarning, match=r"ignored.*tf.data.Dataset.*dataset.shuffle"):
        model.fit(dataset, verbose=0)
    base = classifier()
    table = {0: 1.0, 1: 3.0, 2: 0.5}
    want = _fit(copy_weights(base, classifier()), x, y, batch_size=8, class_weight=table)
    _same_run(want, _fit(copy_weights(base, classifier()), dataset, class_weight=table))

    endless = Dataset(_tensors(x, y, 8))
    cardinalities[id(endless)] = -1  # tf.data.INFINITE_CARDINALITY
    with pytest.raises(ValueError, match=r"tf.data.Dataset is infinite.*steps_per_epoch"):
        model.fit(endless, verbose=0, shuffle=False)
    unknown = Dataset(_tensors(x, y, 8))
    cardinalities[id(unknown)] = -2  # tf.data.UNKNOWN_CARDINALITY: whole passes
    history, _ = _fit(model, unknown, epochs=2)
    assert len(history["loss"]) == 2 and unknown.passes == 2


def test_a_torch_dataset_of_samples_is_refused():
    class Samples:
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return HostTensor(np.ones(4, "float32")), 0

    Dataset = _pretend("torch.utils.data.dataset", "Dataset", base=Samples)
    with pytest.raises(TypeError, match=r"x is a torch Dataset \(Dataset\), whose items are "
                                        r"single samples.*DataLoader"):
        classifier().fit(Dataset(), verbose=0)
    with pytest.raises(TypeError, match=r"x is a torch Dataset"):
        classifier().evaluate(Dataset(), np.zeros(4), verbose=0)


def test_convert_to_tensor_takes_a_framework_tensor():
    a = np.arange(6, dtype="float64").reshape(2, 3)
    t = keras.ops.convert_to_tensor(HostTensor(a, requires_grad=True))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(t), a)
    assert t.dtype == "float64"  # explicit conversion keeps the dtype, as for NumPy data
    assert keras.ops.convert_to_tensor(HostTensor(a), dtype="float32").dtype == "float32"
