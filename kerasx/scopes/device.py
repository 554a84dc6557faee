"""`device`: Keras's device placement context on kerasx's one device per process."""

import contextlib

from kerasx.distribution.devices import DEVICE_TYPES, ONE_DEVICE_NOTE, list_devices


@contextlib.contextmanager
def device(device_name):
    """A context in which ops run on `device_name` ("cpu:0", "gpu:0", or a type
    alone, "cpu"). kerasx computes on one device per process, so the name must be
    that device (`keras.distribution.list_devices()`); the context then changes
    nothing. Any other device is a `ValueError`."""
    if not isinstance(device_name, str):
        raise ValueError(f"Invalid value for argument `device_name`. Expected a string like "
                         f"'gpu:0'. Received: device_name='{device_name}'")
    name = device_name.lower()
    kind, _, index = name.partition(":")
    if kind == "cuda":
        kind = "gpu"
    if kind not in DEVICE_TYPES or (index and not index.isdigit()):
        raise ValueError(f"Invalid device name {device_name!r}: expected "
                         f"'<type>:<index>' with type one of {list(DEVICE_TYPES)}, such as "
                         "'cpu:0' or 'gpu:0'.")
    available = list_devices(kind)
    wanted = f"{kind}:{index or 0}"
    if wanted not in available:
        raise ValueError(f"Device not found: {device_name}. This process computes on "
                         f"{list_devices()}. {ONE_DEVICE_NOTE}")
    yield
