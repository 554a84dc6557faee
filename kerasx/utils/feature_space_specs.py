"""What a `FeatureSpace` is made of: `Feature` (a dtype, a preprocessing layer and how
its output is encoded) and `Cross` (features hashed together), and their configs in
the form Keras writes them."""

from kerasx.saving.serialization import (custom_object_scope, deserialize_keras_object,
                                         serialize_keras_object)

# the module Keras writes in the configs of `Feature` and `Cross`, where it finds them
KERAS_MODULE = "keras.src.layers.preprocessing.feature_space"
_FEATURE_MODES = ("int", "one_hot", "float")
_CROSS_MODES = ("int", "one_hot")


class Cross:
    """Features crossed together: their (preprocessed) values hashed into
    `crossing_dim` bins by a `HashedCrossing` layer named `name`
    (`"a_X_b"` for the features `("a", "b")`).

    Args:
        feature_names: the names of the crossed features (two or more).
        crossing_dim: the number of hash bins.
        output_mode: `"one_hot"` (a vector of `crossing_dim` values) or `"int"`
            (the bin index).
    """

    def __init__(self, feature_names, crossing_dim, output_mode="one_hot"):
        if output_mode not in _CROSS_MODES:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of "
                f"{{'int', 'one_hot'}}. Received: output_mode={output_mode!r}")
        if isinstance(feature_names, str) or len(feature_names) < 2:
            raise ValueError(
                f"A cross needs the names of at least two features, e.g. ('a', 'b'). "
                f"Received: feature_names={feature_names!r}")
        self.feature_names = tuple(feature_names)
        self.crossing_dim = crossing_dim
        self.output_mode = output_mode

    @property
    def name(self):
        return "_X_".join(self.feature_names)

    def get_config(self):
        return {"feature_names": self.feature_names, "crossing_dim": self.crossing_dim,
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return (f"Cross(feature_names={self.feature_names}, crossing_dim={self.crossing_dim}, "
                f"output_mode={self.output_mode!r})")


class Feature:
    """One feature of a `FeatureSpace`: the dtype of its input, the layer that
    preprocesses it and how that layer's output is encoded.

    Args:
        dtype: the dtype of the feature's `Input` (`"float32"`, `"int32"`, `"string"`...).
        preprocessor: a preprocessing layer (or its serialized config).
        output_mode: `"float"` (the layer's output as it is), `"one_hot"` (the
            integer ids the layer returns, one-hot encoded) or `"int"` (the ids).
    """

    def __init__(self, dtype, preprocessor, output_mode):
        if output_mode not in _FEATURE_MODES:
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of "
                f"{{'int', 'one_hot', 'float'}}. Received: output_mode={output_mode!r}")
        if isinstance(preprocessor, dict):
            preprocessor = deserialize_known(preprocessor)
        if not callable(preprocessor):
            raise TypeError(
                f"A feature's preprocessor must be a layer, received {preprocessor!r} of type "
                f"{type(preprocessor).__name__}.")
        self.dtype = dtype
        self.preprocessor = preprocessor
        self.output_mode = output_mode

    def get_config(self):
        return {"dtype": self.dtype, "preprocessor": serialize_keras_object(self.preprocessor),
                "output_mode": self.output_mode}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return (f"Feature(dtype={self.dtype!r}, preprocessor={type(self.preprocessor).__name__}"
                f"(name={getattr(self.preprocessor, 'name', None)!r}), "
                f"output_mode={self.output_mode!r})")


def serialize_spec(spec):
    """A `Feature` or `Cross` as Keras writes it (so that either library reads it)."""
    name = type(spec).__name__
    return {"module": KERAS_MODULE, "class_name": name,
            "config": serialize_keras_object(spec.get_config()), "registered_name": name}


def deserialize_known(config):
    """A serialized `Feature`, `Cross` or preprocessing layer (also Keras's
    `TFDIdentity`, the preprocessor of its `float` features)."""
    from kerasx.layers import Identity

    known = {"Feature": Feature, "Cross": Cross, "TFDIdentity": Identity}
    with custom_object_scope(known):
        return deserialize_keras_object(config)
