"""Utilities: seeding, label encoding, normalization, data containers, progress and plots."""

from kerasx.utils.atomic import atomic_write
from kerasx.utils.numerics import normalize, to_categorical
from kerasx.utils.plot import plot_history
from kerasx.utils.progbar import Progbar
from kerasx.utils.py_dataset import PyDataset, Sequence
from kerasx.utils.seeding import clear_session, set_random_seed

__all__ = ["Progbar", "PyDataset", "Sequence", "atomic_write", "clear_session", "normalize",
           "plot_history", "set_random_seed", "to_categorical"]
