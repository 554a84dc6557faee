"""`kerasx.utils.FeatureSpace` on first use, and the stand-in that lets
`kerasx.saving.load_model` rebuild a saved FeatureSpace (a config naming
`keras.utils.FeatureSpace`) before then.

`FeatureSpace` imports the layers, which import `kerasx.utils`, so the class is
defined on first use; until then the registry of serializable objects holds
`FeatureSpaceLoader`, which imports it when a config needs it.
"""

from kerasx.saving.serialization import get_custom_objects


def feature_space_class():
    """The `FeatureSpace` class (its module is imported on the first call)."""
    from kerasx.utils.feature_space import FeatureSpace

    return FeatureSpace


class FeatureSpaceLoader:
    """Rebuilds a `FeatureSpace` from its config."""

    @staticmethod
    def from_config(config):
        return feature_space_class().from_config(config)


get_custom_objects().setdefault("FeatureSpace", FeatureSpaceLoader)
