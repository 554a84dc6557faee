"""The subclassed model of the `fuzz_saving` family, defined once for Keras (which makes
the golden files) and kerasx (which loads them): `fuzz_model_class(K)` with `K` the
library's top module. Imports neither library."""


def fuzz_model_class(K):
    """`FuzzModel` registered as `fuzz_saving>FuzzModel` in library `K`."""

    @K.saving.register_keras_serializable(package="fuzz_saving")
    class FuzzModel(K.Model):
        """Dense layers with tanh, layer normalization and a Dense head, with its own
        `get_config`."""

        def __init__(self, units=(4,), out_units=2, **kwargs):
            super().__init__(**kwargs)
            self.units = list(units)
            self.out_units = out_units
            self.hidden = [K.layers.Dense(u, activation="tanh") for u in self.units]
            self.norm = K.layers.LayerNormalization()
            self.head = K.layers.Dense(out_units)

        def call(self, x):
            for layer in self.hidden:
                x = layer(x)
            return self.head(self.norm(x))

        def get_config(self):
            return {**super().get_config(), "units": self.units, "out_units": self.out_units}

    return FuzzModel
