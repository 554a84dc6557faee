"""Which dtypes the backend under test has."""

from kerasx.backends import current


def has_dtype(name):
    """Whether the current backend has dtype `name` (bfloat16 needs ml_dtypes)."""
    try:
        current().dtype(name)
    except (TypeError, ValueError):
        return False
    return True
