"""Weight regularizers: penalties added to the training loss."""


class Regularizer:
    """Base class: `regularizer(w)` returns a scalar penalty tensor."""

    def __call__(self, w):
        raise NotImplementedError

    def get_config(self):
        return {}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


_CLASSES = {}


def get(identifier):
    """A regularizer from a name, an instance, a config dict or a callable (None passes)."""
    if identifier is None or callable(identifier):
        return identifier
    if isinstance(identifier, str):
        cls = _CLASSES.get(identifier)
        if cls is None:
            from kerasx.utils.suggest import unknown_identifier

            raise unknown_identifier("regularizer", identifier, _CLASSES)
        return cls()
    if isinstance(identifier, dict):
        from kerasx.saving.serialization import deserialize_keras_object

        return deserialize_keras_object(identifier, module_objects=_CLASSES)
    raise TypeError(f"Could not interpret regularizer identifier {identifier!r}.")
