"""VGG19 (`keras.applications.vgg19`)."""

from kerasx.applications import imagenet_utils
from kerasx.applications._vgg import build_vgg

_HASHES = ("cbe5617147190e668d6c5d5026f83318", "253f8cb515780f3b799900260a226db6")


def VGG19(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
          pooling=None, classes=1000, classifier_activation="softmax", name="vgg19"):
    """The VGG19 model (Simonyan & Zisserman, ICLR 2015), optionally with ImageNet weights.

    Inputs go through `keras.applications.vgg19.preprocess_input` first (RGB to
    BGR, zero-centered with the ImageNet channel means). The default input size
    is 224x224.

    Args:
        include_top: whether to include the 3 fully-connected layers on top.
        weights: `None` (random initialization), `"imagenet"` (pre-training on
            ImageNet, downloaded once into `~/.keras/models/`) or the path of a
            weights file.
        input_tensor: optional Keras tensor (output of `keras.Input()`) to use
            as the image input.
        input_shape: optional shape tuple, only to be given with
            `include_top=False` or random weights (otherwise it is
            `(224, 224, 3)`); 3 channels, height and width at least 32.
        pooling: with `include_top=False`: None (the 4D output of the last
            convolutional block), `"avg"` or `"max"` (global pooling, 2D output).
        classes: the number of classes, only with `include_top=True` and
            without `weights="imagenet"`.
        classifier_activation: the activation of the top layer (a name or a
            callable; None returns logits). Only None or `"softmax"` with
            pretrained weights.
        name: the model's name.

    Returns:
        A `Model`.
    """
    return build_vgg((2, 2, 4, 4, 4), "vgg19", _HASHES, include_top, weights, input_tensor,
                     input_shape, pooling, classes, classifier_activation, name)


def preprocess_input(x, data_format=None):
    """Converts images from RGB to BGR and zero-centers each channel with the ImageNet
    means, without scaling (`imagenet_utils.preprocess_input` with mode "caffe")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="caffe")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction (see `imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)
