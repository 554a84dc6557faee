"""`DataLayer`: what Keras's preprocessing layers that run in data pipelines share."""

from kerasx import ops
from kerasx.autodiff.tensor import TensorOps
from kerasx.backends import available_backends, current, get_backend


class DataLayer:
    """A mixin of the preprocessing layers that are Keras `DataLayer`s."""

    # they take Python values (e.g. a list of numbers) as their inputs
    _allow_non_tensor_positional_args = True

    def convert_weight(self, weight):
        """`weight` (a variable, a tensor or an array) as a tensor of the active
        backend, for a layer whose weights were made before
        `kerasx.backends.use_backend` switched backends (Keras converts a weight of
        another backend the same way, through the host). A weight of the active
        backend is returned as it is."""
        value = weight.value if isinstance(weight, TensorOps) else weight
        backend = current()
        if backend.is_native(value):
            return weight
        library = type(value).__module__.split(".")[0]
        if library != "numpy" and library in available_backends():
            value = get_backend(library).to_numpy(value)
        return ops.convert_to_tensor(value)
