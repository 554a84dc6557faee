"""`kerasx.legacy`: what Keras 3 keeps of Keras 2 (`legacy.saving`)."""

from kerasx.legacy import saving

__all__ = ["saving"]
