"""`Model`: a layer that can be trained; the base of Sequential, functional and subclassed models."""

import weakref

from kerasx.layers.layer import Layer
from kerasx.models.eager_replay import replayed_call
from kerasx.trainers.trainer import Trainer
from kerasx.utils.naming import names_given_back


class Model(Trainer, Layer):
    """A layer with training (`compile`, `fit`, `evaluate`, `predict`) and saving.

    There are three ways to make one:

    1. The functional API: call layers on `kerasx.Input` tensors, then
       `kerasx.Model(inputs, outputs, name=...)`.
    2. Subclassing: define the layers as attributes in `__init__` (they are
       tracked automatically) and the forward pass in
       `call(self, inputs, training=None)`:

           class MyModel(kerasx.Model):
               def __init__(self, **kwargs):
                   super().__init__(**kwargs)
                   self.hidden = kerasx.layers.Dense(32, activation="relu")
                   self.out = kerasx.layers.Dense(10)

               def call(self, inputs, training=None):
                   return self.out(self.hidden(inputs))

       The weights are created on the first call (or `build(input_shape)`).
       `train_step`, `test_step` and `predict_step` can be overridden to change
       what `fit`, `evaluate` and `predict` do with each batch.
    3. `kerasx.Sequential`, a plain stack of layers.

    A subclass whose `__init__` calls `super().__init__(inputs, outputs)`
    becomes a functional model with the subclass's extra methods.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and _functional_arguments(args, kwargs):
            from kerasx.models.functional import Functional

            return super().__new__(Functional)  # Python then runs Functional.__init__
        return super().__new__(cls, *args, **kwargs)

    def __init__(self, *args, **kwargs):
        from kerasx.models.functional import Functional

        if _functional_arguments(args, kwargs) and not isinstance(self, Functional):
            # A subclass of Model built from (inputs, outputs): make it a Functional subclass.
            self.__class__ = _functional_subclass(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        if args:
            raise TypeError(
                f"{type(self).__name__}() takes keyword arguments only (name=, trainable=, "
                f"dtype=), or (inputs, outputs) for a functional model; received positional "
                f"arguments {args!r}."
            )
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        self._init_trainer()

    def __call__(self, *args, **kwargs):
        # a functional or Sequential model's inference call on plain arrays may replay a
        # recording of its array work (`kerasx.models.eager_replay`)
        outputs = replayed_call(self, args, kwargs)
        if outputs is not None:
            return outputs
        return Layer.__call__(self, *args, **kwargs)

    def call(self, inputs, *args, **kwargs):
        raise NotImplementedError(
            f"Model {type(self).__name__} does not have a `call()` method implemented. "
            "Define `call(self, inputs, training=None)` in the subclass, or build the model "
            "from `Model(inputs, outputs)`.")

    # -- building ---------------------------------------------------------------------------
    def build(self, input_shape=None):
        """Creates the weights of a subclassed model by running `call` once on zeros of
        `input_shape` (None for any size; a list or dict of shapes for several inputs)."""
        if input_shape is None:
            raise ValueError(
                f"{type(self).__name__}.build() needs the input shape, e.g. "
                "model.build((None, 16)) for batches of 16-vectors."
            )
        from kerasx.autodiff.tape import _Paused

        self.built = True
        self._build_shape = input_shape
        try:
            # Like Keras: run `call` on symbolic inputs, so sublayers build for the
            # declared shape (unknown sizes stay None) and record their output shapes.
            # Keras traces without naming placeholders: the next Inputs and tensors
            # take the names they would have had.
            with names_given_back("input_layer", "keras_tensor"):
                self.call(_symbolic_for(input_shape, self.dtype))
        except Exception:
            # `call` does something symbolic tensors cannot (Python math on them, ...):
            # run it on zeros instead.
            with _Paused():
                self(_zeros_for(input_shape, self.dtype), training=False)
        for layer in [self] + self._flatten_layers():
            layer._activity_losses = []

    def _build_for(self, inputs):
        from kerasx.layers._build_shapes import _shape_structure

        if type(self).build is Model.build:
            # The call that follows creates the weights; no need to run it twice.
            self._build_shape = _shape_structure(inputs)
            self.built = True
        else:
            Layer._build_for(self, inputs)

    # -- introspection ----------------------------------------------------------------------
    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints the layer table: names, output shapes, parameter counts and totals."""
        from kerasx.utils.summary import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable,
                      layer_range=layer_range)

    @property
    def layers(self):
        """The model's direct sublayers (a plain layer has no `layers`, as in Keras)."""
        return list(self._tracked_layers)

    @layers.setter
    def layers(self, _):
        raise AttributeError(
            "`Model.layers` attribute is reserved and should not be used. Please use another "
            "name, e.g. `self.blocks = [...]`.")

    def get_layer(self, name=None, index=None):
        """A layer by `name`, or by `index` in `model.layers`."""
        if name is not None and index is not None:
            raise ValueError(
                f"get_layer() takes a layer name or an index, not both; received name={name!r} "
                f"and index={index!r}."
            )
        layers = self.layers
        if index is not None:
            if not isinstance(index, int) or not -len(layers) <= index < len(layers):
                raise ValueError(
                    f"Was asked to retrieve the layer at index {index!r} but model "
                    f"{self.name!r} has {len(layers)} layers (valid indices: 0 to "
                    f"{len(layers) - 1})."
                )
            return layers[index]
        if name is None:
            raise ValueError("get_layer() needs a layer name or an index; received neither.")
        for layer in layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name!r}. The layers of model {self.name!r} are "
            f"{[layer.name for layer in layers]}."
        )

    @property
    def trainable_variables(self):
        return self.trainable_weights

    def _declared_input_shape(self):
        return None

    # -- saving -----------------------------------------------------------------------------
    def save(self, filepath, overwrite=True, zipped=None, **kwargs):
        """Saves the model as a `.keras` file, or with `zipped=False` as a directory of
        the same entries; see `kerasx.saving.save_model`."""
        from kerasx.saving.saving_api import save_model

        return save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def __reduce__(self):
        """Pickling (and `copy.deepcopy`) carries the model as its `.keras` file's
        contents, weights and optimizer state included, as in Keras 3."""
        from kerasx.saving.pickling import reduce_model

        return reduce_model(self)

    def save_weights(self, filepath, overwrite=True, max_shard_size=None):
        """Saves the weights to a `.weights.h5` file, or with `max_shard_size` (GB) to a
        `.weights.json` index and its shards; see `kerasx.saving.save_weights`."""
        from kerasx.saving.saving_api import save_weights

        return save_weights(self, filepath, overwrite=overwrite, max_shard_size=max_shard_size)

    def export(self, filepath, format="onnx", verbose=None, input_signature=None, **kwargs):
        """Writes the model's forward pass (inference mode) as an artifact for serving.

        kerasx writes `format="onnx"` (needs the `onnx` package); Keras's
        TensorFlow-based formats raise. `input_signature` optionally gives the
        inputs' shapes and dtypes (`kerasx.InputSpec`s); `opset_version=` picks
        the ONNX opset. See `kerasx.export.export_onnx`.
        """
        from kerasx.export import export_model

        return export_model(self, filepath, format=format, verbose=verbose,
                            input_signature=input_signature, **kwargs)

    def load_weights(self, filepath, skip_mismatch=False, **kwargs):
        """Loads `.weights.h5` / `.keras` weights, or a legacy Keras 2 `.h5` file (in
        layer order, or `by_name=True`); see `kerasx.saving.load_weights`."""
        from kerasx.saving.saving_api import load_weights

        return load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def get_quantization_layer_structure(self, mode=None):
        """The layers a structure-aware quantization ("gptq", "awq") calibrates through:
        `{"pre_block_layers": [...], "sequential_blocks": [...]}` (the layers the
        token windows pass through first, then the blocks quantized one after the
        other), or None (the default) when the model does not describe one. Models
        override it; the config's `quantization_layer_structure` takes precedence."""
        del mode
        return None

    def quantize(self, mode=None, config=None, filters=None, **kwargs):
        """Quantizes the weights of the model's layers: every leaf layer that supports
        `mode` (`Dense`, `EinsumDense`, `Embedding`), the others warned about.

        Args:
            mode: `"int8"`, `"int4"`, `"float8"`, `"gptq"` or `"awq"`; optional when
                `config` is given. "gptq" and "awq" need a `kerasx.quantizers.GPTQConfig`
                / `AWQConfig` with calibration data and a layer structure (see
                `get_quantization_layer_structure`).
            config: a `kerasx.quantizers.QuantizationConfig` (None: the mode's default).
            filters: a regular expression searched in layer names, a list of them, or a
                predicate of the layer: only the layers it selects are quantized.

        The model must be built. See `kerasx.quantizers`.
        """
        from kerasx.quantizers.model_quantization import quantize_model

        quantize_model(self, mode, config=config, filters=filters, **kwargs)

    def to_json(self, **kwargs):
        """The model's architecture (no weights) as a JSON string, in Keras 3's format;
        `kerasx.models.model_from_json` builds it again. `kwargs` go to `json.dumps`."""
        import json

        from kerasx.saving.serialization import serialize_keras_object

        return json.dumps(serialize_keras_object(self), **kwargs)

    def get_config(self):
        # as Keras, whose models take `Layer.get_config`: the dtype is part of the base
        config = {"name": self.name, "trainable": self.trainable, "dtype": self._dtype_config()}
        if type(self).get_config is Model.get_config:
            from kerasx.layers.auto_config import with_init_arguments

            config = with_init_arguments(self, config)  # a subclass's constructor arguments
        return config

    @classmethod
    def from_config(cls, config, custom_objects=None):
        if "layers" in config and "input_layers" in config and "output_layers" in config:
            from kerasx.models.functional_config import functional_from_config

            return functional_from_config(cls, config, custom_objects=custom_objects)
        return cls(**config)


