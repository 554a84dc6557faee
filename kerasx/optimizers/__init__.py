"""Optimizers, by class and by the names `compile(optimizer=...)` accepts."""

from kerasx.optimizers.adam import Adam
from kerasx.optimizers.optimizer import Optimizer
from kerasx.optimizers.sgd import SGD

_CLASSES = {c.__name__: c for c in (SGD, Adam)}
_NAMES = {"sgd": SGD, "adam": Adam}


def get(identifier):
    """An optimizer from a name (`"adam"`), a class, a config dict or an instance."""
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        cls = _NAMES.get(identifier.lower()) or _CLASSES.get(identifier)
        if cls is None:
            from kerasx.utils.suggest import unknown_identifier

            raise unknown_identifier("optimizer", identifier, {**_NAMES, **_CLASSES})
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type) and issubclass(identifier, Optimizer):
        return identifier()
    raise TypeError(f"Could not interpret optimizer identifier {identifier!r}.")


def serialize(optimizer):
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(optimizer)


def deserialize(config, custom_objects=None):
    from kerasx.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects, module_objects=_CLASSES)
