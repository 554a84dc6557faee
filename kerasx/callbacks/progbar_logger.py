"""`ProgbarLogger`: prints progress during fit, evaluate and predict."""

from kerasx.callbacks.callback import Callback
from kerasx.utils.progbar import Progbar


class ProgbarLogger(Callback):
    """Keras's progress output: a live bar (verbose=1) or one line per epoch (verbose=2)."""

    def __init__(self):
        super().__init__()
        self.verbose = 1
        self.epochs = 1
        self.progbar = None
        self._seen = 0
        self._mode = "train"

    def set_params(self, params):
        super().set_params(params)
        self.verbose = params.get("verbose", 1)
        self.epochs = params.get("epochs", 1)

    def _start(self, target, mode):
        self._mode = mode
        self._seen = 0
        self.progbar = Progbar(target=target, verbose=self.verbose, unit_name="step")

    def on_epoch_begin(self, epoch, logs=None):
        if self.verbose and self.epochs > 1:
            print(f"Epoch {epoch + 1}/{self.epochs}", flush=True)
        self._start(self.params.get("steps"), "train")

    def on_train_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        if self.progbar is not None:
            self.progbar.update(self._seen, list((logs or {}).items()), finalize=False)

    def on_epoch_end(self, epoch, logs=None):
        if self.progbar is not None:
            self.progbar.update(self._seen, list((logs or {}).items()), finalize=True)
            self.progbar = None

    def on_test_begin(self, logs=None):
        if self.progbar is None:  # inside fit, validation reports on the epoch's line
            self._start(self.params.get("steps"), "test")

    def on_test_batch_end(self, batch, logs=None):
        if self._mode == "test" and self.progbar is not None:
            self._seen = batch + 1
            self.progbar.update(self._seen, list((logs or {}).items()), finalize=False)

    def on_test_end(self, logs=None):
        if self._mode == "test" and self.progbar is not None:
            self.progbar.update(self._seen, list((logs or {}).items()), finalize=True)
            self.progbar = None

    def on_predict_begin(self, logs=None):
        self._start(self.params.get("steps"), "predict")

    def on_predict_batch_end(self, batch, logs=None):
        self._seen = batch + 1
        if self.progbar is not None:
            self.progbar.update(self._seen, finalize=False)

    def on_predict_end(self, logs=None):
        if self.progbar is not None:
            self.progbar.update(self._seen, finalize=True)
            self.progbar = None
