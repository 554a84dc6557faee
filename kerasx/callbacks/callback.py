"""`Callback`: hooks into training, evaluation and prediction."""


def _default(method):
    """Marks a hook as the do-nothing default, so `CallbackList` can skip it."""
    method._is_default = True
    return method


def overrides(callback, hook):
    """True when `callback` does something in `hook` (not the base class's no-op)."""
    method = getattr(callback, hook, None)
    if method is None:
        return False
    return not getattr(getattr(method, "__func__", method), "_is_default", False)


class Callback:
    """Base class of the objects passed to `fit(callbacks=...)`, `evaluate` and `predict`.

    Override the `on_*` hooks you need. `self.model` is the model being
    trained and `self.params` holds `verbose`, `epochs` and `steps` (batches
    per epoch, None when unknown). Each hook receives `logs`, a dict of metric
    names to floats: on `on_train_batch_end` the running averages of the
    epoch so far (`loss`, `accuracy`, ...), on `on_epoch_end` the epoch's
    results plus the validation results (`val_loss`, ...).

    When the model is compiled with `steps_per_execution=N`, batch hooks run
    once every `N` batches (`batch` is then the index of the last batch of
    the group).

    Example:

    ```python
    class StopAtLoss(kerasx.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if logs["loss"] < 0.1:
                self.model.stop_training = True
    ```
    """

    def __init__(self):
        self.params = None
        self._model = None

    def set_params(self, params):
        self.params = params

    def set_model(self, model):
        self._model = model

    @property
    def model(self):
        return getattr(self, "_model", None)

    @model.setter
    def model(self, model):
        self._model = model

    @_default
    def on_batch_begin(self, batch, logs=None):
        """A backwards compatibility alias for `on_train_batch_begin`."""

    @_default
    def on_batch_end(self, batch, logs=None):
        """A backwards compatibility alias for `on_train_batch_end`."""

    @_default
    def on_epoch_begin(self, epoch, logs=None):
        """Called at the start of epoch `epoch` (0-based) of `fit`."""

    @_default
    def on_epoch_end(self, epoch, logs=None):
        """Called at the end of an epoch with its training and validation results."""

    @_default
    def on_train_batch_begin(self, batch, logs=None):
        """Called before training batch `batch` (0-based, within the epoch)."""
        self.on_batch_begin(batch, logs=logs)

    @_default
    def on_train_batch_end(self, batch, logs=None):
        """Called after a training batch with the epoch's running results."""
        self.on_batch_end(batch, logs=logs)

    @_default
    def on_test_batch_begin(self, batch, logs=None):
        """Called before a batch of `evaluate` (or of validation inside `fit`)."""

    @_default
    def on_test_batch_end(self, batch, logs=None):
        """Called after a batch of `evaluate` with the running results."""

    @_default
    def on_predict_batch_begin(self, batch, logs=None):
        """Called before a batch of `predict`."""

    @_default
    def on_predict_batch_end(self, batch, logs=None):
        """Called after a batch of `predict`; `logs["outputs"]` holds its predictions (NumPy
        arrays; a model with dict outputs gives them under their names instead)."""

    @_default
    def on_train_begin(self, logs=None):
        """Called once when `fit` starts."""

    @_default
    def on_train_end(self, logs=None):
        """Called once when `fit` ends, with the last epoch's logs."""

    @_default
    def on_test_begin(self, logs=None):
        """Called when `evaluate` (or validation inside `fit`) starts."""

    @_default
    def on_test_end(self, logs=None):
        """Called when `evaluate` (or validation) ends, with its results."""

    @_default
    def on_predict_begin(self, logs=None):
        """Called when `predict` starts."""

    @_default
    def on_predict_end(self, logs=None):
        """Called when `predict` ends."""
