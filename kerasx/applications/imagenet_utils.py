"""ImageNet helpers shared by the application models: `preprocess_input`,
`decode_predictions`, and the input-shape checks of the builders."""

import json
import warnings

from kerasx.utils.file_download import get_file

CLASS_INDEX = None
CLASS_INDEX_PATH = ("https://storage.googleapis.com/download.tensorflow.org/"
                    "data/imagenet_class_index.json")
_CLASS_INDEX_HASH = "c2c37ea517e94d9795004a39431a14cb"

_MODES = ("caffe", "tf", "torch")
_CAFFE_MEAN = (103.939, 116.779, 123.68)  # BGR
_TORCH_MEAN = (0.485, 0.456, 0.406)
_TORCH_STD = (0.229, 0.224, 0.225)


def preprocess_input(x, data_format=None, mode="caffe"):
    """Preprocesses a batch of images (or one image) with values in [0, 255].

    Args:
        x: a 3D or 4D float array or tensor with 3 color channels. A NumPy
            array is processed in place where its dtype allows (use a copy to
            keep the original); a non-float one is first cast to `floatx()`.
        data_format: `"channels_last"` or `"channels_first"` (default:
            `keras.config.image_data_format()`).
        mode: `"caffe"` (RGB to BGR, then each channel zero-centered with the
            ImageNet means, no scaling), `"tf"` (scaled to [-1, 1]) or
            `"torch"` (scaled to [0, 1], then each channel normalized with the
            ImageNet means and standard deviations).

    Returns:
        The preprocessed array (a NumPy array for a NumPy input, else a tensor).

    Raises:
        ValueError: for an unknown `mode` or `data_format`.
    """
    if mode not in _MODES:
        raise ValueError(f"Expected mode to be one of `caffe`, `tf` or `torch`. "
                         f"Received: mode={mode}")
    data_format = _data_format(data_format)
    from kerasx.backends.host import is_host_array

    if is_host_array(x):
        return _preprocess_host(x, data_format, mode)
    return _preprocess_tensor(x, data_format, mode)


def _data_format(data_format):
    from kerasx.config import image_data_format

    if data_format is None:
        return image_data_format()
    if data_format not in ("channels_first", "channels_last"):
        raise ValueError("Expected data_format to be one of `channels_first` or "
                         f"`channels_last`. Received: data_format={data_format}")
    return data_format


def _channel_index(ndim, data_format, channel):
    """The index tuple that selects one color channel."""
    if data_format == "channels_last":
        return (..., channel)
    return (channel,) if ndim == 3 else (slice(None), channel)


def _preprocess_host(x, data_format, mode):
    from kerasx.config import floatx

    if x.dtype.kind != "f":
        x = x.astype(floatx(), copy=False)
    if mode == "tf":
        x /= 127.5
        x -= 1.0
        return x
    if mode == "torch":
        x /= 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        mean, std = _CAFFE_MEAN, None
        if data_format == "channels_last":
            x = x[..., ::-1]
        else:
            x = x[::-1, ...] if x.ndim == 3 else x[:, ::-1, ...]
    for c in range(3):
        index = _channel_index(x.ndim, data_format, c)
        x[index] -= mean[c]
        if std is not None:
            x[index] /= std[c]
    return x


