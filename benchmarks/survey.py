"""A quick survey of layer types beside PyTorch eager, both in this one process.

    python -m benchmarks.survey [--repeats 5] [--steps 20] [name ...]

Each model trains with Adam on synthetic data (float32, fixed seed, 10 classes,
sparse categorical cross-entropy, accuracy read every step); kerasx through `fit`,
PyTorch through a hand-written loop. The two alternate within each repeat, and the
table gives the best and median milliseconds per step and PyTorch's best time over
kerasx's (above 1: kerasx is faster). It finds the layers worth a closer look; the
runner (`benchmarks.run`) is the measurement, with separate processes, peak RSS and
Keras 3 beside them, and the slowest models found here are workloads there.
"""

import argparse
import statistics
import time

import numpy as np


def _cases(L, nn, torch):
    """`name: (input shape, batch, kerasx layers, PyTorch module)` (builders)."""

    class Permute(nn.Module):
        def __init__(self, *dims):
            super().__init__()
            self.dims = dims

        def forward(self, x):
            return x.permute(*self.dims)

    class GaussianNoise(nn.Module):
        """Keras's `GaussianNoise`: normal noise added while training."""

        def __init__(self, stddev):
            super().__init__()
            self.stddev = stddev

        def forward(self, x):
            return x + torch.randn_like(x) * self.stddev if self.training else x

    class Recurrent(nn.Module):
        """A PyTorch RNN as Keras runs it: the sequence, or the last state."""

        def __init__(self, cell, inputs, units, sequences, bidirectional=False):
            super().__init__()
            self.rnn = cell(inputs, units, batch_first=True, bidirectional=bidirectional)
            self.sequences = sequences

        def forward(self, x):
            seq, state = self.rnn(x)
            if self.sequences:
                return seq
            h = state[0] if isinstance(state, tuple) else state
            return torch.cat(list(h), dim=1)

    nhwc, nchw = (0, 3, 1, 2), (0, 2, 3, 1)
    return {
        "conv1d": ((100, 32), 64, lambda: [
            L.Conv1D(64, 5, activation="relu"), L.MaxPooling1D(2), L.Conv1D(64, 5, activation="relu"),
            L.AveragePooling1D(2), L.Flatten(), L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(Permute(0, 2, 1), nn.Conv1d(32, 64, 5), nn.ReLU(), nn.MaxPool1d(2),
                                  nn.Conv1d(64, 64, 5), nn.ReLU(), nn.AvgPool1d(2), Permute(0, 2, 1),
                                  nn.Flatten(), nn.Linear(22 * 64, 10))),
        "conv3d": ((16, 16, 16, 1), 16, lambda: [
            L.Conv3D(16, 3, activation="relu"), L.MaxPooling3D(2), L.Flatten(),
            L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(Permute(0, 4, 1, 2, 3), nn.Conv3d(1, 16, 3), nn.ReLU(),
                                  nn.MaxPool3d(2), Permute(0, 2, 3, 4, 1), nn.Flatten(),
                                  nn.Linear(7 * 7 * 7 * 16, 10))),
        "avgpool2d": ((28, 28, 1), 128, lambda: [
            L.Conv2D(32, 3, activation="relu"), L.AveragePooling2D(2),
            L.Conv2D(64, 3, activation="relu"), L.AveragePooling2D(2), L.Flatten(),
            L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(Permute(*nhwc), nn.Conv2d(1, 32, 3), nn.ReLU(), nn.AvgPool2d(2),
                                  nn.Conv2d(32, 64, 3), nn.ReLU(), nn.AvgPool2d(2),
                                  Permute(*nchw), nn.Flatten(), nn.Linear(5 * 5 * 64, 10))),
        "stacked_lstm": ((50, 32), 64, lambda: [
            L.LSTM(64, return_sequences=True), L.LSTM(64), L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(Recurrent(nn.LSTM, 32, 64, True), Recurrent(nn.LSTM, 64, 64, False),
                                  nn.Linear(64, 10))),
        "dense_bn": ((256,), 128, lambda: [
            L.Dense(256), L.BatchNormalization(), L.ReLU(), L.Dense(256), L.BatchNormalization(),
            L.ReLU(), L.Dense(10), L.Softmax()],
            lambda: nn.Sequential(nn.Linear(256, 256), nn.BatchNorm1d(256, eps=1e-3), nn.ReLU(),
                                  nn.Linear(256, 256), nn.BatchNorm1d(256, eps=1e-3), nn.ReLU(),
                                  nn.Linear(256, 10))),
        "permute": ((32, 48), 128, lambda: [
            L.Permute((2, 1)), L.Dense(32, activation="relu"), L.Reshape((48 * 32,)),
            L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(Permute(0, 2, 1), nn.Linear(32, 32), nn.ReLU(), nn.Flatten(),
                                  nn.Linear(48 * 32, 10))),
        "same_conv": ((32, 32, 3), 64, lambda: [
            L.Conv2D(32, 3, padding="same", activation="relu"),
            L.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
            L.Conv2D(64, 3, padding="same", activation="relu"), L.GlobalAveragePooling2D(),
            L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(Permute(*nhwc), nn.Conv2d(3, 32, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(32, 32, 3, stride=2, padding=1), nn.ReLU(),
                                  nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))),
        "conv_bn": ((16, 16, 16), 64, lambda: [
            L.Conv2D(32, 3, padding="same"), L.BatchNormalization(), L.ReLU(),
            L.Conv2D(32, 3, padding="same"), L.BatchNormalization(), L.ReLU(), L.Flatten(),
            L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(Permute(*nhwc), nn.Conv2d(16, 32, 3, padding=1),
                                  nn.BatchNorm2d(32, eps=1e-3), nn.ReLU(),
                                  nn.Conv2d(32, 32, 3, padding=1), nn.BatchNorm2d(32, eps=1e-3),
                                  nn.ReLU(), Permute(*nchw), nn.Flatten(),
                                  nn.Linear(16 * 16 * 32, 10))),
        "tanh_norm": ((100,), 64, lambda: [
            L.Dense(256, activation="tanh"), L.Dense(256, activation="sigmoid"),
            L.LayerNormalization(), L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(nn.Linear(100, 256), nn.Tanh(), nn.Linear(256, 256), nn.Sigmoid(),
                                  nn.LayerNorm(256, eps=1e-3), nn.Linear(256, 10))),
        "simple_rnn": ((50, 16), 64, lambda: [
            L.SimpleRNN(64, return_sequences=True), L.SimpleRNN(64),
            L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(Recurrent(nn.RNN, 16, 64, True), Recurrent(nn.RNN, 64, 64, False),
                                  nn.Linear(64, 10))),
        "bidirectional": ((50, 16), 64, lambda: [
            L.Bidirectional(L.LSTM(32)), L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(Recurrent(nn.LSTM, 16, 32, False, bidirectional=True),
                                  nn.Linear(64, 10))),
        "decoder": ((16, 16, 8), 64, lambda: [
            L.UpSampling2D(2), L.Conv2D(16, 3, activation="relu"),
            L.Conv2DTranspose(8, 3, strides=2), L.GlobalMaxPooling2D(),
            L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(Permute(*nhwc), nn.Upsample(scale_factor=2), nn.Conv2d(8, 16, 3),
                                  nn.ReLU(), nn.ConvTranspose2d(16, 8, 3, stride=2),
                                  nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(8, 10))),
        "grouped_conv": ((16, 16, 32), 64, lambda: [
            L.Conv2D(64, 3, padding="same", groups=4, activation="relu"),
            L.Conv2D(64, 3, groups=8, activation="relu"), L.GlobalAveragePooling2D(),
            L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(Permute(*nhwc), nn.Conv2d(32, 64, 3, padding=1, groups=4),
                                  nn.ReLU(), nn.Conv2d(64, 64, 3, groups=8), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))),
        "depth_multiplier": ((16, 16, 32), 64, lambda: [
            L.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu"),
            L.Conv2D(64, 1, activation="relu"), L.GlobalAveragePooling2D(),
            L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(Permute(*nhwc), nn.Conv2d(32, 64, 3, padding=1, groups=32),
                                  nn.ReLU(), nn.Conv2d(64, 64, 1), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(64, 10))),
        "noise_prelu": ((16, 16, 32), 64, lambda: [
            L.GaussianNoise(0.1), L.Conv2D(32, 3, padding="same"), L.PReLU(shared_axes=[1, 2]),
            L.Conv2D(32, 3, padding="same"), L.ELU(), L.GlobalAveragePooling2D(),
            L.Dense(10, activation="softmax")],
            lambda: nn.Sequential(Permute(*nhwc), GaussianNoise(0.1),
                                  nn.Conv2d(32, 32, 3, padding=1), nn.PReLU(32, 0.0),
                                  nn.Conv2d(32, 32, 3, padding=1), nn.ELU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))),
    }


def _ms_per_step(run, steps):
    start = time.perf_counter()
    run()
    return 1e3 * (time.perf_counter() - start) / steps


def survey(names, repeats, steps):
    """Yields `(name, kerasx best, kerasx median, torch best, torch median)` in ms per
    step, one model at a time."""
    import torch
    from torch import nn

    import kerasx as keras
    from kerasx import layers

    torch.set_num_threads(2)
    cases = _cases(layers, nn, torch)
    unknown = sorted(set(names) - set(cases))
    if unknown:
        raise SystemExit(f"unknown survey models {unknown}; choose from {sorted(cases)}")
    for name in names or cases:
        shape, batch, keras_layers, torch_module = cases[name]
        rng = np.random.default_rng(0)
        n = batch * steps
        x = rng.standard_normal((n,) + shape, dtype=np.float32)
        y = rng.integers(0, 10, n)
        keras.utils.set_random_seed(0)
        model = keras.Sequential([keras.Input(shape)] + keras_layers())
        model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
        torch.manual_seed(0)
        net = torch_module()
        optimizer = torch.optim.Adam(net.parameters(), 1e-3, eps=1e-7)
        loss_fn = nn.CrossEntropyLoss()
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)

        def torch_epoch():
            for start in range(0, n, batch):
                xb, yb = tx[start:start + batch], ty[start:start + batch]
                optimizer.zero_grad(set_to_none=True)
                out = net(xb)
                loss_fn(out, yb).backward()
                optimizer.step()
                (out.argmax(1) == yb).float().mean().item()

        def kerasx_epoch():
            model.fit(x, y, batch_size=batch, verbose=0)

        model.fit(x[:batch * 3], y[:batch * 3], batch_size=batch, verbose=0)
        torch_epoch()
        times = {"kerasx": [], "torch": []}
        for _ in range(repeats):
            times["kerasx"].append(_ms_per_step(kerasx_epoch, steps))
            times["torch"].append(_ms_per_step(torch_epoch, steps))
        yield (name, min(times["kerasx"]), statistics.median(times["kerasx"]),
               min(times["torch"]), statistics.median(times["torch"]))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="survey models (default: all)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--steps", type=int, default=20)
    args = parser.parse_args()
    print("| model | kerasx ms/step best (median) | PyTorch ms/step best (median) | PyTorch / kerasx |")
    print("|---|---|---|---|")
    for name, kb, km, tb, tm in survey(args.names, args.repeats, args.steps):
        print(f"| {name} | {kb:.2f} ({km:.2f}) | {tb:.2f} ({tm:.2f}) | {tb / kb:.2f}x |", flush=True)


if __name__ == "__main__":
    main()
