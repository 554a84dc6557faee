"""Test setup: the backend comes from KERASX_BACKEND (CI runs the suite once per backend)."""

import os

import numpy as np
import pytest

import kerasx
from kerasx.backends import current

CPU_BACKENDS = ("numpy", "array_api_strict")


def pytest_report_header(config):
    return f"kerasx backend: {os.environ.get('KERASX_BACKEND', 'numpy')}"


@pytest.fixture(autouse=True)
def _fresh_state():
    """Every test starts with the same seed, fresh layer names and float32."""
    kerasx.utils.set_random_seed(1337)
    kerasx.utils.clear_session(free_memory=False)
    kerasx.config.set_floatx("float32")
    yield
    kerasx.config.set_floatx("float32")
    kerasx.config.set_layer_fusion(True)


@pytest.fixture
def backend():
    return current()


def to_numpy(x):
    """A Tensor, Variable or backend array as a NumPy array."""
    value = getattr(x, "value", x)
    return current().to_numpy(value)


@pytest.fixture(scope="session")
def digits():
    """scikit-learn's handwritten digits: (x_train, y_train, x_test, y_test), 80/20 split."""
    from sklearn.datasets import load_digits

    data = load_digits()
    x = (data.data / 16.0).astype(np.float32)
    y = data.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    split = int(0.8 * len(x))
    return x[:split], y[:split], x[split:], y[split:]
