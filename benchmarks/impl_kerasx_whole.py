"""The workloads in kerasx with whole steps (`KERASX_SPLIT_STEPS=0`): recorded and
replayed as by default, but never split in two halves of the batch run on two threads
(`kerasx.trainers.split_step`); the BLAS's own threads run each large product."""

import os

os.environ["KERASX_SPLIT_STEPS"] = "0"

from benchmarks.impl_kerasx import build, predict, setup, to_device, train  # noqa: E402

__all__ = ["build", "predict", "setup", "to_device", "train"]
