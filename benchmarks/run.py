"""Runs every workload in kerasx, PyTorch eager and Keras 3 + JAX, side by side.

    python -m benchmarks.run [--workloads mlp,cnn,lstm,tiny] [--repeats 3] [--scale 1.0]
        (also --workloads convbn,textcnn,gru,imdb,transformer,deep,lenet,vgg,stacked,conv1d,
        cifar,separable: a Conv-BN-ReLU-Pool network, a text CNN, a GRU, an embedding-average
        text classifier, a one-block Transformer classifier, ten small Dense-BN-ReLU blocks,
        a convnet with average pooling, "same" convolutions with a strided one, two stacked
        LSTMs, a 1-D convnet, the Keras CIFAR-10 example's convnet and a net of depthwise
        separable convolutions)
        [--torch-python PY] [--keras-python PY] [--device cpu|cuda] [--batch-size N]
        [--verbose 0|1|2] [--output results.json]

Each measurement is a fresh process (`benchmarks.worker`); implementations
alternate within each repeat so drifts in machine load hit them alike. The
table gives medians (min-max) of samples/s, ratios to PyTorch and Keras,
the share of the analytic limit (measured float32 GEMM rate / training FLOPs
per sample) and peak RSS.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def gemm_rate(threads):
    """Measured float32 GEMM rate of NumPy's BLAS (GFLOP/s), median of 5."""
    import time

    import numpy as np

    a = np.random.default_rng(0).standard_normal((2048, 2048), dtype=np.float32)
    a @ a
    times = []
    for _ in range(5):
        start = time.perf_counter()
        a @ a
        times.append(time.perf_counter() - start)
    return 2 * 2048 ** 3 / statistics.median(times) / 1e9


def blas_info():
    try:
        from threadpoolctl import threadpool_info

        info = [i for i in threadpool_info() if i.get("user_api") == "blas"]
        return "; ".join(f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')} "
                         f"threads={i.get('num_threads')}" for i in info)
    except ImportError:
        return "threadpoolctl not installed"


