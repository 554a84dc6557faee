"""Where progress bars and callback messages go: standard output, or Python's `logging`.

Interactive logging (the default) writes to `sys.stdout`. With
`kerasx.config.disable_interactive_logging()`, each message and each finished
progress line goes to the `"kerasx"` logger at level INFO instead, for jobs
whose output is collected by `logging`.
"""

import logging
import sys

_STATE = {"interactive": True}
logger = logging.getLogger("kerasx")


def enable_interactive_logging():
    """Progress bars and messages write to standard output (the default)."""
    _STATE["interactive"] = True


def disable_interactive_logging():
    """Progress bars and messages go to the `"kerasx"` logger (level INFO)."""
    _STATE["interactive"] = False


def is_interactive_logging_enabled():
    """Whether progress bars and messages write to standard output."""
    return _STATE["interactive"]


def print_msg(message, line_break=True):
    """Writes `message` to standard output, or logs it when interactive logging is off."""
    message = str(message)
    if _STATE["interactive"]:
        sys.stdout.write(message + "\n" if line_break else message)
        sys.stdout.flush()
    else:
        logger.info(message.strip("\n"))
