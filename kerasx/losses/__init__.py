"""Losses as functions (`mean_squared_error`) and classes (`MeanSquaredError`), by name."""

from kerasx.losses.loss import Loss, LossFunctionWrapper, reduce_weighted_values
from kerasx.losses.probabilistic import (BinaryCrossentropy, CategoricalCrossentropy,
                                         SparseCategoricalCrossentropy, binary_crossentropy,
                                         categorical_crossentropy, sparse_categorical_crossentropy)
from kerasx.losses.regression import (MeanAbsoluteError, MeanSquaredError, mean_absolute_error,
                                      mean_squared_error)

mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error

_FUNCTIONS = {
    "mean_squared_error": mean_squared_error, "mse": mean_squared_error,
    "mean_absolute_error": mean_absolute_error, "mae": mean_absolute_error,
    "categorical_crossentropy": categorical_crossentropy,
    "sparse_categorical_crossentropy": sparse_categorical_crossentropy,
    "binary_crossentropy": binary_crossentropy,
}
_CLASSES = {c.__name__: c for c in (MeanSquaredError, MeanAbsoluteError, CategoricalCrossentropy,
                                    SparseCategoricalCrossentropy, BinaryCrossentropy)}


def get(identifier):
    """A loss function or object from a name, a class name, a config or a callable."""
    if identifier is None or isinstance(identifier, Loss) or callable(identifier):
        return identifier
    if isinstance(identifier, str):
        found = _FUNCTIONS.get(identifier)
        if found is None and identifier in _CLASSES:
            found = _CLASSES[identifier]()
        if found is None:
            from kerasx.utils.suggest import unknown_identifier

            raise unknown_identifier("loss", identifier, {**_FUNCTIONS, **_CLASSES})
        return found
    if isinstance(identifier, dict):
        return deserialize(identifier)
    raise TypeError(f"Could not interpret loss identifier {identifier!r}: expected a name or a callable.")


def serialize(loss):
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(loss)


def deserialize(config, custom_objects=None):
    from kerasx.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects={**_FUNCTIONS, **_CLASSES})
