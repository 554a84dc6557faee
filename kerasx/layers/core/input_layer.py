"""`Input` and `InputLayer`: the symbolic inputs of a model.

`Input(shape)` makes an `InputLayer` and returns its output, a `KerasTensor`; calling
layers on it records the graph that `kerasx.Model(inputs, outputs)` replays.
"""

__all__ = ["Input", "InputLayer"]

import warnings

from kerasx.layers.core._call_node import CallNode
from kerasx.layers.core.keras_tensor import KerasTensor, _refuse_ragged, _standard_dtype
from kerasx.layers.layer import Layer
from kerasx.utils.shape_args import standardize_shape


class InputLayer(Layer):
    """The layer behind `Input`: it holds the expected shape and dtype of the data.

    Args:
        shape: the shape of one sample (without the batch axis).
        batch_size: a fixed batch size, or None.
        dtype: the data type (default `floatx()`).
        sparse: whether the data are sparse matrices.
        batch_shape: the full shape with the batch axis, instead of `shape`.
        name: the layer's name, also its output tensor's (an unnamed Input's tensor is
            `keras_tensor`, `keras_tensor_1`, ..., as in Keras).
        input_tensor: a `KerasTensor` to use as the layer's output (its shape, dtype and
            sparsity; `shape`, `batch_size`, ... given as well must agree with it).
        optional: whether the model accepts None for this input.
    """

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None,
                 name=None, input_tensor=None, optional=False, ragged=False, **kwargs):
        if "input_shape" in kwargs and shape is None:
            warnings.warn("Argument `input_shape` is deprecated. Use `shape` instead.",
                          stacklevel=2)
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs and batch_shape is None:
            batch_shape = kwargs.pop("batch_input_shape")
        if input_tensor is not None:
            batch_shape, dtype, sparse = _from_input_tensor(input_tensor, shape, batch_size,
                                                            batch_shape, dtype, sparse)
            shape = None
        if ragged:
            _refuse_ragged(ragged, "InputLayer")
        super().__init__(name=name, **kwargs)
        from kerasx.config import floatx

        if shape is not None and batch_shape is not None:
            raise ValueError(
                "You cannot pass both `shape` and `batch_shape` at the same time; received "
                f"shape={shape} and batch_shape={batch_shape}. `shape` excludes the batch axis, "
                "`batch_shape` includes it.")
        if batch_size is not None and batch_shape is not None and input_tensor is None:
            raise ValueError(
                "You cannot pass both `batch_size` and `batch_shape` at the same time; received "
                f"batch_size={batch_size} and batch_shape={batch_shape}. Put the batch size in "
                "`batch_shape` or pass `shape` with `batch_size`.")
        if batch_shape is None:
            if shape is None:
                raise ValueError(
                    "You must pass a `shape` argument: Input needs `shape` (the shape of one "
                    "sample, e.g. shape=(784,)) or `batch_shape` (the shape with the batch "
                    "axis); received neither."
                )
            batch_shape = (batch_size,) + standardize_shape(shape)
        self.batch_shape = standardize_shape(batch_shape)
        self.dtype = _dtype_str(dtype) if dtype is not None else floatx()
        self.sparse = bool(sparse)
        self.optional = bool(optional)
        self._batch_input_shape = self.batch_shape
        self.built = True
        self.ragged = False
        tensor = input_tensor if input_tensor is not None else KerasTensor(
            self.batch_shape, self.dtype, self.sparse, name=name)
        tensor.node = CallNode(self, [], (), {}, tensor, is_input=True)

    def call(self, inputs=None):
        return inputs

    @property
    def compute_dtype(self):
        """The dtype policy's compute dtype, as in Keras (the data keep `dtype`)."""
        return self._dtype_policy.compute_dtype

    @property
    def variable_dtype(self):
        """The dtype policy's variable dtype, as in Keras (the data keep `dtype`)."""
        return self._dtype_policy.variable_dtype

    def compute_output_shape(self, input_shape):
        return self.batch_shape

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype,
                "sparse": self.sparse, "ragged": False, "name": self.name,
                "optional": self.optional}


def _from_input_tensor(tensor, shape, batch_size, batch_shape, dtype, sparse):
    """`(batch_shape, dtype, sparse)` of `InputLayer(input_tensor=tensor)`, checking the
    other arguments given agree with the tensor (Keras's rules and messages)."""
    if not isinstance(tensor, KerasTensor):
        shown = (f"an array of shape {tuple(tensor.shape)}" if hasattr(tensor, "shape")
                 else repr(tensor))  # not a whole array's values
        raise ValueError(
            "Argument `input_tensor` must be a KerasTensor. Received invalid type: "
            f"input_tensor={shown} (of type {type(tensor)}). Pass the tensor of an "
            "`Input(...)` or a `KerasTensor(shape, dtype)`.")
    checks = [
        ("batch_size", batch_size, lambda: len(tensor.shape) >= 1
         and tensor.shape[0] == batch_size),
        ("shape", shape, lambda: tuple(shape) == tuple(tensor.shape[1:])),
        ("batch_shape", batch_shape, lambda: tuple(batch_shape) == tuple(tensor.shape)),
        ("dtype", dtype, lambda: _dtype_str(dtype) == tensor.dtype),
        ("sparse", sparse, lambda: bool(sparse) == bool(tensor.sparse)),
    ]
    for name, value, agrees in checks:
        if value is not None and not agrees():
            raise ValueError(
                f"When providing the `input_tensor` argument, you cannot provide an "
                f"incompatible `{name}` argument: received {name}={value!r} for an input_tensor "
                f"of shape {tuple(tensor.shape)}, dtype {tensor.dtype}, sparse="
                f"{bool(tensor.sparse)}.")
    return tuple(tensor.shape), tensor.dtype, bool(tensor.sparse)


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False, ragged=None):
    """A symbolic input: `Input(shape=(784,))` describes batches of 784-vectors.

    Args:
        shape: the shape of one sample (without the batch axis); None for any size.
        batch_size: a fixed batch size, checked by `fit` and `predict`.
        dtype: the data type; integer inputs stay integers (e.g. for `Embedding`).
        sparse: the data are `scipy.sparse` (NumPy) or `cupyx.scipy.sparse` (CuPy) matrices.
        batch_shape: the full shape including the batch axis, instead of `shape`.
        name: the input's name (keys of dict inputs).
        tensor: a `KerasTensor` to use as the input (see `InputLayer`'s `input_tensor`).
        optional: whether the model accepts None for this input.
        ragged: Keras's ragged inputs (TensorFlow only); kerasx refuses `ragged=True`.

    Returns:
        A `KerasTensor`.
    """
    _refuse_ragged(ragged, "Input")
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=bool(sparse),
                       batch_shape=batch_shape, name=name, input_tensor=tensor, optional=optional)
    return layer.output


def _dtype_str(dtype):
    return _standard_dtype(dtype)
