"""ResNet50V2, ResNet101V2 and ResNet152V2 (`keras.applications.resnet_v2`)."""

from kerasx.applications import imagenet_utils, resnet


def _v2(depths, weights_name, include_top, weights, input_tensor, input_shape, pooling, classes,
        classifier_activation, name):
    def stack_fn(x):
        x = resnet.stack_residual_blocks_v2(x, 64, depths[0], name="conv2")
        x = resnet.stack_residual_blocks_v2(x, 128, depths[1], name="conv3")
        x = resnet.stack_residual_blocks_v2(x, 256, depths[2], name="conv4")
        return resnet.stack_residual_blocks_v2(x, 512, depths[3], stride1=1, name="conv5")

    return resnet.ResNet(stack_fn, True, True, name=name, weights_name=weights_name,
                         include_top=include_top, weights=weights, input_tensor=input_tensor,
                         input_shape=input_shape, pooling=pooling, classes=classes,
                         classifier_activation=classifier_activation)


def ResNet50V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
               pooling=None, classes=1000, classifier_activation="softmax", name="resnet50v2"):
    """The ResNet50V2 model (He et al., "Identity Mappings in Deep Residual Networks",
    2016); inputs go through `keras.applications.resnet_v2.preprocess_input` (mode "tf").
    """
    return _v2((3, 4, 6, 3), "resnet50v2", include_top, weights, input_tensor, input_shape,
               pooling, classes, classifier_activation, name)


def ResNet101V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet101v2"):
    """The ResNet101V2 model (He et al., 2016); inputs go through
    `keras.applications.resnet_v2.preprocess_input` (mode "tf").
    """
    return _v2((3, 4, 23, 3), "resnet101v2", include_top, weights, input_tensor, input_shape,
               pooling, classes, classifier_activation, name)


def ResNet152V2(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="resnet152v2"):
    """The ResNet152V2 model (He et al., 2016); inputs go through
    `keras.applications.resnet_v2.preprocess_input` (mode "tf").
    """
    return _v2((3, 8, 36, 3), "resnet152v2", include_top, weights, input_tensor, input_shape,
               pooling, classes, classifier_activation, name)


for _builder_fn in (ResNet50V2, ResNet101V2, ResNet152V2):
    if _builder_fn.__doc__:  # None under python -OO
        _builder_fn.__doc__ += resnet._ARGS_DOC


def preprocess_input(x, data_format=None):
    """Scales pixels to [-1, 1] (`imagenet_utils.preprocess_input` with mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction (see `imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)
