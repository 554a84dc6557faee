"""`ReduceLROnPlateau`: lowers the learning rate when a metric stops improving."""

import warnings

from kerasx.callbacks.learning_rate_scheduler import (get_learning_rate, rated_optimizers,
                                                       set_learning_rate)
from kerasx.callbacks.monitor_callback import MonitorCallback
from kerasx.optimizers.host_scalar import round_to
from kerasx.utils.messages import print_msg


class ReduceLROnPlateau(MonitorCallback):
    """Lowers the learning rate by `factor` when `monitor` stops improving for `patience` epochs.

    The current learning rate is added to the epoch's logs as `learning_rate`
    (so it appears in `History`).

    Args:
        monitor: the log key to watch (default `"val_loss"`).
        factor: the multiplier applied to the learning rate, `< 1`.
        patience: epochs without improvement before the rate is reduced.
        verbose: 1 prints a message at each reduction.
        mode: `"auto"`, `"min"` or `"max"` (see `MonitorCallback`).
        min_delta: a change smaller than this does not count as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the learning rate never goes below this.

    Example:

    ```python
    reduce_lr = kerasx.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2,
                                                   patience=5, min_lr=0.001)
    model.fit(x, y, validation_split=0.2, callbacks=[reduce_lr])
    ```
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0, **kwargs):
        super().__init__(monitor, mode, min_delta=min_delta)
        if kwargs:
            raise TypeError(f"ReduceLROnPlateau received unknown arguments {sorted(kwargs)}.")
        if factor >= 1.0:
            raise ValueError(
                f"ReduceLROnPlateau does not support a factor >= 1.0, received factor={factor}. "
                "The new learning rate is `factor * old_lr`, so use e.g. factor=0.1."
            )
        self.factor = factor
        self.min_lr = min_lr
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = logs if logs is not None else {}
        for optimizer, key in rated_optimizers(self.model.optimizer):
            logs[key] = get_learning_rate(optimizer)
        current = logs.get(self.monitor)
        if current is None:
            warnings.warn(
                f"Learning rate reduction is conditioned on metric `{self.monitor}` which is not "
                f"available. Available metrics are: {','.join(logs)}.",
                stacklevel=2,
            )
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience:
                several = getattr(self.model.optimizer, "optimizers", None) is not None
                reduced = False
                for optimizer, _ in rated_optimizers(self.model.optimizer):
                    old_lr = get_learning_rate(optimizer)
                    # the rate is held in float32: once at `min_lr` it reads back as
                    # float32(min_lr), which must not count as above it
                    if old_lr > round_to(self.min_lr, "float32"):
                        new_lr = max(old_lr * self.factor, self.min_lr)
                        set_learning_rate(optimizer, new_lr, type(self).__name__)
                        reduced = True
                        if self.verbose > 0:
                            which = f" {optimizer.name}" if several else ""
                            print_msg(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing{which} "
                                      f"learning rate to {new_lr}.")
                if reduced:
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def in_cooldown(self):
        return self.cooldown_counter > 0
