"""`FeatureSpace`: preprocesses and encodes structured data (a dict of feature columns)."""

__all__ = ["FeatureSpace"]

import os

from kerasx import layers, ops
from kerasx.layers.layer import Layer
from kerasx.saving.serialization import get_custom_objects
from kerasx.utils.feature_space_data import adapt_columns, call_features
from kerasx.utils.feature_space_registry import FeatureSpaceLoader
from kerasx.utils.feature_space_kinds import FeatureKinds
from kerasx.utils.feature_space_specs import Cross, Feature, deserialize_known, serialize_spec

_TYPES = ("float", "float_rescaled", "float_normalized", "float_discretized",
          "integer_categorical", "string_categorical", "integer_hashed", "string_hashed")


class FeatureSpace(FeatureKinds, Layer):
    """One-stop preprocessing and encoding of structured data, as Keras's `FeatureSpace`.

    Each feature gets a preprocessing layer (normalization, discretization,
    vocabulary lookup, hashing...); `adapt(dataset)` learns their state from
    data; calling the FeatureSpace on a dict of features returns them encoded,
    concatenated into one vector per sample (`output_mode="concat"`) or as a
    dict (`"dict"`). In concat mode the features come in sorted name order,
    then the crosses in sorted name order. `get_inputs()` and
    `get_encoded_features()` give the symbolic inputs and outputs to build a
    functional model on.

    Args:
        features: a dict of feature names to their type: a name among `"float"`,
            `"float_rescaled"`, `"float_normalized"`, `"float_discretized"`,
            `"integer_categorical"`, `"string_categorical"`,
            `"integer_hashed"`, `"string_hashed"` (default arguments), or an
            object made by the class methods of the same names or by
            `FeatureSpace.feature(dtype, preprocessor, output_mode)`.
        output_mode: `"concat"` or `"dict"`.
        crosses: features to cross, e.g. `[("a", "b")]` or
            `[FeatureSpace.cross(("a", "b"), crossing_dim=16)]`: the
            preprocessed values of the features hashed together.
        crossing_dim: the number of hash bins of crosses given as tuples.
        hashing_dim: the number of bins of `"integer_hashed"` and
            `"string_hashed"` features given by name.
        num_discretization_bins: the number of bins of `"float_discretized"`
            features given by name.

    Example:

        feature_space = FeatureSpace(
            {"age": "float_normalized", "city": "string_categorical",
             "rooms": FeatureSpace.integer_categorical(max_tokens=8)},
            crosses=[("city", "rooms")], output_mode="concat")
        feature_space.adapt({"age": ages, "city": cities, "rooms": rooms})
        vectors = feature_space({"age": ages, "city": cities, "rooms": rooms})

    The layers are in `preprocessors` (by feature name), `crossers` (by cross
    name, `"a_X_b"`) and `one_hot_encoders`. A FeatureSpace is saved with
    `save("name.keras")` and reloaded with `kerasx.saving.load_model`.
    """

    # -- construction ----------------------------------------------------------------------
    def __init__(self, features, output_mode="concat", crosses=None, crossing_dim=32,
                 hashing_dim=32, num_discretization_bins=32, name=None):
        super().__init__(name=name)
        if not features:
            raise ValueError("The `features` argument cannot be None or empty.")
        if not isinstance(features, dict):
            raise TypeError(
                "The `features` argument must be a dict of feature names to feature types, "
                f"e.g. {{'age': 'float_normalized'}}. Received: {features!r}")
        if output_mode not in ("dict", "concat"):
            raise ValueError(
                "Invalid value for argument `output_mode`. Expected one of "
                f"{{'dict', 'concat'}}. Received: output_mode={output_mode!r}")
        self.crossing_dim = crossing_dim
        self.hashing_dim = hashing_dim
        self.num_discretization_bins = num_discretization_bins
        self.output_mode = output_mode
        self.features = {name: self._standardize_feature(name, value)
                         for name, value in features.items()}
        self.crosses = [self._standardize_cross(cross) for cross in crosses or ()]
        self.crosses_by_name = {cross.name: cross for cross in self.crosses}
        self.inputs = {name: layers.Input(shape=(1,), dtype=feature.dtype, name=name)
                       for name, feature in self.features.items()}
        self.preprocessors = {name: feature.preprocessor for name, feature in self.features.items()}
        self.crossers = {cross.name: layers.HashedCrossing(cross.crossing_dim, name=cross.name)
                         for cross in self.crosses}
        self.one_hot_encoders = {}
        self.concat = None
        self.encoded_features = None
        self._is_adapted = False
        self._sublayers_built = False

    def _standardize_feature(self, name, feature):
        if isinstance(feature, Feature):
            return feature
        if isinstance(feature, dict):
            return deserialize_known(feature)
        if isinstance(feature, str) and feature in _TYPES:
            if feature == "float_discretized":
                return self.float_discretized(self.num_discretization_bins, name=name)
            if feature in ("integer_hashed", "string_hashed"):
                return getattr(self, feature)(self.hashing_dim, name=name)
            return getattr(self, feature)(name=name)
        raise ValueError(
            f"Invalid feature type: {feature!r} (feature {name!r}). Expected one of "
            f"{list(_TYPES)}, or a feature made by a FeatureSpace class method (e.g. "
            "FeatureSpace.string_categorical(max_tokens=10)).")

    def _standardize_cross(self, cross):
        if isinstance(cross, dict):
            cross = deserialize_known(cross)
        if not isinstance(cross, Cross):
            if not self.crossing_dim:
                raise ValueError(
                    "When specifying `crosses`, the argument `crossing_dim` (dimensionality "
                    "of the crossing space) should be specified as well.")
            cross = Cross(cross, crossing_dim=self.crossing_dim)
        unknown = [key for key in cross.feature_names if key not in self.features]
        if unknown:
            raise ValueError(
                "All features referenced in the `crosses` argument should be present in the "
                f"`features` dict. Received unknown features: {unknown} in the cross "
                f"{cross.feature_names}.")
        return cross

    # -- adapt -----------------------------------------------------------------------------
    def _list_adaptable_preprocessors(self):
        """The features whose preprocessor learns its state from data: not a layer given
        its statistics, bin boundaries or vocabulary."""
        names = []
        for name, preprocessor in self.preprocessors.items():
            if not hasattr(preprocessor, "adapt"):
                continue
            if isinstance(preprocessor, layers.Normalization) and \
                    preprocessor.input_mean is not None:
                continue
            if isinstance(preprocessor, layers.Discretization) and preprocessor.num_bins is None:
                continue
            if getattr(preprocessor, "_has_input_vocabulary", False):
                continue
            names.append(name)
        return names

    def adapt(self, dataset):
        """Learns the state of every preprocessor from `dataset` (in one pass over it).

        Args:
            dataset: a dict of feature names to arrays or lists (one row per
                sample), a `kerasx.utils.PyDataset` or any iterable of dict
                batches (a batch `(x, y)` contributes `x`). Every feature of the
                FeatureSpace must be present.
        """
        names = self._list_adaptable_preprocessors()
        columns = adapt_columns(dataset, names if names else list(self.features))
        for name in names:
            self.preprocessors[name].adapt(iter(columns[name]))
        self._is_adapted = True
        # the encoders are sized by what adapt learned: a new adapt makes new ones
        self.encoded_features = None
        self._sublayers_built = False
        self._check_if_built()

    def _check_if_adapted(self):
        if not self._is_adapted:
            if self._list_adaptable_preprocessors():
                raise ValueError("You need to call `.adapt(dataset)` on the FeatureSpace "
                                 "before you can start using it.")
            self._is_adapted = True

    def _check_if_built(self):
        if not self._sublayers_built:
            self._check_if_adapted()
            self.get_encoded_features()
            self._sublayers_built = True
            self.built = True

    # -- the symbolic graph ----------------------------------------------------------------
    def get_inputs(self):
        """The dict of `Input`s, one `(None, 1)` input per feature, keyed by name."""
        self._check_if_built()
        return self.inputs

    def get_encoded_features(self):
        """The encoded features of `get_inputs()`: one symbolic tensor in concat mode,
        a dict of them in dict mode."""
        self._check_if_adapted()
        if self.encoded_features is None:
            preprocessed = self._preprocess_features(self.inputs)
            crossed = self._cross_features(preprocessed)
            self.encoded_features = self._merge_features(preprocessed, crossed)
        return self.encoded_features

    def _preprocess_features(self, features):
        return {name: self.preprocessors[name](features[name]) for name in self.features}

    def _cross_features(self, features):
        return {cross.name: self.crossers[cross.name]([features[n] for n in cross.feature_names])
                for cross in self.crosses}

    def _ordered(self, preprocessed, crossed):
        names = sorted(preprocessed) + sorted(crossed)
        return names, [preprocessed[n] if n in preprocessed else crossed[n] for n in names]

    def _merge_features(self, preprocessed, crossed):
        names, values = self._ordered(preprocessed, crossed)
        if self.encoded_features is None:  # the symbolic pass of get_encoded_features
            self._make_encoders(names, values)
        encoded = {}
        for name, value in zip(names, values):
            encoder = self.one_hot_encoders.get(name)
            encoded[name] = encoder(value) if encoder is not None else value
        if self.output_mode == "dict":
            return encoded
        return self.concat(list(encoded.values()))

    def _make_encoders(self, names, values):
        """Creates the one-hot encoders (and the concatenation) from the symbolic
        outputs of the preprocessors, checking their dtypes."""
        encoders = {}
        for name, value in zip(names, values):
            is_feature = name in self.features
            spec = self.features[name] if is_feature else self.crosses_by_name[name]
            dtype = str(value.dtype)
            if spec.output_mode == "one_hot":
                if not dtype.startswith(("int", "uint")):
                    raise ValueError(
                        f"Feature '{name}' has `output_mode='one_hot'`. Thus its preprocessor "
                        f"should return an integer dtype. Instead it returns a {dtype} dtype.")
                layer = self.preprocessors[name] if is_feature else self.crossers[name]
                encoders[name] = layers.CategoryEncoding(
                    num_tokens=_cardinality(name, layer), output_mode="multi_hot")
                dtype = encoders[name].dtype
            if self.output_mode == "concat" and (dtype.startswith(("int", "uint"))
                                                 or dtype == "string"):
                raise ValueError(
                    f"Cannot concatenate features because feature '{name}' has not been "
                    f"encoded (it has dtype {dtype}). Consider using `output_mode='dict'`.")
        self.one_hot_encoders = encoders
        self.concat = layers.Concatenate(axis=-1) if self.output_mode == "concat" else None

    # -- calling ---------------------------------------------------------------------------
    def __call__(self, data):
        """The encoded features of `data`, a dict of feature names to arrays or lists
        of shape `(batch,)` or `(batch, 1)` (or to scalars: one sample, and the
        output has no batch axis)."""
        self._check_if_built()
        dtypes = {name: feature.dtype for name, feature in self.features.items()}
        features, rebatched = call_features(data, list(self.features), dtypes)
        preprocessed = self._preprocess_features(features)
        merged = self._merge_features(preprocessed, self._cross_features(preprocessed))
        if not rebatched:
            return merged
        if self.output_mode == "concat":
            if merged.shape[0] != 1:
                raise ValueError("Expected rebatched data to have batch size 1. "
                                 f"Received: shape={tuple(merged.shape)}")
            return ops.squeeze(merged, axis=0)
        return {name: ops.squeeze(x, axis=0) if len(x.shape) == 2 and x.shape[0] == 1 else x
                for name, x in merged.items()}

    # -- configuration and saving ----------------------------------------------------------
    def get_config(self):
        return {"features": {name: serialize_spec(f) for name, f in self.features.items()},
                "output_mode": self.output_mode,
                "crosses": [serialize_spec(cross) for cross in self.crosses],
                "crossing_dim": self.crossing_dim, "hashing_dim": self.hashing_dim,
                "num_discretization_bins": self.num_discretization_bins}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def get_build_config(self):
        return {name: feature.preprocessor.get_build_config()
                for name, feature in self.features.items()}

    def build_from_config(self, config):
        """Builds the preprocessors from their build configs and the encoders, so that
        the saved state loads into them (a saved FeatureSpace was adapted)."""
        for name, build_config in (config or {}).items():
            preprocessor = self.features[name].preprocessor
            if not preprocessor.built:
                preprocessor.build_from_config(build_config)
        self._is_adapted = True
        self._check_if_built()
        self.built = True

    def save(self, filepath):
        """Saves the FeatureSpace to a `.keras` file; reload it with
        `kerasx.saving.load_model(filepath)` (or Keras's `load_model`)."""
        import json

        from kerasx.saving import keras_archive
        from kerasx.utils.atomic import atomic_write

        path = os.fspath(filepath)
        if not path.endswith(".keras"):
            raise ValueError("Invalid filepath extension for saving. Please add a `.keras` "
                             f"extension for the native Keras format. Received: filepath={path}")
        metadata, config, weights = keras_archive.archive_bytes(self)
        config = json.loads(config)
        config["module"] = "keras.utils"  # where Keras finds the class
        config = json.dumps(config).encode()
        atomic_write(path, lambda tmp: keras_archive.write_zip(tmp, metadata, config, weights))


def _cardinality(name, layer):
    """The number of distinct ids a categorical preprocessor or crosser returns."""
    if isinstance(layer, (layers.IntegerLookup, layers.StringLookup)):
        return layer.vocabulary_size()
    if isinstance(layer, layers.CategoryEncoding):
        return layer.num_tokens
    if isinstance(layer, layers.Discretization):
        return len(layer.bin_boundaries) + 1 if layer.bin_boundaries is not None else \
            layer.num_bins
    if isinstance(layer, (layers.HashedCrossing, layers.Hashing)):
        return layer.num_bins
    raise ValueError(
        f"Feature '{name}' has `output_mode='one_hot'`. However it isn't a standard feature "
        "and the dimensionality of its output space is not known, thus it cannot be one-hot "
        "encoded. Try using `output_mode='int'`.")


# `kerasx.saving.load_model` finds `keras.utils.FeatureSpace` of a config here (see
# feature_space_registry)
if get_custom_objects().get("FeatureSpace") is FeatureSpaceLoader:
    get_custom_objects()["FeatureSpace"] = FeatureSpace
