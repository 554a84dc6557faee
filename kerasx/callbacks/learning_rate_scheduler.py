"""`LearningRateScheduler`: sets the learning rate at the start of every epoch."""

import numbers

from kerasx.callbacks.callback import Callback
from kerasx.utils.messages import print_msg


def get_learning_rate(optimizer):
    if optimizer is None or not hasattr(optimizer, "learning_rate"):
        raise ValueError(
            "This callback needs a compiled model whose optimizer has a `learning_rate`; "
            f"received optimizer={optimizer!r}."
        )
    return float(optimizer.learning_rate)


def rated_optimizers(optimizer):
    """`(optimizer, logs key)` pairs for the learning rates to read and set: the
    optimizer's own, or each inner optimizer's of a MultiOptimizer (keyed
    `learning_rate_<name>`, as Keras)."""
    inner = getattr(optimizer, "optimizers", None)
    if inner is not None and not hasattr(optimizer, "learning_rate"):
        return [(opt, f"learning_rate_{opt.name}") for opt in inner]
    return [(optimizer, "learning_rate")]


def set_learning_rate(optimizer, value, who):
    if callable(getattr(optimizer, "_learning_rate", None)):
        raise TypeError(
            "This optimizer was created with a `LearningRateSchedule` as its learning_rate, "
            f"so {who} cannot set the learning rate: the schedule already decides the rate at "
            "every step. Use a float learning_rate with this callback, or keep the schedule "
            "alone."
        )
    optimizer.learning_rate = value


class LearningRateScheduler(Callback):
    """Sets the optimizer's learning rate from `schedule(epoch, lr)` at the start of each epoch.

    The rate used is added to the epoch's logs as `learning_rate`.

    Args:
        schedule: a function of the epoch index (0-based) and the current
            learning rate returning the new learning rate (a float). A
            function of the epoch alone is accepted too.
        verbose: 1 prints the learning rate at each change.

    Example:

    ```python
    def scheduler(epoch, lr):
        return lr if epoch < 10 else lr * 0.9

    model.fit(x, y, epochs=15, callbacks=[kerasx.callbacks.LearningRateScheduler(scheduler)])
    ```
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(
                f"LearningRateScheduler expects a function schedule(epoch, lr), received "
                f"{schedule!r} of type {type(schedule).__name__}."
            )
        self.schedule = schedule
        self.verbose = verbose

    def on_epoch_begin(self, epoch, logs=None):
        several = getattr(self.model.optimizer, "optimizers", None) is not None
        for optimizer, _ in rated_optimizers(self.model.optimizer):
            lr = get_learning_rate(optimizer)
            try:
                new_lr = self.schedule(epoch, lr)
            except TypeError:  # the one-argument form schedule(epoch)
                new_lr = self.schedule(epoch)
            if not isinstance(new_lr, numbers.Real) or isinstance(new_lr, bool):
                raise ValueError(
                    f"The output of the `schedule` function should be a float, received "
                    f"{new_lr!r} of type {type(new_lr).__name__} at epoch {epoch}."
                )
            set_learning_rate(optimizer, float(new_lr), type(self).__name__)
            if self.verbose > 0:
                which = f"{optimizer.name} " if several else ""
                print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting {which}learning "
                          f"rate to {float(new_lr)}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            for optimizer, key in rated_optimizers(self.model.optimizer):
                logs[key] = get_learning_rate(optimizer)
