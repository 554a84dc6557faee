"""`StackedRNNCells`: a stack of recurrent cells that behaves as one cell."""

__all__ = ["StackedRNNCells"]

from kerasx import ops
from kerasx.layers._call_arguments import _call_signature
from kerasx.layers.layer import Layer


class StackedRNNCells(Layer):
    """Wrapper allowing a stack of RNN cells to behave as a single cell.

    At each timestep the first cell reads the input, each next cell reads the
    output of the cell before it, and the output of the last cell is the
    output of the stack. `RNN([cell_1, cell_2, ...])` wraps its list in this
    class.

    The states of the stack are the states of each cell, cell by cell:
    `RNN(StackedRNNCells([LSTMCell(4), GRUCell(2)]), return_state=True)`
    returns `[output, h_1, c_1, h_2]`, and its `initial_state` is given in
    the same order. The weights are those of each cell, in cell order (as in
    Keras, so weight files move between the two unchanged).

    Args:
        cells: list of RNN cell instances (each with a `call(inputs, states)`
            method and a `state_size` attribute).

    Example:

    ```python
    cells = [keras.layers.LSTMCell(16), keras.layers.LSTMCell(16)]
    layer = keras.layers.RNN(keras.layers.StackedRNNCells(cells))
    y = layer(x)  # x: (batch, timesteps, features) -> y: (batch, 16)
    ```

    Call arguments:
        inputs: one timestep, `(batch, features)`.
        states: the states of every cell, either one flat list in cell order or
            one entry per cell (a tensor, or a list of tensors).
        training: passed to the cells that take it (dropout).

    Returns `(output, new_states)`, the new states in the structure of `states`.
    """

    def __init__(self, cells, **kwargs):
        if not isinstance(cells, (list, tuple)) or not cells:
            raise ValueError(
                "StackedRNNCells expects a non-empty list of RNN cells, received "
                f"cells={cells!r}. Pass e.g. [keras.layers.LSTMCell(8), keras.layers.LSTMCell(8)].")
        for cell in cells:
            if not callable(getattr(cell, "call", None)):
                raise ValueError(
                    "StackedRNNCells: every cell must have a `call` method; received "
                    f"{cell!r} without one.")
            if getattr(cell, "state_size", None) is None:
                raise ValueError(
                    "StackedRNNCells: every cell must have a `state_size` attribute (an integer "
                    f"or a list of integers); received {cell!r} without one.")
        super().__init__(**kwargs)
        self.cells = list(cells)

    @property
    def state_size(self):
        """One entry per cell: the cell's own `state_size`."""
        return [cell.state_size for cell in self.cells]

    @property
    def output_size(self):
        return _output_size(self.cells[-1])

    def _state_counts(self):
        """How many state tensors each cell has."""
        return [1 if isinstance(c.state_size, int) else len(c.state_size) for c in self.cells]

    def get_initial_state(self, batch_size=None):
        """One entry per cell: the cell's `get_initial_state`, or zeros."""
        states = []
        for cell in self.cells:
            fn = getattr(cell, "get_initial_state", None)
            if fn is not None:
                states.append(fn(batch_size=batch_size))
            elif isinstance(cell.state_size, int):
                states.append(ops.zeros((batch_size, cell.state_size), dtype=self.dtype))
            else:
                states.append([ops.zeros((batch_size, n), dtype=self.dtype)
                               for n in cell.state_size])
        return states

    def build(self, input_shape):
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell._build_shape = shape
                cell.build(shape)
                cell.built = True
            shape = (shape[0], _output_size(cell))
        self.built = True

    def call(self, inputs, states, training=False):
        counts = self._state_counts()
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        nested = len(states) == len(self.cells) and any(
            isinstance(s, (list, tuple)) for s in states)
        if nested:
            per_cell = [list(s) if isinstance(s, (list, tuple)) else [s] for s in states]
        else:
            if len(states) != sum(counts):
                raise ValueError(
                    f"StackedRNNCells {self.name!r} expects {sum(counts)} state tensor(s) (per "
                    f"cell: {counts}), received {len(states)}. Pass the states of every cell in "
                    "cell order, or one list of states per cell.")
            starts = [sum(counts[:i]) for i in range(len(counts))]
            per_cell = [states[s:s + n] for s, n in zip(starts, counts)]
        new_states = []
        for cell, cell_states, given in zip(self.cells, per_cell, states):
            kwargs = {}
            if isinstance(cell, Layer) and _call_signature(type(cell))[0]:
                kwargs["training"] = training
            call = cell if callable(cell) else cell.call
            inputs, out_states = call(inputs, cell_states, **kwargs)
            out_states = (list(out_states) if isinstance(out_states, (list, tuple))
                          else [out_states])
            if nested:
                keep_list = isinstance(given, (list, tuple)) or len(out_states) != 1
                new_states.append(out_states if keep_list else out_states[0])
            else:
                new_states.extend(out_states)
        return inputs, new_states

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        return {**super().get_config(),
                "cells": [serialize_keras_object(cell) for cell in self.cells]}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx.saving.serialization import deserialize_keras_object

        config = dict(config)
        cells = [deserialize_keras_object(c, custom_objects=custom_objects)
                 for c in config.pop("cells")]
        return cls(cells, **config)


def _output_size(cell):
    size = getattr(cell, "output_size", None)
    if size is not None:
        return size
    return cell.state_size if isinstance(cell.state_size, int) else cell.state_size[0]
