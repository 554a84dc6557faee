"""Utilities: seeding, label encoding, sequence padding, time-series windows, normalization,
data containers, progress and plots; the serialization helpers under their `keras.utils`
names."""

from kerasx.saving.serialization import (CustomObjectScope, custom_object_scope,
                                         deserialize_keras_object, get_custom_objects,
                                         get_registered_name, get_registered_object,
                                         register_keras_serializable, serialize_keras_object)
from kerasx.utils.atomic import atomic_write
from kerasx.utils.config_dict import Config
from kerasx.utils.data_tuples import pack_x_y_sample_weight, unpack_x_y_sample_weight
from kerasx.utils.file_download import get_file
from kerasx.utils.messages import (disable_interactive_logging, enable_interactive_logging,
                                   is_interactive_logging_enabled)
from kerasx.utils.numerics import normalize, to_categorical
from kerasx.utils.plot import plot_history
from kerasx.utils.model_plot import model_to_dot, plot_model
from kerasx.utils.progbar import Progbar
from kerasx.utils.py_dataset import PyDataset, Sequence
from kerasx.utils.seeding import clear_session, set_random_seed
from kerasx.utils.sequences import pad_sequences
from kerasx.utils.source_inputs import get_source_inputs
from kerasx.utils.split_dataset import split_dataset
from kerasx.utils.timeseries import timeseries_dataset_from_array
from kerasx.utils.audio_dataset import audio_dataset_from_directory
from kerasx.utils.image_dataset import image_dataset_from_directory
from kerasx.utils.image_utils import array_to_img, img_to_array, load_img, save_img
from kerasx.utils.text_dataset import text_dataset_from_directory
from kerasx.utils import feature_space_registry
from kerasx.utils import bounding_boxes

__all__ = ["Config", "CustomObjectScope", "Progbar", "PyDataset", "Sequence", "atomic_write",
           "clear_session", "custom_object_scope", "deserialize_keras_object",
           "disable_interactive_logging", "enable_interactive_logging", "get_custom_objects",
           "get_file", "get_registered_name", "get_registered_object", "get_source_inputs",
           "is_interactive_logging_enabled", "is_keras_tensor", "normalize",
           "pack_x_y_sample_weight", "pad_sequences", "plot_history", "model_to_dot", "plot_model",
           "register_keras_serializable", "serialize_keras_object", "set_random_seed",
           "split_dataset", "standardize_dtype", "timeseries_dataset_from_array", "to_categorical",
           "unpack_x_y_sample_weight"]
__all__ += ["FeatureSpace"]
__all__ += ["array_to_img", "audio_dataset_from_directory", "image_dataset_from_directory",
            "img_to_array", "load_img", "save_img", "text_dataset_from_directory"]
__all__ += ["bounding_boxes"]
from kerasx.utils import legacy  # noqa: E402  (keras.utils.legacy: Keras 2 style configs)
__all__ += ["legacy"]


def __getattr__(name):
    if name == "FeatureSpace":  # it imports the layers, which import this package
        return feature_space_registry.feature_space_class()
    # `keras.utils` re-exports these two `keras.backend` functions; kerasx.backend
    # imports this package, so they are looked up on first use.
    if name in ("is_keras_tensor", "standardize_dtype"):
        from kerasx import backend

        return getattr(backend, name)
    raise AttributeError(f"module 'kerasx.utils' has no attribute {name!r}")
