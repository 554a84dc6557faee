"""The cost of calling a model or a layer eagerly on plain arrays, beside PyTorch.

    OPENBLAS_NUM_THREADS=1 python -m benchmarks.eager_call [--calls 200] [--repeats 6]

Times, in thread CPU time (`time.thread_time`), `model(x)` and `model(x, training=False)`
on NumPy arrays (replayed recordings once warm, `kerasx.models.eager_replay`), the same
call run layer by layer (`Layer.__call__`, what it costs without the replay),
kerasx's `predict_on_batch(x)` (a replayed recording once warm) and
PyTorch's `model(x)` under `torch.no_grad()` in `eval()` mode, for the Keras MNIST
convnet (`cnn`) at batch 1, the `mlp` workload at batch 1 and 128, ten `Dense(4)`
layers (`nn.Linear(4, 4)`) called one after another on a (1, 4) array (`dense10`), and
the same ten layers as a Sequential model (`dense10_model`). Each figure is
the time of one call, the median and the minimum over `--repeats` runs of `--calls`
calls, the implementations alternating within each repeat. Run with one BLAS thread:
thread time does not count the BLAS's other threads.
"""

import argparse
import statistics
import time

import numpy as np

from benchmarks import impl_torch, keras_models, workloads

CASES = (("cnn", 1), ("mlp", 1), ("mlp", 128), ("dense10", 1), ("dense10_model", 1))


def _kerasx_model(kerasx, name):
    if name == "dense10":
        layers = [kerasx.layers.Dense(4) for _ in range(10)]

        def call(x, **kwargs):
            for layer in layers:
                x = layer(x, **kwargs)
            return x

        return call, None
    if name == "dense10_model":
        model = kerasx.Sequential([kerasx.Input((4,))] + [kerasx.layers.Dense(4)
                                                          for _ in range(10)])
        return model, model
    model = keras_models.build(kerasx, workloads.WORKLOADS[name])
    return model, model


def _torch_model(name):
    import torch

    if name.startswith("dense10"):
        model = torch.nn.Sequential(*[torch.nn.Linear(4, 4) for _ in range(10)])
    else:
        model = impl_torch.build(workloads.WORKLOADS[name])[0]
        model = torch.nn.Sequential(model, torch.nn.Softmax(-1))  # as the Keras models end
    return model.eval()


def _inputs(name, batch, count=8):
    """`count` different batches: calls cycle through them, as a loop over new data (a
    recording that took its input for a constant would pass on one repeated batch)."""
    rng = np.random.default_rng(0)
    shape = (4,) if name.startswith("dense10") else workloads.WORKLOADS[name].input_shape
    return [rng.standard_normal((batch,) + shape).astype("float32") for _ in range(count)]


def _per_call(function, inputs, calls):
    count = len(inputs)
    start = time.thread_time()
    for i in range(calls):
        function(inputs[i % count])
    return (time.thread_time() - start) / calls


def measure(name, batch, calls, repeats):
    """`{label: [seconds per call, one per repeat]}` for one model and batch size."""
    import torch

    import kerasx

    kerasx.utils.set_random_seed(0)
    torch.manual_seed(0)
    inputs = _inputs(name, batch)
    call, model = _kerasx_model(kerasx, name)
    net = _torch_model(name)
    # NHWC data -> an NCHW tensor in channels_last memory, as in `impl_torch`
    torch_inputs = [torch.from_numpy(x).permute(0, 3, 1, 2) if x.ndim == 4
                    else torch.from_numpy(x) for x in inputs]

    def torch_call(x):
        with torch.no_grad():
            return net(x)

    functions = {"model(x)": (lambda x: call(x), inputs),
                 "model(x, training=False)": (lambda x: call(x, training=False), inputs)}
    if model is not None:
        # the call through the layers, without the replay: what `model(x)` costs when
        # its call cannot be replayed
        from kerasx.layers.layer import Layer

        functions["layer by layer"] = (lambda x: Layer.__call__(model, x), inputs)
        functions["predict_on_batch"] = (model.predict_on_batch, inputs)
    functions["torch no_grad"] = (torch_call, torch_inputs)
    for function, data in functions.values():  # builds, records and checks replays
        _per_call(function, data, max(calls, 250) if model is not None else 20)
    times = {label: [] for label in functions}
    for _ in range(repeats):
        for label, (function, data) in functions.items():
            times[label].append(_per_call(function, data, calls))
    return times


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--repeats", type=int, default=6)
    parser.add_argument("--cases", default=",".join(f"{n}:{b}" for n, b in CASES))
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(1)
    print(f"thread time per call in us, median (min) of {args.repeats} x {args.calls} calls")
    for case in args.cases.split(","):
        name, batch = case.split(":")
        times = measure(name, int(batch), args.calls, args.repeats)
        torch_best = min(times["torch no_grad"])
        print(f"{name} batch {batch}:")
        for label, values in times.items():
            print(f"  {label:26s} {statistics.median(values) * 1e6:9.1f} "
                  f"({min(values) * 1e6:9.1f})  {min(values) / torch_best:5.2f}x torch (min)")


if __name__ == "__main__":
    main()
