"""Utilities: seeding, label encoding, normalization, data containers."""

from kerasx.utils.numerics import normalize, to_categorical
from kerasx.utils.seeding import clear_session, set_random_seed

__all__ = ["clear_session", "normalize", "set_random_seed", "to_categorical"]
