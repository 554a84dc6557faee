"""The workloads in kerasx compiled with `jit_compile=False`: every training step runs
eagerly, through the layers, tape, losses and metric objects (the path the CuPy and
array_api_strict backends always take). The `kerasx` implementation uses the default
`jit_compile="auto"`, which on NumPy records each step once and replays it."""

import kerasx as keras

from benchmarks import keras_models
from benchmarks.impl_kerasx import predict, setup, to_device, train

__all__ = ["build", "predict", "setup", "to_device", "train"]


def build(workload):
    return keras_models.build(keras, workload, jit_compile=False)
