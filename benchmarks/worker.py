"""Times one workload in one implementation, in its own process; prints one JSON line.

    python -m benchmarks.worker --impl kerasx --workload mlp [--scale 1.0] [--device cpu]
        [--batch-size N] [--threads 2] [--verbose 0|1|2]
"""

import argparse
import contextlib
import importlib
import json
import os
import resource
import sys
import time


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--impl", required=True, choices=[
        "kerasx", "kerasx_eager", "kerasx_whole", "kerasx_owned", "torch", "keras"])
    parser.add_argument("--workload", required=True)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=None)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--verbose", type=int, default=0,
                        help="fit's verbose for kerasx and Keras (1: Keras's default progress "
                             "bar, written to a discarded log file)")
    args = parser.parse_args()

    from benchmarks.workloads import WORKLOADS, make_data

    workload = WORKLOADS[args.workload]
    batch = args.batch_size or workload.batch_size
    samples = max(batch * 4, int(workload.samples * args.scale))
    impl = importlib.import_module(f"benchmarks.impl_{args.impl}")
    version = impl.setup(0, args.threads, args.device)
    x, y = make_data(workload, samples)
    warm_x, warm_y = x[:batch * 3], y[:batch * 3]
    data = impl.to_device((x, y), args.device)
    warm = impl.to_device((warm_x, warm_y), args.device)
    model = (impl.build(workload) if args.impl.startswith("kerasx")
             else impl.build(workload, args.device))
    impl.train(model, warm, batch)
    impl.predict(model, warm, workload.predict_batch_size)
    with open(os.devnull, "w") as log, contextlib.redirect_stdout(log):
        start = time.perf_counter()
        impl.train(model, data, batch, verbose=args.verbose)
        train_s = time.perf_counter() - start
    start = time.perf_counter()
    impl.predict(model, data, workload.predict_batch_size)
    predict_s = time.perf_counter() - start
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({
        "impl": args.impl, "version": version, "workload": args.workload, "samples": samples,
        "batch_size": batch, "train_samples_per_s": samples / train_s,
        "train_step_ms": 1e3 * train_s / -(-samples // batch),
        "predict_samples_per_s": samples / predict_s, "peak_rss_mb": rss_mb,
        "threads": args.threads, "pid": os.getpid(),
    }))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
