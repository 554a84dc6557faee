"""Symbolic tensors: `Input`, `InputLayer`, `InputSpec`, and calling layers on them.

Calling a layer on `KerasTensor`s does not compute anything: `symbolic_call`
builds the layer for the symbolic shapes, checks that it accepts them (so a
wrong shape fails here, when the graph is written, not at `fit`), infers the
output shapes and records a `CallNode`. `kerasx.Model(inputs, outputs)` replays
those nodes on real data.
"""

__all__ = ["Input", "InputLayer", "InputSpec", "KerasTensor"]

import math
import warnings

from kerasx import tree
from kerasx.layers.layer import (Layer, argument_shapes, build_on, builds_by_tracing,
                                 name_traced_outputs)
from kerasx.random.counted_seed import counter_states, restore_counters
from kerasx.utils.naming import uniquify
from kerasx.utils.shape_args import standardize_shape


class KerasTensor:
    """A placeholder with a shape (None for unknown sizes) and a dtype.

    It is the output of `Input()` or of a layer called on KerasTensors, and
    remembers the call that produced it (`node`, and `index` among that
    call's outputs), so `kerasx.Model(inputs, outputs)` can replay the graph.

    `kerasx.ops` functions and Python operators (`x * 2`, `x[:, 1:3]`, `x.T`,
    `1 - x`, `x > 0`, `x != y`) accept KerasTensors: they add an operation
    node to the graph (`kerasx.layers.core.op_layer.OpLayer`). `==` compares
    identity, as in Keras, so tensors stay usable as dict keys.
    """

    def __init__(self, shape, dtype="float32", sparse=False, ragged=False, record_history=True,
                 name=None, node=None, index=0):
        _refuse_ragged(ragged, "KerasTensor")
        self._shape = standardize_shape(shape)
        self._dtype = _standard_dtype(dtype)
        self._sparse = sparse
        if self.sparse:
            from kerasx.backends import current
            from kerasx.backends.sparse import check_sparse_support

            check_sparse_support(current())
        # as Keras: a given name (a named Input's), else `keras_tensor`, `keras_tensor_1`, ...
        self.name = name if name is not None else uniquify("keras_tensor")
        self.node = node
        self.index = index

    @property
    def ndim(self):
        return len(self.shape)

    # as Keras: these describe what the graph computes, so they cannot be reassigned
    shape = property(lambda self: self._shape, lambda self, value: _immutable("shape"))
    dtype = property(lambda self: self._dtype, lambda self, value: _immutable("dtype"))
    sparse = property(lambda self: self._sparse, lambda self, value: _immutable("sparse"))
    ragged = property(lambda self: False, lambda self, value: _immutable("ragged"))

    @property
    def _keras_history(self):
        """`(layer, node_index, tensor_index)`, as Keras records it."""
        return self.node.layer, self.node.node_index, self.index

    def __repr__(self):
        return (f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}, "
                f"ragged=False, name={self.name}>")

    def __bool__(self):
        raise TypeError(
            "A symbolic KerasTensor has no value, so it cannot be used as a Python bool "
            "(in `if`, `and`, `or`). Write the condition inside a layer's `call`, which runs on "
            "real arrays."
        )

    def __iter__(self):
        raise SymbolicIterationError(
            f"Iterating over the symbolic {self!r} is not supported: its values exist only "
            "when the model runs. Index it (x[:, 0]) or use kerasx.ops.split / unstack-style "
            "slicing instead."
        )

    # NumPy would otherwise turn `array * keras_tensor` into an elementwise loop over the
    # array; with None it defers to KerasTensor's reflected operators.
    __array_ufunc__ = None

    def __array__(self, dtype=None, copy=None):
        raise SymbolicValueError(
            f"{self!r} is symbolic: it has no values to convert to an array. Build a "
            "kerasx.Model(inputs, outputs) and call it (or `predict`) on real data."
        )


class SymbolicIterationError(TypeError, NotImplementedError):
    """Iterating over a KerasTensor: NotImplementedError as in Keras, TypeError as Python's
    own refusal to iterate."""


class SymbolicValueError(TypeError, ValueError):
    """Converting a KerasTensor to an array: ValueError as in Keras, TypeError as an
    unconvertible object."""


def _bind_symbolic_operators():
    # Python operators, slicing and `.T` on KerasTensors record `kerasx.ops` nodes.
    from kerasx import ops

    ops._register_symbolic_type(KerasTensor)
    ops._bind_operators(KerasTensor, symbolic=True)


