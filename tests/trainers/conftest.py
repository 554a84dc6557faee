"""Fixtures shared by the trainer tests."""

import pytest


@pytest.fixture
def two_blas_threads():
    """The bundled BLAS at two threads for one test (steps are split or owned only
    there); nothing where its thread count cannot be set."""
    from kerasx.backends.numpy_blas import threads

    control = threads()
    if control is None:
        yield
        return
    before = control.get()
    control.set(2)
    yield
    control.set(before)
