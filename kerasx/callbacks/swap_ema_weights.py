"""`SwapEMAWeights`: evaluate and predict with the optimizer's moving averages of the weights."""

from kerasx.callbacks.callback import Callback


class SwapEMAWeights(Callback):
    """Puts the optimizer's exponential moving averages of the weights (`use_ema=True`)
    into the model for evaluation and prediction, and the trained weights back after.

    With `swap_on_epoch=True` the averages are also in the model from the end of
    each epoch to the start of the next, so callbacks placed after this one (such
    as `ModelCheckpoint`) see them. The trained weights are set aside, not copied,
    and the averages are never written, so training stopped at any epoch ends, as
    without this callback, with the averages in the model.

        model.compile(optimizer=keras.optimizers.SGD(use_ema=True), loss="mse")
        model.fit(x, y, validation_data=(xv, yv), callbacks=[SwapEMAWeights()])
    """

    def __init__(self, swap_on_epoch=False):
        super().__init__()
        self.swap_on_epoch = swap_on_epoch
        self._set_aside = None  # the trained weights while the averages are in the model

    def _ema_optimizers(self):
        """The optimizers whose averages to swap in: the model's optimizer (the one a
        LossScaleOptimizer wraps), or the inner optimizers of a MultiOptimizer that keep
        averages (`use_ema=True`), as Keras."""
        optimizer = self.model.optimizer
        inner = getattr(optimizer, "inner_optimizer", None)
        optimizer = inner if inner is not None else optimizer
        several = getattr(optimizer, "optimizers", None)
        if several is None:
            return [optimizer]
        chosen = [opt for opt in several if getattr(opt, "use_ema", False)]
        if not chosen:
            raise ValueError(
                "SwapEMAWeights must be used when at least one inner optimizer has "
                "`use_ema=True` set. Received a MultiOptimizer with all inner optimizers "
                "having `use_ema=False`.")
        return chosen

    def _put_averages_in(self):
        if self._set_aside is not None:
            return
        pairs = []
        for optimizer in self._ema_optimizers():
            averages = getattr(optimizer, "_model_variables_moving_average", None)
            if not getattr(optimizer, "use_ema", False) or averages is None:
                raise ValueError(
                    "SwapEMAWeights must be used when `use_ema=True` is set on the optimizer, "
                    "and the optimizer built (by training); received "
                    f"{type(optimizer).__name__} with "
                    f"use_ema={getattr(optimizer, 'use_ema', None)}. Compile with e.g. "
                    "keras.optimizers.Adam(use_ema=True).")
            pairs.extend((var, average) for var, average in
                         zip(optimizer._trainable_variables, averages))
        self._set_aside = [(var, var.value) for var, _ in pairs]
        for var, average in pairs:
            if average is not None:  # none for a weight its gradient overwrites
                var.assign(average.value)

    def _put_weights_back(self):
        if self._set_aside is None:
            return
        for var, weights in self._set_aside:
            var.assign(weights)
        self._set_aside = None

    def on_epoch_begin(self, epoch, logs=None):
        self._put_weights_back()

    def on_epoch_end(self, epoch, logs=None):
        if self.swap_on_epoch:
            self._put_averages_in()

    def on_train_end(self, logs=None):
        # `fit` has written the averages into the model: nothing to put back
        self._set_aside = None

    def on_test_begin(self, logs=None):
        self._put_averages_in()

    def on_test_end(self, logs=None):
        self._put_weights_back()

    def on_predict_begin(self, logs=None):
        self._put_averages_in()

    def on_predict_end(self, logs=None):
        self._put_weights_back()
