"""The floor for the `tiny` workload: its training step written by hand in NumPy.

    python -m benchmarks.tiny_floor [--repeats 5] [--kerasx [--eager]]

The same work as one `fit` step of `tiny` (shuffled batch of 32 rows, 20 -> Dense 10
softmax, sparse cross-entropy, SGD 0.01, running loss and accuracy), with no layers,
tape, optimizer object, metrics or callbacks: what is left when a framework costs
nothing. Prints the median time per step over whole epochs. With `--kerasx`, epochs
of kerasx's `fit` (verbose 0) alternate with the hand-written ones in the same
process, so both meet the same core and the same neighbours: the ratio of their
medians is kerasx's step in units of the floor. kerasx's model is compiled as by default
(`jit_compile="auto"`: its steps recorded once and replayed); with `--eager`, with
`jit_compile=False`.
"""

import argparse
import statistics
import time

import numpy as np

from benchmarks.workloads import WORKLOADS, make_data


def epoch(x, y, kernel, bias, batch, rng=None, learning_rate=0.01):
    """One epoch of hand-written SGD steps (in a shuffled order when `rng` is given,
    else in order); updates `kernel` and `bias` in place and returns the mean loss
    and accuracy."""
    order = rng.permutation(len(x)) if rng is not None else np.arange(len(x))
    loss_sum = correct = 0.0
    steps = 0
    for start in range(0, len(x), batch):
        idx = order[start:start + batch]
        xb, yb = x[idx], y[idx]
        rows = np.arange(len(yb))
        logits = xb @ kernel
        logits += bias
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        loss_sum += float(-np.log(probs[rows, yb]).mean())
        correct += float((probs.argmax(axis=1) == yb).mean())
        probs[rows, yb] -= 1.0
        probs /= len(yb)
        kernel -= learning_rate * (xb.T @ probs)
        bias -= learning_rate * probs.sum(axis=0)
        steps += 1
    return loss_sum / steps, correct / steps


def _kerasx_epoch(x, y, batch, jit="auto"):
    """A function running kerasx's `fit` over one epoch of `tiny` on a built model."""
    import kerasx as keras

    from benchmarks import keras_models

    keras.utils.set_random_seed(0)
    model = keras_models.build(keras, WORKLOADS["tiny"], jit_compile=jit)
    model.fit(x[:batch * 4], y[:batch * 4], batch_size=batch, verbose=0)  # build and warm up

    def run():
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=True)

    return run


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--kerasx", action="store_true",
                        help="alternate with epochs of kerasx's fit in this process")
    parser.add_argument("--eager", action="store_true",
                        help="compile kerasx's model with jit_compile=False")
    args = parser.parse_args()
    workload = WORKLOADS["tiny"]
    x, y = make_data(workload)
    rng = np.random.default_rng(0)
    kernel = (rng.standard_normal((x.shape[1], workload.classes)) * 0.1).astype(np.float32)
    bias = np.zeros(workload.classes, np.float32)
    steps = -(-len(x) // workload.batch_size)
    kerasx_run = _kerasx_epoch(x, y, workload.batch_size, False if args.eager else "auto") if args.kerasx else None
    epoch(x, y, kernel, bias, workload.batch_size, rng)  # warm-up
    times, kerasx_times = [], []
    for _ in range(args.repeats):
        start = time.perf_counter()
        loss, accuracy = epoch(x, y, kernel, bias, workload.batch_size, rng)
        times.append(time.perf_counter() - start)
        if kerasx_run is not None:
            start = time.perf_counter()
            kerasx_run()
            kerasx_times.append(time.perf_counter() - start)
    per_step = statistics.median(times) / steps * 1e6
    print(f"tiny, hand-written NumPy: {per_step:.1f} us/step (median of {args.repeats} epochs; "
          f"last epoch loss {loss:.4f}, accuracy {accuracy:.4f})")
    if kerasx_times:
        kerasx_step = statistics.median(kerasx_times) / steps * 1e6
        print(f"tiny, kerasx fit: {kerasx_step:.1f} us/step (median of {args.repeats} epochs, "
              f"alternating); {kerasx_step / per_step:.2f}x the hand-written step")


if __name__ == "__main__":
    main()
