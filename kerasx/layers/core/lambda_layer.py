"""`Lambda`: wraps a Python function as a layer."""

__all__ = ["Lambda"]

import base64
import inspect
import marshal
import types

from kerasx.layers.layer import Layer
from kerasx.saving.serialization import deserialize_keras_object, serialize_keras_object


class Lambda(Layer):
    """Applies `function(inputs, **arguments)` as a layer.

    The function may use `kerasx.ops` and Python operators on tensors
    (`x ** 2`, `a + b`, `x[:, :3]`); gradients flow through it like through
    any other layer. Lambda layers hold no weights: write a `Layer` subclass
    for anything with state.

    Args:
        function: the function to apply. It receives the layer's inputs, plus
            `mask=` and `training=` when its signature names them.
        output_shape: the output shape without the batch axis (a tuple, or a
            list of tuples for several outputs), or a callable mapping the
            full input shape to the full output shape. When None, the shape
            is inferred by running the function on small arrays.
        mask: a mask to attach to the output, or a callable
            `mask(inputs, previous_mask)` that computes it.
        arguments: optional dict of keyword arguments passed to `function`.

    Saving a Lambda stores the function's Python bytecode, as Keras does.
    Loading such a function executes code from the file, so it is refused
    unless `safe_mode=False` is passed (only for files you trust).
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError(
                f"Lambda: function must be callable, received {function!r} of type "
                f"{type(function).__name__}.")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._declared_output_shape = output_shape
        try:
            params = inspect.signature(function).parameters
        except (TypeError, ValueError):
            params = {}
        self._fn_expects_training_arg = "training" in params
        self._fn_expects_mask_arg = "mask" in params

    def call(self, inputs, mask=None, training=None):
        kwargs = dict(self.arguments)
        if self._fn_expects_mask_arg:
            kwargs["mask"] = mask
        if self._fn_expects_training_arg:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs, mask=None):
        if callable(self.mask):
            return self.mask(inputs, mask)
        return self.mask

    def compute_output_shape(self, input_shape):
        declared = self._declared_output_shape
        if declared is None:
            try:
                return super().compute_output_shape(input_shape)
            except Exception as e:
                raise NotImplementedError(
                    f"Lambda layer {self.name!r}: the output shape could not be inferred by "
                    f"running the function on inputs of shape {input_shape} ({type(e).__name__}: "
                    f"{e}). Pass output_shape=... to the Lambda layer.") from None
        if callable(declared):
            return declared(input_shape)
        batch = _first_dim(input_shape)
        if _is_shape(declared):
            return (batch,) + tuple(declared)
        return [(batch,) + tuple(s) for s in declared]

    def get_config(self):
        config = {**super().get_config(), "function": _serialize_function(self.function)}
        declared = self._declared_output_shape
        if declared is not None:
            config["output_shape"] = (_serialize_function(declared) if callable(declared)
                                      else declared)
        if self.mask is not None:
            config["mask"] = (_serialize_function(self.mask) if callable(self.mask)
                              else serialize_keras_object(self.mask))
        config["arguments"] = serialize_keras_object(self.arguments)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None, safe_mode=None):
        """Rebuilds the layer; Python-lambda bytecode is loaded only with `safe_mode=False`."""
        config = dict(config)
        safe = _in_safe_mode() if safe_mode is None else safe_mode is not False
        config["function"] = _load_function(config["function"], custom_objects, safe)
        if "output_shape" in config:
            shape = config["output_shape"]
            if isinstance(shape, dict):
                config["output_shape"] = _load_function(shape, custom_objects, safe)
            elif _is_shape(shape):
                config["output_shape"] = tuple(shape)
        if "mask" in config and isinstance(config["mask"], dict):
            saved = config["mask"]
            config["mask"] = _load_function(saved, custom_objects, safe)
            if saved.get("class_name") == "__tensor__":  # a tensor again, as Keras
                from kerasx import ops

                config["mask"] = ops.convert_to_tensor(config["mask"])
        if "arguments" in config:
            config["arguments"] = deserialize_keras_object(config["arguments"],
                                                           custom_objects=custom_objects) \
                if isinstance(config["arguments"], dict) and "class_name" in config["arguments"] \
                else config["arguments"]
        return cls(**config)


def _is_shape(value):
    return isinstance(value, (list, tuple)) and all(d is None or isinstance(d, int) for d in value)


def _first_dim(shape):
    while isinstance(shape, (list, tuple)) and shape and not _is_shape(shape):
        shape = shape[0]
    return shape[0] if shape else None


def _serialize_function(fn):
    """Keras 3's format: Python lambdas as marshalled bytecode, named functions by name."""
    if isinstance(fn, types.LambdaType) and fn.__name__ == "<lambda>":
        code = base64.b64encode(marshal.dumps(fn.__code__)).decode("ascii")
        closure = (tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None)
        return {"class_name": "__lambda__",
                "config": {"code": code, "defaults": fn.__defaults__, "closure": closure}}
    return serialize_keras_object(fn)


def _load_function(config, custom_objects, safe):
    if isinstance(config, dict) and config.get("class_name") == "__lambda__":
        if safe:
            raise ValueError(
                "Refusing to load a Lambda layer whose function is a Python lambda: its bytecode "
                "stored in the file would be executed, which can run arbitrary code. If you trust "
                "the source of this file, load it with safe_mode=False.")
        inner = config["config"]
        code = marshal.loads(base64.b64decode(inner["code"].encode("ascii")))
        defaults = inner.get("defaults")
        closure = inner.get("closure")
        cells = None if closure is None else tuple(types.CellType(v) for v in closure)
        return types.FunctionType(code, _function_globals(custom_objects), code.co_name,
                                  None if defaults is None else tuple(defaults), cells)
    return deserialize_keras_object(config, custom_objects=custom_objects)


def _function_globals(custom_objects):
    import builtins

    import kerasx

    namespace = {"__builtins__": builtins, "kerasx": kerasx, "keras": kerasx, "ops": kerasx.ops}
    namespace.update(custom_objects or {})
    return namespace


def _in_safe_mode():
    from kerasx import saving

    check = getattr(saving, "in_safe_mode", None)
    return True if check is None else check() is not False
