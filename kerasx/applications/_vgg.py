"""The VGG network (Simonyan & Zisserman, 2015), shared by VGG16 and VGG19."""

from kerasx.applications import _builder, imagenet_utils

_BASE = "https://storage.googleapis.com/tensorflow/keras-applications/"


def build_vgg(convs_per_block, weights_name, file_hashes, include_top, weights, input_tensor,
              input_shape, pooling, classes, classifier_activation, name):
    """A VGG with `convs_per_block[i]` 3x3 convolutions in block `i + 1`."""
    from kerasx import layers

    _builder.check_weights(weights, include_top, classes)
    input_shape = _builder.input_shape_for(input_shape, include_top, weights)
    img_input = _builder.image_input(input_tensor, input_shape)
    x = img_input
    for block, (convs, filters) in enumerate(zip(convs_per_block, (64, 128, 256, 512, 512)), 1):
        for i in range(1, convs + 1):
            x = layers.Conv2D(filters, (3, 3), activation="relu", padding="same",
                              name=f"block{block}_conv{i}")(x)
        x = layers.MaxPooling2D((2, 2), strides=(2, 2), name=f"block{block}_pool")(x)
    if include_top:
        x = layers.Flatten(name="flatten")(x)
        x = layers.Dense(4096, activation="relu", name="fc1")(x)
        x = layers.Dense(4096, activation="relu", name="fc2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Dense(classes, activation=classifier_activation, name="predictions")(x)
    else:
        x = _builder.pooled(x, pooling)
    model = _builder.make_model(input_tensor, img_input, x, name)

    def imagenet():
        suffix = "" if include_top else "_notop"
        fname = f"{weights_name}_weights_tf_dim_ordering_tf_kernels{suffix}.h5"
        return fname, f"{_BASE}{weights_name}/{fname}", file_hashes[0 if include_top else 1]

    return _builder.finish(model, weights, imagenet)