_bind_symbolic_operators()


def _bind_keras_extra_operators():
    # `^`, `round()` and the explicit `__div__` / `__rdiv__` on KerasTensors, as Keras's
    # KerasTensor defines them.
    from kerasx import ops

    KerasTensor.__xor__ = lambda self, other: ops.logical_xor(self, other)
    KerasTensor.__rxor__ = lambda self, other: ops.logical_xor(other, self)
    KerasTensor.__round__ = lambda self, ndigits=None: ops.round(self, decimals=ndigits or 0)
    KerasTensor.__div__ = lambda self, other: ops.divide(self, other)
    KerasTensor.__rdiv__ = lambda self, other: ops.divide(other, self)


_bind_keras_extra_operators()


def _standard_dtype(dtype):
    """The standard name of `dtype`; a ValueError naming the accepted ones for any other."""
    from kerasx.backend import standardize_dtype

    return standardize_dtype(dtype)


def _immutable(attribute):
    raise AttributeError(f"The `{attribute}` attribute of KerasTensor is immutable. One should "
                         "create a new instance of KerasTensor for this.")


class CallNode:
    """One call of `layer` on symbolic inputs: what went in, with which arguments, what came out.

    `node_index` is the call's position among the layer's calls
    (`layer._inbound_nodes`), the number Keras configs use to refer to it.
    """

    def __init__(self, layer, inputs, args, kwargs, outputs, is_input=False):
        self.layer = layer
        self.inputs = inputs
        self.args = tuple(args)
        self.kwargs = dict(kwargs)
        self.outputs = outputs
        self.is_input = is_input
        nodes = inbound_nodes(layer)
        self.node_index = len(nodes)
        nodes.append(self)

    def input_tensors(self):
        """The KerasTensors this call read, in order (inputs, then args and kwargs)."""
        if self.is_input:
            return []
        found = flatten((self.inputs, list(self.args), self.kwargs))
        return [t for t in found if isinstance(t, KerasTensor)]

    def output_tensors(self):
        return [t for t in flatten(self.outputs) if isinstance(t, KerasTensor)]


def inbound_nodes(layer):
    """The list of symbolic calls of `layer` (created on first use)."""
    nodes = layer.__dict__.get("_inbound_nodes")
    if nodes is None:
        nodes = []
        object.__setattr__(layer, "_inbound_nodes", nodes)
    return nodes


