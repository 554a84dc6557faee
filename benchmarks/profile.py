"""Where kerasx's training step spends its time, per workload, from native stack samples.

    python -m benchmarks.profile [--workloads mlp,cnn,lstm,tiny] [--seconds 20] [--rate 25]
        [--batch-size N] [--py-spy PATH] [--threads 2] [--keep DIR]

Each workload trains in its own process (`--child`) under `py-spy record --native`
(`pip install py-spy`; it needs permission to trace the process: root, or
`kernel.yama.ptrace_scope=0`). Only samples taken inside the epoch's step loop
count. Every sample is put in one category by the innermost frame, native code
included, so no instrumentation changes what is measured:

- `GEMM`: BLAS compute kernels (`sgemm_kernel...`, `sgemv...`);
- `GEMM packing`: the BLAS copying panels of its operands into its own layout;
- `GEMM sync`: the BLAS waiting for its other threads (`exec_blas`, `inner_thread`:
  the calling thread's share of a two-thread product done, the other's not yet);
  it grows when another process takes the second core, and with the sampling rate;
- `copies`: array copies and casts (NumPy's assignment and cast loops, `memcpy`);
- `elementwise`: NumPy's ufunc and reduction loops, libm, and the BLAS's level-1
  kernels (`saxpby_k...`: the optimizers' updates of large variables);
- `random`: NumPy's bit generators (dropout masks, shuffling);
- `NumPy calls`: the rest of NumPy's C code (argument parsing, dtype resolution,
  array creation: the fixed cost of each call);
- `Python`: the interpreter running kerasx's (or NumPy's) Python code;
- `other`: anything else.

and in one phase of the step by the frame under `train_step` (forward, loss,
gradient, optimizer, metrics; `batches` is the step loop outside `train_step`:
drawing the next batch, callbacks).
Prints two Markdown tables of percentages of the sampled step-loop time, and
the mean step time under the profiler (a little above the unprofiled one).
"""

import argparse
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CATEGORIES = ("GEMM", "GEMM packing", "GEMM sync", "copies", "elementwise", "random",
              "NumPy calls", "Python", "other")
PHASES = ("forward", "loss", "gradient", "optimizer", "metrics", "batches", "other")

# the frame right under `Trainer.train_step`, by function name
_PHASE_OF = {"Layer.__call__": "forward", "Trainer.compute_loss": "loss",
             "GradientTape.gradient": "gradient", "Optimizer.apply": "optimizer",
             "Trainer.compute_metrics": "metrics", "Mean.update_state": "metrics"}
# NumPy's inner loops, by name: ufunc and reduction loops (`FLOAT_add`, `FLOAT_add_X86_V3`,
# `simd_binary_less_f32`, `FLOAT_pairwise_sum`), then copy and cast loops
_ELEMENTWISE_LOOP = re.compile(r"^(?:[A-Z]+_[a-z]|simd_|npyv_)|_X86_V\d|pairwise_sum")
_COPY_LOOP = re.compile(r"^_?(?:aligned|contig|strided|swap)_|_to_contig|_to_strided|"
                        r"^raw_array_assign|^npyiter_copy_(?:from|to)_buffers|"
                        r"^mapiter_(?:trivial_)?[gs]et|^PyArray_Transfer|^mem(?:cpy|move|set)")
_GEMM_KERNEL = re.compile(r"^[sdcz]gem[mv]_(?:small_)?kernel|^[sdcz]gemv_[nt]|_kernel_\d+x\d+")
_BLAS_LEVEL1 = re.compile(r"^[sdcz](?:axpby|axpy|scal|dot)_k")
_FRAME = re.compile(r"^(?P<name>.*?) \((?P<where>[^()]*?)(?::(?P<line>\d+))?\)$")


def classify(frame):
    """The category of a sample whose innermost frame is `frame` (py-spy's raw format)."""
    m = _FRAME.match(frame)
    name, where = (m.group("name"), m.group("where")) if m else (frame, "")
    if where.endswith(".py") or m and m.group("line"):
        return "Python"
    lib = os.path.basename(where)
    if "blas" in lib or "mkl" in lib:
        if _GEMM_KERNEL.search(name):
            return "GEMM"
        if _BLAS_LEVEL1.search(name):
            return "elementwise"
        return "GEMM packing" if "copy" in name else "GEMM sync"
    if "random" in where:
        return "random"
    if lib.startswith("libm."):
        return "elementwise"
    if "_multiarray_umath" in lib:
        if _ELEMENTWISE_LOOP.search(name):
            return "elementwise"
        return "copies" if _COPY_LOOP.search(name) else "NumPy calls"
    if lib.startswith("libc."):
        # libc's unnamed frames under these loops are its memcpy/memset variants
        return "copies" if name.startswith("0x") or _COPY_LOOP.search(name) else "other"
    if lib.startswith("libpython") or name.startswith(("_Py", "Py")):
        return "Python"
    return "other"


