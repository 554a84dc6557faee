"""`TerminateOnNaN`: stops training as soon as the loss becomes NaN or infinite."""

import math

from kerasx.callbacks.callback import Callback
from kerasx.utils.messages import print_msg


class TerminateOnNaN(Callback):
    """Stops training when a batch's loss is NaN or infinite.

    With `steps_per_execution=N` the loss is seen every `N` batches.
    """

    def on_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is not None and (math.isnan(loss) or math.isinf(loss)):
            print_msg(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