def _preprocess_tensor(x, data_format, mode):
    from kerasx import ops
    from kerasx.config import floatx

    from kerasx.backend import is_keras_tensor

    if not is_keras_tensor(x):  # a symbolic input is used as it is: no extra graph node
        x = ops.convert_to_tensor(x)
    if not str(x.dtype).startswith(("float", "bfloat")):
        x = ops.cast(x, floatx())
    if mode == "tf":
        return x / 127.5 - 1.0
    ndim = len(x.shape)
    channel_axis = -1 if data_format == "channels_last" else (0 if ndim == 3 else 1)
    if mode == "torch":
        x = x / 255.0
        mean, std = _TORCH_MEAN, _TORCH_STD
    else:
        x = ops.stack([x[_channel_index(ndim, data_format, c)] for c in (2, 1, 0)],
                      axis=channel_axis)
        mean, std = _CAFFE_MEAN, None
    shape = [1] * ndim
    shape[channel_axis] = 3
    # adds the negated means, as Keras does (an `Add` node in a functional graph)
    x = x + ops.reshape(ops.convert_to_tensor([-m for m in mean], dtype=x.dtype), shape)
    if std is not None:
        x = x / ops.reshape(ops.convert_to_tensor(list(std), dtype=x.dtype), shape)
    return x


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction, best first.

    The class index (`imagenet_class_index.json`) is downloaded into the Keras
    cache (`~/.keras/models/`) the first time it is needed.

    Args:
        preds: a batch of predictions, shape `(samples, 1000)`.
        top: how many classes to return per sample.

    Returns:
        One list per sample of `(class_name, class_description, score)` tuples.

    Raises:
        ValueError: when `preds` is not of shape `(samples, 1000)`.
    """
    global CLASS_INDEX

    shape = tuple(getattr(preds, "shape", ()))
    if len(shape) != 2 or shape[1] != 1000:
        raise ValueError("`decode_predictions` expects a batch of predictions (i.e. a 2D array "
                         f"of shape (samples, 1000)). Received array with shape: {shape}")
    if CLASS_INDEX is None:
        fpath = get_file("imagenet_class_index.json", CLASS_INDEX_PATH, cache_subdir="models",
                         file_hash=_CLASS_INDEX_HASH)
        with open(fpath) as f:
            CLASS_INDEX = json.load(f)
    from kerasx import ops

    results = []
    for pred in ops.convert_to_numpy(preds):
        best = pred.argsort()[-top:][::-1]
        result = [tuple(CLASS_INDEX[str(int(i))]) + (pred[i],) for i in best]
        result.sort(key=lambda item: item[2], reverse=True)
        results.append(result)
    return results


def obtain_input_shape(input_shape, default_size, min_size, data_format, require_flatten,
                       weights=None):
    """The input shape of an application model: `input_shape` checked, or the default.

    Raises:
        ValueError: when `input_shape` does not suit the model (not 3 values,
            too small, not 3 channels with ImageNet weights, not the default
            size with ImageNet weights and the classifier, or not static with
            the classifier).
    """
    first = data_format == "channels_first"
    if weights != "imagenet" and input_shape and len(input_shape) == 3:
        channels = input_shape[0] if first else input_shape[-1]
        if channels not in (1, 3):
            warnings.warn("This model usually expects 1 or 3 input channels. However, it was "
                          f"passed an input_shape with {channels} input channels.", stacklevel=3)
        default_shape = ((input_shape[0], default_size, default_size) if first
                         else (default_size, default_size, input_shape[-1]))
    else:
        default_shape = (3, default_size, default_size) if first \
            else (default_size, default_size, 3)
    if weights == "imagenet" and require_flatten:
        if input_shape is not None and tuple(input_shape) != default_shape:
            raise ValueError("When setting `include_top=True` and loading `imagenet` weights, "
                             f"`input_shape` should be {default_shape}.  "
                             f"Received: input_shape={input_shape}")
        return default_shape
    if input_shape:
        if len(input_shape) != 3:
            raise ValueError("`input_shape` must be a tuple of three integers. "
                             f"Received: input_shape={input_shape}")
        channels = input_shape[0] if first else input_shape[-1]
        if channels != 3 and weights == "imagenet":
            raise ValueError(f"The input must have 3 channels; Received "
                             f"`input_shape={input_shape}`")
        spatial = input_shape[1:] if first else input_shape[:2]
        if any(size is not None and size < min_size for size in spatial):
            raise ValueError(f"Input size must be at least {min_size}x{min_size}; Received: "
                             f"input_shape={input_shape}")
    elif require_flatten:
        input_shape = default_shape
    else:
        input_shape = (3, None, None) if first else (None, None, 3)
    if require_flatten and None in tuple(input_shape):
        raise ValueError("If `include_top` is True, you should specify a static "
                         f"`input_shape`. Received: input_shape={input_shape}")
    return tuple(input_shape)


def correct_pad(inputs, kernel_size):
    """The `((top, bottom), (left, right))` zero padding before a strided 'valid'
    convolution of size `kernel_size`, as TensorFlow's 'same' pads."""
    from kerasx.config import image_data_format

    first_axis = 2 if image_data_format() == "channels_first" else 1
    rows, cols = inputs.shape[first_axis:first_axis + 2]
    if isinstance(kernel_size, int):
        kernel_size = (kernel_size, kernel_size)
    adjust = (1, 1) if rows is None else (1 - rows % 2, 1 - cols % 2)
    half = (kernel_size[0] // 2, kernel_size[1] // 2)
    return ((half[0] - adjust[0], half[0]), (half[1] - adjust[1], half[1]))


def validate_activation(classifier_activation, weights):
    """Raises unless `classifier_activation` is None or softmax when `weights` are given."""
    if weights is None:
        return
    from kerasx import activations

    activation = activations.get(classifier_activation)
    if activation not in (activations.get("softmax"), activations.get(None)):
        raise ValueError("Only `None` and `softmax` activations are allowed for the "
                         "`classifier_activation` argument when using pretrained weights, with "
                         f"`include_top=True`; Received: "
                         f"classifier_activation={classifier_activation}")
