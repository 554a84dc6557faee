"""`TerminateOnNaN`: stops training as soon as the loss becomes NaN or infinite."""

import math

from kerasx.callbacks.callback import Callback
from kerasx.utils.messages import print_msg


class TerminateOnNaN(Callback):
    """Stops training when a batch's loss is NaN or infinite.

    By default training stops gracefully (`model.stop_training = True`, so every
    callback's `on_train_end` still runs). With `raise_error=True` a `RuntimeError` is
    raised at once instead, skipping that cleanup (a backup of the last good state,
    for instance, stays as it was). With `steps_per_execution=N` the loss is seen
    every `N` batches.
    """

    def __init__(self, raise_error=False):
        super().__init__()
        self.raise_error = raise_error

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and (math.isnan(loss) or math.isinf(loss)):
            if self.raise_error:
                raise RuntimeError(f"NaN or Inf loss encountered at batch {batch}. Loss value: "
                                   f"{loss}. Terminating training immediately.")
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
