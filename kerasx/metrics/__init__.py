"""Stateful metrics, by class and by the names `compile(metrics=[...])` accepts."""

from kerasx.metrics.accuracy_metrics import (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                             SparseCategoricalAccuracy, accuracy, binary_accuracy,
                                             categorical_accuracy, sparse_categorical_accuracy)
from kerasx.metrics.metric import Metric
from kerasx.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum

_CLASSES = {c.__name__: c for c in (Accuracy, BinaryAccuracy, CategoricalAccuracy,
                                    SparseCategoricalAccuracy, Mean, Sum)}
_NAMES = {
    "accuracy": Accuracy, "acc": Accuracy, "binary_accuracy": BinaryAccuracy,
    "categorical_accuracy": CategoricalAccuracy,
    "sparse_categorical_accuracy": SparseCategoricalAccuracy,
}


def get(identifier):
    """A metric object from a name, a class, a config dict, a Metric or a function."""
    if isinstance(identifier, Metric):
        return identifier
    if isinstance(identifier, str):
        cls = _NAMES.get(identifier) or _CLASSES.get(identifier)
        if cls is not None:
            return cls()
        from kerasx import losses

        try:
            fn = losses.get(identifier)
        except ValueError:
            from kerasx.utils.suggest import unknown_identifier

            raise unknown_identifier("metric", identifier, {**_NAMES, **_CLASSES}) from None
        return MeanMetricWrapper(fn, name=identifier)
    if isinstance(identifier, dict):
        from kerasx.saving.serialization import deserialize_keras_object

        return deserialize_keras_object(identifier, module_objects=_CLASSES)
    if isinstance(identifier, type) and issubclass(identifier, Metric):
        return identifier()
    if callable(identifier):
        return MeanMetricWrapper(identifier)
    raise TypeError(f"Could not interpret metric identifier {identifier!r}.")


def serialize(metric):
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(metric)


def deserialize(config, custom_objects=None):
    from kerasx.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects, module_objects=_CLASSES)
