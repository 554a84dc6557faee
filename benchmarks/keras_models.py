"""The workload models in Keras's API, built with whichever library is passed in:
Keras 3 (`impl_keras`) and kerasx (`impl_kerasx`) run the very same code."""


def build(keras, workload, **compile_args):
    """The compiled model of `workload`, with `keras` the `keras` or `kerasx` module
    (`compile_args`, such as `jit_compile`, go to `compile`)."""
    layers = keras.layers
    name = workload.name
    if name == "mlp":
        body = [layers.Dense(512, activation="relu"), layers.Dropout(0.2),
                layers.Dense(512, activation="relu"), layers.Dropout(0.2),
                layers.Dense(10, activation="softmax")]
    elif name == "cnn":
        body = [layers.Conv2D(32, 3, activation="relu"), layers.MaxPooling2D(2),
                layers.Conv2D(64, 3, activation="relu"), layers.MaxPooling2D(2),
                layers.Flatten(), layers.Dropout(0.5), layers.Dense(10, activation="softmax")]
    elif name == "lstm":
        body = [layers.LSTM(128), layers.Dense(1, activation="sigmoid")]
    elif name == "gru":
        body = [layers.GRU(128), layers.Dense(1, activation="sigmoid")]
    elif name == "convbn":
        body = [layer for filters in (32, 64) for layer in (
            layers.Conv2D(filters, 3, padding="same"), layers.BatchNormalization(),
            layers.ReLU(), layers.MaxPooling2D(2))]
        body += [layers.Flatten(), layers.Dense(10, activation="softmax")]
    elif name == "textcnn":
        body = [layers.Embedding(workload.vocabulary, 64), layers.Conv1D(128, 5, activation="relu"),
                layers.GlobalMaxPooling1D(), layers.Dense(1, activation="sigmoid")]
    elif name == "imdb":
        body = [layers.Embedding(workload.vocabulary, 16), layers.GlobalAveragePooling1D(),
                layers.Dense(16, activation="relu"), layers.Dense(1, activation="sigmoid")]
    elif name == "deep":
        body = [layer for _ in range(10) for layer in (
            layers.Dense(64), layers.BatchNormalization(), layers.ReLU())]
        body += [layers.Dense(10, activation="softmax")]
    elif name == "lenet":
        body = [layers.Conv2D(32, 3, activation="relu"), layers.AveragePooling2D(2),
                layers.Conv2D(64, 3, activation="relu"), layers.AveragePooling2D(2),
                layers.Flatten(), layers.Dense(10, activation="softmax")]
    elif name == "cifar":
        body = []
        for filters in (32, 64):
            body += [layers.Conv2D(filters, 3, padding="same", activation="relu"),
                     layers.Conv2D(filters, 3, activation="relu"), layers.MaxPooling2D(2),
                     layers.Dropout(0.25)]
        body += [layers.Flatten(), layers.Dense(512, activation="relu"), layers.Dropout(0.5),
                 layers.Dense(10, activation="softmax")]
    elif name == "vgg":
        body = [layers.Conv2D(32, 3, padding="same", activation="relu"),
                layers.Conv2D(32, 3, strides=2, padding="same", activation="relu"),
                layers.Conv2D(64, 3, padding="same", activation="relu"),
                layers.GlobalAveragePooling2D(), layers.Dense(10, activation="softmax")]
    elif name == "separable":
        body = [layers.Conv2D(32, 3, padding="same", activation="relu"),
                layers.SeparableConv2D(64, 3, padding="same", activation="relu"),
                layers.MaxPooling2D(2),
                layers.SeparableConv2D(128, 3, padding="same", activation="relu"),
                layers.GlobalAveragePooling2D(), layers.Dense(10, activation="softmax")]
    elif name == "stacked":
        body = [layers.LSTM(64, return_sequences=True), layers.LSTM(64),
                layers.Dense(10, activation="softmax")]
    elif name == "conv1d":
        body = [layers.Conv1D(64, 5, activation="relu"), layers.MaxPooling1D(2),
                layers.Conv1D(64, 5, activation="relu"), layers.AveragePooling1D(2),
                layers.Flatten(), layers.Dense(10, activation="softmax")]
    elif name == "tiny":
        body = [layers.Dense(10, activation="softmax")]
    elif name == "transformer":
        return _compiled(keras, workload, _transformer(keras, workload), compile_args)
    else:
        raise KeyError(f"no Keras model for the workload {name!r}")
    dtype = "int32" if workload.vocabulary else None
    model = keras.Sequential([keras.Input(shape=workload.input_shape, dtype=dtype)] + body)
    return _compiled(keras, workload, model, compile_args)


def _transformer(keras, workload):
    layers = keras.layers
    tokens = keras.Input(shape=workload.input_shape, dtype="int32")
    x = layers.Embedding(workload.vocabulary, 64)(tokens)
    x = layers.LayerNormalization()(x + layers.MultiHeadAttention(4, 16)(x, x))
    hidden = layers.Dense(128, activation="relu")(x)
    x = layers.LayerNormalization()(x + layers.Dense(64)(hidden))
    out = layers.Dense(1, activation="sigmoid")(layers.GlobalAveragePooling1D()(x))
    return keras.Model(tokens, out)


def _compiled(keras, workload, model, compile_args):
    optimizer = keras.optimizers.Adam(1e-3) if workload.optimizer == "adam" else keras.optimizers.SGD(0.01)
    loss = "binary_crossentropy" if workload.classes == 1 else "sparse_categorical_crossentropy"
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"], **compile_args)
    return model
