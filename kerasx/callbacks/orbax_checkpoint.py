"""`OrbaxCheckpoint`: saves the model's state with Orbax during training, as Keras 3."""

import warnings

from kerasx.callbacks.monitor_callback import MonitorCallback
from kerasx.saving import orbax_checkpoints


class OrbaxCheckpoint(MonitorCallback):
    """Saves the model's state (weights, optimizer and metric variables) and config as Orbax
    checkpoints, one step directory per save, in Keras 3's layout (see
    `kerasx.saving.orbax_checkpoints`); `kerasx.saving.load_model(directory)` and
    `model.load_weights(directory)` read the latest one (or a step's directory).

    Args:
        directory: the checkpoint root directory.
        monitor: the log key compared when `save_best_only=True`.
        verbose: kept for Keras's signature (saving prints nothing, as in Keras).
        save_best_only: save only when the monitored value improves.
        mode: `"auto"`, `"min"` or `"max"` (see `MonitorCallback`).
        save_freq: `"epoch"` (the step is the epoch index) or a number of batches
            (the step is the number of batches trained so far).
        initial_value_threshold: the initial "best" value for `save_best_only`.
        max_to_keep: the number of latest checkpoints kept (None: all).
        save_on_background: write in a background thread while training goes on
            (`wait_until_finished()` waits; the end of `fit` too).
        save_weights_only: save the variables of the model only (no config, no
            optimizer or metric state).

    Example:

    ```python
    checkpoints = kerasx.callbacks.OrbaxCheckpoint("ckpt", monitor="val_loss",
                                                   save_best_only=True)
    model.fit(x, y, validation_split=0.2, epochs=10, callbacks=[checkpoints])
    restored = kerasx.saving.load_model("ckpt")
    ```
    """

    def __init__(self, directory, monitor="val_loss", verbose=0, save_best_only=False,
                 mode="auto", save_freq="epoch", initial_value_threshold=None, max_to_keep=1,
                 save_on_background=True, save_weights_only=False):
        ocp = orbax_checkpoints.import_orbax()
        super().__init__(monitor, mode, initial_value_threshold)
        if save_freq != "epoch" and (isinstance(save_freq, bool) or not isinstance(save_freq, int)
                                     or save_freq < 1):
            raise ValueError(f"Unrecognized save_freq: {save_freq!r}. Expected save_freq are "
                             "'epoch' or a positive integer number of batches.")
        if max_to_keep is not None and (isinstance(max_to_keep, bool)
                                        or not isinstance(max_to_keep, int) or max_to_keep < 1):
            raise ValueError(f"max_to_keep must be a positive integer or None, received "
                             f"{max_to_keep!r}.")
        self.directory = str(directory)
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_freq = save_freq
        self.max_to_keep = max_to_keep
        self.save_on_background = save_on_background
        self.save_weights_only = save_weights_only
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = None
        self._total_batches_seen = 0
        self._async_futures = []
        policies = ocp.training.preservation_policies
        self.checkpointer = ocp.training.Checkpointer(
            directory=self.directory,
            preservation_policy=None if max_to_keep is None else policies.LatestN(max_to_keep),
            save_decision_policy=ocp.training.save_decision_policies.FixedIntervalPolicy(1))

    def set_model(self, model):
        super().set_model(model)
        optimizer = getattr(model, "optimizer", None)
        if optimizer is not None and optimizer.built:
            # a reloaded model goes on counting its batches
            self._total_batches_seen = int(optimizer.iterations.numpy())

    def is_multihost_enabled(self):
        """False: kerasx runs in one process."""
        return False

    def is_primary_host(self):
        """True: kerasx runs in one process."""
        return True

    def _should_save_on_batch(self, batch):
        if self.save_freq == "epoch":
            return False
        if self._last_batch_seen is None or batch <= self._last_batch_seen:
            added = batch + 1  # a new epoch
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        self._total_batches_seen += added
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            return True
        return False

    def _improved(self, logs, where):
        """Whether to save under `save_best_only` (updating the best value)."""
        if not self.save_best_only:
            return True
        if self.monitor_op is None:
            self._set_monitor_op()
        current = (logs or {}).get(self.monitor)
        if current is None:
            warnings.warn(f"Can save best model only with {self.monitor} available, skipping "
                          f"save at {where}.", stacklevel=3)
            return False
        if not self._is_improvement(current, self.best):
            return False
        self.best = current
        return True

    def _save_checkpoint(self, step):
        payload = orbax_checkpoints.state_payload(self.model, self.save_weights_only)
        ocp = orbax_checkpoints.import_orbax()
        with ocp.Context():
            if self.save_on_background:
                self._async_futures.append(
                    self.checkpointer.save_checkpointables_async(step, payload))
            else:
                self.checkpointer.save_checkpointables(step, payload)

    def on_train_batch_end(self, batch, logs=None):
        if self._should_save_on_batch(batch) and self._improved(logs, f"batch {batch}"):
            self._save_checkpoint(self._total_batches_seen)

    def on_epoch_end(self, epoch, logs=None):
        if self.save_freq == "epoch" and self._improved(logs, f"epoch {epoch}"):
            self._save_checkpoint(epoch)

    def on_train_end(self, logs=None):
        self.wait_until_finished()

    def wait_until_finished(self):
        """Blocks until every checkpoint being written in the background is complete."""
        for future in self._async_futures:
            future.result()
        self._async_futures.clear()
        self.checkpointer.wait()
