"""The steps every application builder shares: argument checks, the input, the
pooling head, the model and its weights."""

import os

from kerasx.applications import imagenet_utils
from kerasx.utils.file_download import get_file

_WEIGHTS_MESSAGE = ("The `weights` argument should be either `None` (random initialization), "
                    "'imagenet' (pre-training on ImageNet), or the path to the weights file to "
                    "be loaded.  Received: weights={weights}")
_CLASSES_MESSAGE = ("If using `weights='imagenet'` with `include_top=True`, `classes` should be "
                    "1000.  Received classes={classes}")


def check_weights(weights, include_top, classes):
    """Raises unless `weights` is None, "imagenet" or an existing file, and unless
    `classes` is 1000 for the ImageNet classifier."""
    if not (weights is None or (isinstance(weights, str) and weights == "imagenet")
            or _is_file(weights)):
        raise ValueError(_WEIGHTS_MESSAGE.format(weights=weights))
    if weights == "imagenet" and include_top and classes != 1000:
        raise ValueError(_CLASSES_MESSAGE.format(classes=classes))


def _is_file(path):
    try:
        return os.path.exists(os.fspath(path))
    except TypeError:
        return False


def channels_last():
    from kerasx.config import image_data_format

    return image_data_format() == "channels_last"


def channel_axis():
    """The channel axis of a 4D image batch (3 or 1), as the batch norms use it."""
    return 3 if channels_last() else 1


def input_shape_for(input_shape, include_top, weights, default_size=224, min_size=32):
    return imagenet_utils.obtain_input_shape(
        input_shape, default_size=default_size, min_size=min_size,
        data_format="channels_last" if channels_last() else "channels_first",
        require_flatten=include_top, weights=weights)


def image_input(input_tensor, input_shape):
    """`input_tensor` when it is a Keras tensor, else a new `Input` of `input_shape`."""
    from kerasx.backend import is_keras_tensor
    from kerasx.layers import Input

    if input_tensor is None:
        return Input(shape=input_shape)
    if not is_keras_tensor(input_tensor):
        return Input(tensor=input_tensor, shape=input_shape)
    return input_tensor


def pooled(x, pooling, avg_name=None, max_name=None):
    """The features `x` after the optional global pooling of `include_top=False`."""
    from kerasx import layers

    if pooling == "avg":
        return layers.GlobalAveragePooling2D(name=avg_name)(x)
    if pooling == "max":
        return layers.GlobalMaxPooling2D(name=max_name)(x)
    return x


def make_model(input_tensor, img_input, outputs, name):
    """The functional model from the sources of `input_tensor` (or `img_input`) to `outputs`."""
    from kerasx.models import Functional
    from kerasx.utils.source_inputs import get_source_inputs

    inputs = img_input if input_tensor is None else get_source_inputs(input_tensor)
    return Functional(inputs, outputs, name=name)


def load_imagenet(model, fname, origin, file_hash=None):
    """Downloads (once, into `~/.keras/models/`) and loads Keras's pretrained weights."""
    path = get_file(fname, origin, cache_subdir="models", file_hash=file_hash)
    load_weights(model, path)


def load_weights(model, path):
    """Loads a weights file: legacy Keras 2 `.h5` (as Keras's pretrained weights are
    stored), or whatever `model.load_weights` reads."""
    path = os.fspath(path)
    if path.endswith((".h5", ".hdf5")) and not path.endswith(".weights.h5"):
        from kerasx.saving.legacy_h5 import load_legacy_h5_weights

        return load_legacy_h5_weights(model, path)
    return model.load_weights(path)


def finish(model, weights, imagenet):
    """Loads `weights` into `model`: "imagenet" through `imagenet()` (which returns
    `(fname, origin, file_hash)`), a path directly, None not at all."""
    if weights == "imagenet":
        load_imagenet(model, *imagenet())
    elif weights is not None:
        load_weights(model, weights)
    return model
