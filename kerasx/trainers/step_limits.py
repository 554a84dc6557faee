"""The caps of `kerasx.config.set_max_epochs` / `set_max_steps_per_epoch` on a run."""

import warnings


def capped_epochs(epochs):
    """`epochs`, or the cap on epochs when it is lower (with a warning)."""
    from kerasx.config import max_epochs

    cap = max_epochs()
    if cap is not None and cap < epochs:
        warnings.warn(f"Limiting epochs to {cap} (kerasx.config.max_epochs()).", stacklevel=3)
        return cap
    return epochs


def drawn_per_epoch(steps_per_epoch, steps_per_execution):
    """The batches an epoch of `steps_per_epoch` draws when the step loop runs groups of
    `steps_per_execution`: as Keras, whole groups, so `steps_per_epoch` rounded up to a
    multiple of the group (None stays None)."""
    if not steps_per_epoch:
        return steps_per_epoch
    return -(-steps_per_epoch // steps_per_execution) * steps_per_execution


def capped_steps(steps, batches_per_pass=None):
    """The batches of one epoch under the cap on steps: `steps` (None: a whole pass of
    `batches_per_pass` batches, unknown for a generator), or the cap when it is lower
    (with a warning)."""
    from kerasx.config import max_steps_per_epoch

    cap = max_steps_per_epoch()
    drawn = steps if steps is not None else batches_per_pass
    if cap is None or (drawn is not None and drawn <= cap):
        return steps
    warnings.warn(f"Limiting steps per epoch to {cap} (kerasx.config.max_steps_per_epoch()).",
                  stacklevel=3)
    return cap
