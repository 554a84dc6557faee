"""Weight initializers: classes, their Keras string names and lower-case aliases.

    initializers.get("glorot_uniform")            # by name
    initializers.he_normal(seed=1)                # lower-case alias of HeNormal
    initializers.deserialize(initializers.serialize(init))
"""

from kerasx.initializers.constant_initializers import Constant, Identity, Ones, Zeros
from kerasx.initializers.initializer import Initializer
from kerasx.initializers.random_initializers import (GlorotNormal, GlorotUniform, HeNormal,
                                                     HeUniform, LecunNormal, LecunUniform,
                                                     Orthogonal, RandomInitializer, RandomNormal,
                                                     RandomUniform, TruncatedNormal,
                                                     VarianceScaling, compute_fans)
from kerasx.utils.naming import to_snake_case

# The lower-case names are the classes themselves, as in Keras 3.
zeros = Zeros
ones = Ones
constant = Constant
identity = IdentityInitializer = Identity
random_normal = RandomNormal
random_uniform = RandomUniform
truncated_normal = TruncatedNormal
variance_scaling = VarianceScaling
glorot_uniform = GlorotUniform
glorot_normal = GlorotNormal
he_uniform = HeUniform
he_normal = HeNormal
lecun_uniform = LecunUniform
lecun_normal = LecunNormal
orthogonal = OrthogonalInitializer = Orthogonal

ALL_OBJECTS = (Initializer, Zeros, Ones, Constant, Identity, RandomNormal, RandomUniform,
               TruncatedNormal, VarianceScaling, GlorotUniform, GlorotNormal, HeUniform, HeNormal,
               LecunUniform, LecunNormal, Orthogonal)
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({to_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})
ALL_OBJECTS_DICT.update({"IdentityInitializer": Identity, "OrthogonalInitializer": Orthogonal,
                         "normal": RandomNormal, "uniform": RandomUniform, "one": Ones,
                         "zero": Zeros})

__all__ = ["Constant", "GlorotNormal", "GlorotUniform", "HeNormal", "HeUniform", "Identity",
           "IdentityInitializer", "Initializer", "LecunNormal", "LecunUniform", "Ones",
           "Orthogonal", "OrthogonalInitializer", "RandomInitializer", "RandomNormal",
           "RandomUniform", "TruncatedNormal", "VarianceScaling", "Zeros", "compute_fans",
           "constant", "deserialize", "get", "glorot_normal", "glorot_uniform", "he_normal",
           "he_uniform", "identity", "lecun_normal", "lecun_uniform", "ones", "orthogonal",
           "random_normal", "random_uniform", "serialize", "truncated_normal",
           "variance_scaling", "zeros"]

# The kernels of `layers.STFTSpectrogram`, under Keras's three names.
from kerasx.initializers.stft_initializer import STFT  # noqa: E402

STFTInitializer = stft = STFT
ALL_OBJECTS += (STFT,)
ALL_OBJECTS_DICT.update({"STFT": STFT, "stft": STFT, "STFTInitializer": STFT})
__all__ += ["STFT", "STFTInitializer", "stft"]


def serialize(initializer):
    """The Keras 3 config dict of an initializer."""
    from kerasx.saving.serialization import serialize_keras_object

    return serialize_keras_object(initializer)


def deserialize(config, custom_objects=None):
    """An initializer from `serialize`'s output or a name."""
    from kerasx.saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects,
                                    module_objects=ALL_OBJECTS_DICT, kind="initializer")


def get(identifier):
    """An initializer from an identifier.

    Args:
        identifier: None; a name (`"glorot_uniform"`, `"GlorotUniform"`, `"zeros"`);
            a config dict; an `Initializer` class (instantiated) or instance; any
            callable `f(shape, dtype=None)`; or an array whose values become the
            initial weights (the requested shape must match).

    Returns:
        An initializer, or None for None.
    """
    if identifier is None:
        return None
    if isinstance(identifier, str):
        if identifier not in ALL_OBJECTS_DICT:
            from kerasx.saving.serialization import get_registered_object

            found = get_registered_object(identifier)
            if found is not None:
                return found() if isinstance(found, type) else found
            from kerasx.utils.suggest import unknown_identifier

            raise unknown_identifier("initializer", identifier, ALL_OBJECTS_DICT)
        return ALL_OBJECTS_DICT[identifier]()
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, type):
        return identifier()
    if callable(identifier):
        return identifier
    if hasattr(identifier, "shape") and hasattr(identifier, "dtype"):
        return _from_array(identifier)
    raise ValueError(
        f"Could not interpret initializer identifier: {identifier!r}. Expected a name such as "
        "'glorot_uniform', a config dict, an Initializer, a callable f(shape, dtype) or an array."
    )


def _from_array(array):
    """An initializer that returns `array` (cast to the requested dtype)."""
    from kerasx.autodiff.tensor import value_of
    from kerasx.backends import current
    from kerasx.initializers.initializer import standardize_dtype

    expected = tuple(array.shape)

    def initialize(shape, dtype=None):
        if tuple(shape) != expected:
            raise ValueError(
                f"Expected `shape` to be {expected} for an array used as initializer. "
                f"Received shape={tuple(shape)}."
            )
        return current().asarray(value_of(array), dtype=standardize_dtype(dtype, "initializer"))

    return initialize
