"""The `keras.config` switches that are not numerics: traceback filtering, flash
attention, NNX, and switching the backend at run time."""

import os

_FLAGS = {"traceback_filtering": True, "flash_attention": None}


def enable_traceback_filtering():
    """Turns traceback filtering on (the default).

    Keras hides its own frames from the tracebacks of errors raised inside it.
    kerasx keeps this switch so that code written for Keras runs unchanged, but
    does not rewrite tracebacks: its errors are raised where the problem is
    found and say what was received, what was expected and how to fix it. As in
    Keras, an error raised inside a layer's `call` gets the call's context (the
    layer class and the arguments received) only while this is on.
    """
    _FLAGS["traceback_filtering"] = True


def disable_traceback_filtering():
    """Turns traceback filtering off (see `enable_traceback_filtering`)."""
    _FLAGS["traceback_filtering"] = False


def is_traceback_filtering_enabled():
    """Whether traceback filtering is on (True unless `disable_traceback_filtering`
    was called)."""
    return _FLAGS["traceback_filtering"]


def enable_flash_attention():
    """Lets attention layers use a flash-attention kernel where one applies (the default).

    kerasx has no flash-attention kernel: attention always computes the full
    score matrix, so this switch changes no result. It is kept, with Keras's
    values, for code that sets or reads it.
    """
    _FLAGS["flash_attention"] = None


def disable_flash_attention():
    """Forbids flash-attention kernels (see `enable_flash_attention`)."""
    _FLAGS["flash_attention"] = False


def is_flash_attention_enabled():
    """`False` after `disable_flash_attention()`, else None, as in Keras: None means
    "use it where it applies", and kerasx has no kernel it would apply to."""
    return _FLAGS["flash_attention"]


def is_nnx_enabled():
    """False: NNX is a feature of Keras's JAX backend, which kerasx does not have."""
    return False


def set_backend(backend):
    """Makes `backend` (`"numpy"`, `"cupy"`, `"array_api_strict"`) the backend of
    everything created and run from now on.

    Keras reloads its modules for this; kerasx's backends are objects chosen at
    run time, so no module is reloaded and imported names stay valid. The
    environment variable `KERASX_BACKEND` is set too, so that subprocesses
    start on the same backend.

    Nothing that exists already is converted: tensors, variables and built
    layers or models keep the arrays of the backend they were made on, and
    using them together with new work fails or silently moves data. Build
    models after switching (or save a model and load it again, which
    recreates its weights on the new backend). To run a block on another
    backend and come back, use `kerasx.backends.use_backend(name)`.
    """
    from kerasx import backends

    key = backends._ALIASES.get(backend, backend)
    if key not in backends.available_backends():
        raise ValueError(
            f"Unknown backend {backend!r}. kerasx's backends are "
            f"{backends.available_backends()} (Keras's tensorflow, jax, torch and openvino "
            "backends are not part of kerasx)."
        )
    backends.set_backend(key)
    os.environ["KERASX_BACKEND"] = key


def reset_flags():
    """Traceback filtering on and flash attention back to None, as Keras's
    `clear_session()` leaves them."""
    _FLAGS.update(traceback_filtering=True, flash_attention=None)
