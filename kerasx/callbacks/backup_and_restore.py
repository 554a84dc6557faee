"""`BackupAndRestore`: resumes an interrupted `fit` where it stopped."""

import os
import pickle
import random

from kerasx.callbacks.callback import Callback
from kerasx.utils.atomic import atomic_write_bytes

_FORMAT = "kerasx.BackupAndRestore"
_VERSION = 1


class BackupAndRestore(Callback):
    """Backs up the training state so that an interrupted `fit` can resume.

    At the end of every epoch (or every `save_freq` batches) the callback
    writes one file, `training_state.pkl`, in `backup_dir`: the model's
    weights, the optimizer's state (its slot `variables` and `iterations`,
    and its learning rate), the index of the next epoch, and the state of the
    random generators (kerasx's global generator and Python's `random`). The
    file is replaced atomically, so a crash while writing leaves the previous
    backup intact.

    When `fit` starts with a backup present, all of that is restored and
    training continues at the saved epoch. With `save_freq="epoch"` and a
    fixed seed, the resumed run ends with exactly the weights an
    uninterrupted run would have (shuffling and dropout draw the same numbers).
    With an integer `save_freq`, the interrupted epoch restarts from its first
    batch with the weights of the last backup, as in Keras. On the CuPy
    backend, dropout masks come from a device generator that is not backed
    up, so models with dropout resume close to, not exactly on, the
    uninterrupted run.

    The model must be the same (same layers, same optimizer) as in the run
    that wrote the backup; the backup is deleted when `fit` completes unless
    `delete_checkpoint=False`.

    Args:
        backup_dir: the directory holding the backup. Use one directory per
            training run.
        save_freq: `"epoch"` or an integer number of batches between backups.
        delete_checkpoint: delete the backup when training completes.

    Example:

    ```python
    backup = kerasx.callbacks.BackupAndRestore(backup_dir="/tmp/run1")
    model.fit(x, y, epochs=10, callbacks=[backup])  # rerun the script after a crash
    ```
    """

    def __init__(self, backup_dir, save_freq="epoch", delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(
                f"BackupAndRestore needs a backup_dir (a directory path), received {backup_dir!r}."
            )
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq < 1):
            raise ValueError(
                f"Invalid value for argument save_freq: received save_freq={save_freq!r}. "
                "Expected either 'epoch' or a positive integer number of batches."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._state_path = os.path.join(self.backup_dir, "training_state.pkl")
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        if os.path.exists(self._state_path):
            self._restore()

    def on_epoch_begin(self, epoch, logs=None):
        self._current_epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        self._current_epoch = epoch + 1
        self._last_batch_seen = 0
        if self.save_freq == "epoch":
            self._save()

    def on_train_batch_end(self, batch, logs=None):
        if self.save_freq == "epoch":
            return
        if batch <= self._last_batch_seen:  # a new epoch started
            added = batch + 1
        else:
            added = batch - self._last_batch_seen
        self._batches_seen_since_last_saving += added
        self._last_batch_seen = batch
        if self._batches_seen_since_last_saving >= self.save_freq:
            self._batches_seen_since_last_saving = 0
            self._save()

    def on_train_end(self, logs=None):
        if self.delete_checkpoint and os.path.exists(self._state_path):
            os.remove(self._state_path)
            try:
                os.rmdir(self.backup_dir)
            except OSError:  # the directory holds other files: leave it
                pass

    # -- state ---------------------------------------------------------------------------
    def _save(self):
        from kerasx.backends.random import get_state

        model = self.model
        optimizer = getattr(model, "optimizer", None)
        state = {
            "format": _FORMAT,
            "version": _VERSION,
            "epoch": self._current_epoch,
            "batch": self._last_batch_seen,
            "weights": [(w.path, w.numpy()) for w in model.weights],
            "optimizer": None if optimizer is None else {
                "iterations": int(optimizer.iterations),
                "variables": [v.numpy() for v in optimizer.variables],
                "learning_rate": None if callable(getattr(optimizer, "_learning_rate", None))
                else float(optimizer.learning_rate),
            },
            "rng": get_state(),
            "python_random": random.getstate(),
        }
        os.makedirs(self.backup_dir, exist_ok=True)
        atomic_write_bytes(self._state_path, pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL))

    def _restore(self):
        from kerasx.backends.random import set_state

        with open(self._state_path, "rb") as f:
            try:
                state = pickle.load(f)
            except Exception as e:
                raise ValueError(
                    f"The backup {self._state_path!r} cannot be read ({type(e).__name__}: {e}). "
                    "Delete it to start training from scratch."
                ) from None
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ValueError(
                f"{self._state_path!r} is not a kerasx BackupAndRestore backup. Use a backup_dir "
                "that only this callback writes to."
            )
        model = self.model
        weights = model.weights
        saved = state["weights"]
        if len(saved) != len(weights) or any(tuple(w.shape) != tuple(v.shape)
                                             for w, (_, v) in zip(weights, saved)):
            raise ValueError(
                f"The backup in {self.backup_dir!r} was written for a different model: it holds "
                f"{len(saved)} weights with shapes {[tuple(v.shape) for _, v in saved]}, the model "
                f"has {len(weights)} with shapes {[tuple(w.shape) for w in weights]}. Use a new "
                "backup_dir for a new model, or delete the old backup."
            )
        for var, (_, value) in zip(weights, saved):
            var.assign(value)
        self._restore_optimizer(state.get("optimizer"))
        set_state(state["rng"])
        random.setstate(state["python_random"])
        model._initial_epoch = state["epoch"]

    def _restore_optimizer(self, saved):
        optimizer = getattr(self.model, "optimizer", None)
        if saved is None or optimizer is None:
            return
        built = getattr(optimizer, "built", getattr(optimizer, "_built_for", None) is not None)
        if saved["variables"] and not built:
            optimizer.build(self.model.trainable_weights)
        variables = optimizer.variables
        if len(variables) != len(saved["variables"]) or any(
                tuple(v.shape) != tuple(s.shape) for v, s in zip(variables, saved["variables"])):
            raise ValueError(
                f"The backup in {self.backup_dir!r} holds {len(saved['variables'])} optimizer "
                f"variables but the optimizer {type(optimizer).__name__} has {len(variables)}: it "
                "was written with a different optimizer. Compile with the same optimizer, or "
                "delete the old backup."
            )
        for var, value in zip(variables, saved["variables"]):
            var.assign(value)
        optimizer.iterations = saved["iterations"]
        if saved.get("learning_rate") is not None and not callable(
                getattr(optimizer, "_learning_rate", None)):
            optimizer.learning_rate = saved["learning_rate"]
