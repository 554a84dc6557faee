"""The feature kinds of `FeatureSpace`: the class methods that make a `Feature` (a
preprocessing layer for one column) or a `Cross`."""

from kerasx import layers
from kerasx.utils.feature_space_specs import Cross, Feature
from kerasx.utils.naming import uniquify


class FeatureKinds:
    """The class methods of `FeatureSpace` that describe features and crosses; each
    preprocessing layer is named `<name>_preprocessor`."""

    @classmethod
    def cross(cls, feature_names, crossing_dim, output_mode="one_hot"):
        """A cross of the features `feature_names`, hashed into `crossing_dim` bins."""
        return Cross(feature_names, crossing_dim, output_mode=output_mode)

    @classmethod
    def feature(cls, dtype, preprocessor, output_mode):
        """A feature with a preprocessing layer of your own (e.g. `TextVectorization`)."""
        return Feature(dtype, preprocessor, output_mode)

    @classmethod
    def float(cls, name=None):
        """Float values as they are."""
        name = name or uniquify("float")
        return Feature("float32", layers.Identity(name=f"{name}_preprocessor"), "float")

    @classmethod
    def float_rescaled(cls, scale=1.0, offset=0.0, name=None):
        """Float values mapped to `value * scale + offset` (a `Rescaling` layer)."""
        name = name or uniquify("float_rescaled")
        layer = layers.Rescaling(scale=scale, offset=offset, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_normalized(cls, name=None):
        """Float values standardized with the mean and variance `adapt` learns."""
        name = name or uniquify("float_normalized")
        layer = layers.Normalization(axis=-1, name=f"{name}_preprocessor")
        return Feature("float32", layer, "float")

    @classmethod
    def float_discretized(cls, num_bins, bin_boundaries=None, output_mode="one_hot", name=None):
        """Float values bucketed into `num_bins` bins of equal count learned by
        `adapt`, or by the given `bin_boundaries` (then `len(bin_boundaries) + 1`
        bins, and `num_bins` may be None)."""
        name = name or uniquify("float_discretized")
        if bin_boundaries is not None:
            if num_bins is not None and num_bins != len(bin_boundaries) + 1:
                raise ValueError(
                    f"float_discretized: {len(bin_boundaries)} bin_boundaries make "
                    f"{len(bin_boundaries) + 1} bins, but num_bins={num_bins}. Pass "
                    "num_bins=None (or the matching count) with bin_boundaries.")
            num_bins = None
        layer = layers.Discretization(num_bins=num_bins, bin_boundaries=bin_boundaries,
                                         name=f"{name}_preprocessor")
        return Feature("float32", layer, output_mode)

    @classmethod
    def integer_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                            name=None):
        """Integer categories indexed by a vocabulary `adapt` learns (`IntegerLookup`)."""
        name = name or uniquify("integer_categorical")
        layer = layers.IntegerLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                        num_oov_indices=num_oov_indices)
        return Feature("int32", layer, output_mode)

    @classmethod
    def string_categorical(cls, max_tokens=None, num_oov_indices=1, output_mode="one_hot",
                           name=None):
        """String categories indexed by a vocabulary `adapt` learns (`StringLookup`)."""
        name = name or uniquify("string_categorical")
        layer = layers.StringLookup(name=f"{name}_preprocessor", max_tokens=max_tokens,
                                       num_oov_indices=num_oov_indices)
        return Feature("string", layer, output_mode)

    @classmethod
    def string_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """Strings hashed into `num_bins` bins (`Hashing`)."""
        name = name or uniquify("string_hashed")
        layer = layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature("string", layer, output_mode)

    @classmethod
    def integer_hashed(cls, num_bins, output_mode="one_hot", name=None):
        """Integers hashed into `num_bins` bins (`Hashing`)."""
        name = name or uniquify("integer_hashed")
        layer = layers.Hashing(name=f"{name}_preprocessor", num_bins=num_bins)
        return Feature("int32", layer, output_mode)
