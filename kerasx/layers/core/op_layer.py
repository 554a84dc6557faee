"""`OpLayer`: a `kerasx.ops` call on symbolic tensors, recorded as a node of a functional graph.

`x * 2 + kerasx.ops.exp(x)` on a `kerasx.Input` computes nothing: each op
becomes an `OpLayer` (no weights) called on the symbolic tensors, and the
model replays it on real arrays, where the op records its own gradient rule
as usual. Shapes come from the same probes as for any layer call.

Saved configs follow Keras 3, which stores such nodes as operations of
`keras.src.ops.<numpy|nn|core|math|linalg>`: the class is the op's name in
CamelCase (`Multiply`, `GetItem`, `Mean`), `config` holds the op's static
arguments (`axis`, `keepdims`, `newshape`...) and the node's `args` hold its
tensor arguments, in order (`[x, 2]` for `x * 2`). kerasx ops Keras has no
operation for (`dense`, `dropout`, `lstm`...) are written under module
`kerasx.ops` in the same form; only kerasx reads those back.

Eager arguments of such a call (`ops.convert_to_tensor(c) + x`,
`ops.multiply(numpy_array, x)`, a Variable) are captured as constants of the
node: the model reuses them on every call, and configs store them as Keras
does, as `__tensor__` / `__numpy__` entries in the node's `args` (so they
round-trip through `get_config`/`from_config` and `.keras` files). A captured
Variable is saved by its current value and is not one of the model's weights.
"""

__all__ = []

import inspect

from kerasx.ops._bfloat16 import _STATE as _BFLOAT16_STATE
from kerasx.layers.layer import Layer
from kerasx.utils.naming import to_snake_case, uniquify

# Parameters that carry tensors: they go in a node's call arguments (Keras's
# `Operation.call`), every other parameter is a static argument kept in the config.
_TENSOR_PARAMS = {"b", "x1", "x2", "xs", "key", "indices", "kernel", "depthwise_kernel",
                  "pointwise_kernel", "bias", "recurrent_kernel", "initial_state", "mask",
                  "mean", "variance", "offset", "scale", "gamma", "beta", "condition",
                  "constant_values", "logits", "dropout_mask", "recurrent_dropout_mask",
                  "weights", "q", "updates", "start_indices", "values", "bins",
                  "sorted_sequence", "predictions", "targets", "condlist", "choicelist",
                  "fill_value", "y", "value", "segment_ids", "output", "angle", "stop"}
# Keras class names that are not the CamelCase of the kerasx function name.
_CLASS_NAMES = {"abs": "Absolute", "getitem": "GetItem", "batch_normalization": "BatchNorm",
                "layer_normalization": "LayerNorm", "rms_normalization": "RMSNorm",
                "isin": "IsIn", "psnr": "PSNR", "svd": "SVD", "fft": "FFT", "fft2": "FFT2",
                "ifft2": "IFFT2", "rfft": "RFFT", "irfft": "IRFFT", "stft": "STFT",
                "istft": "ISTFT", "rgb_to_grayscale": "RGBToGrayscale",
                "rgb_to_hsv": "RGBToHSV", "hsv_to_rgb": "HSVToRGB"}
# Keras operations that are another name for a kerasx op (read from configs only).
_KERAS_ALIASES = {"TrueDivide": "divide", "Absolute": "abs", "PermuteDims": "transpose",
                  "Concat": "concatenate"}
# The Keras module of each kerasx ops module, and the ops that live elsewhere in Keras.
_MODULES = {"math": "numpy", "shape": "numpy", "reduction": "numpy", "linalg": "numpy",
            "nn": "nn", "conv": "nn", "pooling": "nn", "normalization": "nn",
            "attention": "nn", "nn_extra": "nn", "patches": "nn", "segments": "math",
            "solvers": "linalg", "decompositions": "linalg", "determinants": "linalg",
            "lu": "linalg", "fourier": "math", "short_time_fourier": "math",
            "axis_patterns": "einops"}
