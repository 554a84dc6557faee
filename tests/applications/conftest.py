"""Fixtures of the application tests: Keras's recorded architectures and a stand-in
for the weights download."""

import gzip
import json
import os

import pytest

FIXTURES = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "interop",
                        "fixtures", "applications")


def fixture_path(name):
    return os.path.join(FIXTURES, name)


@pytest.fixture(scope="session")
def keras_architectures():
    with gzip.open(fixture_path("architectures.json.gz")) as f:
        return json.load(f)["cases"]


@pytest.fixture
def weight_requests(monkeypatch):
    """Records the `get_file` calls of `weights="imagenet"` and loads nothing."""
    from kerasx.applications import _builder

    calls = []

    def fake_get_file(fname=None, origin=None, cache_subdir="datasets", file_hash=None,
                      **kwargs):
        calls.append({"fname": fname, "origin": origin, "cache_subdir": cache_subdir,
                      "file_hash": file_hash})
        return "/nonexistent/weights.h5"

    monkeypatch.setattr(_builder, "get_file", fake_get_file)
    monkeypatch.setattr(_builder, "load_weights", lambda model, path: None)
    return calls


@pytest.fixture(autouse=True, scope="module")
def _single_thread_blas():
    """The builds run many tiny convolutions (the shape probes of the functional API),
    for which a BLAS thread pool only adds contention on a busy machine."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
