"""Test setup: the backend comes from KERASX_BACKEND (CI runs the suite once per backend)."""

import gc
import os

import numpy as np
import pytest

import kerasx
from kerasx.backends import current

CPU_BACKENDS = ("numpy", "array_api_strict")


def pytest_report_header(config):
    return f"kerasx backend: {os.environ.get('KERASX_BACKEND', 'numpy')}"


_BLAS_LIMIT = []


def pytest_configure(config):
    """Under pytest-xdist, each worker's BLAS gets its share of the cores. Every worker
    would otherwise start one BLAS thread per core, and OpenBLAS's waiting threads spin:
    with more threads than cores, a product of 4,096 x 9 by 4,096 x 32 took 263 ms on
    two threads against 0.13 ms on one. (Tests of threading set their counts themselves.)"""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    if workers > 1:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            return
        share = max(1, (os.cpu_count() or 1) // workers)
        _BLAS_LIMIT.append(threadpool_limits(limits=share, user_api="blas"))


def pytest_collection_finish(session):
    """Collecting the suite leaves about 600,000 long-lived objects (modules, cases, test
    items) that every full garbage collection would walk again: `clear_session()` calls
    and the interpreter's own full collections took about 0.5 s more each. Freezing them
    once, after a collection, keeps later collections to what the tests create."""
    gc.collect()
    gc.freeze()


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