_MODULE_OF = {"cast": "core", "convert_to_tensor": "core", "stop_gradient": "core",
              "slice": "core", "slice_update": "core", "scatter_update": "core",
              "logsumexp": "math", "erf": "math", "rsqrt": "math", "top_k": "math",
              "in_top_k": "math", "norm": "linalg", "tanh": "numpy", "moments": "nn",
              "extract_sequences": "math", "scatter": "core", "slogdet": "numpy",
              "logdet": "math", "erfc": "math", "erfinv": "math", "saturate_cast": "core"}
# Ops that exist in kerasx only (Keras 3 has no operation class for them).
_KERASX_ONLY = {"dense", "dropout", "exponential", "flatten", "mish", "prelu", "gru", "lstm",
                "simple_rnn", "sigmoid_cross_entropy", "softmax_cross_entropy"}
# `cdist`, `view_as_complex` and `view_as_real` are operations of keras.src.ops.math.
_MODULES.update({"distances": "math", "complex_views": "math"})
_CLASS_NAMES["cdist"] = "CDist"
# Static Keras arguments kerasx ops do not take, and the values that mean "not used".
_NEUTRAL = {"initial": (None,), "decimals": (0,), "ord": (None,), "mode": ("constant",),
            "sparse": (False, None), "ragged": (False, None), "synchronized": (False,),
            "dtype": (None,)}


class OpLayer(Layer):
    """One call of the `kerasx.ops` function `op` on symbolic tensors.

    Made by the ops themselves when an argument is a `KerasTensor`; not meant
    to be created by hand.

    Args:
        op: the name of the `kerasx.ops` function.
        name: the node's name (default: the snake_case of Keras's class name,
            e.g. `multiply`, `get_item`).
        **config: the op's static arguments (`axis=-1`, ...).
    """

    def __init__(self, op, name=None, **config):
        fn = op_function(op)
        if fn is None or not callable(fn):
            raise ValueError(f"kerasx.ops has no function {op!r} to rebuild an operation node.")
        super().__init__(name=name or uniquify(to_snake_case(keras_class_name(op))))
        self.op = op
        self.fn = getattr(fn, "__wrapped__", fn)
        self.op_config = dict(config)
        self.call_params = call_params(self.fn)
        first = next(iter(inspect.signature(self.fn).parameters.values()), None)
        # `meshgrid(*xs)`: the node's first argument holds all the positional tensors
        self.spreads_first = first is not None and first.kind is first.VAR_POSITIONAL
        self.built = True

    def __call__(self, *args, **kwargs):
        from kerasx.ops import _has_symbolic

        if _has_symbolic(args) or _has_symbolic(kwargs):
            from kerasx.layers.core._symbolic_call import symbolic_call

            args = tuple(_captured(a) for a in args)
            return symbolic_call(self, args[0] if args else None, args[1:], kwargs)
        kwargs.pop("training", None)
        return self.call(*args, **kwargs)

    def call(self, *args, **kwargs):
        if self.op == "getitem" and len(args) > 1 and isinstance(args[1], list):
            args = (args[0], tuple(args[1]))  # a key read back from JSON
        fn = self.fn
        if _BFLOAT16_STATE:  # once bfloat16 is in use, the public op keeps it as eager calls do
            fn = op_function(self.op)
        if self.spreads_first:
            return fn(*args[0], *args[1:], **kwargs, **self.op_config)
        bound = dict(zip(self.call_params, args))
        bound.update(kwargs)
        bound.update(self.op_config)
        return fn(**bound)

    def compute_output_spec(self, *args, **kwargs):
        """The probed outputs, with the sizes that depend on values (`nonzero`,
        `where(condition)`, `unique`) unknown. Operands whose axes must agree are
        probed through aligned stand-ins (`kerasx.ops._symbolic_alignment`)."""
        from kerasx.ops._batch_probe import with_long_batch_probe
        from kerasx.ops._symbolic_alignment import aligned_operands
        from kerasx.ops._symbolic_checks import check_symbolic_arguments
        from kerasx.ops._value_sized import unknown_value_sizes

        bound = dict(zip(self.call_params, args), **kwargs, **self.op_config)
        check_symbolic_arguments(self.op, bound)
        aligned = aligned_operands(self.op, bound)
        if aligned is not bound:
            args = tuple(aligned[p] for p in self.call_params[:len(args)])
            kwargs = {k: aligned[k] for k in kwargs}
        spec = super().compute_output_spec(*args, **kwargs)
        spec = with_long_batch_probe(self, spec, args, kwargs)
        return unknown_value_sizes(self.op, spec, args, self.op_config, kwargs)

    def get_config(self):
        return {"name": self.name, **self.op_config}

    def serialize(self):
        """This node's entry in a functional config, in Keras 3's format for operations."""
        from kerasx.saving.serialization import serialize_dict

        class_name = keras_class_name(self.op)
        return {"module": keras_module(self.op), "class_name": class_name,
                "config": serialize_dict(self.get_config()), "registered_name": class_name}

    @classmethod
    def from_serialized(cls, layer_data):
        """The node described by a functional config entry (written by Keras 3 or kerasx)."""
        class_name = layer_data["class_name"]
        op = _class_index().get(class_name)
        if op is None:
            raise ValueError(
                f"The config holds the operation {class_name!r} (module "
                f"{layer_data.get('module')!r}), which kerasx.ops does not implement. Replace "
                "it with ops kerasx has, or wrap the computation in a custom layer."
            )
        config = dict(layer_data.get("config") or {})
        name = config.pop("name", None) or layer_data.get("name")
        params = inspect.signature(getattr(cls_fn(op), "__wrapped__", cls_fn(op))).parameters
        open_keywords = any(p.kind is p.VAR_KEYWORD for p in params.values())
        for key in list(config):
            if key in params or open_keywords:
                config[key] = _as_static(config[key])
            elif key in _NEUTRAL and config[key] in _NEUTRAL[key]:
                del config[key]
            else:
                raise ValueError(
                    f"The operation {class_name!r} ({name!r}) in the config uses "
                    f"{key}={config[key]!r}, which kerasx.ops.{op} does not support (it takes "
                    f"{list(params)})."
                )
        return cls(op, name=name, **config)


