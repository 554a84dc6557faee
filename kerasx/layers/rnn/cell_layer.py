"""`CellLayer`: what SimpleRNN, LSTM and GRU share around their one built-in cell."""

__all__ = []

from kerasx import regularizers
from kerasx.layers.layer import Layer
from kerasx.layers.rnn import _cells
from kerasx.layers.rnn.rnn import RNN


class CellLayer(RNN):
    """An `RNN` around one built-in cell whose arguments read as the layer's own
    (`LSTM(8).units`) and whose config is flat, as Keras writes it.

    Subclasses build their cell, call `super().__init__`, then `_finish_init`, and
    give the cell's config keys in `_cell_config`.
    """

    def _finish_init(self, activity_regularizer, use_cudnn=None):
        if use_cudnn is not None:
            if use_cudnn not in ("auto", True, False):
                raise ValueError(f"{type(self).__name__}: use_cudnn must be 'auto', True or "
                                 f"False, received {use_cudnn!r}.")
            self.use_cudnn = use_cudnn
        self.activity_regularizer = regularizers.get(activity_regularizer)

    def __getattr__(self, name):
        return _cells.cell_attribute(self, name)

    def _cell_config(self):
        raise NotImplementedError

    def get_config(self):
        return {**Layer.get_config(self), **self._rnn_config(), **self._cell_config(),
                "activity_regularizer": _cells.serialize(self.activity_regularizer)}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)
