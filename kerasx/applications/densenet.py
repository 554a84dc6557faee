"""DenseNet121, DenseNet169 and DenseNet201 (`keras.applications.densenet`; Huang et al.,
CVPR 2017)."""

from kerasx.applications import _builder, imagenet_utils

BASE_WEIGHTS_PATH = "https://storage.googleapis.com/tensorflow/keras-applications/densenet/"
_EPSILON = 1.001e-5
# blocks -> (weights name, hash with top, hash without)
_WEIGHTS = {
    (6, 12, 24, 16): ("densenet121", "9d60b8095a5708f2dcce2bca79d332c7",
                      "30ee3e1110167f948a6b9946edeeb738"),
    (6, 12, 32, 32): ("densenet169", "d699b8f76981ab1b30698df4c175e90b",
                      "b8c4d4c20dd625c148057b9ff1c1176b"),
    (6, 12, 48, 32): ("densenet201", "1ceb130c1ea1b78c3bf6114dbdfd8807",
                      "c13680b51ded0fb44dff2d8f86ac8bb1"),
}

_ARGS_DOC = """
    Args:
        include_top: whether to include the fully-connected layer on top.
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


def dense_block(x, blocks, name):
    """`blocks` convolution blocks, each concatenating 32 new channels."""
    for i in range(blocks):
        x = conv_block(x, 32, name=f"{name}_block{i + 1}")
    return x


def transition_block(x, reduction, name):
    """Batch norm, ReLU, a 1x1 convolution keeping `reduction` of the channels, 2x2
    average pooling."""
    from kerasx import layers

    bn_axis = _builder.channel_axis()
    x = layers.BatchNormalization(axis=bn_axis, epsilon=_EPSILON, name=f"{name}_bn")(x)
    x = layers.Activation("relu", name=f"{name}_relu")(x)
    x = layers.Conv2D(int(x.shape[bn_axis] * reduction), 1, use_bias=False,
                      name=f"{name}_conv")(x)
    return layers.AveragePooling2D(2, strides=2, name=f"{name}_pool")(x)


def conv_block(x, growth_rate, name):
    """A bottleneck (1x1 then 3x3 convolution) whose `growth_rate` channels are
    concatenated to its input."""
    from kerasx import layers

    bn_axis = _builder.channel_axis()
    x1 = layers.BatchNormalization(axis=bn_axis, epsilon=_EPSILON, name=f"{name}_0_bn")(x)
    x1 = layers.Activation("relu", name=f"{name}_0_relu")(x1)
    x1 = layers.Conv2D(4 * growth_rate, 1, use_bias=False, name=f"{name}_1_conv")(x1)
    x1 = layers.BatchNormalization(axis=bn_axis, epsilon=_EPSILON, name=f"{name}_1_bn")(x1)
    x1 = layers.Activation("relu", name=f"{name}_1_relu")(x1)
    x1 = layers.Conv2D(growth_rate, 3, padding="same", use_bias=False, name=f"{name}_2_conv")(x1)
    return layers.Concatenate(axis=bn_axis, name=f"{name}_concat")([x, x1])


def DenseNet(blocks, include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
             pooling=None, classes=1000, classifier_activation="softmax", name="densenet"):
    """A DenseNet with `blocks[i]` convolution blocks in dense block `i + 1`."""
    from kerasx import layers

    if not _builder.channels_last():
        raise ValueError("DenseNet does not support the `channels_first` image data format. "
                         "Switch to `channels_last` with "
                         "keras.config.set_image_data_format('channels_last').")
    _builder.check_weights(weights, include_top, classes)
    input_shape = _builder.input_shape_for(input_shape, include_top, weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    bn_axis = _builder.channel_axis()
    x = layers.ZeroPadding2D(padding=((3, 3), (3, 3)))(img_input)
    x = layers.Conv2D(64, 7, strides=2, use_bias=False, name="conv1_conv")(x)
    x = layers.BatchNormalization(axis=bn_axis, epsilon=_EPSILON, name="conv1_bn")(x)
    x = layers.Activation("relu", name="conv1_relu")(x)
    x = layers.ZeroPadding2D(padding=((1, 1), (1, 1)))(x)
    x = layers.MaxPooling2D(3, strides=2, name="pool1")(x)
    for i, count in enumerate(blocks):
        x = dense_block(x, count, name=f"conv{i + 2}")
        if i < len(blocks) - 1:
            x = transition_block(x, 0.5, name=f"pool{i + 2}")
    x = layers.BatchNormalization(axis=bn_axis, epsilon=_EPSILON, name="bn")(x)
    x = layers.Activation("relu", name="relu")(x)
    if include_top:
        x = layers.GlobalAveragePooling2D(name="avg_pool")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _builder.pooled(x, pooling, "avg_pool", "max_pool")
    model = _builder.make_model(input_tensor, img_input, x, name)

    def imagenet():
        if tuple(blocks) not in _WEIGHTS:
            raise ValueError(f"There are no ImageNet weights for DenseNet blocks={blocks}: "
                             f"only for {[list(b) for b in _WEIGHTS]}. Use weights=None.")
        weights_name, top_hash, notop_hash = _WEIGHTS[tuple(blocks)]
        fname = (f"{weights_name}_weights_tf_dim_ordering_tf_kernels"
                 f"{'' if include_top else '_notop'}.h5")
        return fname, BASE_WEIGHTS_PATH + fname, top_hash if include_top else notop_hash

    return _builder.finish(model, weights, imagenet)


def DenseNet121(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet121"):
    """The DenseNet121 model; inputs go through
    `keras.applications.densenet.preprocess_input` (mode "torch").
    """
    return DenseNet([6, 12, 24, 16], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name=name)


def DenseNet169(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet169"):
    """The DenseNet169 model; inputs go through
    `keras.applications.densenet.preprocess_input` (mode "torch").
    """
    return DenseNet([6, 12, 32, 32], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name=name)


def DenseNet201(include_top=True, weights="imagenet", input_tensor=None, input_shape=None,
                pooling=None, classes=1000, classifier_activation="softmax",
                name="densenet201"):
    """The DenseNet201 model; inputs go through
    `keras.applications.densenet.preprocess_input` (mode "torch").
    """
    return DenseNet([6, 12, 48, 32], include_top, weights, input_tensor, input_shape, pooling,
                    classes, classifier_activation, name=name)


for _builder_fn in (DenseNet121, DenseNet169, DenseNet201):
    if _builder_fn.__doc__:  # None under python -OO
        _builder_fn.__doc__ += _ARGS_DOC


def preprocess_input(x, data_format=None):
    """Scales pixels to [0, 1] and normalizes each channel with the ImageNet means and
    standard deviations (`imagenet_utils.preprocess_input` with mode "torch")."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="torch")


def decode_predictions(preds, top=5):
    """The `top` ImageNet classes of each prediction (see `imagenet_utils`)."""
    return imagenet_utils.decode_predictions(preds, top=top)
