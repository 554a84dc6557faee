import numpy as np
import pytest

from kerasx.backends import host


@pytest.mark.parametrize("where", [(0, 0), (700, 13), (1023, 255)])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nonfinite_found_in_any_block_of_rows(where, bad, monkeypatch):
    monkeypatch.setattr(host, "_FINITE_BLOCK_ELEMENTS", 1000)  # ~4 rows per block
    x = np.ones((1024, 256), dtype="float32")
    assert not host.has_nonfinite(x)
    x[where] = bad
    assert host.has_nonfinite(x)
    assert host.has_nonfinite(x.T)  # strided rows
    assert host.first_nonfinite(x) == where


def test_nonfinite_rows_wider_than_a_block_and_edge_shapes(monkeypatch):
    monkeypatch.setattr(host, "_FINITE_BLOCK_ELEMENTS", 16)
    x = np.zeros((5, 40), dtype="float64")
    assert not host.has_nonfinite(x)
    x[4, 39] = np.nan
    assert host.has_nonfinite(x)
    assert not host.has_nonfinite(np.zeros((0, 40), "float32"))
    assert host.has_nonfinite(np.array(np.inf))
    assert not host.has_nonfinite(np.arange(100))  # integers hold no NaN
