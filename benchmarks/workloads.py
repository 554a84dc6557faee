"""The benchmark workloads: shapes, sizes and training FLOPs per sample.

Every implementation builds the same model and trains it with the same
optimizer, loss and batch size on the same synthetic data (float32, fixed seed).
"""

import dataclasses

import numpy as np


@dataclasses.dataclass(frozen=True)
class Workload:
    name: str
    input_shape: tuple
    classes: int          # 1: binary target
    samples: int
    batch_size: int
    optimizer: str
    predict_batch_size: int
    description: str


WORKLOADS = {
    "mlp": Workload("mlp", (784,), 10, 60_000, 128, "adam", 1024,
                    "784 -> Dense 512 relu -> Dropout 0.2 -> Dense 512 relu -> Dropout 0.2 -> Dense 10 softmax"),
    "cnn": Workload("cnn", (28, 28, 1), 10, 12_800, 128, "adam", 1024,
                    "28x28x1 -> Conv2D 32 3x3 relu -> MaxPool 2 -> Conv2D 64 3x3 relu -> MaxPool 2 "
                    "-> Flatten -> Dropout 0.5 -> Dense 10 softmax"),
    "lstm": Workload("lstm", (100, 32), 1, 4_096, 64, "adam", 1024,
                     "100 steps x 32 features -> LSTM 128 -> Dense 1 sigmoid"),
    "tiny": Workload("tiny", (20,), 10, 20_000, 32, "sgd", 1024,
                     "20 -> Dense 10 softmax (per-step framework overhead)"),
}


def make_data(workload, samples=None, seed=0):
    """Synthetic inputs and labels for `workload`, made before any timing."""
    rng = np.random.default_rng(seed)
    n = samples or workload.samples
    x = rng.standard_normal((n,) + workload.input_shape, dtype=np.float32)
    if workload.classes == 1:
        y = (rng.random(n) < 0.5).astype(np.float32)
    else:
        y = rng.integers(0, workload.classes, n).astype(np.int64)
    return x, y


def training_flops_per_sample(name):
    """Multiply-adds x 2 x 3 (forward, input gradient, weight gradient) of the GEMM-like work."""
    if name == "mlp":
        macs = 784 * 512 + 512 * 512 + 512 * 10
    elif name == "cnn":
        macs = 26 * 26 * 9 * 1 * 32 + 11 * 11 * 9 * 32 * 64 + 1600 * 10
    elif name == "lstm":
        macs = 100 * 4 * 128 * (32 + 128) + 128
    elif name == "tiny":
        macs = 20 * 10
    else:
        raise KeyError(name)
    return 2 * 3 * macs
