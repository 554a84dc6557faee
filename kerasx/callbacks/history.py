"""`History`: records each epoch's logs; `fit` returns it."""

from kerasx.callbacks.callback import Callback


class History(Callback):
    """Records the logs of every epoch; `fit` adds one automatically and returns it.

    Attributes:
        history: a dict mapping each log key (`loss`, `accuracy`, `val_loss`,
            ...) to a list with one value per epoch run.
        epoch: the indices of the epochs run (they start at `initial_epoch`).
    """

    def __init__(self):
        super().__init__()
        self.history = {}
        self.epoch = []

    def on_train_begin(self, logs=None):
        self.epoch = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)
        if self.model is not None:
            self.model.history = self
