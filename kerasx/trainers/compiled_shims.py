"""`model.compiled_loss(...)` and `model.compiled_metrics.update_state(...)`: the Keras 2
calls that custom `train_step`s written for tf.keras use, which Keras 3 keeps (deprecated)
on its TensorFlow backend, the one whose `GradientTape` workflow kerasx shares."""

import warnings


class _CompiledMetrics:
    """What `model.compiled_metrics` returns: an object with `update_state`."""

    def __init__(self, model):
        self._model = model

    def update_state(self, y, y_pred, sample_weight=None):
        warnings.warn(
            "`model.compiled_metrics()` is deprecated. Instead, use e.g.:\n```\nfor metric in "
            "self.metrics:\n    metric.update_state(y, y_pred)\n```\n", stacklevel=2)
        compiled = self._model._compile_metrics
        if compiled is not None:
            compiled.update_state(y, y_pred, sample_weight)


class CompiledShims:
    """The Keras 2 loss and metrics calls of custom training steps (a `Trainer` mixin).

    As in Keras 2, `compiled_loss` also updates the `loss` metric (Keras 3's TensorFlow
    shim feeds the predictions to every `Mean` metric instead, so its logged `loss`
    is not the loss), and `compiled_metrics.update_state` updates the metrics given to
    `compile`.
    """

    @property
    def compiled_metrics(self):
        return _CompiledMetrics(self)

    def compiled_loss(self, y, y_pred, sample_weight=None, regularization_losses=None):
        warnings.warn("`model.compiled_loss()` is deprecated. Instead, use "
                      "`model.compute_loss(x, y, y_pred, sample_weight, training)`.", stacklevel=2)
        # compute_loss already adds the model's `losses` (the regularization losses)
        loss = self.compute_loss(x=None, y=y, y_pred=y_pred, sample_weight=sample_weight)
        leaves = [leaf for leaf in _flat(y_pred) if hasattr(leaf, "shape")]
        self._loss_tracker.update_state(loss, sample_weight=leaves[0].shape[0] if leaves else 1)
        return loss


def _flat(structure):
    if isinstance(structure, (list, tuple)):
        return [leaf for item in structure for leaf in _flat(item)]
    if isinstance(structure, dict):
        return [leaf for item in structure.values() for leaf in _flat(item)]
    return [structure]
