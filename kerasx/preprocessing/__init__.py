"""`keras.preprocessing`: the dataset-from-directory and time-series utilities, and the
`image` and `sequence` helpers, under their Keras 3 names."""

from kerasx.preprocessing import image, sequence
from kerasx.utils.image_dataset import image_dataset_from_directory
from kerasx.utils.text_dataset import text_dataset_from_directory
from kerasx.utils.timeseries import timeseries_dataset_from_array

__all__ = ["image", "image_dataset_from_directory", "sequence", "text_dataset_from_directory",
           "timeseries_dataset_from_array"]
