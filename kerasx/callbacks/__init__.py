"""Callbacks: hooks into `fit`, `evaluate` and `predict`."""

from kerasx.callbacks.callback import Callback
from kerasx.callbacks.callback_list import CallbackList
from kerasx.callbacks.history import History
from kerasx.callbacks.progbar_logger import ProgbarLogger
