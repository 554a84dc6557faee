"""Every benchmark workload builds and trains in kerasx, has its FLOP count, and (where
PyTorch is installed) its hand-written PyTorch model has the same number of weights."""

import dataclasses
import math

import numpy as np
import pytest

import kerasx as keras
from benchmarks import keras_models
from benchmarks.workloads import WORKLOADS, make_data, training_flops_per_sample


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_workload_trains_in_kerasx(name):
    workload = WORKLOADS[name]
    x, y = make_data(workload, samples=8)
    assert x.shape == (8,) + workload.input_shape
    keras.utils.set_random_seed(0)
    model = keras_models.build(keras, workload)
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert math.isfinite(history.history["loss"][0])
    classes = model.predict(x[:2], verbose=0).shape[-1]
    assert classes == workload.classes
    assert training_flops_per_sample(name) > 0


@pytest.mark.parametrize("name", sorted(WORKLOADS))
def test_pytorch_model_has_the_same_weights(name):
    torch = pytest.importorskip("torch")
    from benchmarks import impl_torch

    workload = WORKLOADS[name]
    model = keras_models.build(keras, workload)
    torch_model = impl_torch.build(workload)[0]
    count = sum(p.numel() for p in torch_model.parameters())
    # PyTorch's LSTM has a second bias vector where Keras's has one
    extra = sum(m.bias_hh_l0.numel() for m in torch_model.modules()
                if isinstance(m, torch.nn.LSTM))
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert count - extra == trainable


def test_an_unknown_workload_is_refused():
    """A workload name no builder knows is an error, not silently `tiny`'s model."""
    unknown = dataclasses.replace(WORKLOADS["tiny"], name="nope")
    with pytest.raises(KeyError, match="nope"):
        keras_models.build(keras, unknown)
    with pytest.raises(KeyError):
        training_flops_per_sample("nope")
    pytest.importorskip("torch")
    from benchmarks import impl_torch

    with pytest.raises(KeyError, match="nope"):
        impl_torch.build(unknown)
