"""`Sequential`: a plain stack of layers, each feeding the next."""

import inspect

from kerasx import tree
from kerasx.layers.core._call_node import layer_tensor
from kerasx.layers.core.input_layer import InputLayer
from kerasx.layers.core.keras_tensor import KerasTensor
from kerasx.layers.layer import Layer
from kerasx.models._functional_inputs import input_mismatch_error, input_size_mismatch
from kerasx.models._functional_masks import attach_masks, restore_masks
from kerasx.models.fusion import run_sequence
from kerasx.models.input_structure import unwrap_single_input
from kerasx.models.model import Model
from kerasx.utils.naming import uniquify


class Sequential(Model):
    """A linear stack of layers.

    `Sequential([Input(shape=(784,)), Dense(64, activation="relu"), Dense(10)])`
    builds at once; without an `Input` (or `input_shape=` on the first layer)
    the model builds on its first call or `fit`.
    """

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(trainable=trainable, name=name)
        self._set_untracked("_input_layer", None)
        self._set_untracked("_symbolic_output", None)
        self._stack = []
        for layer in layers or []:
            self.add(layer, rebuild=False)
        self._maybe_build()

    def add(self, layer, rebuild=True):
        """Appends a layer (or an `Input` tensor, which sets the input shape)."""
        if isinstance(layer, KerasTensor):
            layer = layer.node.layer
        if isinstance(layer, InputLayer):
            if self._input_layer is not None:
                raise ValueError(  # Keras's wording
                    f"Sequential model '{self.name}' has already been configured to use input "
                    f"shape {self._input_layer.batch_shape}. You cannot add a different Input "
                    "layer to it.")
            if self._stack:
                raise ValueError(
                    "An Input/InputLayer must be the first entry of a Sequential model; "
                    f"{self.name!r} already has layers."
                )
            self._set_untracked("_input_layer", layer)
            return
        if not isinstance(layer, Layer):
            raise ValueError(  # Keras's type and first words
                "Only instances of `kerasx.layers.Layer` can be added to a Sequential model: "
                f"Sequential.add expects a Layer instance, received {layer!r} of type "
                f"{type(layer).__name__}. Did you forget to instantiate it, e.g. Dense(10)?"
            )
        if any(l.name == layer.name for l in self._stack):
            raise ValueError(
                f"All layers added to a Sequential model should have unique names; name "
                f"{layer.name!r} is already the name of a layer in {self.name!r}."
            )
        if self._input_layer is None and not self._stack:
            shape = layer._batch_input_shape or _model_input_shape(layer)
            if shape is not None:
                self._set_untracked("_input_layer", InputLayer(batch_shape=shape))
        self._stack.append(layer)
        self._tracked_layers.append(layer)
        self._unbuild()
        if rebuild:
            self._maybe_build()

    def pop(self, rebuild=True):
        """Removes and returns the last layer."""
        if not self._stack:
            raise IndexError("There are no layers in the model to pop.")  # Keras's type
        layer = self._stack.pop()
        self._tracked_layers.remove(layer)
        self._unbuild()
        if rebuild:
            self._maybe_build()
        return layer

    @property
    def layers(self):
        return list(self._stack)

    @layers.setter
    def layers(self, _):
        raise AttributeError(
            "`Sequential.layers` attribute is reserved and should not be used. Use `add()` and "
            "`pop()` to change the layers in this model.")

    def _unbuild(self):
        """Forgets the symbolic outputs of the old stack (the next build makes new ones)."""
        self._set_untracked("_symbolic_output", None)
        self.built = False

    def _maybe_build(self):
        if self._input_layer is not None and self._stack:
            self.build(self._input_layer.batch_shape)

    def build(self, input_shape=None):
        """Calls every layer in turn on a symbolic input of `input_shape`, which builds the
        layers, checks that each accepts the previous one's output, and records shapes."""
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError(
                    f"Sequential model {self.name!r} cannot be built: it has no input shape. "
                    "Start it with kerasx.Input(shape=...) or call it on data."
                )
            input_shape = self._input_layer.batch_shape
        if not self._stack and self._input_layer is None:
            raise ValueError(
                f"Sequential model {self.name} cannot be built because it has no layers. "
                "Call `model.add(layer)`.")
        shape = tuple(input_shape)
        if self._input_layer is None:
            self._set_untracked("_input_layer", InputLayer(batch_shape=shape))
        elif self._input_layer.batch_shape != shape:
            raise ValueError(  # Keras's type and wording
                f"Sequential model '{self.name}' has already been configured to use input "
                f"shape {self._input_layer.batch_shape}. You cannot build it with input_shape "
                f"{shape}. Build it with that shape, or start a new model for other inputs.")
        x = self._input_layer.output
        for layer in self._stack:
            try:
                x = layer(x)
            except NotImplementedError:
                # a layer without shape inference: as Keras, the stack runs eagerly,
                # each layer building on its first call
                self._build_eager()
                return
            except (ValueError, TypeError) as e:
                if isinstance(e, TypeError):
                    _check_single_positional_input(layer)
                raise type(e)(f"In Sequential model {self.name!r}: {e}") from None
            # a layer may return several tensors (a tuple, say): as Keras, the next layer
            # receives that structure, and the model's outputs are its tensors
        self._set_untracked("_symbolic_output", x)
        self._build_shape = shape
        self.built = True
        # Keras wraps the built stack in a Functional model, which takes the next
        # auto-generated "functional" name; models named later are numbered alike
        uniquify("functional")

    def _build_for(self, inputs):
        from kerasx.layers._build_shapes import _shape_structure

        if isinstance(inputs, (list, tuple, dict)) and (
                len(inputs) != 1 or isinstance(inputs, dict)):
            # several tensors (a dict or list for a first layer that takes them): no single
            # Input to build on, the stack runs eagerly as in Keras
            if not self._stack and self._input_layer is None:
                self.build(())  # raises: no layers
            self._build_eager()
            return
        # as Keras, the first batch's size is kept (`input_shape` (32, 5), not (None, 5));
        # later calls take any batch size
        self.build(_shape_structure(inputs))

    def _build_eager(self):
        """Marks the stack built without a symbolic graph (no `inputs` / `outputs`)."""
        self._set_untracked("_symbolic_output", None)
        self.built = True

    def call(self, inputs, training=None, mask=None):
        """Runs the layers in turn; `mask` (a boolean array with the input's leading
        dimensions, e.g. `(batch, timesteps)`) reaches the first layer as a `Masking`
        layer's mask would, and flows on through the layers that support masking."""
        names = [self._input_layer.name if self._input_layer is not None else "input"]
        if self._input_layer is not None and isinstance(inputs, (list, tuple, dict)):
            inputs = unwrap_single_input(self._input_layer.output, inputs)
        if self._input_layer is not None:
            inputs = _in_input_dtype(inputs, self._input_layer.dtype)
            shape = getattr(inputs, "shape", None)
            if shape is not None and len(shape) != len(self._input_layer.batch_shape):
                inputs = _in_input_rank(inputs, self._input_layer.batch_shape)
        values = [inputs]
        masked = attach_masks(self.name, names, values, mask)
        x = values[0]
        try:
            x = run_sequence(self._stack, x, training)
        except (ValueError, TypeError) as error:
            mismatch = self._input_mismatch(values[0])
            if mismatch is None:
                raise
            raise input_mismatch_error(mismatch, error) from error
        finally:
            restore_masks(masked, x)
        return x

    @property
    def input_dtype(self):
        """The dtype of the model's Input (float data is cast to it, as Keras, e.g. token
        ids given as floats to an `int32` Input), else the layer's own."""
        if self._input_layer is not None:
            return self._input_layer.dtype
        return super().input_dtype

    def _input_mismatch(self, value):
        """The message when `value`'s sizes after the batch axis differ from the input's."""
        shape = getattr(value, "shape", None)
        if self._input_layer is None or shape is None or self._input_layer.dtype == "string":
            return None
        return input_size_mismatch(self.name, self._input_layer.name,
                                   self._input_layer.batch_shape, tuple(shape))

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for layer in self._stack:
            shape = layer.compute_output_shape(shape)
        return shape

    def _declared_input_shape(self):
        return None if self._input_layer is None else self._input_layer.batch_shape

    @property
    def input_shape(self):
        if self._input_layer is None:
            raise AttributeError(f"Sequential model {self.name!r} has no defined input shape yet.")
        return self._input_layer.batch_shape

    @property
    def output_shape(self):
        """The output's shape; a list of shapes when the last layer returns several
        tensors (as Keras)."""
        if not self._stack or not self.built:
            raise AttributeError(f"Sequential model {self.name!r} has not been built yet.")
        if self._symbolic_output is not None and not isinstance(self._symbolic_output,
                                                                KerasTensor):
            return [t.shape for t in self.outputs]
        return self._stack[-1]._output_shape

    @property
    def inputs(self):
        """The input KerasTensors (AttributeError, as in Keras, before the input is known)."""
        if self._input_layer is None:
            raise AttributeError(
                f"Sequential model {self.name!r} has no defined inputs yet: start it with "
                "kerasx.Input(shape=...), call it on data, or call model.build(input_shape).")
        return [self._input_layer.output]

    @property
    def outputs(self):
        """The output KerasTensors (AttributeError, as in Keras, before the model is built)."""
        if self._symbolic_output is None:
            raise AttributeError(
                f"Sequential model {self.name!r} has no defined outputs yet: start it with "
                "kerasx.Input(shape=...), call it on data, or call model.build(input_shape).")
        return tree.flatten(self._symbolic_output)

    @property
    def input(self):
        """The input of the model's first call on KerasTensors (as Keras: for a model
        used as a layer of a functional model, that call's input), else its own input."""
        if self.__dict__.get("_inbound_nodes"):
            return layer_tensor(self, "input")
        if self._input_layer is None:
            raise AttributeError(
                f"Sequential model {self.name!r} has no input yet: start it with "
                "kerasx.Input(shape=...), call it on data, or call model.build(input_shape).")
        return self._input_layer.output

    @property
    def output(self):
        """The output of the model's first call on KerasTensors (see `input`), else the
        output of its own stack."""
        if self.__dict__.get("_inbound_nodes"):
            return layer_tensor(self, "output")
        if self._symbolic_output is None:
            raise AttributeError(
                f"Sequential model {self.name!r} has no output yet: start it with "
                "kerasx.Input(shape=...), call it on data, or call model.build(input_shape).")
        return self._symbolic_output

    def _output_names(self):
        if not self._stack or (self._symbolic_output is not None
                               and not isinstance(self._symbolic_output, KerasTensor)):
            # several outputs from the last layer: unnamed, as a subclassed model's
            return super()._output_names()
        return [self._stack[-1].name]

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        layers = []
        if self._input_layer is not None:
            layers.append(serialize_keras_object(self._input_layer))
        layers.extend(serialize_keras_object(layer) for layer in self._stack)
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": self._dtype_config(), "layers": layers}
        if self.built and self._input_layer is not None:
            config["build_input_shape"] = tuple(self._input_layer.batch_shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx.legacy.saving.serialization import (module_less_classes,
                                                        upgrade_layer_entry)
        from kerasx.saving.serialization import deserialize_keras_object

        if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
            raise ValueError(  # Keras's first sentence
                "A Sequential model configuration must be a dictionary containing the 'name' "
                f"and 'layers' keys. Received: config={config!r}. Pass what "
                "`model.get_config()` returns.")
        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        # each add rebuilds, as in Keras: a stack saved with its input takes one
        # auto-generated "functional" name per layer, and models named later agree
        for layer_config in config["layers"]:
            with module_less_classes(layer_config, custom_objects):
                model.add(deserialize_keras_object(upgrade_layer_entry(layer_config),
                                                   custom_objects=custom_objects))
        if not model.built and config.get("build_input_shape") is not None:
            model.build(tuple(config["build_input_shape"]))
        return model


def _in_input_dtype(value, dtype):
    """`value` cast to an integer or boolean Input's `dtype` when it holds floats (a float
    Input leaves the conversion to the layers, which cast to their compute dtype)."""
    if dtype in _LEFT_TO_THE_LAYERS:  # the usual float Input: no work per call
        return value
    from kerasx import backend, ops

    value_dtype = getattr(value, "dtype", None)
    if value_dtype is None or backend.is_float_dtype(dtype):
        return value
    try:
        holds_floats = backend.is_float_dtype(backend.standardize_dtype(value_dtype))
    except (TypeError, ValueError):  # a dtype kerasx has no name for (object arrays)
        return value
    return ops.cast(value, dtype) if holds_floats else value


def _in_input_rank(value, batch_shape):
    """`value` with a trailing axis of size 1 dropped or added when that is all that
    separates its rank from the Input's (as Keras's functional models, which Keras's
    Sequential is); other ranks are left to the layers' own errors."""
    from kerasx import ops

    shape = tuple(value.shape)
    if len(shape) == len(batch_shape) + 1 and shape[-1] == 1:
        return ops.squeeze(value, axis=-1)
    if len(shape) == len(batch_shape) - 1 and batch_shape[-1] == 1:
        return ops.expand_dims(value, axis=-1)
    return value


# Input dtypes whose data `_in_input_dtype` leaves as they are
_LEFT_TO_THE_LAYERS = frozenset({None, "string", "float16", "bfloat16", "float32", "float64"})


def _check_single_positional_input(layer):
    """Raises Keras's ValueError when `layer.call` cannot take the previous layer's output
    as its one positional argument."""
    positional = [p for p in inspect.signature(layer.call).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    required = [p.name for p in positional if p.default is p.empty]
    if not positional:
        raise ValueError(
            "Layers added to a Sequential model should have a single positional argument, the "
            f"input tensor. Layer {type(layer).__name__} has no positional arguments. Take the "
            "input as the first argument of `call`, or use the functional API.")
    if len(required) > 1:
        raise ValueError(
            "Layers added to a Sequential model can only have a single required positional "
            f"argument, the input tensor. Layer {type(layer).__name__} has multiple required "
            f"positional arguments: {required}. Give the others defaults, or use the "
            "functional API (kerasx.Model(inputs, outputs)) to pass several tensors.")


def _model_input_shape(layer):
    """The input shape of a model with one known input (a functional or built Sequential
    model put first in a Sequential, which Keras builds from it), else None."""
    try:
        shape = layer.input_shape if isinstance(layer, Sequential) or hasattr(
            layer, "_outputs_struct") else None
    except AttributeError:
        return None
    if isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape):
        return shape
    return None
