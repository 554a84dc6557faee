"""Weight regularizers: penalties added to the training loss.

    Dense(64, kernel_regularizer=regularizers.L2(1e-4), activity_regularizer="l1")
"""

from kerasx.regularizers.regularizers import (L1, L1L2, L2, OrthogonalRegularizer, Regularizer,
                                              validate_float_arg)
from kerasx.utils.naming import to_snake_case

# The lower-case names are the classes themselves, as in Keras 3.
l1 = L1
l2 = L2
l1_l2 = L1L2
orthogonal_regularizer = OrthogonalRegularizer

ALL_OBJECTS = (Regularizer, L1, L2, L1L2, OrthogonalRegularizer)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT["l1_l2"] = L1L2

# Names whose string form uses other defaults than the class (as Keras documents).
_STRING_DEFAULTS = {"l1_l2": {"l1": 0.01, "l2": 0.01}}

__all__ = ["L1", "L1L2", "L2", "OrthogonalRegularizer", "Regularizer", "deserialize", "get",
           "l1", "l1_l2", "l2", "orthogonal_regularizer", "serialize", "validate_float_arg"]


def serialize(regularizer):
    """The Keras 3 config dict of a regularizer (None stays None)."""
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(regularizer)


def deserialize(config, custom_objects=None):
    """A regularizer from `serialize`'s output or a name."""
    from kerasx.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=ALL_OBJECTS_DICT, kind="regularizer")


def get(identifier):
    """A regularizer from None, a name (`"l2"`, `"L1L2"`, `"l1_l2"`), a config dict,
    a `Regularizer` class or instance, or any callable `f(x)` returning a scalar."""
    if identifier is None:
        return None
    if isinstance(identifier, str):
        cls = ALL_OBJECTS_DICT.get(identifier)
        if cls is None:
            from kerasx.saving.serialization import get_registered_object

            found = get_registered_object(identifier)
            if found is not None:
                return found() if isinstance(found, type) else found
            from kerasx.utils.suggest import unknown_identifier

            raise unknown_identifier("regularizer", identifier, ALL_OBJECTS_DICT)
        return cls(**_STRING_DEFAULTS.get(identifier, {}))
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret regularizer identifier: {identifier!r}. Expected a name such as "
        "'l2', a config dict, a Regularizer or a callable f(x) returning a scalar."
    )
