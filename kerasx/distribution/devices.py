"""The devices a distribution may use: `list_devices`, `get_device_count`, `initialize`.

kerasx runs each process on one device: the CPU for the NumPy and
`array_api_strict` backends, the selected GPU for CuPy. Devices are named as
Keras names them, `"<type>:<id>"` (`"cpu:0"`, `"gpu:0"`).
"""

import os

from kerasx.backends import current

DEVICE_TYPES = ("cpu", "gpu", "tpu")
ONE_DEVICE_NOTE = ("kerasx runs each process on one device (the CPU for the NumPy and "
                   "array_api_strict backends, one GPU for CuPy), so a distribution there "
                   "spans exactly that device.")


def _this_device():
    backend = current()
    if backend.name == "cupy":
        return f"gpu:{getattr(backend, 'device_id', 0)}"
    return "cpu:0"


def _checked_type(device_type):
    if device_type is None:
        return None
    if not isinstance(device_type, str) or device_type.lower() not in DEVICE_TYPES:
        raise ValueError(f"`device_type` must be one of {list(DEVICE_TYPES)} or None; received "
                         f"{device_type!r}.")
    return device_type.lower()


def list_devices(device_type=None):
    """The devices of type `device_type` ("cpu", "gpu" or "tpu"; by default the type
    this process computes on) as strings such as `"cpu:0"`. A type this process does
    not compute on has no devices."""
    device_type = _checked_type(device_type)
    device = _this_device()
    if device_type is None or device.startswith(device_type + ":"):
        return [device]
    return []


def get_device_count(device_type=None):
    """The number of devices `list_devices(device_type)` returns (0 or 1 here)."""
    return len(list_devices(device_type))


def initialize(job_addresses=None, num_processes=None, process_id=None):
    """Prepares a multi-process run. kerasx has no communication between processes,
    so the only cluster it can form is this one process: `num_processes` may be None
    or 1 and `process_id` None or 0. The `KERAS_DISTRIBUTION_JOB_ADDRESSES`,
    `KERAS_DISTRIBUTION_NUM_PROCESSES` and `KERAS_DISTRIBUTION_PROCESS_ID`
    environment variables fill in arguments left as None, as in Keras."""
    env = os.environ
    if job_addresses is None:
        job_addresses = env.get("KERAS_DISTRIBUTION_JOB_ADDRESSES")
    if num_processes is None and "KERAS_DISTRIBUTION_NUM_PROCESSES" in env:
        num_processes = int(env["KERAS_DISTRIBUTION_NUM_PROCESSES"])
    if process_id is None and "KERAS_DISTRIBUTION_PROCESS_ID" in env:
        process_id = int(env["KERAS_DISTRIBUTION_PROCESS_ID"])
    if num_processes not in (None, 1) or process_id not in (None, 0):
        raise ValueError(f"initialize: received num_processes={num_processes}, "
                         f"process_id={process_id} (job_addresses={job_addresses!r}). "
                         f"{ONE_DEVICE_NOTE} It cannot join a cluster of several processes; "
                         "run one process with num_processes=1 (or leave it unset), or use "
                         "Keras with the JAX backend for multi-host training.")
