"""InceptionV3 (`keras.applications.inception_v3`; Szegedy et al., CVPR 2016)."""

from kerasx.applications import _builder, imagenet_utils

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/inception_v3/"
_HASHES = ("9a0d58056eeedaa3f26cb7ebd46da564", "bcbd6486424b2319ff4ef7d526e38f63")


def InceptionV3(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="inception_v3"):
    """The Inception v3 model; inputs go through
    `keras.applications.inception_v3.preprocess_input` (scaled to [-1, 1]). The
    default input size is 299x299.

    Args:
        include_top: whether to include the fully-connected layer on top.
        weights: `None` (random initialization), `"imagenet"` (pre-training on
            ImageNet, downloaded once into `~/.keras/models/`) or the path of a
            weights file.
        input_tensor: optional Keras tensor (output of `keras.Input()`) to use
            as the image input.
        input_shape: optional shape tuple, only to be given with
            `include_top=False` or random weights (otherwise it is
            `(299, 299, 3)`); 3 channels, height and width at least 75.
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
    from kerasx import layers

    _builder.check_weights(weights, include_top, classes)
    input_shape = _builder.input_shape_for(input_shape, include_top, weights, default_size=299,
                                           min_size=75)
    img_input = _builder.image_input(input_tensor, input_shape)
    axis = _builder.channel_axis()

    def concat(branches, name=None):
        return layers.Concatenate(axis=axis, name=name)(branches)

    def avg_pool_branch(x, filters):
        pooled = layers.AveragePooling2D((3, 3), strides=(1, 1), padding="same")(x)
        return conv2d_bn(pooled, filters, 1, 1)

    x = conv2d_bn(img_input, 32, 3, 3, strides=(2, 2), padding="valid")
    x = conv2d_bn(x, 32, 3, 3, padding="valid")
    x = conv2d_bn(x, 64, 3, 3)
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = conv2d_bn(x, 80, 1, 1, padding="valid")
    x = conv2d_bn(x, 192, 3, 3, padding="valid")
    x = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    # mixed 0-2: 35 x 35 x 256, 288, 288
    for i, pool_filters in enumerate((32, 64, 64)):
        branch1x1 = conv2d_bn(x, 64, 1, 1)
        branch5x5 = conv2d_bn(conv2d_bn(x, 48, 1, 1), 64, 5, 5)
        branch3x3dbl = conv2d_bn(conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3)
        branch_pool = avg_pool_branch(x, pool_filters)
        x = concat([branch1x1, branch5x5, branch3x3dbl, branch_pool], f"mixed{i}")
    # mixed 3: 17 x 17 x 768
    branch3x3 = conv2d_bn(x, 384, 3, 3, strides=(2, 2), padding="valid")
    branch3x3dbl = conv2d_bn(conv2d_bn(x, 64, 1, 1), 96, 3, 3)
    branch3x3dbl = conv2d_bn(branch3x3dbl, 96, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = concat([branch3x3, branch3x3dbl, branch_pool], "mixed3")
    # mixed 4-7: 17 x 17 x 768, factorized 7x7 convolutions
    for i, width in enumerate((128, 160, 160, 192)):
        branch1x1 = conv2d_bn(x, 192, 1, 1)
        branch7x7 = conv2d_bn(x, width, 1, 1)
        branch7x7 = conv2d_bn(branch7x7, width, 1, 7)
        branch7x7 = conv2d_bn(branch7x7, 192, 7, 1)
        branch7x7dbl = conv2d_bn(x, width, 1, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, 1, 7)
        branch7x7dbl = conv2d_bn(branch7x7dbl, width, 7, 1)
        branch7x7dbl = conv2d_bn(branch7x7dbl, 192, 1, 7)
        branch_pool = avg_pool_branch(x, 192)
        x = concat([branch1x1, branch7x7, branch7x7dbl, branch_pool], f"mixed{4 + i}")
    # mixed 8: 8 x 8 x 1280
    branch3x3 = conv2d_bn(conv2d_bn(x, 192, 1, 1), 320, 3, 3, strides=(2, 2), padding="valid")
    branch7x7x3 = conv2d_bn(x, 192, 1, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 1, 7)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 7, 1)
    branch7x7x3 = conv2d_bn(branch7x7x3, 192, 3, 3, strides=(2, 2), padding="valid")
    branch_pool = layers.MaxPooling2D((3, 3), strides=(2, 2))(x)
    x = concat([branch3x3, branch7x7x3, branch_pool], "mixed8")
    # mixed 9-10: 8 x 8 x 2048
    for i in range(2):
        branch1x1 = conv2d_bn(x, 320, 1, 1)
        branch3x3 = conv2d_bn(x, 384, 1, 1)
        branch3x3_1 = conv2d_bn(branch3x3, 384, 1, 3)
        branch3x3_2 = conv2d_bn(branch3x3, 384, 3, 1)
        branch3x3 = concat([branch3x3_1, branch3x3_2], f"mixed9_{i}")
        branch3x3dbl = conv2d_bn(conv2d_bn(x, 448, 1, 1), 384, 3, 3)
        branch3x3dbl_1 = conv2d_bn(branch3x3dbl, 384, 1, 3)
        branch3x3dbl_2 = conv2d_bn(branch3x3dbl, 384, 3, 1)
        branch3x3dbl = concat([branch3x3dbl_1, branch3x3dbl_2])
        branch_pool = avg_pool_branch(x, 192)
        x = concat([branch1x1, branch3x3, branch3x3dbl, branch_pool], f"mixed{9 + i}")
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _builder.pooled(x, pooling)
    model = _builder.make_model(input_tensor, img_input, x, name)

    def imagenet():
        fname = (f"inception_v3_weights_tf_dim_ordering_tf_kernels"
                 f"{'' if include_top else '_notop'}.h5")
        return fname, _BASE + fname, _HASHES[0 if include_top else 1]

    return _builder.finish(model, weights, imagenet)


def conv2d_bn(x, filters, num_row, num_col, padding="same", strides=(1, 1), name=None):
    """A convolution without bias, batch norm without scale, and ReLU; `name` names the
    three layers `<name>_conv`, `<name>_bn` and `<name>`."""
    from kerasx import layers

    x = layers.Conv2D(filters, (num_row, num_col), strides=strides, padding=padding,
                      use_bias=False, name=None if name is None else f"{name}_conv")(x)
    x = layers.BatchNormalization(axis=_builder.channel_axis(), scale=False,
                                  name=None if name is None else f"{name}_bn")(x)
    return layers.Activation("relu", name=name)(x)


def preprocess_input(x, data_format=None):
    """Scales pixels to [-1, 1] (`imagenet_utils.preprocess_input` with mode "tf")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction (see `imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)
