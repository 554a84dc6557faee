"""Callbacks: hooks into `fit`, `evaluate` and `predict`."""

from kerasx.callbacks.backup_and_restore import BackupAndRestore
from kerasx.callbacks.callback import Callback
from kerasx.callbacks.callback_list import CallbackList
from kerasx.callbacks.csv_logger import CSVLogger
from kerasx.callbacks.early_stopping import EarlyStopping
from kerasx.callbacks.history import History
from kerasx.callbacks.lambda_callback import LambdaCallback
from kerasx.callbacks.learning_rate_scheduler import LearningRateScheduler
from kerasx.callbacks.model_checkpoint import ModelCheckpoint
from kerasx.callbacks.monitor_callback import MonitorCallback
from kerasx.callbacks.orbax_checkpoint import OrbaxCheckpoint
from kerasx.callbacks.progbar_logger import ProgbarLogger
from kerasx.callbacks.reduce_lr_on_plateau import ReduceLROnPlateau
from kerasx.callbacks.remote_monitor import RemoteMonitor
from kerasx.callbacks.swap_ema_weights import SwapEMAWeights
from kerasx.callbacks.tensorboard import TensorBoard
from kerasx.callbacks.terminate_on_nan import TerminateOnNaN

__all__ = ["BackupAndRestore", "CSVLogger", "Callback", "CallbackList", "EarlyStopping", "History",
           "LambdaCallback", "LearningRateScheduler", "ModelCheckpoint", "MonitorCallback",
           "OrbaxCheckpoint", "ProgbarLogger", "ReduceLROnPlateau", "RemoteMonitor",
           "SwapEMAWeights", "TensorBoard",
           "TerminateOnNaN"]
