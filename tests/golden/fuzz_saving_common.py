"""What the `fuzz_saving` family (run with Keras) and its test (run with kerasx) share:
the subclassed model, defined once for either library (`fuzz_model_class(K)` with `K` the
library's top module), and the layout of a weights file. Imports neither library."""

import io


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


def h5_layout(data):
    """The groups and datasets (`path shape dtype`) of an HDF5 file's bytes, in file order."""
    import h5py

    items = []
    with h5py.File(io.BytesIO(data), "r") as f:
        f.visititems(lambda n, o: items.append(
            f"{n} {str(o.shape).replace(' ', '')} {o.dtype}" if isinstance(o, h5py.Dataset)
            else n))
    return items
