"""Models: `Model`, `Sequential`, functional models, and loading saved ones."""

from kerasx.models.functional import Functional
from kerasx.models.model import Model
from kerasx.models.sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved with `model.save` (a `.keras` file)."""
    from kerasx.saving.saving_api import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def clone_model(model):
    """A new model with the same architecture and freshly initialized weights."""
    from kerasx.saving.serialization import deserialize_keras_object, serialize_keras_object

    return deserialize_keras_object(serialize_keras_object(model))
