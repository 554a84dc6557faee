"""Where a replayed training step spends its time, line by line.

    python -m benchmarks.replay_lines [--workload mlp] [--steps 200] [--top 25] [--wall]

Trains `workload` (NumPy backend) for a few batches so that its step is recorded
(`compile(jit_compile="auto")`), then runs a copy of the recorded program with a timer
after every line over `--steps` batches of the benchmark's data and prints the lines
that took longest, in ms per step. Times are thread CPU time (`time.thread_time`), so
run with `OPENBLAS_NUM_THREADS=1` for figures that other processes on the machine do
not move; the shares of a one-thread step are not those of a two-thread one (the
products halve, most elementwise passes do not). `--wall` times wall-clock time instead
(`time.perf_counter`), for the two-thread step on an idle machine. The timers add about
0.2 us a line.
"""

import argparse
import re
import time

from benchmarks import keras_models, workloads


def timed_copy(replay, clock=time.thread_time):
    """`(function, lines, totals)`: `replay`'s recorded program with the `clock` time of
    each line added to `totals[i]` (`lines[i]` its text; `del` lines not timed)."""
    source = replay.source.splitlines()
    body = [source[0], "    _t0 = _clock()"]
    lines = []
    for line in source[1:]:
        body.append(line)
        text = line.strip()
        if text.startswith(("return", "del ")):
            continue
        indent = line[:len(line) - len(line.lstrip())]
        body.append(f"{indent}_t1 = _clock(); _totals[{len(lines)}] += _t1 - _t0; _t0 = _t1")
        lines.append(text)
    totals = [0.0] * len(lines)
    scope = dict(replay.__globals__, _totals=totals, _clock=clock)
    exec(compile("\n".join(body), "<timed replay>", "exec"), scope)
    return scope["_replay"], lines, totals


def readable(line, scope):
    """`line` with the recorded program's constants that are functions shown by name
    (`_c10(r11, r1)` -> `matmul(r11, r1)`)."""
    def name(match):
        obj = scope.get(match.group(0))
        label = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
        return label if callable(obj) and label else match.group(0)

    return re.sub(r"\b_c\d+\b", name, line)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workload", default="mlp")
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--wall", action="store_true", help="wall-clock time, not thread time")
    args = parser.parse_args(argv)
    clock = time.perf_counter if args.wall else time.thread_time

    import kerasx

    kerasx.utils.set_random_seed(0)
    workload = workloads.WORKLOADS[args.workload]
    model = keras_models.build(kerasx, workload)
    batch = workload.batch_size
    x, y = workloads.make_data(workload, samples=batch * 40)
    model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)
    programs = [p for p in model._compiled_train_step.programs.values() if hasattr(p, "replay")]
    if not programs:
        raise SystemExit(f"{args.workload}: the training step was not recorded "
                         f"({model._compiled_train_step.reasons})")
    replay, lines, totals = timed_copy(programs[0].replay, clock)
    batches = [(x[i * batch:(i + 1) * batch], y[i * batch:(i + 1) * batch]) for i in range(40)]
    for i in range(10):
        replay(*batches[i % 40])
    totals[:] = [0.0] * len(totals)
    start = clock()
    for i in range(args.steps):
        replay(*batches[i % 40])
    step = (clock() - start) / args.steps * 1e3
    kind = "wall-clock" if args.wall else "thread"
    print(f"{args.workload}: {step:.3f} ms a step ({kind} time, with the timers), "
          f"{len(lines)} timed lines")
    order = sorted(range(len(lines)), key=lambda i: -totals[i])
    for i in order[:args.top]:
        share = totals[i] / args.steps * 1e3
        text = readable(lines[i], replay.__globals__)
        print(f"{share:8.3f} ms {100 * share / step:5.1f}%  {text[:100]}")
    rest = sum(totals[i] for i in order[args.top:]) / args.steps * 1e3
    print(f"{rest:8.3f} ms {100 * rest / step:5.1f}%  the other {max(len(lines) - args.top, 0)} lines")


if __name__ == "__main__":
    main()