def cls_fn(op):
    return op_function(op)


def op_function(op):
    """The public `kerasx.ops` function named `op` (`"image.resize"`: `ops.image.resize`),
    or None."""
    from kerasx import ops

    fn = ops
    for part in op.split("."):
        fn = getattr(fn, part, None)
    return fn


def call_params(fn):
    """The parameters of `fn` passed as call arguments: the first one and the tensor ones."""
    names = list(inspect.signature(fn).parameters)
    return names[:1] + [n for n in names[1:] if n in _TENSOR_PARAMS]


def keras_class_name(op):
    op = op.rsplit(".", 1)[-1]  # `image.resize` is Keras's `Resize`
    return _CLASS_NAMES.get(op) or "".join(p.capitalize() for p in op.split("_"))


def keras_module(op):
    if op in _KERASX_ONLY:
        return "kerasx.ops"
    if op in _MODULE_OF:
        return "keras.src.ops." + _MODULE_OF[op]
    if op.startswith("image."):
        return "keras.src.ops.image"
    from kerasx import ops

    family = getattr(ops, op).__wrapped__.__module__.rsplit(".", 1)[-1]
    return "keras.src.ops." + _MODULES.get(family, "numpy")


def is_op_entry(layer_data):
    """Whether a functional config's layer entry is an operation node."""
    module = layer_data.get("module") or ""
    return module == "kerasx.ops" or module.startswith("keras.src.ops") or \
        module.startswith("keras.ops")


_INDEX = {}