def phase_of(frames):
    for i, frame in enumerate(frames):
        if frame.startswith("Trainer.train_step ("):
            under = frames[i + 1].split(" (")[0] if i + 1 < len(frames) else ""
            return _PHASE_OF.get(under, "other")
    return "batches"


def summarize(raw_path):
    """`(samples, {category: share}, {phase: share})` of the step-loop samples in a raw file."""
    categories, phases = collections.Counter(), collections.Counter()
    total = 0
    with open(raw_path) as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            frames = stack.split(";")
            if not any(fr.startswith("StepLoop._run_steps (") for fr in frames):
                continue
            n = int(count)
            total += n
            categories[classify(frames[-1])] += n
            phases[phase_of(frames)] += n
    share = (lambda c: {k: c[k] / total for k in c}) if total else (lambda c: {})
    return total, share(categories), share(phases)


def child(workload_name, seconds, batch_size=None):
    """Trains `workload_name` (at `batch_size`, default the workload's) until `seconds`
    have passed (after a warm-up); prints the mean step time in ms."""
    import kerasx as keras
    from benchmarks import keras_models
    from benchmarks.workloads import WORKLOADS, make_data

    workload = WORKLOADS[workload_name]
    x, y = make_data(workload)
    keras.utils.set_random_seed(0)
    model = keras_models.build(keras, workload)
    batch = batch_size or workload.batch_size
    model.fit(x[:batch * 3], y[:batch * 3], batch_size=batch, verbose=0)
    steps, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        model.fit(x, y, batch_size=batch, verbose=0)
        steps += -(-len(x) // batch)
    print(f"step_ms={1e3 * (time.perf_counter() - start) / steps:.4f}")


def profile(workload, args, out_dir):
    raw = os.path.join(out_dir, f"{workload}.raw")
    env = {**os.environ, "PYTHONPATH": ROOT, "OMP_NUM_THREADS": str(args.threads),
           "OPENBLAS_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    cmd = [args.py_spy, "record", "--native", "-r", str(args.rate), "-f", "raw", "-o", raw,
           "--", sys.executable, "-m", "benchmarks.profile", "--child", workload,
           "--seconds", str(args.seconds)]
    if args.batch_size:
        cmd += ["--batch-size", str(args.batch_size)]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT)
    if proc.returncode != 0 or not os.path.exists(raw):
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        raise SystemExit(f"py-spy failed for {workload}: {tail}")
    # py-spy writes its own messages to the same stdout
    step_ms = float(next(line for line in proc.stdout.splitlines()
                         if line.startswith("step_ms="))[len("step_ms="):])
    return (step_ms,) + summarize(raw)


def print_tables(results):
    print("| workload | step ms | samples | " + " | ".join(CATEGORIES) + " |")
    print("|" + "---|" * (len(CATEGORIES) + 3))
    for w, (step_ms, n, cats, _) in results.items():
        print(f"| {w} | {step_ms:.2f} | {n} | "
              + " | ".join(f"{cats.get(c, 0):.0%}" for c in CATEGORIES) + " |")
    print()
    print("| workload | " + " | ".join(PHASES) + " |")
    print("|" + "---|" * (len(PHASES) + 1))
    for w, (_, _, _, phases) in results.items():
        print(f"| {w} | " + " | ".join(f"{phases.get(p, 0):.0%}" for p in PHASES) + " |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workloads", default="mlp,cnn,lstm,tiny")
    parser.add_argument("--seconds", type=float, default=20.0,
                        help="training time per workload after the warm-up")
    parser.add_argument("--rate", type=int, default=25,
                        help="samples per second (each one pauses the process: at 100 the "
                             "steps ran 15-20%% slower and the GEMM sync share doubled)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="every workload at this batch size (default: each its own)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--py-spy", default="py-spy", help="the py-spy executable")
    parser.add_argument("--keep", default=None, help="a folder to keep the raw samples in")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.seconds, args.batch_size)
    if shutil.which(args.py_spy) is None:
        raise SystemExit(f"py-spy was not found (looked for {args.py_spy!r}): install it with "
                         "`pip install py-spy` or pass its path with --py-spy.")
    out_dir = args.keep or tempfile.mkdtemp(prefix="kerasx-profile-")
    os.makedirs(out_dir, exist_ok=True)
    results = {}
    for w in args.workloads.split(","):
        results[w] = profile(w, args, out_dir)
        print(f"  {w}: {results[w][0]:.2f} ms per step, {results[w][1]} samples",
              file=sys.stderr)
    print_tables(results)
    if args.keep is None:
        shutil.rmtree(out_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
