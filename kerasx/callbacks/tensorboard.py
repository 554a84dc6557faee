"""`TensorBoard`: losses, metrics, learning rate and weight histograms for TensorBoard."""

import numbers
import os
import time
import warnings

from kerasx.callbacks.callback import Callback
from kerasx.utils.event_files import EventFileWriter, histogram_value, scalar_value


class TensorBoard(Callback):
    """Writes event files that TensorBoard shows (`tensorboard --logdir logs`).

    The training values go to `log_dir/train`, the validation values to
    `log_dir/validation`, under Keras's tags: `epoch_loss`, `epoch_accuracy`,
    ... and `epoch_learning_rate` per epoch, `batch_<name>` every
    `update_freq` batches, `evaluation_<name>_vs_iterations` after each
    evaluation (its step is the optimizer's iteration count), and
    `<weight path>/histogram` for every weight each `histogram_freq` epochs.
    The files are TensorBoard's own format, written without TensorFlow.

    Args:
        log_dir: the directory of the event files.
        histogram_freq: write weight histograms every this many epochs (0: never).
        write_graph: accepted for Keras compatibility (Keras writes no graph either).
        write_images: must stay False (weights as images are not written).
        write_steps_per_second: also write `epoch_steps_per_second` (and
            `batch_steps_per_second` with batch-level updates).
        update_freq: `"epoch"`, `"batch"`, or an integer N: write the batch
            values every N training batches as well.
        profile_batch: accepted; kerasx has no profiler trace to write (see
            `benchmarks/profile.py`), so a non-zero value only warns.
        embeddings_freq: every this many epochs, save the weights to
            `log_dir/train/keras_embedding.ckpt-<epoch>.weights.h5`, as Keras does.
        embeddings_metadata: accepted for Keras compatibility.
    """

    def __init__(self, log_dir="logs", histogram_freq=0, write_graph=True, write_images=False,
                 write_steps_per_second=False, update_freq="epoch", profile_batch=0,
                 embeddings_freq=0, embeddings_metadata=None):
        super().__init__()
        for name, value in (("histogram_freq", histogram_freq),
                            ("embeddings_freq", embeddings_freq)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"TensorBoard: `{name}` must be an integer >= 0, received "
                                 f"{value!r}.")
        if update_freq not in ("epoch", "batch") and (
                isinstance(update_freq, bool) or not isinstance(update_freq, int)
                or update_freq < 1):
            raise ValueError(f"TensorBoard: `update_freq` must be 'epoch', 'batch' or a positive "
                             f"integer, received {update_freq!r}.")
        if write_images:
            raise ValueError("TensorBoard(write_images=True) is not supported: kerasx writes "
                             "scalars and weight histograms. Leave write_images=False.")
        if profile_batch not in (0, None, (0, 0), [0, 0]):
            warnings.warn("TensorBoard: kerasx writes no profiler trace; profile_batch is "
                          "ignored (benchmarks/profile.py profiles training).", stacklevel=2)
        self.log_dir = os.fspath(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._writers = {}
        self._global_train_batch = 0
        self._batch_start = self._epoch_start = None
        self._epoch_start_batch = 0

    def _writer(self, which):
        writer = self._writers.get(which)
        if writer is None:
            writer = self._writers[which] = EventFileWriter(os.path.join(self.log_dir, which))
        return writer

    def _write(self, which, step, values):
        values = [scalar_value(name, value) for name, value in values.items()
                  if isinstance(value, numbers.Real)]
        if values:
            writer = self._writer(which)
            writer.add(step, values)
            writer.flush()

    # -- training ----------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        self._global_train_batch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.perf_counter()
        self._epoch_start_batch = self._global_train_batch

    def on_train_batch_begin(self, batch, logs=None):
        if self.write_steps_per_second:
            self._batch_start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self._global_train_batch += 1
        if self.update_freq == "epoch" or self._global_train_batch % self.update_freq:
            return
        values = {f"batch_{name}": value for name, value in dict(logs or {}).items()}
        if self.write_steps_per_second and self._batch_start is not None:
            values["batch_steps_per_second"] = 1.0 / max(time.perf_counter() - self._batch_start,
                                                         1e-9)
        self._write("train", self._global_train_batch, values)

    def on_epoch_end(self, epoch, logs=None):
        logs = dict(logs or {})
        train = {k: v for k, v in logs.items() if not k.startswith("val_")}
        optimizer = getattr(self.model, "optimizer", None)
        if optimizer is not None and hasattr(optimizer, "learning_rate"):
            train["learning_rate"] = float(optimizer.learning_rate)
        if self.write_steps_per_second and self._epoch_start is not None:
            steps = self._global_train_batch - self._epoch_start_batch
            train["steps_per_second"] = steps / max(time.perf_counter() - self._epoch_start, 1e-9)
        self._write("train", epoch, {f"epoch_{k}": v for k, v in train.items()})
        self._write("validation", epoch, {f"epoch_{k[4:]}": v for k, v in logs.items()
                                          if k.startswith("val_")})
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            self._write_histograms(epoch)
        if self.embeddings_freq and epoch % self.embeddings_freq == 0:
            path = os.path.join(self.log_dir, "train", f"keras_embedding.ckpt-{epoch}.weights.h5")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            self.model.save_weights(path)

    def _write_histograms(self, epoch):
        from kerasx.backends import current
        from kerasx.backends.host import histogram_summary

        backend = current()
        values = [histogram_value(f"{weight.path.replace(':', '_')}/histogram",
                                  *histogram_summary(backend.to_numpy(weight.value)))
                  for layer in self.model.layers for weight in layer.weights]
        if values:
            writer = self._writer("train")
            writer.add(epoch, values)
            writer.flush()

    def on_test_end(self, logs=None):
        optimizer = getattr(self.model, "optimizer", None)
        iterations = getattr(optimizer, "iterations", None)
        if iterations is not None:
            self._write("validation", int(iterations),
                        {f"evaluation_{k}_vs_iterations": v for k, v in dict(logs or {}).items()})

    def on_train_end(self, logs=None):
        for writer in self._writers.values():
            writer.close()
        self._writers = {}