def _class_index():
    """Keras class name -> kerasx op name, for every recordable op."""
    if not _INDEX:
        from kerasx import ops

        for name in dir(ops):
            fn = getattr(ops, name)
            op = getattr(fn, "_kerasx_op", None)
            if op is not None and op == name:
                _INDEX.setdefault(keras_class_name(op), op)
        for class_name, op in _KERAS_ALIASES.items():
            _INDEX.setdefault(class_name, op)
        for name in ops.image.__all__:
            _INDEX.setdefault(keras_class_name(name), "image." + name)
    return _INDEX


def _as_static(value):
    # JSON turns tuples (shapes, axes, paddings) into lists; ops expect tuples.
    if isinstance(value, list):
        return tuple(_as_static(v) for v in value)
    return value


def symbolic_op(op, fn, args, kwargs):
    """Records `fn(*args, **kwargs)`, some argument being symbolic, as an `OpLayer` node."""
    from kerasx.ops import _has_symbolic

    try:
        bound = inspect.signature(fn).bind(*args, **kwargs)
    except TypeError as e:
        raise TypeError(f"kerasx.ops.{op}: {e}") from None
    bound.apply_defaults()  # Keras writes every static argument, defaults included
    tensor_names = call_params(fn)
    call_args, call_kwargs, config = [], {}, {}
    for pname, value in bound.arguments.items():
        if bound.signature.parameters[pname].kind is inspect.Parameter.VAR_KEYWORD:
            config.update(value)  # `rearrange(x, p, h1=2)`: each keyword is a static argument
        elif pname in tensor_names:
            call_args.append((pname, value))
        elif _has_symbolic(value):
            call_kwargs[pname] = value
        else:
            config[pname] = value
    # Call arguments are positional in the order of `call_params`; trailing ones left at
    # their default are dropped (Keras's operations do not take kerasx-only extras).
    positional = []
    for pname in tensor_names:
        present = dict(call_args)
        positional.append(present.get(pname, bound.signature.parameters[pname].default))
    given = {p for p, v in call_args if v is not bound.signature.parameters[p].default}
    while len(positional) > 1 and tensor_names[len(positional) - 1] not in given:
        positional.pop()
    if any(v is inspect.Parameter.empty for v in positional):
        missing = [p for p, v in zip(tensor_names, positional) if v is inspect.Parameter.empty]
        raise TypeError(f"kerasx.ops.{op}() is missing the argument(s) {missing}.")
    if op == "getitem" and isinstance(positional[1], list):
        positional[1] = tuple(positional[1])
    layer = OpLayer(op, **config)
    try:
        return layer(*positional, **call_kwargs)
    except (ValueError, TypeError) as e:
        shapes = ", ".join(_describe(v) for v in positional + list(call_kwargs.values()))
        message = str(e)
        prefix = f"Layer {layer.name!r} (OpLayer) cannot be called on inputs of shape "
        if message.startswith(prefix):
            message = message.split(": ", 1)[-1]
        raise type(e)(
            f"kerasx.ops.{op} cannot be applied to the symbolic arguments ({shapes}): "
            f"{message}. Check the shapes and dtypes of the tensors given to it (None is a size "
            "known only when the model runs)."
        ) from None


def _captured(value):
    """A constant taken into a graph node, as the active backend's array.

    Eager arguments (`ops.multiply(host_array, x)`, or a `__numpy__` entry of a
    saved config) are kept in the node and reused on every call; a host array
    the backend cannot compute with (NumPy under CuPy or array_api_strict) is
    moved to the backend's device once, here, instead of failing at each call.
    """
    from kerasx.autodiff.tensor import Tensor
    from kerasx.backends import current
    from kerasx.backends.host import is_host_array

    if isinstance(value, (list, tuple)):
        return type(value)(_captured(v) for v in value)
    if is_host_array(value) and getattr(value, "ndim", 0) > 0:
        backend = current()
        if not backend.is_native(value):
            return Tensor(backend.asarray(value))
    return value


def _describe(value):
    from kerasx.layers.core.keras_tensor import KerasTensor

    if isinstance(value, KerasTensor):
        return f"KerasTensor shape={value.shape} dtype={value.dtype}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_describe(v) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    return repr(value)
