"""`BackupAndRestore`: resumes an interrupted `fit` where it stopped."""

import glob
import hashlib
import json
import os
import random
import re
import uuid

from kerasx.callbacks.callback import Callback
from kerasx.utils.atomic import atomic_write, atomic_write_bytes

_FORMAT = "kerasx.BackupAndRestore"
_VERSION = 2
_STATE_FILE = "training_state.json"
_PREVIOUS_STATE_FILE = "training_state.json.bkp"
_ARRAYS_PATTERN = re.compile(r"training_state-[0-9a-f]{12}\.npz")
_LEGACY_FILE = "training_state.pkl"


class BackupAndRestore(Callback):
    """Backs up the training state so that an interrupted `fit` can resume.

    At the end of every epoch (or every `save_freq` batches) the callback
    writes the backup in `backup_dir`: `training_state.json` (the index of the
    next epoch, the optimizer's `iterations` and learning rate, the state of
    the random generators: kerasx's global generator and Python's `random`)
    and an `.npz` archive of arrays it names (the model's weights and the
    optimizer's slot `variables`), with the archive's SHA-256. Nothing is
    pickled, and the archive is read with pickle disabled, so a tampered
    backup can fail to load but cannot run code. Each file is written
    atomically, the archive first under a new name and the JSON last, so a
    crash while writing leaves the previous backup intact.

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
        double_checkpoint: keep the previous backup beside the latest one (twice the
            disk space); when the latest cannot be read (a damaged file), `fit`
            resumes from the previous one.
        delete_checkpoint: delete the backup when training completes.

    Example:

    ```python
    backup = kerasx.callbacks.BackupAndRestore(backup_dir="/tmp/run1")
    model.fit(x, y, epochs=10, callbacks=[backup])  # rerun the script after a crash
    ```
    """

    def __init__(self, backup_dir, save_freq="epoch", double_checkpoint=False,
                 delete_checkpoint=True):
        super().__init__()
        if not backup_dir:
            raise ValueError(
                f"Empty `backup_dir` argument passed: BackupAndRestore needs a directory path, "
                f"received {backup_dir!r}."
            )
        if save_freq != "epoch" and (not isinstance(save_freq, int) or isinstance(save_freq, bool)
                                     or save_freq < 1):
            raise ValueError(
                f"Invalid value for argument save_freq: received save_freq={save_freq!r}. "
                "Expected either 'epoch' or a positive integer number of batches."
            )
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.double_checkpoint = double_checkpoint
        self.delete_checkpoint = delete_checkpoint
        self._state_path = os.path.join(self.backup_dir, _STATE_FILE)
        self._previous_state_path = os.path.join(self.backup_dir, _PREVIOUS_STATE_FILE)
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        self._current_epoch = 0

    def on_train_begin(self, logs=None):
        self._batches_seen_since_last_saving = 0
        self._last_batch_seen = 0
        if os.path.exists(self._state_path) or os.path.exists(self._previous_state_path):
            self._restore()
        elif os.path.exists(os.path.join(self.backup_dir, _LEGACY_FILE)):
            raise ValueError(
                f"{os.path.join(self.backup_dir, _LEGACY_FILE)!r} is a backup in the old pickle "
                "format, which is no longer read because unpickling a file can run arbitrary "
                "code. Delete it (training then starts from scratch), or use another backup_dir."
            )

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
            if os.path.exists(self._previous_state_path):
                os.remove(self._previous_state_path)
            self._remove_archives(keep=())
            try:
                os.rmdir(self.backup_dir)
            except OSError:  # the directory holds other files: leave it
                pass

    # -- state ---------------------------------------------------------------------------
    def _save(self):
        from kerasx.backends.host import save_arrays
        from kerasx.backends.random import get_state

        model = self.model
        optimizer = getattr(model, "optimizer", None)
        arrays = {f"weight_{i}": w.numpy() for i, w in enumerate(model.weights)}
        opt_state = None
        if optimizer is not None:
            variables = optimizer.variables
            arrays.update({f"optimizer_{i}": v.numpy() for i, v in enumerate(variables)})
            opt_state = {
                "iterations": int(optimizer.iterations),
                "variables": len(variables),
                "learning_rate": None if callable(getattr(optimizer, "_learning_rate", None))
                else float(optimizer.learning_rate),
            }
        os.makedirs(self.backup_dir, exist_ok=True)
        # A new archive name each time: the JSON written last switches to it atomically,
        # so a crash between the two writes leaves the previous pair intact.
        name = f"training_state-{uuid.uuid4().hex[:12]}.npz"
        path = os.path.join(self.backup_dir, name)
        kept = {name}
        if self.double_checkpoint and os.path.exists(self._state_path):
            # the latest backup becomes the previous one: its JSON moves, its archive stays
            with open(self._state_path, "rb") as f:
                latest = f.read()
            atomic_write_bytes(self._previous_state_path, latest)
            try:
                kept.add(json.loads(latest.decode("utf-8"))["arrays"])
            except (ValueError, UnicodeDecodeError, KeyError, TypeError):
                pass  # a damaged latest backup keeps no archive
        atomic_write(path, lambda tmp: save_arrays(tmp, arrays))
        version, internal, gauss = random.getstate()
        state = {
            "format": _FORMAT,
            "version": _VERSION,
            "epoch": self._current_epoch,
            "batch": self._last_batch_seen,
            "arrays": name,
            "arrays_sha256": _sha256(path),
            "weights": [w.path for w in model.weights],
            "optimizer": opt_state,
            "rng": get_state(),
            "python_random": [version, list(internal), gauss],
        }
        atomic_write_bytes(self._state_path, json.dumps(state).encode("utf-8"))
        self._remove_archives(keep=kept)

    def _remove_archives(self, keep):
        for path in glob.glob(os.path.join(glob.escape(self.backup_dir), "training_state-*.npz")):
            if os.path.basename(path) not in keep:
                os.remove(path)

    def _read_state(self, state_path):
        """The JSON state at `state_path` and the arrays it names, checked; a clear error
        otherwise."""
        from kerasx.backends.host import load_arrays

        def unreadable(reason):
            return ValueError(
                f"The backup in {self.backup_dir!r} cannot be read: {reason}. Delete the "
                "directory's training_state files to start training from scratch.")

        try:
            with open(state_path, "rb") as f:
                state = json.loads(f.read().decode("utf-8"))
        except (ValueError, UnicodeDecodeError) as e:
            raise unreadable(f"{os.path.basename(state_path)} is not JSON "
                             f"({type(e).__name__}: {e})") from None
        except OSError as e:
            raise unreadable(f"{os.path.basename(state_path)} cannot be opened ({e})") from None
        if not isinstance(state, dict) or state.get("format") != _FORMAT:
            raise ValueError(
                f"{state_path!r} is not a kerasx BackupAndRestore backup. Use a backup_dir "
                "that only this callback writes to."
            )
        if state.get("version") != _VERSION:
            raise unreadable(f"it has format version {state.get('version')!r}, this kerasx "
                             f"reads version {_VERSION}")
        name = state.get("arrays")
        if not isinstance(name, str) or not _ARRAYS_PATTERN.fullmatch(name):
            raise unreadable(f"{_STATE_FILE} names the archive {name!r}, expected a name "
                             "like 'training_state-0123456789ab.npz' in the same directory")
        path = os.path.join(self.backup_dir, name)
        if not os.path.exists(path):
            raise unreadable(f"the archive {name!r} it names is missing")
        if _sha256(path) != state.get("arrays_sha256"):
            raise unreadable(f"the archive {name!r} does not match the SHA-256 recorded in "
                             f"{_STATE_FILE} (it was modified or replaced)")
        try:
            arrays = load_arrays(path)
        except (OSError, ValueError, EOFError) as e:
            raise unreadable(f"the archive {name!r} is damaged ({type(e).__name__}: {e})") \
                from None
        if not isinstance(state.get("epoch"), int) or isinstance(state.get("epoch"), bool):
            raise unreadable(f"its epoch is {state.get('epoch')!r}, expected an integer")
        return state, arrays

    def _restore(self):
        from kerasx.backends.random import set_state

        state, arrays = self._readable_state()
        model = self.model
        weights = model.weights
        saved = [arrays.get(f"weight_{i}") for i in range(len(state.get("weights") or []))]
        if len(saved) != len(weights) or any(s is None or tuple(w.shape) != tuple(s.shape)
                                             for w, s in zip(weights, saved)):
            raise ValueError(
                f"The backup in {self.backup_dir!r} was written for a different model: it holds "
                f"{len(saved)} weights with shapes "
                f"{[None if s is None else tuple(s.shape) for s in saved]}, the model has "
                f"{len(weights)} with shapes {[tuple(w.shape) for w in weights]}. Use a new "
                "backup_dir for a new model, or delete the old backup."
            )
        for var, value in zip(weights, saved):
            var.assign(value)
        self._restore_optimizer(state.get("optimizer"), arrays)
        set_state(state["rng"])
        try:
            version, internal, gauss = state["python_random"]
            random.setstate((version, tuple(internal), gauss))
        except (KeyError, TypeError, ValueError) as e:
            raise ValueError(
                f"The backup in {self.backup_dir!r} holds an invalid Python random state "
                f"({type(e).__name__}: {e}). Delete it to start training from scratch.") from None
        model._initial_epoch = state["epoch"]

    def _readable_state(self):
        """The latest backup, or with `double_checkpoint` the previous one when the
        latest cannot be read."""
        try:
            return self._read_state(self._state_path)
        except ValueError:
            if not (self.double_checkpoint and os.path.exists(self._previous_state_path)):
                raise
            return self._read_state(self._previous_state_path)

    def _restore_optimizer(self, saved, arrays):
        optimizer = getattr(self.model, "optimizer", None)
        if not isinstance(saved, dict) or optimizer is None:
            return
        values = [arrays.get(f"optimizer_{i}") for i in range(int(saved.get("variables") or 0))]
        built = getattr(optimizer, "built", getattr(optimizer, "_built_for", None) is not None)
        if values and not built:
            optimizer.build(self.model.trainable_weights)
        variables = optimizer.variables
        if len(variables) != len(values) or any(
                s is None or tuple(v.shape) != tuple(s.shape) for v, s in zip(variables, values)):
            raise ValueError(
                f"The backup in {self.backup_dir!r} holds {len(values)} optimizer "
                f"variables but the optimizer {type(optimizer).__name__} has {len(variables)}: it "
                "was written with a different optimizer. Compile with the same optimizer, or "
                "delete the old backup."
            )
        for var, value in zip(variables, values):
            var.assign(value)
        optimizer.iterations = int(saved["iterations"])
        if saved.get("learning_rate") is not None and not callable(
                getattr(optimizer, "_learning_rate", None)):
            optimizer.learning_rate = float(saved["learning_rate"])


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
