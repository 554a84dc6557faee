"""MobileNetV3Small and MobileNetV3Large (`keras.applications.mobilenet_v3`; Howard et
al., ICCV 2019).

With `include_preprocessing=True` (the default) the models take pixels in
[0, 255] and rescale them themselves, so `preprocess_input` is the identity.
"""

import warnings

from kerasx.applications import _builder, imagenet_utils

BASE_WEIGHT_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
WEIGHTS_HASHES = {
    "large_224_0.75_float": ("765b44a33ad4005b3ac83185abf1d0eb",
                             "40af19a13ebea4e2ee0c676887f69a2e"),
    "large_224_1.0_float": ("59e551e166be033d707958cf9e29a6a7",
                            "07fb09a5933dd0c8eaafa16978110389"),
    "large_minimalistic_224_1.0_float": ("675e7b876c45c57e9e63e6d90a36599c",
                                         "ec5221f64a2f6d1ef965a614bdae7973"),
    "small_224_0.75_float": ("cb65d4e5be93758266aa0a7f2c6708b7",
                             "ebdb5cc8e0b497cd13a7c275d475c819"),
    "small_224_1.0_float": ("8768d4c2e7dee89b9d02b2d03d65d862",
                            "d3e8ec802a04aa4fc771ee12a9a9b836"),
    "small_minimalistic_224_1.0_float": ("99cd97fb2fcdad2bf028eb838de69e37",
                                         "cde8136e733e811080d9fcd8a252f7e4"),
}

_ARGS_DOC = """
    Args:
        input_shape: optional shape tuple (at least 32x32); by default that of
            `input_tensor`, else any size.
        alpha: the width multiplier. ImageNet weights exist for 0.75 and 1.0
            (1.0 only when minimalistic).
        minimalistic: use the variant without squeeze-and-excite, hard-swish
            and 5x5 convolutions.
        include_top: whether to include the classifier on top.
        weights: `None` (random initialization), `"imagenet"` (downloaded once
            into `~/.keras/models/`; trained at 224x224) or the path of a
            weights file.
        input_tensor: optional Keras tensor to use as the image input.
        classes: the number of classes (1000 with ImageNet weights and top).
        pooling: with `include_top=False`: None, `"avg"` or `"max"`.
        dropout_rate: the dropout rate before the classifier's last layer.
        classifier_activation: the activation of the top layer (None or
            `"softmax"` with pretrained weights).
        include_preprocessing: whether the model rescales its [0, 255] input
            to [-1, 1] itself.
        name: the model's name.

    Returns:
        A `Model`.
"""


