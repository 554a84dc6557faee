"""The `keras.config` switches: traceback filtering, flash attention and NNX (Keras
3.15.1's values), and `set_backend` switching the backend of new work at run time."""

import os

import numpy as np
import pytest

import kerasx
from kerasx import backends


@pytest.fixture
def restore_flags():
    yield
    kerasx.config.enable_traceback_filtering()
    kerasx.config.enable_flash_attention()


def test_traceback_filtering_flag(restore_flags):
    assert kerasx.config.is_traceback_filtering_enabled() is True
    kerasx.config.disable_traceback_filtering()
    assert kerasx.config.is_traceback_filtering_enabled() is False
    kerasx.config.enable_traceback_filtering()
    assert kerasx.config.is_traceback_filtering_enabled() is True


def test_flash_attention_flag_has_keras_values(restore_flags):
    # Keras 3.15.1: None (use where it applies) by default and after enabling, False
    # after disabling.
    assert kerasx.config.is_flash_attention_enabled() is None
    kerasx.config.disable_flash_attention()
    assert kerasx.config.is_flash_attention_enabled() is False
    kerasx.config.enable_flash_attention()
    assert kerasx.config.is_flash_attention_enabled() is None


def test_attention_gives_the_same_result_with_flash_attention_disabled(restore_flags):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 5, 8)).astype("float32")
    layer = kerasx.layers.MultiHeadAttention(num_heads=2, key_dim=4)
    before = kerasx.ops.convert_to_numpy(layer(x, x))
    kerasx.config.disable_flash_attention()
    after = kerasx.ops.convert_to_numpy(layer(x, x))
    np.testing.assert_array_equal(before, after)


def test_nnx_is_off():
    assert kerasx.config.is_nnx_enabled() is False


@pytest.fixture
def original_backend(monkeypatch):
    original = backends.current().name
    monkeypatch.setenv("KERASX_BACKEND", os.environ.get("KERASX_BACKEND", original))
    yield original
    backends.set_backend(original)


def test_set_backend_switches_new_work(original_backend):
    other = "numpy" if original_backend == "array_api_strict" else "array_api_strict"
    before = kerasx.layers.Dense(2)
    before.build((None, 3))
    kerasx.config.set_backend(other)
    assert kerasx.config.backend() == other == os.environ["KERASX_BACKEND"]
    after = kerasx.layers.Dense(2)
    after.build((None, 3))
    assert backends.current().is_native(after.kernel.value)
    # what existed before the switch keeps its arrays (nothing is converted)
    assert not backends.current().is_native(before.kernel.value)
    kerasx.config.set_backend("strict" if original_backend == "array_api_strict"
                              else original_backend)
    assert kerasx.config.backend() == original_backend
    assert backends.current().is_native(before.kernel.value)


def test_set_backend_refuses_a_backend_kerasx_does_not_have(original_backend):
    with pytest.raises(ValueError, match="(?s)'jax'.*array_api_strict.*not part of kerasx"):
        kerasx.config.set_backend("jax")
    assert kerasx.config.backend() == original_backend
    assert os.environ["KERASX_BACKEND"] != "jax"


def test_clear_session_restores_the_keras_defaults(restore_flags):
    kerasx.config.disable_traceback_filtering()
    kerasx.config.disable_flash_attention()
    kerasx.utils.clear_session()
    assert kerasx.config.is_traceback_filtering_enabled() is True
    assert kerasx.config.is_flash_attention_enabled() is None
