"""Models: `Model`, `Sequential`, functional models, and loading saved ones."""

from kerasx.models.cloning import clone_model
from kerasx.models.functional import Functional
from kerasx.models.model import Model
from kerasx.models.sequential import Sequential

__all__ = ["Functional", "Model", "Sequential", "clone_model", "load_model", "model_from_json",
           "save_model"]


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Loads a model saved with `model.save` (a `.keras` file)."""
    from kerasx.saving.saving_api import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def save_model(model, filepath, overwrite=True, **kwargs):
    """Saves `model` to a `.keras` file, as `model.save(filepath)`."""
    from kerasx.saving.saving_api import save_model as _save

    return _save(model, filepath, overwrite=overwrite, **kwargs)


def model_from_json(json_string, custom_objects=None):
    """A model (new weights) from the architecture `model.to_json()` wrote (Keras 3's,
    or Keras 2's: `tf.keras`)."""
    import json

    from kerasx.saving.serialization import deserialize_keras_object

    try:
        config = json.loads(json_string)
    except json.JSONDecodeError as e:  # Keras's type, with what to pass
        raise json.JSONDecodeError("model_from_json expects the string `model.to_json()` "
                                   f"returns; it could not be read as JSON: {e.msg}", e.doc,
                                   e.pos) from None
    except (TypeError, ValueError) as e:
        raise ValueError(f"model_from_json expects the string `model.to_json()` returns; "
                         f"it could not be read as JSON ({e}).") from None
    if isinstance(config, dict) and str(config.get("keras_version", "")).startswith("2."):
        from kerasx.saving.legacy_h5_model import model_from_legacy_config

        return model_from_legacy_config(config, custom_objects)  # Keras 2's `to_json()`
    return deserialize_keras_object(config, custom_objects=custom_objects)
