"""`Sequential`: a plain stack of layers, each feeding the next."""

from kerasx.layers.core.input_layer import InputLayer, KerasTensor, layer_tensor
from kerasx.layers.layer import Layer
from kerasx.models.functional import (attach_masks, input_mismatch_error, input_size_mismatch,
                                      restore_masks)
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
            if self._stack or self._input_layer is not None:
                raise ValueError(
                    "An Input/InputLayer must be the first entry of a Sequential model; "
                    f"{self.name!r} already has layers or an input."
                )
            self._set_untracked("_input_layer", layer)
            return
        if not isinstance(layer, Layer):
            raise ValueError(  # Keras's type
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
        self.built = False
        if rebuild:
            self._maybe_build()

    def pop(self, rebuild=True):
        """Removes and returns the last layer."""
        if not self._stack:
            raise IndexError("There are no layers in the model to pop.")  # Keras's type
        layer = self._stack.pop()
        self._tracked_layers.remove(layer)
        self.built = False
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
        if self._input_layer is None or self._input_layer.batch_shape != shape:
            dtype = None if self._input_layer is None else self._input_layer.dtype
            self._set_untracked("_input_layer", InputLayer(batch_shape=shape, dtype=dtype))
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
                raise type(e)(f"In Sequential model {self.name!r}: {e}") from None
            if isinstance(x, (list, tuple, dict)):
                raise ValueError(
                    f"All layers in a Sequential model should have a single output tensor, but "
                    f"layer {layer.name!r} returns {len(x)}. Use the functional API "
                    "(kerasx.Model(inputs, outputs)) for multi-output layers."
                )
        self._set_untracked("_symbolic_output", x)
        self._build_shape = shape
        self.built = True
        # Keras wraps the built stack in a Functional model, which takes the next
        # auto-generated "functional" name; models named later are numbered alike
        uniquify("functional")

    def _build_for(self, inputs):
        from kerasx.layers.layer import _shape_structure

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
        if not self._stack or not self.built:
            raise AttributeError(f"Sequential model {self.name!r} has not been built yet.")
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
        return [self._symbolic_output]

    @property
    def input(self):
        """The input of the model's first call on KerasTensors (as Keras: for a model
        used as a layer of a functional model, that call's input), else its own input."""
        if self.__dict__.get("_inbound_nodes"):
            return layer_tensor(self, "input")
        if self._input_layer is None:
            raise AttributeError(f"Sequential model {self.name!r} has no input yet.")
        return self._input_layer.output

    @property
    def output(self):
        """The output of the model's first call on KerasTensors (see `input`), else the
        output of its own stack."""
        if self.__dict__.get("_inbound_nodes"):
            return layer_tensor(self, "output")
        if self._symbolic_output is None:
            raise AttributeError(f"Sequential model {self.name!r} has not been built yet.")
        return self._symbolic_output

    def _output_names(self):
        return [self._stack[-1].name] if self._stack else ["output"]

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        layers = []
        if self._input_layer is not None:
            layers.append(serialize_keras_object(self._input_layer))
        layers.extend(serialize_keras_object(layer) for layer in self._stack)
        config = {"name": self.name, "trainable": self.trainable,
                  "dtype": self._dtype_config(), "layers": layers}
        if self.built and self._input_layer is not None:
            config["build_input_shape"] = list(self._input_layer.batch_shape)
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        from kerasx.legacy.saving.serialization import upgrade_layer_entry
        from kerasx.saving.serialization import deserialize_keras_object

        model = cls(name=config.get("name"), trainable=config.get("trainable", True))
        # each add rebuilds, as in Keras: a stack saved with its input takes one
        # auto-generated "functional" name per layer, and models named later agree
        for layer_config in config["layers"]:
            model.add(deserialize_keras_object(upgrade_layer_entry(layer_config),
                                               custom_objects=custom_objects))
        if not model.built and config.get("build_input_shape") is not None:
            model.build(tuple(config["build_input_shape"]))
        return model


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
