"""`Progbar`: Keras's progress line, live on a terminal and plain in log files."""

import os
import sys
import time


def _is_terminal(stream):
    return bool(getattr(stream, "isatty", lambda: False)()) or "ipykernel" in sys.modules


def format_value(value):
    value = float(value)
    return f"{value:.4e}" if value != 0 and abs(value) < 1e-3 else f"{value:.4f}"


def format_time(seconds):
    if seconds >= 3600:
        return f"{int(seconds // 3600)}:{int(seconds % 3600 // 60):02d}:{int(seconds % 60):02d}"
    if seconds >= 60:
        return f"{int(seconds // 60)}:{int(seconds % 60):02d}"
    return f"{int(round(seconds))}s"


def format_per_step(seconds, unit):
    if seconds >= 1:
        return f"{seconds:.0f}s/{unit}"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.0f}ms/{unit}"
    return f"{seconds * 1e6:.0f}us/{unit}"


class Progbar:
    """Prints `current/target` with a bar, time and metric values.

    verbose=1 redraws one line in place on a terminal; when the output is not
    a terminal (a log file, a pipe) it prints only the final line of each
    epoch, newline-terminated, with no carriage returns or colour codes.
    verbose=2 prints only the final line, in Keras's compact form.
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, unit_name="step", stream=None):
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.unit_name = unit_name
        self.stream = stream or sys.stdout
        self.dynamic = _is_terminal(self.stream) and not os.environ.get("KERASX_PLAIN_PROGRESS")
        self.start = time.perf_counter()
        self.last_update = 0.0
        self.values = {}
        self.finalized = False

    def update(self, current, values=None, finalize=None):
        for key, value in values or []:
            self.values[key] = value
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        now = time.perf_counter()
        if self.verbose == 0 or self.finalized:
            return
        if not finalize and (self.verbose == 2 or not self.dynamic
                             or now - self.last_update < self.interval):
            return
        self.last_update = now
        elapsed = now - self.start
        per_step = elapsed / current if current else 0.0
        metrics = "".join(f" - {k}: {format_value(v)}" for k, v in self.values.items())
        if self.verbose == 2:
            line = (f"{current}/{self.target if self.target is not None else current} - "
                    f"{format_time(elapsed)} - {format_per_step(per_step, self.unit_name)}{metrics}")
        else:
            line = self._bar_line(current, elapsed, per_step, finalize) + metrics
        if self.dynamic and self.verbose == 1:
            self.stream.write("\r" + line + ("\x1b[K" if not finalize else "\x1b[K\n"))
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        if finalize:
            self.finalized = True

    def _bar_line(self, current, elapsed, per_step, finalize):
        if self.target is None:
            counter = f"{current}/Unknown"
            bar = ""
            shown = elapsed
        else:
            digits = len(str(self.target))
            counter = f"{current:>{digits}}/{self.target}"
            filled = int(self.width * min(current, self.target) / self.target)
            if self.dynamic:
                bar = (" \x1b[32m" + "━" * filled + "\x1b[0m\x1b[37m" + "━" * (self.width - filled)
                       + "\x1b[0m")
            else:
                bar = " " + "━" * filled + " " * (self.width - filled)
            shown = elapsed if finalize else per_step * (self.target - current)
        return f"{counter}{bar} {format_time(shown)} {format_per_step(per_step, self.unit_name)}"