def run_worker(python, impl, workload, args):
    path = os.pathsep.join(p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)
    env = {**os.environ, "PYTHONPATH": path, "OMP_NUM_THREADS": str(args.threads),
           "OPENBLAS_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    if impl.startswith("kerasx") and args.device == "cuda":
        env["KERASX_BACKEND"] = "cupy"
    cmd = [python, "-m", "benchmarks.worker", "--impl", impl, "--workload", workload,
           "--scale", str(args.scale), "--device", args.device, "--threads", str(args.threads)]
    if args.batch_size:
        cmd += ["--batch-size", str(args.batch_size)]
    if args.verbose:
        cmd += ["--verbose", str(args.verbose)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0:
        return {"impl": impl, "workload": workload, "error": proc.stderr.strip().splitlines()[-1:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def summarize(results, workloads, impls, limit):
    rows = []
    for w in workloads:
        stats = {}
        for impl in impls:
            runs = [r for r in results if r["workload"] == w and r["impl"] == impl and "error" not in r]
            if not runs:
                errors = [r["error"] for r in results if r["workload"] == w and r["impl"] == impl]
                stats[impl] = {"error": errors[0] if errors else "not run"}
                continue
            train = [r["train_samples_per_s"] for r in runs]
            pred = [r["predict_samples_per_s"] for r in runs]
            stats[impl] = {"train": statistics.median(train), "train_min": min(train),
                           "train_max": max(train), "predict": statistics.median(pred),
                           "predict_min": min(pred), "predict_max": max(pred),
                           "step_ms": statistics.median(r["train_step_ms"] for r in runs),
                           "rss": max(r["peak_rss_mb"] for r in runs), "version": runs[0]["version"]}
        rows.append((w, stats, limit.get(w)))
    return rows


def print_table(rows, impls):
    header = ("| workload | impl | train samples/s (min-max) | step ms | predict samples/s | "
              "train vs torch | train vs keras | predict vs torch | of limit | peak RSS MB | RSS vs torch |")
    print(header)
    print("|" + "---|" * (header.count("|") - 1))
    for w, stats, limit in rows:
        torch = stats.get("torch", {})
        keras = stats.get("keras", {})
        for impl in impls:
            s = stats[impl]
            if "error" in s:
                print(f"| {w} | {impl} | error: {s['error']} | | | | | | | | |")
                continue

            def ratio(key, other):
                return f"{s[key] / other[key]:.2f}x" if key in other else "-"

            of_limit = f"{s['train'] / limit:.1%}" if limit else "-"
            print(f"| {w} | {impl} | {s['train']:,.0f} ({s['train_min']:,.0f}-{s['train_max']:,.0f}) | "
                  f"{s['step_ms']:.2f} | {s['predict']:,.0f} | {ratio('train', torch)} | "
                  f"{ratio('train', keras)} | {ratio('predict', torch)} | {of_limit} | {s['rss']:.0f} | "
                  f"{ratio('rss', torch)} |")


def print_best(rows, impls):
    """Training ratios of the fastest process of each implementation: on a shared machine
    the least disturbed run, steadier than the medians when a second tenant comes and goes."""
    parts = []
    for w, stats, _ in rows:
        best = {impl: s["train_max"] for impl, s in stats.items() if "train_max" in s}
        for ours in ("kerasx", "kerasx_whole", "kerasx_owned", "kerasx_eager"):
            if ours not in best:
                continue
            ratios = [f"{best[ours] / best[other]:.2f}x {other}"
                      for other in ("torch", "keras") if other in best and other in impls]
            if ratios:
                parts.append(f"{w} {ours} " + ", ".join(ratios))
    if parts:
        print("best of each (train, vs): " + "; ".join(parts))


def main():
    from benchmarks.workloads import DEFAULT_WORKLOADS

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default=",".join(DEFAULT_WORKLOADS),
                        help="comma-separated; also convbn, textcnn, gru, imdb, transformer, deep, "
                             "lenet, vgg, stacked, conv1d, cifar and separable (not run by "
                             "default)")
    parser.add_argument("--impls", default="kerasx,kerasx_eager,torch,keras",
                        help="kerasx: the default compile (on NumPy, steps recorded and "
                             "replayed); kerasx_eager: compiled with jit_compile=False; "
                             "kerasx_whole: replayed steps never split in halves run on two "
                             "threads (KERASX_SPLIT_STEPS=0); kerasx_owned: replayed steps "
                             "on kerasx's own two threads (KERASX_OWN_THREADS=1)")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--verbose", type=int, default=0,
                        help="fit's verbose for kerasx and Keras: 1 times training with "
                             "Keras's default progress bar (PyTorch's loop prints nothing)")
    parser.add_argument("--kerasx-python", default=sys.executable)
    parser.add_argument("--torch-python", default=sys.executable)
    parser.add_argument("--keras-python", default=None)
    parser.add_argument("--output", default=None)
    args = parser.parse_args()
    workloads = args.workloads.split(",")
    impls = [i for i in args.impls.split(",") if i != "keras" or args.keras_python]
    pythons = {"kerasx": args.kerasx_python, "kerasx_eager": args.kerasx_python,
               "kerasx_whole": args.kerasx_python, "kerasx_owned": args.kerasx_python,
               "torch": args.torch_python, "keras": args.keras_python}

    from benchmarks.workloads import training_flops_per_sample

    os.environ["OPENBLAS_NUM_THREADS"] = str(args.threads)
    rate = gemm_rate(args.threads) if args.device == "cpu" else None
    limit = {w: rate * 1e9 / training_flops_per_sample(w) for w in workloads} if rate else {}
    print(f"BLAS: {blas_info()}")
    if rate:
        print(f"float32 GEMM rate (2048^3, {args.threads} threads): {rate:.1f} GFLOP/s")
    print(f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', '(unset)')}")
    results = []
    for repeat in range(args.repeats):
        for w in workloads:
            order = impls if repeat % 2 == 0 else impls[::-1]
            for impl in order:
                r = run_worker(pythons[impl], impl, w, args)
                results.append(r)
                write_results(args.output, rate, results)  # so far, in case the run is cut
                print(f"  repeat {repeat + 1} {w:5s} {impl:7s} "
                      + (f"train {r['train_samples_per_s']:,.0f}/s predict {r['predict_samples_per_s']:,.0f}/s "
                         f"rss {r['peak_rss_mb']:.0f} MB" if "error" not in r else f"error {r['error']}"),
                      flush=True)
    rows = summarize(results, workloads, impls, limit)
    print()
    print_table(rows, impls)
    print_best(rows, impls)
    write_results(args.output, rate, results)


def write_results(path, rate, results):
    if path:
        with open(path, "w") as f:
            json.dump({"gemm_gflops": rate, "blas": blas_info(), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
