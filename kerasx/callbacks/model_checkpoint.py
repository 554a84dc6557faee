"""`ModelCheckpoint`: saves the model or its weights during training."""

import os
import warnings

from kerasx.callbacks.monitor_callback import MonitorCallback
from kerasx.utils.atomic import atomic_write
from kerasx.utils.messages import print_msg


class ModelCheckpoint(MonitorCallback):
    """Saves the model (or only its weights) at the end of every epoch or every `save_freq` batches.

    Every file is written atomically: the model is saved to a temporary file
    next to `filepath` and renamed over it once complete, so an interrupted
    run never leaves a half-written checkpoint behind.

    Args:
        filepath: where to save; may contain `{epoch}`, `{batch}` (with an
            integer `save_freq`) and any log key, with format specs, e.g.
            `"ckpt/{epoch:02d}-{val_loss:.2f}.keras"`. Must end in `.keras`
            (full model; `.h5` writes the legacy HDF5 format) or `.weights.h5`
            (with `save_weights_only=True`).
        monitor: the log key compared when `save_best_only=True`.
        verbose: 1 prints a message for every save decision.
        save_best_only: save only when the monitored value improves; with a
            fixed `filepath` the best model is the one kept.
        save_weights_only: call `model.save_weights(...)` instead of `model.save(...)`.
        mode: `"auto"`, `"min"` or `"max"` (see `MonitorCallback`).
        save_freq: `"epoch"` or an integer number of batches between saves.
        initial_value_threshold: the initial "best" value for `save_best_only`.

    Example:

    ```python
    checkpoint = kerasx.callbacks.ModelCheckpoint(
        "best.keras", monitor="val_accuracy", save_best_only=True)
    model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoint])
    ```
    """

    def __init__(self, filepath, monitor="val_loss", verbose=0, save_best_only=False,
                 save_weights_only=False, mode="auto", save_freq="epoch",
                 initial_value_threshold=None):
        super().__init__(monitor, mode, initial_value_threshold)
        self.verbose = verbose
        self.filepath = os.fspath(filepath)
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.save_freq = save_freq
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq < 1):
            raise ValueError(
                f"Unrecognized save_freq: {save_freq!r}. ModelCheckpoint expects 'epoch' or a "
                "positive integer number of batches."
            )
        if save_weights_only:
            if not self.filepath.endswith(".weights.h5"):
                raise ValueError(
                    "When using save_weights_only=True in ModelCheckpoint, the filepath must end "
                    "in `.weights.h5` (Keras weights format). Received: "
                    f"filepath={self.filepath!r}."
                )
        elif not self.filepath.endswith((".keras", ".h5")):
            raise ValueError(
                "The ModelCheckpoint filepath must end in `.keras` (Keras model format) or `.h5` "
                "(the legacy HDF5 format), or use "
                "save_weights_only=True with a `.weights.h5` path. Received: "
                f"filepath={self.filepath!r}."
            )

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch):
            self._save_model(epoch=self._current_epoch, batch=batch, logs=logs)

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        if self.save_freq == "epoch":
            self._save_model(epoch=epoch, batch=None, logs=logs)

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if batch <= self._last_batch_seen:  # a new epoch started
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _should_save_model(self, epoch, logs, filepath):
        if not self.save_best_only:
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: saving model to {filepath}")
            return True
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(
                f"Can save best model only with {self.monitor} available; available keys are "
                f"{sorted(logs or {})}. Saving anyway.",
                stacklevel=2,
            )
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        best = "None" if self.best is None else f"{self.best:.5f}"
        if self._is_improvement(current, self.best):
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: {self.monitor} improved from {best} to "
                          f"{current:.5f}, saving model to {filepath}")
            self.best = current
            return True
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: {self.monitor} did not improve from {best}")
        return False

    def _save_model(self, epoch, batch, logs):
        filepath = self._get_file_path(epoch, batch, logs)
        if not self._should_save_model(epoch, logs, filepath):
            return
        if os.path.isdir(filepath):
            raise IsADirectoryError(
                "Please specify a non-directory filepath for ModelCheckpoint. Filepath used is "
                f"an existing directory: {filepath}"
            )
        if self.save_weights_only:
            atomic_write(filepath, lambda tmp: self.model.save_weights(tmp, overwrite=True))
        else:
            atomic_write(filepath, lambda tmp: self.model.save(tmp, overwrite=True))
        if self.verbose > 0:
            print_msg(f"\nEpoch {epoch + 1}: finished saving model to {filepath}")

    def _get_file_path(self, epoch, batch, logs):
        logs = dict(logs or {})
        try:
            if batch is None or "batch" in logs:
                return self.filepath.format(epoch=epoch + 1, **logs)
            return self.filepath.format(epoch=epoch + 1, batch=batch + 1, **logs)
        except KeyError as e:
            raise KeyError(
                f"Failed to format the ModelCheckpoint filepath {self.filepath!r}: the key {e} is "
                f"not in the logs (available: {sorted(logs)} plus epoch"
                f"{'' if batch is None else ', batch'}). Use one of those names, or pass "
                "validation data to get val_* keys."
            ) from None
