"""`keras.preprocessing.sequence`: `pad_sequences`."""

from kerasx.utils.sequences import pad_sequences

__all__ = ["pad_sequences"]
