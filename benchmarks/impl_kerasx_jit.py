"""The workloads in kerasx compiled with `jit_compile=True`: each training step
recorded once and replayed (`kerasx.trainers.compiled_step`; the NumPy backend
records, the others run eagerly)."""

import kerasx as keras

from benchmarks import keras_models
from benchmarks.impl_kerasx import predict, setup, to_device, train

__all__ = ["build", "predict", "setup", "to_device", "train"]


def build(workload):
    return keras_models.build(keras, workload, jit_compile=True)