class InputSpec:
    """What a layer accepts: rank, dtype and sizes of given axes.

    A layer sets `self.input_spec` (one spec, or a list with one per input);
    calling the layer on a symbolic tensor that does not match raises at once.

    Args:
        dtype: the expected dtype name.
        shape: the expected shape, with None for any size.
        ndim, max_ndim, min_ndim: the expected rank, or its bounds.
        axes: a dict mapping axis indices (negative allowed) to their expected sizes.
        allow_last_axis_squeeze: accept a rank that differs by a trailing axis of size 1.
        name: the input's name (used in messages).
        optional: whether the input may be None.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in self.get_config().items() if v]
        return f"InputSpec({', '.join(parts)})"


def assert_input_compatibility(layer, shapes_and_dtypes):
    """Raises a ValueError when `(shape, dtype)` pairs break `layer.input_spec`."""
    spec = getattr(layer, "input_spec", None)
    if spec is None:
        return
    specs = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    if len(specs) != len(shapes_and_dtypes) and len(specs) > 1:
        raise ValueError(
            f"Layer {layer.name!r} expects {len(specs)} input(s), but it received "
            f"{len(shapes_and_dtypes)} input tensors."
        )
    for i, (s, (shape, dtype)) in enumerate(zip(specs, shapes_and_dtypes)):
        if s is None:
            continue
        where = f"Input {i} of layer {layer.name!r} is incompatible with the layer"
        full = f"Full shape received: {tuple(shape)}."
        rank = len(shape)
        if s.ndim is not None and rank != s.ndim and not (
                s.allow_last_axis_squeeze and abs(rank - s.ndim) == 1):
            raise ValueError(f"{where}: expected ndim={s.ndim}, found ndim={rank}. {full}")
        if s.max_ndim is not None and rank > s.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={s.max_ndim}, found ndim={rank}. {full}")
        if s.min_ndim is not None and rank < s.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={s.min_ndim}, found ndim={rank}. {full}")
        if s.dtype is not None and dtype is not None and str(dtype) != str(s.dtype):
            raise ValueError(f"{where}: expected dtype={s.dtype}, found dtype={dtype}.")
        for axis, size in s.axes.items():
            if size is None:
                continue
            if not -rank <= axis < rank:
                raise ValueError(f"{where}: expected axis {axis} of size {size}, but the input "
                                 f"has only {rank} axes. {full}")
            if shape[axis] is not None and shape[axis] != size:
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value "
                                 f"{size}, but received input with shape {tuple(shape)}.")
        if s.shape is not None and rank == len(s.shape):
            for got, want in zip(shape, s.shape):
                if want is not None and got is not None and got != want:
                    raise ValueError(f"{where}: expected shape={s.shape}, found shape="
                                     f"{tuple(shape)}.")


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


def _refuse_ragged(ragged, where):
    if ragged:
        raise ValueError(f"{where}: ragged=True is not supported; kerasx has no ragged tensors "
                         "(they are TensorFlow's). Pad the sequences to one length (e.g. "
                         "kerasx.utils.pad_sequences) and mask the padding.")


# -- calling layers on symbolic tensors ---------------------------------------------------
_PROBE_FILLS = ((1, 8), (2, 9))  # (batch axis, other unknown axes) sizes of the two probes
_SHORT_PROBE_FILLS = ((1, 2), (2, 3))
_WIDE_PROBE_FILLS = (1, 41)  # a third probe for layers with no compute_output_shape
_LONG_PROBE_FILLS = ((1, 41), (2, 67))


def symbolic_call(layer, inputs, args, kwargs):
    """Calls `layer` on KerasTensors: checks and builds it, infers output shapes, records the call.

    The output shapes come from running the layer on small zero arrays twice,
    with different sizes for the unknown dimensions; output dimensions that
    change between the two runs are unknown (None). A layer that cannot run
    on such small arrays falls back to its own `compute_output_shape`. A layer class
    that defines `compute_output_spec` gives its outputs itself.
    """
    in_shapes = map_structure(inputs, lambda t: t.shape)
    traced = not layer.built and builds_by_tracing(layer)
    try:
        assert_input_compatibility(layer, [(t.shape, t.dtype) for t in flatten(inputs)
                                           if isinstance(t, KerasTensor)])
        if not layer.built:
            layer._build_shape = in_shapes
            build_on(layer, in_shapes, argument_shapes(layer, args, kwargs))
            layer.built = True
    except (ValueError, TypeError, IndexError) as e:
        raise _call_error(layer, in_shapes, e) from None
    if type(layer).compute_output_spec is not Layer.compute_output_spec:
        out_shape, out_dtypes, names = _declared_spec(layer, inputs, args, kwargs, in_shapes)
        out_masks = None
    else:
        out_shape, out_dtypes, out_masks = infer_outputs(layer, inputs, args, kwargs,
                                                         with_masks=True)
        names = []
    if traced:
        name_traced_outputs(_zip_shapes(out_shape, out_dtypes, lambda shape, dtype: dtype))
    node = CallNode(layer, inputs, args, kwargs, None)
    counter = [0]

    def make(shape, dtype):
        i = counter[0]
        counter[0] += 1
        # the recorded outputs are the spec's tensors in Keras: they keep its names
        return KerasTensor(shape, dtype, node=node, index=i,
                           name=names[i] if i < len(names) else None)

    node.outputs = _zip_shapes(out_shape, out_dtypes, make)
    if out_masks is not None:
        _attach_symbolic_masks(node.outputs, out_masks)
    layer._output_shape = out_shape
    # new containers: the caller may change the list it gets (`x[-1] = f(x[-1])`, as the
    # fully convolutional network example does) without changing the recorded call
    return map_structure(node.outputs, lambda t: t)


def _attach_symbolic_masks(outputs, masks):
    """Gives each output KerasTensor whose probe runs carried a mask a `_keras_mask`: a
    boolean KerasTensor of the mask's shape (for inspection, as Keras shows it; the
    masks themselves travel with the tensors when the model runs). `masks`: one shape
    or None per flattened output."""
    for tensor, shape in zip(flatten(outputs), masks):
        if shape is not None and isinstance(tensor, KerasTensor):
            tensor._keras_mask = KerasTensor(shape, "bool")


def infer_outputs(layer, inputs, args, kwargs, with_masks=False):
    """`(shapes, dtypes)` of a built `layer`'s outputs on KerasTensor arguments, from two
    runs on small zero arrays (output dimensions that differ between them are None), or
    from the layer's own `compute_output_shape` when it cannot run on such arrays.

    A KerasTensor argument with a `_keras_mask` gets an all-True mask of that shape on
    its zero array, so mask-consuming layers run as they will on data. `with_masks=True`
    adds a third entry: the shapes of the output masks (None where an output has none),
    or None when the outputs carry no mask or came from `compute_output_shape`."""
    from kerasx.autodiff.tape import _Paused
    from kerasx.models.input_structure import STRUCTURE_WARNING

    flat = [t for t in flatten((inputs, list(args), kwargs)) if isinstance(t, KerasTensor)]
    in_shapes = map_structure(inputs, lambda t: t.shape)
    # The probes run real code: keep any state they assign (statistics, the seed counters
    # of random layers: a symbolic call draws nothing in Keras) unchanged.
    saved = [(v, v.value) for v in layer.weights]
    counters = counter_states()
    try:
        with _Paused(), warnings.catch_warnings():
            # zero-filled probes may divide by zero or take log(0); that is not the user's data
            warnings.simplefilter("ignore", RuntimeWarning)
            # a symbolic call checks no input structure in Keras: its probes warn of none
            warnings.filterwarnings("ignore", message=STRUCTURE_WARNING)
            try:
                probes = _probe_runs(layer, flat, inputs, args, kwargs, _PROBE_FILLS)
            except (ValueError, TypeError, IndexError) as error:
                first = error  # kept past the except clause, which unbinds its name
                probes = _batch_multiple_probes(layer, flat, inputs, args, kwargs, first)
                if probes is None and not _unknown_inner_dims(flat):
                    raise
            if probes is None:
                # some layers take only short unknown axes (a position embedding of a few
                # steps, as Keras's symbolic shapes never index): probe again with short ones
                try:
                    probes = _probe_runs(layer, flat, inputs, args, kwargs, _SHORT_PROBE_FILLS)
                except (ValueError, TypeError, IndexError):
                    # and others only long ones (a frame of 16 samples or more)
                    try:
                        probes = _probe_runs(layer, flat, inputs, args, kwargs,
                                             _LONG_PROBE_FILLS)
                    except (ValueError, TypeError, IndexError):
                        raise first from None
        out_shape = _merge_shapes(probes[0][0], probes[1][0])
        if _unknown_inner_dims(flat):
            declared = _declared_output_shape(layer, in_shapes)
            if declared is None:
                out_shape = _widened(out_shape, layer, flat, inputs, args, kwargs)
            else:
                out_shape = _unknown_where_declared(out_shape, declared)
        out_dtypes = probes[0][1]
        out_masks = [None if a is None or b is None or len(a) != len(b) else _merge_shapes(a, b)
                     for a, b in zip(probes[0][2], probes[1][2])]
        if not any(m is not None for m in out_masks):
            out_masks = None
    except (ValueError, TypeError, IndexError) as e:
        out_shape = _declared_output_shape(layer, in_shapes) if _unknown_inner_dims(flat) else None
        if out_shape is None:
            raise _call_error(layer, in_shapes, e) from None
        out_dtypes = map_structure(out_shape, lambda s: layer.dtype, _is_shape)
        out_masks = None
    finally:
        _restore_after_probes(layer, saved, counters)
    if with_masks:
        return out_shape, out_dtypes, out_masks
    return out_shape, out_dtypes


PROBING = [0]  # > 0 while a layer runs on probe arrays standing for KerasTensors


def _probe_with_fixed_size_reshapes(layer, inputs, args, kwargs, error):
    """The layer's output on a stand-in batch when its call reshapes to a size fixed for
    one batch size (a mixture of experts over `tokens_per_batch` rows), which no stand-in
    batch fits: Keras's symbolic reshape, whose batch is unknown, does not check sizes, so
    here a reshape of another size gives zeros of the asked shape. `error` (the checked
    run's) is raised if the call fails even so."""
    from kerasx.ops.shape import reshape_sizes_unchecked

    try:
        with reshape_sizes_unchecked():
            return layer(inputs, *args, **kwargs)
    except (ValueError, TypeError, IndexError):
        raise error from None


def _batch_multiple_probes(layer, flat, inputs, args, kwargs, error):
    """Probes whose batch sizes are multiples of 2 ... 8, for a call that reshapes the
    batch axis into several (`ops.reshape(x, (-1, k, units))` on a batch of unknown size,
    whose symbolic shape Keras gives as `(None, k, units)`), or None when `error` is not
    such a reshape's or no multiple fits."""
    if "reshape" not in str(error) or not any(t.shape[:1] == (None,) for t in flat):
        return None
    for k in range(2, 9):
        try:
            return _probe_runs(layer, flat, inputs, args, kwargs, ((k, 8), (2 * k, 9)))
        except (ValueError, TypeError, IndexError):
            continue
    return None


def _probe_runs(layer, flat, inputs, args, kwargs, fill_sets):
    """`(shapes, dtypes, mask shapes)` of the layer's outputs on zero arrays standing for
    the KerasTensors `flat`, one run per `(batch, other unknown axes)` sizes in `fill_sets`."""
    probes = []
    for fills in fill_sets:
        lookup = {id(t): _masked_zeros(t, fills) for t in flat}
        p_inputs, p_args, p_kwargs = (replace(s, lookup) for s in (inputs, args, kwargs))
        if _accepts_training(layer) and "training" not in p_kwargs:
            p_kwargs = {**p_kwargs, "training": _probe_training(layer)}
        PROBING[0] += 1
        try:
            out = layer(p_inputs, *p_args, **p_kwargs)
        except ValueError as e:
            if "Cannot reshape" not in str(e):
                raise
            out = _probe_with_fixed_size_reshapes(layer, p_inputs, p_args, p_kwargs, e)
        finally:
            PROBING[0] -= 1
        probes.append((map_structure(out, lambda o: tuple(o.shape), _is_array),
                       map_structure(out, lambda o: o.dtype, _is_array),
                       [_mask_shape(o) for o in flatten(out)]))
    return probes


def _declared_spec(layer, inputs, args, kwargs, in_shapes):
    """`(shapes, dtypes, names)` from the layer's own `compute_output_spec`."""
    try:
        spec = layer.compute_output_spec(inputs, *args, **kwargs)
    except (ValueError, TypeError, IndexError) as e:
        raise _call_error(layer, in_shapes, e) from None
    if not all(isinstance(t, KerasTensor) for t in flatten(spec)):
        raise TypeError(f"Layer {layer.name!r}: compute_output_spec must return KerasTensors "
                        f"(or a list / tuple / dict of them); received {spec!r}.")
    return (map_structure(spec, lambda t: tuple(t.shape), _is_spec),
            map_structure(spec, lambda t: t.dtype, _is_spec), [t.name for t in flatten(spec)])


def _is_spec(x):
    return isinstance(x, KerasTensor)


def output_spec(layer, inputs, args, kwargs):
    """`Layer.compute_output_spec`'s default: the outputs as unrecorded KerasTensors, from
    the layer's own `compute_output_shape` while it is not built (as Keras, leaving it
    unbuilt), else from running the built layer on small zero arrays."""
    if not layer.built and not args and not kwargs:
        declared = _declared_output_shape(layer, map_structure(inputs, lambda t: t.shape))
        if declared is not None:
            return map_structure(declared, lambda shape: KerasTensor(shape, layer.compute_dtype),
                                 _is_shape)
    if not layer.built:
        shapes = map_structure(inputs, lambda t: t.shape)
        layer._build_shape = shapes
        build_on(layer, shapes)
        layer.built = True
    shapes, dtypes = infer_outputs(layer, inputs, args, kwargs)
    return _zip_shapes(shapes, dtypes, lambda shape, dtype: KerasTensor(shape, dtype))


def _call_error(layer, in_shapes, error):
    message = str(error)
    if message.startswith(f"Layer {layer.name!r}") or (
            message.startswith("Input ") and f"of layer {layer.name!r}" in message):
        text = message  # already names the layer
    else:
        text = (f"Layer {layer.name!r} ({type(layer).__name__}) cannot be called on inputs of "
                f"shape {_format(in_shapes)}: {message}")
    kind = type(error) if type(error) in (ValueError, TypeError) else ValueError
    return kind(text)


def _format(shapes):
    if not isinstance(shapes, (tuple, list, dict)):
        return repr(shapes)
    if isinstance(shapes, tuple):
        return str(shapes)
    if isinstance(shapes, dict):
        return "{" + ", ".join(f"{k!r}: {_format(v)}" for k, v in shapes.items()) + "}"
    return "[" + ", ".join(_format(s) for s in shapes) + "]"


def _unknown_inner_dims(tensors):
    return any(d is None for t in tensors for d in t.shape[1:])


def _widened(out_shape, layer, flat, inputs, args, kwargs):
    """`out_shape` with None where one more probe, with long unknown axes, changes a size:
    a layer that frames or strides its input (8 and 9 samples give one frame of 64 both
    times) and declares no output shape of its own. A layer that cannot take the long
    probe keeps `out_shape`."""
    from kerasx.autodiff.tape import _Paused

    try:
        with _Paused(), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            wide = _probe_runs(layer, flat, inputs, args, kwargs, (_WIDE_PROBE_FILLS,))
        return _merge_shapes(out_shape, wide[0][0])
    except Exception:  # an optional refinement: any failure keeps the two probes' answer
        return out_shape


def probe_once(layer, flat, args, kwargs, fills):
    """The flattened output shapes of one more probe of a built `layer` on `args` /
    `kwargs` (KerasTensors `flat` filled as `fills` says), or None when it fails. Weights
    and random seed counters are kept unchanged, as for the first probes."""
    from kerasx.autodiff.tape import _Paused

    saved = [(v, v.value) for v in layer.weights]
    counters = counter_states()
    try:
        with _Paused(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            probe = _probe_runs(layer, flat, args[0] if args else None, args[1:], kwargs,
                                (fills,))
        return [tuple(s) for s in _flat_shapes(probe[0][0])]
    except Exception:  # an optional refinement: any failure keeps the first probes' answer
        return None
    finally:
        _restore_after_probes(layer, saved, counters)


def _flat_shapes(shapes):
    if _is_shape(shapes):
        return [shapes]
    values = [shapes[k] for k in sorted(shapes)] if isinstance(shapes, dict) else shapes
    return [s for v in values for s in _flat_shapes(v)]  # in `flatten`'s order


def _unknown_where_declared(probed, declared):
    """`probed` with None wherever the layer's own output shape (`declared`, or None) has
    an unknown size: two probe sizes can give one output size (pooling 8 or 9 steps by 2
    gives 4 both times), so a size the probes agree on is not known for every input."""
    if declared is None:
        return probed
    if _is_shape(probed):
        if not _is_shape(declared) or len(declared) != len(probed):
            return probed
        return tuple(None if d is None else p for p, d in zip(probed, declared))
    if isinstance(probed, dict) and isinstance(declared, dict):
        return {k: _unknown_where_declared(v, declared.get(k)) for k, v in probed.items()}
    if isinstance(probed, (list, tuple)) and isinstance(declared, (list, tuple)) \
            and len(probed) == len(declared):
        return tree.sequence_like(probed, [_unknown_where_declared(p, d)
                                       for p, d in zip(probed, declared)])
    return probed


def _declared_output_shape(layer, in_shapes):
    """The layer's own `compute_output_shape`, when its class defines one (else None)."""
    if type(layer).compute_output_shape is Layer.compute_output_shape:
        return None
    try:
        shape = layer.compute_output_shape(in_shapes)
    except Exception:
        return None
    return shape if isinstance(shape, (tuple, list, dict)) else None


def _restore_after_probes(layer, saved, counters):
    """Drops the losses that probes of `layer` added and puts back its weights' arrays
    (`saved`, pairs of variable and array) and the seed counters (`counters`)."""
    _clear_probe_losses(layer)
    for variable, value in saved:
        if variable.value is not value:
            variable.assign(value)
    restore_counters(counters)


def _clear_probe_losses(layer):
    for sub in [layer] + layer._flatten_layers():
        if sub._activity_losses:
            sub._activity_losses = []


def _probe_dims(shape, fills, groups=None):
    """`shape` with each None replaced by a probe size: the batch one for axis 0, the
    other one elsewhere, or as `groups` says (per axis 0 or 1, or `(0 or 1, k)`: k times
    that size)."""
    if groups is None:
        return tuple((fills[0] if axis == 0 else fills[1]) if d is None else d
                     for axis, d in enumerate(shape))
    return tuple(d if d is not None else fills[g] if isinstance(g, int) else fills[g[0]] * g[1]
                 for d, g in zip(shape, groups))


def _zeros(tensor, fills):
    from kerasx import ops

    if tensor.dtype == "string":  # text stays on the host; lookups see PROBING and pass
        from kerasx.backends.host import to_host

        dims = _probe_dims(tensor.shape, fills)
        return to_host([""] * math.prod(dims)).reshape(dims)
    # stand-ins of aligned operands (kerasx.ops._symbolic_alignment) carry probe groups
    groups = getattr(tensor, "_probe_groups", None)
    return ops.zeros(_probe_dims(tensor.shape, fills, groups), dtype=tensor.dtype)


def _masked_zeros(tensor, fills):
    """`_zeros`, with an all-True mask when the KerasTensor carries a mask."""
    from kerasx import ops

    probe = _zeros(tensor, fills)
    mask = getattr(tensor, "_keras_mask", None)
    if mask is not None and hasattr(probe, "_keras_mask"):
        probe._keras_mask = ops.ones(_probe_dims(mask.shape, fills), dtype="bool")
    return probe


def _mask_shape(output):
    mask = getattr(output, "_keras_mask", None)
    return None if mask is None else tuple(mask.shape)


def _probe_training(layer):
    """The training phase of the probe runs: the default of the layer's `call` (a layer
    written `call(self, x, training=True)` shows its training-time outputs, as in Keras),
    else inference."""
    from kerasx.layers.layer import training_default

    return bool(training_default(type(layer)))


def _accepts_training(layer):
    from kerasx.layers.layer import _call_signature

    return _call_signature(type(layer))[0]


def _is_array(x):
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, (list, tuple, dict))


def _is_shape(s):
    return isinstance(s, tuple) and all(d is None or isinstance(d, int) for d in s)


def _merge_shapes(a, b):
    if _is_shape(a):
        if len(a) != len(b):
            raise ValueError(f"the output rank depends on the input size ({a} vs {b})")
        return tuple(x if x == y else None for x, y in zip(a, b))
    if isinstance(a, dict):
        return {k: _merge_shapes(a[k], b[k]) for k in a}
    # a tuple of outputs stays one, a namedtuple keeps its type
    return tree.sequence_like(a, [_merge_shapes(x, y) for x, y in zip(a, b)])


def _zip_shapes(shapes, dtypes, fn):
    if _is_shape(shapes):
        return fn(shapes, dtypes)
    if isinstance(shapes, dict):
        return {k: _zip_shapes(shapes[k], dtypes[k], fn) for k in shapes}
    return tree.sequence_like(shapes, [_zip_shapes(s, d, fn) for s, d in zip(shapes, dtypes)])


# -- nested structures (lists, tuples, dicts; dict leaves in sorted key order, as Keras) ----
def flatten(structure):
    """The leaves of a nested list/tuple/dict structure; dicts in sorted key order."""
    if isinstance(structure, (list, tuple)):
        return [x for s in structure for x in flatten(s)]
    if isinstance(structure, dict):
        return [x for k in sorted(structure) for x in flatten(structure[k])]
    return [structure]


def map_structure(structure, fn, is_leaf=None):
    """`fn` applied to every KerasTensor (or every leaf where `is_leaf` says so)."""
    if is_leaf(structure) if is_leaf else isinstance(structure, KerasTensor):
        return fn(structure)
    if isinstance(structure, (list, tuple)):
        return tree.sequence_like(structure, [map_structure(s, fn, is_leaf) for s in structure])
    if isinstance(structure, dict):
        return {k: map_structure(v, fn, is_leaf) for k, v in structure.items()}
    return structure


def replace(structure, lookup):
    """The structure with each KerasTensor replaced by `lookup[id(tensor)]`."""
    return map_structure(structure, lambda t: lookup[id(t)])


def layer_tensor(layer, attribute):
    """`layer.input` / `layer.output`: the tensors of the layer's first symbolic call (as
    Keras: a shared layer answers for its first call)."""
    nodes = layer.__dict__.get("_inbound_nodes") or []
    if not nodes:
        raise AttributeError(
            f"Layer {layer.name!r} has never been called on a symbolic tensor, so it has no "
            f"`{attribute}`. Call it on an Input (or a tensor derived from one) first."
        )
    node = nodes[0]
    # as Keras: one tensor, or a flat list of them (dict entries in sorted key order)
    flat = tree.flatten(node.outputs if attribute == "output" else node.inputs)
    return flat[0] if len(flat) == 1 else flat


def _dtype_str(dtype):
    return _standard_dtype(dtype)
