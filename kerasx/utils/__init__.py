"""Utilities: seeding, label encoding, sequence padding, time-series windows, normalization,
data containers, progress and plots; the serialization helpers under their `keras.utils`
names."""

from kerasx.saving.serialization import (CustomObjectScope, custom_object_scope,
                                         deserialize_keras_object, get_custom_objects,
                                         get_registered_name, get_registered_object,
                                         register_keras_serializable, serialize_keras_object)
from kerasx.utils.atomic import atomic_write
from kerasx.utils.data_tuples import pack_x_y_sample_weight, unpack_x_y_sample_weight
from kerasx.utils.messages import (disable_interactive_logging, enable_interactive_logging,
                                   is_interactive_logging_enabled)
from kerasx.utils.numerics import normalize, to_categorical
from kerasx.utils.plot import plot_history
from kerasx.utils.progbar import Progbar
from kerasx.utils.py_dataset import PyDataset, Sequence
from kerasx.utils.seeding import clear_session, set_random_seed
from kerasx.utils.sequences import pad_sequences
from kerasx.utils.timeseries import timeseries_dataset_from_array

__all__ = ["CustomObjectScope", "Progbar", "PyDataset", "Sequence", "atomic_write",
           "clear_session", "custom_object_scope", "deserialize_keras_object",
           "disable_interactive_logging", "enable_interactive_logging", "get_custom_objects",
           "get_registered_name", "get_registered_object", "is_interactive_logging_enabled",
           "normalize", "pack_x_y_sample_weight", "pad_sequences", "plot_history",
           "register_keras_serializable", "serialize_keras_object", "set_random_seed",
           "timeseries_dataset_from_array", "to_categorical", "unpack_x_y_sample_weight"]