def _functional_arguments(args, kwargs):
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


# (weak values: the made class refers to `cls`, so an entry lives while the made class
# has instances, and a class defined in a loop is not kept alive)
_FUNCTIONAL_SUBCLASSES = weakref.WeakValueDictionary()


def _functional_subclass(cls):
    """`cls` with `Functional` mixed in, so a Model subclass can be built from a graph."""
    from kerasx.models.functional import Functional

    made = _FUNCTIONAL_SUBCLASSES.get(cls)
    if made is None:
        made = _FUNCTIONAL_SUBCLASSES[cls] = type(cls.__name__, (cls, Functional),
                                                  {"__module__": cls.__module__,
                                                   "__qualname__": cls.__qualname__})
    return made


def _zeros_for(shape, dtype):
    from kerasx import ops

    if isinstance(shape, dict):
        return {k: _zeros_for(v, dtype) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple, dict)):
        items = [_zeros_for(s, dtype) for s in shape]
        return type(shape)(*items) if hasattr(shape, "_fields") else items
    return ops.zeros(tuple(1 if d is None else int(d) for d in shape), dtype=dtype)


def _symbolic_for(shape, dtype):
    from kerasx.layers.core.input_layer import Input

    if isinstance(shape, dict):
        return {k: _symbolic_for(v, dtype) for k, v in shape.items()}
    if isinstance(shape, (list, tuple)) and shape and isinstance(shape[0], (list, tuple, dict)):
        items = [_symbolic_for(s, dtype) for s in shape]
        return type(shape)(*items) if hasattr(shape, "_fields") else items
    return Input(batch_shape=tuple(shape), dtype=dtype)
