"""The workloads in kerasx with replayed steps on threads of kerasx's own
(`KERASX_OWN_THREADS=1`): the BLAS at one thread, large products and optimizer
updates split in halves over this thread and a worker (`kerasx.backends.numpy_threads`);
steps split in halves of the batch run as by default."""

import os

os.environ["KERASX_OWN_THREADS"] = "1"

from benchmarks.impl_kerasx import build, predict, setup, to_device, train  # noqa: E402

__all__ = ["build", "predict", "setup", "to_device", "train"]