def MobileNetV3(stack_fn, last_point_ch, input_shape=None, alpha=1.0, model_type="large",
                minimalistic=False, include_top=True, weights="imagenet", input_tensor=None,
                classes=1000, pooling=None, dropout_rate=0.2, classifier_activation="softmax",
                include_preprocessing=True, name=None):
    """A MobileNetV3 whose inverted residual blocks `stack_fn(x, kernel, activation,
    se_ratio)` adds."""
    from kerasx import layers
    from kerasx.backend import is_keras_tensor

    _builder.check_weights(weights, include_top, classes)
    last = _builder.channels_last()
    if input_tensor is not None and not is_keras_tensor(input_tensor):
        raise ValueError(f"input_tensor specified: {input_tensor!r} is not a keras tensor")
    if input_shape is not None and input_tensor is not None:
        if not last and input_tensor.shape[1] != input_shape[1]:
            raise ValueError("When backend.image_data_format()=channels_first, input_shape[1] "
                             f"must equal input_tensor.shape[1].  Received input_shape="
                             f"{input_shape}, input_tensor.shape={input_tensor.shape}")
        if last and input_tensor.shape[2] != input_shape[1]:
            raise ValueError(f"input_shape[1] must equal input_tensor.shape[2].  Received "
                             f"input_shape={input_shape}, "
                             f"input_tensor.shape={input_tensor.shape}")
    if input_shape is None and input_tensor is not None:
        # as Keras: rows and columns are swapped here (they are equal for square inputs)
        if last:
            input_shape = (input_tensor.shape[2], input_tensor.shape[1], 3)
        else:
            input_shape = (3, input_tensor.shape[3], input_tensor.shape[2])
    if input_shape is None:
        input_shape = (None, None, 3) if last else (3, None, None)
    rows, cols = input_shape[:2] if last else input_shape[1:3]
    if rows and cols and (rows < 32 or cols < 32):
        raise ValueError(f"Input size must be at least 32x32; Received "
                         f"`input_shape={input_shape}`")
    if weights == "imagenet":
        if (not minimalistic and alpha not in (0.75, 1.0)) or (minimalistic and alpha != 1.0):
            raise ValueError("If imagenet weights are being loaded, alpha can be one of `0.75`, "
                             "`1.0` for non minimalistic or `1.0` for minimalistic only. "
                             f"Received: alpha={alpha}, minimalistic={minimalistic}")
        if rows != cols or rows != 224:
            warnings.warn("`input_shape` is undefined or non-square, or `rows` is not 224. "
                          "Weights for input shape (224, 224) will be loaded as the default.",
                          stacklevel=3)
    img_input = _builder.image_input(input_tensor, input_shape)
    axis = -1 if last else 1
    if minimalistic:
        kernel, activation, se_ratio = 3, relu, None
    else:
        kernel, activation, se_ratio = 5, hard_swish, 0.25
    x = img_input
    if include_preprocessing:
        x = layers.Rescaling(scale=1.0 / 127.5, offset=-1.0)(x)
    x = layers.Conv2D(16, kernel_size=3, strides=(2, 2), padding="same", use_bias=False,
                      name="conv")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="conv_bn")(x)
    x = activation(x)
    x = stack_fn(x, kernel, activation, se_ratio)
    last_conv_ch = _depth(x.shape[axis] * 6)
    if alpha > 1.0:
        last_point_ch = _depth(last_point_ch * alpha)
    x = layers.Conv2D(last_conv_ch, kernel_size=1, padding="same", use_bias=False,
                      name="conv_1")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999, name="conv_1_bn")(x)
    x = activation(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Conv2D(last_point_ch, kernel_size=1, padding="same", use_bias=True,
                          name="conv_2")(x)
        x = activation(x)
        if dropout_rate > 0:
            x = layers.Dropout(dropout_rate)(x)
        x = layers.Conv2D(classes, kernel_size=1, padding="same", name="logits")(x)
        x = layers.Flatten()(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    else:
        x = _builder.pooled(x, pooling, "avg_pool", "max_pool")
    model = _builder.make_model(input_tensor, img_input, x, name)

    def imagenet():
        model_name = f"{model_type}{'_minimalistic' if minimalistic else ''}_224_{alpha}_float"
        if include_top:
            fname, file_hash = f"weights_mobilenet_v3_{model_name}.h5", \
                WEIGHTS_HASHES[model_name][0]
        else:
            fname, file_hash = f"weights_mobilenet_v3_{model_name}_no_top_v2.h5", \
                WEIGHTS_HASHES[model_name][1]
        return fname, BASE_WEIGHT_PATH + fname, file_hash

    return _builder.finish(model, weights, imagenet)


def MobileNetV3Small(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
                     weights="imagenet", input_tensor=None, classes=1000, pooling=None,
                     dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Small"):
    """The MobileNetV3Small model."""

    def stack_fn(x, kernel, activation, se_ratio):
        def depth(d):
            return _depth(d * alpha)

        plan = ((1, 16, 3, 2, se_ratio, relu), (72.0 / 16, 24, 3, 2, None, relu),
                (88.0 / 24, 24, 3, 1, None, relu), (4, 40, kernel, 2, se_ratio, activation),
                (6, 40, kernel, 1, se_ratio, activation), (6, 40, kernel, 1, se_ratio, activation),
                (3, 48, kernel, 1, se_ratio, activation), (3, 48, kernel, 1, se_ratio, activation),
                (6, 96, kernel, 2, se_ratio, activation), (6, 96, kernel, 1, se_ratio, activation),
                (6, 96, kernel, 1, se_ratio, activation))
        for block_id, (expansion, filters, size, stride, se, act) in enumerate(plan):
            x = _inverted_res_block(x, expansion, depth(filters), size, stride, se, act, block_id)
        return x

    return MobileNetV3(stack_fn, 1024, input_shape, alpha, "small", minimalistic, include_top,
                       weights, input_tensor, classes, pooling, dropout_rate,
                       classifier_activation, include_preprocessing, name=name)


def MobileNetV3Large(input_shape=None, alpha=1.0, minimalistic=False, include_top=True,
                     weights="imagenet", input_tensor=None, classes=1000, pooling=None,
                     dropout_rate=0.2, classifier_activation="softmax",
                     include_preprocessing=True, name="MobileNetV3Large"):
    """The MobileNetV3Large model."""

    def stack_fn(x, kernel, activation, se_ratio):
        def depth(d):
            return _depth(d * alpha)

        plan = ((1, 16, 3, 1, None, relu), (4, 24, 3, 2, None, relu), (3, 24, 3, 1, None, relu),
                (3, 40, kernel, 2, se_ratio, relu), (3, 40, kernel, 1, se_ratio, relu),
                (3, 40, kernel, 1, se_ratio, relu), (6, 80, 3, 2, None, activation),
                (2.5, 80, 3, 1, None, activation), (2.3, 80, 3, 1, None, activation),
                (2.3, 80, 3, 1, None, activation), (6, 112, 3, 1, se_ratio, activation),
                (6, 112, 3, 1, se_ratio, activation), (6, 160, kernel, 2, se_ratio, activation),
                (6, 160, kernel, 1, se_ratio, activation),
                (6, 160, kernel, 1, se_ratio, activation))
        for block_id, (expansion, filters, size, stride, se, act) in enumerate(plan):
            x = _inverted_res_block(x, expansion, depth(filters), size, stride, se, act, block_id)
        return x

    return MobileNetV3(stack_fn, 1280, input_shape, alpha, "large", minimalistic, include_top,
                       weights, input_tensor, classes, pooling, dropout_rate,
                       classifier_activation, include_preprocessing, name=name)


for _builder_fn in (MobileNetV3Small, MobileNetV3Large):
    if _builder_fn.__doc__:  # None under python -OO
        _builder_fn.__doc__ += _ARGS_DOC


def relu(x):
    from kerasx import layers

    return layers.ReLU()(x)


def hard_sigmoid(x):
    from kerasx import layers

    return layers.ReLU(6.0)(x + 3.0) * (1.0 / 6.0)


def hard_swish(x):
    from kerasx import layers

    return layers.Activation("hard_swish")(x)


def _depth(v, divisor=8, min_value=None):
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


def _se_block(inputs, filters, se_ratio, prefix):
    from kerasx import layers

    x = layers.GlobalAveragePooling2D(keepdims=True,
                                      name=f"{prefix}squeeze_excite_avg_pool")(inputs)
    x = layers.Conv2D(_depth(filters * se_ratio), kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv")(x)
    x = layers.ReLU(name=f"{prefix}squeeze_excite_relu")(x)
    x = layers.Conv2D(filters, kernel_size=1, padding="same",
                      name=f"{prefix}squeeze_excite_conv_1")(x)
    x = hard_sigmoid(x)
    return layers.Multiply(name=f"{prefix}squeeze_excite_mul")([inputs, x])


def _inverted_res_block(x, expansion, filters, kernel_size, stride, se_ratio, activation,
                        block_id):
    from kerasx import layers

    axis = -1 if _builder.channels_last() else 1
    shortcut = x
    prefix = "expanded_conv_"
    infilters = x.shape[axis]
    if block_id:
        prefix = f"expanded_conv_{block_id}_"
        x = layers.Conv2D(_depth(infilters * expansion), kernel_size=1, padding="same",
                          use_bias=False, name=f"{prefix}expand")(x)
        x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999,
                                      name=f"{prefix}expand_bn")(x)
        x = activation(x)
    if stride == 2:
        x = layers.ZeroPadding2D(padding=imagenet_utils.correct_pad(x, kernel_size),
                                 name=f"{prefix}depthwise_pad")(x)
    x = layers.DepthwiseConv2D(kernel_size, strides=stride,
                               padding="same" if stride == 1 else "valid", use_bias=False,
                               name=f"{prefix}depthwise")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}depthwise_bn")(x)
    x = activation(x)
    if se_ratio:
        x = _se_block(x, _depth(infilters * expansion), se_ratio, prefix)
    x = layers.Conv2D(filters, kernel_size=1, padding="same", use_bias=False,
                      name=f"{prefix}project")(x)
    x = layers.BatchNormalization(axis=axis, epsilon=1e-3, momentum=0.999,
                                  name=f"{prefix}project_bn")(x)
    if stride == 1 and infilters == filters:
        x = layers.Add(name=f"{prefix}add")([shortcut, x])
    return x


def preprocess_input(x, data_format=None):
    """The identity: MobileNetV3 models rescale their input themselves
    (`include_preprocessing=True`). Kept for consistency with the other modules."""
    return x


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction (see `imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)
