"""Pickling a model (`pickle.dumps(model)`, `copy.deepcopy(model)`): the model travels as
the contents of its `.keras` file (config, weights and optimizer state), as Keras 3's
models do. Unpickling runs the config without `safe_mode`: a pickle is trusted code
anyway."""

import io
import json

from kerasx.saving import h5_weights
from kerasx.saving.keras_archive import _compile, _deserialize_model, archive_bytes


def reduce_model(model):
    """`model.__reduce__()`: how pickle rebuilds it."""
    _, config, weights = archive_bytes(model)
    return unpickle_model, (config, weights)


def unpickle_model(config, weights):
    """The model of `reduce_model`'s config and weights bytes."""
    config = json.loads(config.decode("utf-8"))
    compile_config = config.pop("compile_config", None)
    model = _deserialize_model(config, "a pickled model", None, safe_mode=False)
    if compile_config:
        _compile(model, compile_config, None, safe_mode=False)
    h5py = h5_weights.import_h5py()
    with h5py.File(io.BytesIO(weights), "r") as f:
        h5_weights.load_weights_from_h5(model, f, source="a pickled model")
    return model
