"""MobileNet (`keras.applications.mobilenet`; Howard et al., 2017)."""

import warnings

from kerasx.applications import _builder, imagenet_utils

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet/"
_SIZES = (128, 160, 192, 224)
_ALPHA_TEXT = {1.0: "1_0", 0.75: "7_5", 0.5: "5_0"}


def MobileNet(input_shape=None, alpha=1.0, depth_multiplier=1, dropout=1e-3, include_top=True,
              weights="imagenet", input_tensor=None, pooling=None, classes=1000,
              classifier_activation="softmax", name=None):
    """The MobileNet model; inputs go through `keras.applications.mobilenet.preprocess_input`
    (scaled to [-1, 1]).

    Args:
        input_shape: optional shape tuple (3 channels, at least 32x32); with
            `include_top=True` and ImageNet weights it must be the default size.
        alpha: the width multiplier: below 1 thins every layer, above 1 widens
            it. ImageNet weights exist for 0.25, 0.50, 0.75 and 1.0.
        depth_multiplier: the depth multiplier of the depthwise convolutions
            (1 with ImageNet weights).
        dropout: the dropout rate before the classifier.
        include_top: whether to include the classifier on top.
        weights: `None` (random initialization), `"imagenet"` (downloaded once
            into `~/.keras/models/`; sizes 128, 160, 192 and 224, else the
            224 weights are used with a warning) or the path of a weights file.
        input_tensor: optional Keras tensor to use as the image input.
        pooling: with `include_top=False`: None, `"avg"` or `"max"`.
        classes: the number of classes (1000 with ImageNet weights and top).
        classifier_activation: the activation of the top layer (None or
            `"softmax"` with pretrained weights).
        name: the model's name (default `mobilenet_<alpha>_<rows>`).

    Returns:
        A `Model`.
    """
    from kerasx import layers

    _builder.check_weights(weights, include_top, classes)
    default_size = 224
    if input_shape is not None:
        rows, cols = input_shape[:2] if _builder.channels_last() else input_shape[1:3]
        if rows == cols and rows in _SIZES:
            default_size = rows
    input_shape = _builder.input_shape_for(input_shape, include_top, weights, default_size)
    rows, cols = input_shape[:2] if _builder.channels_last() else input_shape[1:3]
    if weights == "imagenet":
        if depth_multiplier != 1:
            raise ValueError("If imagenet weights are being loaded, depth multiplier must be "
                             f"1.  Received depth_multiplier={depth_multiplier}")
        if alpha not in (0.25, 0.5, 0.75, 1.0):
            raise ValueError("If imagenet weights are being loaded, alpha can be one of"
                             "`0.25`, `0.50`, `0.75` or `1.0` only.  "
                             f"Received alpha={alpha}")
        if rows != cols or rows not in _SIZES:
            rows = 224
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not in "
                          "[128, 160, 192, 224]. Weights for input shape (224, 224) will be "
                          "loaded as the default.", stacklevel=2)
    img_input = _builder.image_input(input_tensor, input_shape)
    x = _conv_block(img_input, 32, alpha, strides=(2, 2))
    plan = ((64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1),
            (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1))
    for block_id, (filters, stride) in enumerate(plan, 1):
        x = _depthwise_conv_block(x, filters, alpha, depth_multiplier,
                                  strides=(stride, stride), block_id=block_id)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = _builder.pooled(x, pooling)
    if name is None:
        name = f"mobilenet_{alpha:0.2f}_{rows}"
    model = _builder.make_model(input_tensor, img_input, x, name)

    def imagenet():
        fname = (f"mobilenet_{_ALPHA_TEXT.get(alpha, '2_5')}_{rows}_tf"
                 f"{'' if include_top else '_no_top'}.h5")
        return fname, BASE_WEIGHT_PATH + fname, None

    return _builder.finish(model, weights, imagenet)


def _conv_block(inputs, filters, alpha, kernel=(3, 3), strides=(1, 1)):
    from kerasx import layers

    x = layers.Conv2D(int(filters * alpha), kernel, padding="same", use_bias=False,
                      strides=strides, name="conv1")(inputs)
    x = layers.BatchNormalization(axis=_axis(), name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_conv_block(inputs, pointwise_conv_filters, alpha, depth_multiplier=1,
                          strides=(1, 1), block_id=1):
    from kerasx import layers

    x = inputs
    if strides != (1, 1):
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block_id}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == (1, 1) else "valid",
                               depth_multiplier=depth_multiplier, strides=strides,
                               use_bias=False, name=f"conv_dw_{block_id}")(x)
    x = layers.BatchNormalization(axis=_axis(), name=f"conv_dw_{block_id}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block_id}_relu")(x)
    x = layers.Conv2D(int(pointwise_conv_filters * alpha), (1, 1), padding="same",
                      use_bias=False, strides=(1, 1), name=f"conv_pw_{block_id}")(x)
    x = layers.BatchNormalization(axis=_axis(), name=f"conv_pw_{block_id}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block_id}_relu")(x)


def _axis():
    return -1 if _builder.channels_last() else 1


def preprocess_input(x, data_format=None):
    """Scales pixels to [-1, 1] (`imagenet_utils.preprocess_input` with mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction (see `imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)
