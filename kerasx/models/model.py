"""`Model`: a layer that can be trained; the base of Sequential, functional and subclassed models."""

from kerasx.layers.layer import Layer
from kerasx.trainers.trainer import Trainer


class Model(Trainer, Layer):
    """A trainable layer.

    `Model(inputs, outputs)` builds a functional model from symbolic tensors;
    subclassing `Model` and writing `call` gives a subclassed model whose
    attribute layers are tracked automatically.
    """

    def __new__(cls, *args, **kwargs):
        if cls is Model and (args or "inputs" in kwargs):
            from kerasx.models.functional import Functional

            return super().__new__(Functional)  # Python then runs Functional.__init__
        return super().__new__(cls)

    def __init__(self, *args, **kwargs):
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, trainable=trainable, name=name, dtype=dtype, **kwargs)
        self._init_trainer()

    def summary(self, line_length=None, positions=None, print_fn=None, expand_nested=False,
                show_trainable=False, layer_range=None):
        """Prints the layer table: names, output shapes, parameter counts and totals."""
        from kerasx.utils.summary import print_summary

        print_summary(self, line_length=line_length, print_fn=print_fn,
                      show_trainable=show_trainable)

    def get_layer(self, name=None, index=None):
        """A layer by name or by index in `model.layers`."""
        if index is not None:
            layers = self.layers
            if not -len(layers) <= index < len(layers):
                raise ValueError(f"Index {index} is out of range: the model has {len(layers)} layers.")
            return layers[index]
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise ValueError(
            f"No such layer: {name!r}. The model's layers are {[l.name for l in self.layers]}."
        )

    @property
    def trainable_variables(self):
        return self.trainable_weights

    def _declared_input_shape(self):
        return None

    def save(self, filepath, overwrite=True, **kwargs):
        from kerasx.saving.saving_api import save_model

        return save_model(self, filepath, overwrite=overwrite, **kwargs)

    def save_weights(self, filepath, overwrite=True):
        from kerasx.saving.saving_api import save_weights

        return save_weights(self, filepath, overwrite=overwrite)

    def load_weights(self, filepath, skip_mismatch=False):
        from kerasx.saving.saving_api import load_weights

        return load_weights(self, filepath, skip_mismatch=skip_mismatch)

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable}

    @classmethod
    def from_config(cls, config, custom_objects=None):
        return cls(**config)
