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
    vocabulary: int = 0   # > 0: integer token inputs in [1, vocabulary)


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
    # not in the default run (no goal of their own): the common convolution block and a
    # text classifier, timed beside the goal workloads
    "convbn": Workload("convbn", (32, 32, 3), 10, 4_096, 64, "adam", 1024,
                       "32x32x3 -> [Conv2D 3x3 same -> BatchNormalization -> ReLU -> MaxPool 2] "
                       "x2 (32, 64 filters) -> Flatten -> Dense 10 softmax"),
    "textcnn": Workload("textcnn", (200,), 1, 4_096, 64, "adam", 1024,
                        "200 tokens -> Embedding 10000x64 -> Conv1D 128 5 relu -> "
                        "GlobalMaxPooling1D -> Dense 1 sigmoid", vocabulary=10_000),
    # the recurrent layer the course uses besides LSTM (reset_after=True, as PyTorch's GRU)
    "gru": Workload("gru", (100, 32), 1, 4_096, 64, "adam", 1024,
                    "100 steps x 32 features -> GRU 128 -> Dense 1 sigmoid"),
    # the classic IMDB sentiment model: the embedding gradient's scatter dominates
    "imdb": Workload("imdb", (256,), 1, 8_192, 512, "adam", 1024,
                     "256 tokens -> Embedding 10000x16 -> GlobalAveragePooling1D -> Dense 16 relu "
                     "-> Dense 1 sigmoid", vocabulary=10_000),
    # many small layers: per-layer and per-variable framework cost (42 trainable variables)
    "deep": Workload("deep", (32,), 10, 12_800, 32, "adam", 1024,
                     "32 -> [Dense 64 -> BatchNormalization -> ReLU] x10 -> Dense 10 softmax"),
    # the LeNet-style convnet with average pooling (the pooling's window-share backward)
    "lenet": Workload("lenet", (28, 28, 1), 10, 12_800, 128, "adam", 1024,
                      "28x28x1 -> Conv2D 32 3x3 relu -> AvgPool 2 -> Conv2D 64 3x3 relu -> AvgPool 2 "
                      "-> Flatten -> Dense 10 softmax"),
    # "same"-padded convolutions, one strided, no pooling until a global average
    "vgg": Workload("vgg", (32, 32, 3), 10, 4_096, 64, "adam", 1024,
                    "32x32x3 -> Conv2D 32 3x3 same relu -> Conv2D 32 3x3 stride 2 same relu "
                    "-> Conv2D 64 3x3 same relu -> GlobalAveragePooling2D -> Dense 10 softmax"),
    # two stacked LSTMs: the first returns its whole sequence, whose gradient flows back through both
    "stacked": Workload("stacked", (50, 32), 10, 4_096, 64, "adam", 1024,
                        "50 steps x 32 features -> LSTM 64 (return_sequences) -> LSTM 64 "
                        "-> Dense 10 softmax"),
    # the course's 1-D convnet on a sequence: max and average pooling over time
    "conv1d": Workload("conv1d", (100, 32), 10, 4_096, 64, "adam", 1024,
                       "100 steps x 32 features -> Conv1D 64 5 relu -> MaxPool1D 2 -> Conv1D 64 5 relu "
                       "-> AvgPool1D 2 -> Flatten -> Dense 10 softmax"),
    # the Keras CIFAR-10 example's convnet: large images with 32 and 64 channels (Adam for
    # its RMSprop, as everywhere here), at Keras's default batch size
    # a MobileNet-style net: depthwise separable convolutions
    "separable": Workload("separable", (32, 32, 3), 10, 4_096, 64, "adam", 1024,
                          "32x32x3 -> Conv2D 32 3x3 same relu -> SeparableConv2D 64 3x3 same "
                          "relu -> MaxPool 2 -> SeparableConv2D 128 3x3 same relu "
                          "-> GlobalAveragePooling2D -> Dense 10 softmax"),
    "cifar": Workload("cifar", (32, 32, 3), 10, 2_048, 32, "adam", 1024,
                      "32x32x3 -> Conv2D 32 3x3 same relu -> Conv2D 32 3x3 relu -> MaxPool 2 "
                      "-> Dropout 0.25 -> Conv2D 64 3x3 same relu -> Conv2D 64 3x3 relu -> MaxPool 2 "
                      "-> Dropout 0.25 -> Flatten -> Dense 512 relu -> Dropout 0.5 -> Dense 10 softmax"),
    # a one-block Transformer text classifier: self-attention, layer normalization and a
    # feed-forward block with residual connections
    "transformer": Workload("transformer", (64,), 1, 4_096, 64, "adam", 1024,
                            "64 tokens -> Embedding 10000x64 -> [MultiHeadAttention 4 heads x 16 "
                            "-> Add -> LayerNormalization -> Dense 128 relu -> Dense 64 -> Add "
                            "-> LayerNormalization] -> GlobalAveragePooling1D -> Dense 1 sigmoid",
                            vocabulary=10_000),
}
DEFAULT_WORKLOADS = ("mlp", "cnn", "lstm", "tiny")


def make_data(workload, samples=None, seed=0):
    """Synthetic inputs and labels for `workload`, made before any timing."""
    rng = np.random.default_rng(seed)
    n = samples or workload.samples
    if workload.vocabulary:
        x = rng.integers(1, workload.vocabulary, (n,) + workload.input_shape).astype(np.int64)
    else:
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
    elif name == "gru":
        macs = 100 * 3 * 128 * (32 + 128) + 128
    elif name == "tiny":
        macs = 20 * 10
    elif name == "convbn":
        macs = 32 * 32 * 9 * 3 * 32 + 16 * 16 * 9 * 32 * 64 + 8 * 8 * 64 * 10
    elif name == "textcnn":
        macs = 196 * 5 * 64 * 128 + 128
    elif name == "deep":
        macs = 32 * 64 + 9 * 64 * 64 + 64 * 10
    elif name == "imdb":
        macs = 16 * 16 + 16
    elif name == "lenet":
        macs = 26 * 26 * 9 * 1 * 32 + 11 * 11 * 9 * 32 * 64 + 1600 * 10
    elif name == "vgg":
        macs = 32 * 32 * 27 * 32 + 16 * 16 * 288 * 32 + 16 * 16 * 288 * 64 + 64 * 10
    elif name == "stacked":
        macs = 50 * 4 * 64 * (32 + 64) + 50 * 4 * 64 * (64 + 64) + 64 * 10
    elif name == "conv1d":
        macs = 96 * 5 * 32 * 64 + 44 * 5 * 64 * 64 + 1408 * 10
    elif name == "separable":
        macs = (32 * 32 * 27 * 32 + 32 * 32 * (9 * 32 + 32 * 64)
                + 16 * 16 * (9 * 64 + 64 * 128) + 128 * 10)
    elif name == "cifar":
        macs = (32 * 32 * 27 * 32 + 30 * 30 * 288 * 32 + 15 * 15 * 288 * 64
                + 13 * 13 * 576 * 64 + 2304 * 512 + 512 * 10)
    elif name == "transformer":  # per token: q, k, v and output projections, scores and
        # their weighted values (4 heads x 64 keys x 16), the feed-forward pair; then the head
        macs = 64 * (4 * 64 * 64 + 2 * 4 * 64 * 16 + 2 * 64 * 128) + 64
    else:
        raise KeyError(name)
    return 2 * 3 * macs
