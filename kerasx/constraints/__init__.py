"""Weight constraints, applied to a variable after each optimizer step.

    Dense(64, kernel_constraint=constraints.MaxNorm(3.0))
    Dense(64, kernel_constraint="non_neg")
"""

from kerasx.constraints.constraints import Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm
from kerasx.utils.naming import to_snake_case

# The lower-case names are the classes themselves, as in Keras 3.
max_norm = MaxNorm
min_max_norm = MinMaxNorm
non_neg = NonNeg
unit_norm = UnitNorm

ALL_OBJECTS = (Constraint, MaxNorm, MinMaxNorm, NonNeg, UnitNorm)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})

__all__ = ["Constraint", "MaxNorm", "MinMaxNorm", "NonNeg", "UnitNorm", "deserialize", "get",
           "max_norm", "min_max_norm", "non_neg", "serialize", "unit_norm"]


def serialize(constraint):
    """The Keras 3 config dict of a constraint (None stays None)."""
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(constraint)


def deserialize(config, custom_objects=None):
    """A constraint from `serialize`'s output or a name."""
    from kerasx.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=ALL_OBJECTS_DICT, kind="constraint")


def get(identifier):
    """A constraint from None, a name (`"non_neg"`, `"MaxNorm"`), a config dict, a
    `Constraint` class or instance, or any callable `f(w)`."""
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

            raise unknown_identifier("constraint", identifier, ALL_OBJECTS_DICT)
        return cls()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(
        f"Could not interpret constraint identifier: {identifier!r}. Expected a name such as "
        "'non_neg', a config dict, a Constraint or a callable f(w)."
    )
