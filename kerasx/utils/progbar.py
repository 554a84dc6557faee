"""`Progbar`: Keras's progress line, live on a terminal and plain in log files."""

import os
import sys
import time
from collections.abc import Mapping

from kerasx.utils.messages import is_interactive_logging_enabled, logger

_BOLD, _GREEN, _WHITE, _RESET = "\x1b[1m", "\x1b[32m", "\x1b[37m", "\x1b[0m"


def is_terminal(stream):
    """True when `stream` is shown live (a terminal or a notebook), so a line can be redrawn."""
    if os.environ.get("KERASX_PLAIN_PROGRESS"):
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        if isatty is not None and isatty():
            return True
    except ValueError:  # a closed stream
        return False
    return "ipykernel" in sys.modules


def format_value(value, compact=False):
    """A metric value as Keras prints it: 4 decimals, or scientific when tiny."""
    try:
        value = float(value)
    except (TypeError, ValueError):
        return str(value)
    # verbose=2 compares the signed value, verbose=1 its magnitude (as Keras does).
    large = value > 1e-3 if compact else abs(value) > 1e-3
    return f"{value:.4f}" if large else f"{value:.4e}"


def format_eta(seconds):
    if seconds > 3600:
        return "%d:%02d:%02d" % (seconds // 3600, (seconds % 3600) // 60, seconds % 60)
    if seconds > 60:
        return "%d:%02d" % (seconds // 60, seconds % 60)
    return "%ds" % seconds


def format_per_step(seconds, unit_name):
    """`" 12ms/step"`: the time per step in s, ms or us (with a leading space)."""
    if seconds >= 1 or seconds == 0:
        return f" {seconds:.0f}s/{unit_name}"
    if seconds >= 1e-3:
        return f" {seconds * 1e3:.0f}ms/{unit_name}"
    return f" {seconds * 1e6:.0f}us/{unit_name}"


class Progbar:
    """Displays a progress bar.

    On a terminal, `verbose=1` redraws one line in place
    (`12/50 ━━━━━━━━━━━━━━━━━━━━ 1s 21ms/step - loss: 0.4213`,
    green up to the progress) and ends it with a
    newline when the target is reached. When the output is not a terminal
    (a log file, a pipe, CI), every line is written once, newline-terminated,
    with no carriage returns or colour codes: the final line of each pass,
    plus an intermediate line at most every `plain_interval` seconds.
    `verbose=2` prints only the final line, in Keras's compact form
    (`50/50 - 1s - 21ms/step - loss: 0.4213`). Setting the environment
    variable `KERASX_PLAIN_PROGRESS=1` forces the plain form.

    Args:
        target: total number of steps, or None if unknown.
        width: width of the bar in characters.
        verbose: 0 (silent), 1 (bar) or 2 (one line at the end).
        interval: minimum time between two redraws of a live bar, in seconds.
        stateful_metrics: names of metrics shown as given; the others are
            averaged over the steps seen (Keras's default for raw values).
            Pass every name when the values are already running averages.
        stateless_metrics: alternatively, the names of the metrics to average
            (all others are shown as given).
        unit_name: what a step is called (`"step"`, `"sample"`).
        stream: where to write (default `sys.stdout` at the time of writing).
        plain_interval: minimum time between two intermediate lines when the
            output is not a terminal.
    """

    def __init__(self, target, width=20, verbose=1, interval=0.05, stateful_metrics=None,
                 stateless_metrics=None, unit_name="step", stream=None, plain_interval=30.0):
        if stateful_metrics is not None and stateless_metrics is not None:
            raise ValueError(
                "Progbar: pass either stateful_metrics or stateless_metrics, not both "
                f"(received {stateful_metrics!r} and {stateless_metrics!r})."
            )
        self.target = target
        self.width = width
        self.verbose = verbose
        self.interval = interval
        self.plain_interval = plain_interval
        self.unit_name = unit_name
        self._stream = stream
        self.stateful_metrics = set(stateful_metrics) if stateful_metrics is not None else (
            None if stateless_metrics is not None else set())
        self.stateless_metrics = set(stateless_metrics) if stateless_metrics is not None else None
        self.dynamic = not self._to_logger() and is_terminal(self.stream)
        self._values = {}
        self._seen_so_far = 0
        self._start = time.time()
        # A live bar shows the first step at once; a log file gets its first line later.
        self._last_update = 0.0 if self.dynamic else self._start
        self._time_after_first_step = None
        self._prev_width = 0

    @property
    def stream(self):
        return self._stream if self._stream is not None else sys.stdout

    def _is_stateless(self, name):
        if self.stateful_metrics is not None:
            return name not in self.stateful_metrics
        return name in self.stateless_metrics

    def update(self, current, values=None, finalize=None):
        """Shows progress up to step `current`.

        Args:
            current: the number of steps done.
            values: `[(name, value), ...]` (or a mapping) to show after the time. When
                every metric is stateful, the values are read only when a line is written,
                so a lazy mapping is converted only then.
            finalize: whether this is the last update (default: `current >= target`).
        """
        if finalize is None:
            finalize = self.target is not None and current >= self.target
        now = time.time()
        if self.verbose == 1:
            wait = self.interval if self.dynamic else self.plain_interval
            shows = finalize or now - self._last_update >= wait
        else:
            shows = self.verbose == 2 and finalize
        if values is not None and (shows or self._averages()):
            self._record(current, values.items() if isinstance(values, Mapping) else values,
                         finalize)
        self._seen_so_far = current
        per_step = self._estimate_step_duration(current, now)
        if not shows:
            return
        if self.verbose == 1:
            self._write_bar(current, now, per_step, finalize)
        else:
            self._write_compact(current, now, per_step)
        self._last_update = now

    def _averages(self):
        """Whether some metric may be averaged over steps (then every update counts)."""
        return self.stateful_metrics is not None or bool(self.stateless_metrics)

    def _record(self, current, values, finalize):
        for name, value in values:
            if self._is_stateless(name) and not finalize:
                steps = max(current - self._seen_so_far, 1)
                total, count = self._values.get(name, (0.0, 0))
                self._values[name] = (total + value * steps, count + steps)
            else:
                self._values[name] = (value, 1)

    def add(self, n, values=None):
        self.update(self._seen_so_far + n, values)

    def _metrics_text(self, compact):
        out = []
        for name, (total, count) in self._values.items():
            value = total / max(1, count) if isinstance(total, (int, float)) else total
            out.append(f" - {name}: {format_value(value, compact)}")
        return "".join(out)

    def _write_bar(self, current, now, per_step, finalize):
        color = self.dynamic
        known = self.target is not None and self.target > 0
        if known:
            counter = f"{current:>{len(str(self.target))}}/{self.target}"
            filled = min(self.width, int(self.width * current / self.target))
            if color:
                bar = f"{_BOLD}{counter}{_RESET} "
                if filled:
                    bar += f"{_GREEN}{'━' * filled}{_RESET}"
                bar += f"{_WHITE}{'━' * (self.width - filled)}{_RESET}"
            else:
                bar = f"{counter} {'━' * filled}{'─' * (self.width - filled)}"
        else:
            bar = "%7d/Unknown" % current
        if known and not finalize:
            clock = format_eta(per_step * (self.target - current))
        else:
            clock = f"{now - self._start:.0f}s"
        info = (f" {_BOLD}{clock}{_RESET}" if color else f" {clock}")
        info += format_per_step(per_step, self.unit_name) + self._metrics_text(compact=False)
        line = bar + info
        if not self.dynamic:
            self._emit(line + "\n")
            return
        visible = len(_strip_codes(line))
        pad = " " * max(0, self._prev_width - visible)
        self._prev_width = visible
        self._emit("\r" + line + pad + ("\n" if finalize else ""))

    def _write_compact(self, current, now, per_step):
        target = self.target if self.target else current
        counter = f"{current:>{len(str(target))}}/{target}"
        line = (f"{counter} - {now - self._start:.0f}s -{format_per_step(per_step, self.unit_name)}"
                f"{self._metrics_text(compact=True)}")
        self._emit(line + "\n")

    def _to_logger(self):
        """Whether lines go to the `"kerasx"` logger (no stream given, interactive
        logging off)."""
        return self._stream is None and not is_interactive_logging_enabled()

    def _emit(self, text):
        if self._to_logger():
            logger.info(text.strip("\r\n"))
            return
        stream = self.stream
        stream.write(text)
        stream.flush()

    def _estimate_step_duration(self, current, now):
        """Seconds per step, leaving out the first step (often slower: warm-up)."""
        if not current:
            return 0.0
        if self._time_after_first_step is not None and current > 1:
            per_step = (now - self._time_after_first_step) / (current - 1)
        else:
            per_step = (now - self._start) / current
        if current == 1:
            self._time_after_first_step = now
        return per_step


def _strip_codes(text):
    for code in (_BOLD, _GREEN, _WHITE, _RESET):
        text = text.replace(code, "")
    return text
