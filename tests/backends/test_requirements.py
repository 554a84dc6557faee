import numpy as np
import pytest

from kerasx.backends.requirements import check_numpy_version


@pytest.mark.parametrize("version", ["1.26.4", "1.21.0"])
def test_numpy_1_is_refused_with_the_reason_and_the_fix(version):
    with pytest.raises(ImportError, match=rf"NumPy 2.0 or newer, but NumPy {version}.*float64"
                                          r".*pip install -U 'numpy>=2'"):
        check_numpy_version(version)


@pytest.mark.parametrize("version", ["2.0.0", "2.0.2", "2.5.0rc1", "3.0.0.dev0+git123"])
def test_numpy_2_and_later_are_accepted(version):
    check_numpy_version(version)


def test_installed_numpy_keeps_float32_scalars_float32():
    # the NEP 50 rule kerasx depends on (NumPy 1.x gives float64 here)
    assert (np.ones(3, np.float32).sum() * 0.1).dtype == np.float32
