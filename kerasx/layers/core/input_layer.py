"""Symbolic tensors: `Input`, `InputLayer`, and calling layers on them."""

__all__ = ["Input", "InputLayer", "KerasTensor"]

from kerasx.layers.layer import Layer, _merge_shapes, _shape_structure, _zeros_structure


class KerasTensor:
    """A placeholder with a shape (None for unknown sizes) and a dtype.

    Calling a layer on KerasTensors records a `CallNode` and returns new
    KerasTensors; `kerasx.Model(inputs, outputs)` replays those nodes.
    """

    def __init__(self, shape, dtype="float32", sparse=False, name=None, node=None, index=0):
        self.shape = tuple(shape)
        self.dtype = dtype
        self.sparse = sparse
        self.name = name
        self.node = node
        self.index = index

    @property
    def ndim(self):
        return len(self.shape)

    def __repr__(self):
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, name={self.name}>"


class CallNode:
    """One call of `layer` on symbolic inputs: what went in, with which arguments, and what came out."""

    def __init__(self, layer, inputs, args, kwargs, outputs):
        self.layer = layer
        self.inputs = inputs
        self.args = args
        self.kwargs = kwargs
        self.outputs = outputs

    def input_tensors(self):
        return [t for t in _flatten(self.inputs) if isinstance(t, KerasTensor)]


class InputLayer(Layer):
    """The layer behind `Input`: it holds the expected shape and dtype of the data."""

    def __init__(self, shape=None, batch_size=None, dtype=None, sparse=False, batch_shape=None,
                 name=None, input_tensor=None, **kwargs):
        if "input_shape" in kwargs and shape is None:
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs and batch_shape is None:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, **kwargs)
        from kerasx.config import floatx

        if batch_shape is None:
            if shape is None:
                raise ValueError("Input needs `shape` (the shape of one sample) or `batch_shape`.")
            if isinstance(shape, int):
                shape = (shape,)
            batch_shape = (batch_size,) + tuple(shape)
        self.batch_shape = tuple(None if d is None else int(d) for d in batch_shape)
        self.dtype = _dtype_str(dtype) if dtype is not None else floatx()
        self.sparse = bool(sparse)
        self._batch_input_shape = self.batch_shape
        self.built = True
        self.output = KerasTensor(self.batch_shape, self.dtype, self.sparse, name=self.name,
                                  node=CallNode(self, [], (), {}, None), index=0)
        self.output.node.outputs = self.output

    def call(self, inputs):
        return inputs

    def compute_output_shape(self, input_shape):
        return self.batch_shape

    def get_config(self):
        return {"batch_shape": list(self.batch_shape), "dtype": self.dtype,
                "sparse": self.sparse, "name": self.name}


def Input(shape=None, batch_size=None, dtype=None, sparse=None, batch_shape=None, name=None,
          tensor=None, optional=False):
    """A symbolic input: `Input(shape=(784,))` describes batches of 784-vectors.

    Args:
        shape: the shape of one sample (without the batch axis); None for any size.
        batch_size: a fixed batch size, checked by `fit` and `predict`.
        dtype: the data type; integer inputs stay integers (e.g. for `Embedding`).
        sparse: the data are `scipy.sparse` (NumPy) or `cupyx.scipy.sparse` (CuPy) matrices.
        batch_shape: the full shape including the batch axis, instead of `shape`.
        name: the input's name (keys of dict inputs).
    """
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=bool(sparse),
                       batch_shape=batch_shape, name=name)
    return layer.output


def symbolic_call(layer, inputs, args, kwargs):
    """Calls `layer` on KerasTensors: builds it, infers output shapes, records the call."""
    from kerasx.autodiff.tape import _Paused

    in_shapes = _map(inputs, lambda t: t.shape)
    try:
        if not layer.built:
            layer._build_shape = _to_build_shape(in_shapes)
            layer.build(layer._build_shape)
            layer.built = True
        probes = []
        for fill in (1, 2):
            dummy = _map(inputs, lambda t: _zeros_structure(t.shape, fill, _DTypeOf(t)))
            with _Paused():
                out = layer(dummy, *args, **{**kwargs, "training": False}) \
                    if _accepts_training(layer) else layer(dummy, *args, **kwargs)
            probes.append((_shape_structure(out), _dtypes(out)))
    except (ValueError, TypeError) as e:
        raise type(e)(
            f"Layer {layer.name!r} ({type(layer).__name__}) cannot be called on inputs of shape "
            f"{in_shapes}: {e}"
        ) from None
    out_shape = _merge_shapes(probes[0][0], probes[1][0])
    out_dtypes = probes[0][1]
    node = CallNode(layer, inputs, args, kwargs, None)
    counter = [0]

    def make(shape, dtype):
        t = KerasTensor(shape, dtype, node=node, index=counter[0],
                        name=f"{layer.name}_{counter[0]}" if counter[0] else layer.name)
        counter[0] += 1
        return t

    outputs = _zip_map(out_shape, out_dtypes, make)
    node.outputs = outputs
    layer._output_shape = out_shape
    return outputs


class _DTypeOf:
    def __init__(self, tensor):
        self.dtype = tensor.dtype


def _accepts_training(layer):
    from kerasx.layers.layer import _call_signature

    return _call_signature(type(layer))[0]


def _to_build_shape(shapes):
    return shapes


def _dtypes(out):
    if isinstance(out, (list, tuple)):
        return [_dtypes(o) for o in out]
    if isinstance(out, dict):
        return {k: _dtypes(v) for k, v in out.items()}
    return out.dtype


def _zip_map(shapes, dtypes, fn):
    if isinstance(shapes, tuple):
        return fn(shapes, dtypes)
    if isinstance(shapes, dict):
        return {k: _zip_map(shapes[k], dtypes[k], fn) for k in shapes}
    return [_zip_map(s, d, fn) for s, d in zip(shapes, dtypes)]


def _map(structure, fn):
    if isinstance(structure, KerasTensor):
        return fn(structure)
    if isinstance(structure, (list, tuple)):
        return type(structure)(_map(s, fn) for s in structure)
    if isinstance(structure, dict):
        return {k: _map(v, fn) for k, v in structure.items()}
    return structure


def _flatten(structure):
    if isinstance(structure, (list, tuple)):
        return [x for s in structure for x in _flatten(s)]
    if isinstance(structure, dict):
        return [x for s in structure.values() for x in _flatten(s)]
    return [structure]


def _dtype_str(dtype):
    from kerasx.backends.base import dtype_name

    return dtype_name(dtype)
