"""The small models the interop fixtures and tests build, one per layer type.

Shared by `make_fixtures.py` (with Keras) and the tests (with kerasx): a spec
names a class of `keras.layers` / `kerasx.layers` and its arguments, so both
libraries build the same model from it. Needs neither keras nor kerasx.
"""

import numpy as np


def L(class_name, **kwargs):
    """A layer spec: its class name in `keras.layers` / `kerasx.layers` and its arguments;
    a nested `{"__layer__": spec}` value is built as a layer first."""
    return {"class_name": class_name, "kwargs": kwargs}


def nested(spec):
    return {"__layer__": spec}


SEQ, IMG, VOL, VEC = [5, 3], [6, 6, 2], [4, 4, 4, 2], [4]
LAYER_SPECS = {
    "dense": (L("Dense", units=3), [VEC]),
    "dense_no_bias": (L("Dense", units=3, use_bias=False), [VEC]),
    "activation": (L("Activation", activation="tanh"), [VEC]),
    "dropout": (L("Dropout", rate=0.3), [VEC]),
    "alpha_dropout": (L("AlphaDropout", rate=0.3), [VEC]),
    "gaussian_dropout": (L("GaussianDropout", rate=0.3), [VEC]),
    "gaussian_noise": (L("GaussianNoise", stddev=0.1), [VEC]),
    "spatial_dropout1d": (L("SpatialDropout1D", rate=0.3), [SEQ]),
    "spatial_dropout2d": (L("SpatialDropout2D", rate=0.3), [IMG]),
    "spatial_dropout3d": (L("SpatialDropout3D", rate=0.3), [VOL]),
    "identity": (L("Identity"), [VEC]),
    "activity_regularization": (L("ActivityRegularization", l1=0.01), [VEC]),
    "flatten": (L("Flatten"), [SEQ]),
    "reshape": (L("Reshape", target_shape=[3, 5]), [SEQ]),
    "permute": (L("Permute", dims=[2, 1]), [SEQ]),
    "repeat_vector": (L("RepeatVector", n=3), [VEC]),
    "masking": (L("Masking", mask_value=0.0), [SEQ]),
    "cropping1d": (L("Cropping1D", cropping=1), [SEQ]),
    "cropping2d": (L("Cropping2D", cropping=1), [IMG]),
    "cropping3d": (L("Cropping3D", cropping=1), [VOL]),
    "zero_padding1d": (L("ZeroPadding1D", padding=1), [SEQ]),
    "zero_padding2d": (L("ZeroPadding2D", padding=1), [IMG]),
    "zero_padding3d": (L("ZeroPadding3D", padding=1), [VOL]),
    "up_sampling1d": (L("UpSampling1D", size=2), [SEQ]),
    "up_sampling2d": (L("UpSampling2D", size=2), [IMG]),
    "up_sampling3d": (L("UpSampling3D", size=2), [VOL]),
    "conv1d": (L("Conv1D", filters=4, kernel_size=3), [SEQ]),
    "conv2d": (L("Conv2D", filters=4, kernel_size=3), [IMG]),
    "conv3d": (L("Conv3D", filters=2, kernel_size=2), [VOL]),
    "conv1d_transpose": (L("Conv1DTranspose", filters=4, kernel_size=3), [SEQ]),
    "conv2d_transpose": (L("Conv2DTranspose", filters=4, kernel_size=3), [IMG]),
    "conv3d_transpose": (L("Conv3DTranspose", filters=2, kernel_size=2), [VOL]),
    "depthwise_conv1d": (L("DepthwiseConv1D", kernel_size=3, depth_multiplier=2), [SEQ]),
    "depthwise_conv2d": (L("DepthwiseConv2D", kernel_size=3, depth_multiplier=2), [IMG]),
    "separable_conv1d": (L("SeparableConv1D", filters=4, kernel_size=3), [SEQ]),
    "separable_conv2d": (L("SeparableConv2D", filters=4, kernel_size=3), [IMG]),
    "max_pooling1d": (L("MaxPooling1D", pool_size=2), [SEQ]),
    "max_pooling2d": (L("MaxPooling2D", pool_size=2), [IMG]),
    "max_pooling3d": (L("MaxPooling3D", pool_size=2), [VOL]),
    "average_pooling1d": (L("AveragePooling1D", pool_size=2), [SEQ]),
    "average_pooling2d": (L("AveragePooling2D", pool_size=2), [IMG]),
    "average_pooling3d": (L("AveragePooling3D", pool_size=2), [VOL]),
    "global_max_pooling1d": (L("GlobalMaxPooling1D"), [SEQ]),
    "global_max_pooling2d": (L("GlobalMaxPooling2D"), [IMG]),
    "global_max_pooling3d": (L("GlobalMaxPooling3D"), [VOL]),
    "global_average_pooling1d": (L("GlobalAveragePooling1D"), [SEQ]),
    "global_average_pooling2d": (L("GlobalAveragePooling2D"), [IMG]),
    "global_average_pooling3d": (L("GlobalAveragePooling3D"), [VOL]),
    "batch_normalization": (L("BatchNormalization"), [IMG]),
    "layer_normalization": (L("LayerNormalization"), [SEQ]),
    "rms_normalization": (L("RMSNormalization"), [SEQ]),
    "group_normalization": (L("GroupNormalization", groups=2), [IMG]),
    "unit_normalization": (L("UnitNormalization"), [VEC]),
    "relu": (L("ReLU"), [VEC]),
    "leaky_relu": (L("LeakyReLU", negative_slope=0.2), [VEC]),
    "prelu": (L("PReLU"), [SEQ]),
    "elu": (L("ELU"), [VEC]),
    "softmax": (L("Softmax"), [VEC]),
    "embedding": (L("Embedding", input_dim=10, output_dim=3), [[5]]),
    "simple_rnn": (L("SimpleRNN", units=4), [SEQ]),
    "gru": (L("GRU", units=4), [SEQ]),
    "lstm_sequences": (L("LSTM", units=4, return_sequences=True), [SEQ]),
    "rnn_lstm_cell": (L("RNN", cell=nested(L("LSTMCell", units=4))), [SEQ]),
    "rnn_stacked_cells": (L("RNN", cell=[nested(L("SimpleRNNCell", units=3)),
                                         nested(L("GRUCell", units=2))]), [SEQ]),
    "rnn_stacked_rnn_cells": (L("RNN", cell=nested(L("StackedRNNCells", cells=[
        nested(L("LSTMCell", units=3)), nested(L("SimpleRNNCell", units=2))]))), [SEQ]),
    "rnn_gru_cell": (L("RNN", cell=nested(L("GRUCell", units=3))), [SEQ]),
    "rnn_simple_cell": (L("RNN", cell=nested(L("SimpleRNNCell", units=3))), [SEQ]),
    "bidirectional": (L("Bidirectional", layer=nested(L("LSTM", units=3))), [SEQ]),
    "time_distributed": (L("TimeDistributed", layer=nested(L("Dense", units=2))), [SEQ]),
    "add": (L("Add"), [VEC, VEC]),
    "subtract": (L("Subtract"), [VEC, VEC]),
    "multiply": (L("Multiply"), [VEC, VEC]),
    "average": (L("Average"), [VEC, VEC]),
    "maximum": (L("Maximum"), [VEC, VEC]),
    "minimum": (L("Minimum"), [VEC, VEC]),
    "concatenate": (L("Concatenate"), [VEC, VEC]),
    "dot": (L("Dot", axes=1), [VEC, VEC]),
    "multi_head_attention": (L("MultiHeadAttention", num_heads=2, key_dim=2), [SEQ, SEQ]),
    "attention": (L("Attention", use_scale=True), [SEQ, SEQ]),
    "additive_attention": (L("AdditiveAttention"), [SEQ, SEQ]),
    "rescaling": (L("Rescaling", scale=0.5, offset=1.0), [IMG]),
    "normalization": (L("Normalization", mean=[0.0, 1.0, 2.0, 3.0],
                        variance=[1.0, 2.0, 3.0, 4.0]), [VEC]),
    "category_encoding": (L("CategoryEncoding", num_tokens=10, output_mode="count"), [[5]]),
    "discretization": (L("Discretization", bin_boundaries=[-1.0, 0.0, 1.0],
                         output_mode="one_hot"), [VEC]),
    "integer_lookup": (L("IntegerLookup", vocabulary=[1, 3, 5, 7], output_mode="multi_hot"),
                       [[5]]),
    "hashing": (L("Hashing", num_bins=6, output_mode="count"), [[5]]),
    "hashed_crossing": (L("HashedCrossing", num_bins=8, output_mode="one_hot"), [[1], [1]]),
    "string_lookup": (L("StringLookup", vocabulary=["a", "b", "c"], output_mode="count"), [[4]]),
    "text_vectorization": (L("TextVectorization", vocabulary=["a", "b", "c"],
                             output_mode="count"), [[]]),
    "resizing": (L("Resizing", height=4, width=3), [IMG]),
    "center_crop": (L("CenterCrop", height=4, width=4), [IMG]),
    "random_flip": (L("RandomFlip"), [IMG]),
    "random_translation": (L("RandomTranslation", height_factor=0.2, width_factor=0.2), [IMG]),
    "random_rotation": (L("RandomRotation", factor=0.1, fill_mode="constant"), [IMG]),
    "random_zoom": (L("RandomZoom", height_factor=0.2, width_factor=[-0.1, 0.3]), [IMG]),
    "random_crop": (L("RandomCrop", height=4, width=5), [IMG]),
    "random_contrast": (L("RandomContrast", factor=0.3, value_range=[-3, 3]), [IMG]),
    "random_brightness": (L("RandomBrightness", factor=0.1, value_range=[-3, 3]), [IMG]),
    "random_grayscale": (L("RandomGrayscale", factor=0.5), [[6, 6, 3]]),
    "random_invert": (L("RandomInvert", value_range=[-3, 3]), [IMG]),
    "solarization": (L("Solarization", threshold_factor=0.5, value_range=[-3, 3]), [IMG]),
    "auto_contrast": (L("AutoContrast", value_range=[-3, 3]), [IMG]),
    "random_erasing": (L("RandomErasing", factor=0.5, value_range=[-3, 3]), [IMG]),
    "random_shear": (L("RandomShear", x_factor=0.2, y_factor=[0.1, 0.3]), [IMG]),
    "random_perspective": (L("RandomPerspective", factor=0.5, scale=0.4), [IMG]),
    "random_elastic_transform": (L("RandomElasticTransform", scale=0.5,
                                   value_range=[-3, 3]), [IMG]),
    "mix_up": (L("MixUp", alpha=0.4), [IMG]),
    "cut_mix": (L("CutMix", factor=0.5), [IMG]),
    "rand_augment": (L("RandAugment", value_range=[-3, 3], num_ops=2), [[6, 6, 3]]),
    "aug_mix": (L("AugMix", value_range=[-3, 3], num_chains=2, chain_depth=2), [[6, 6, 3]]),
    "max_num_bounding_boxes": (L("MaxNumBoundingBoxes", max_number=3), [IMG]),
    "random_color_degeneration": (L("RandomColorDegeneration", factor=0.5,
                                    value_range=[-3, 3]), [[6, 6, 3]]),
    "random_saturation": (L("RandomSaturation", factor=[0.2, 0.8], value_range=[-3, 3]),
                          [[6, 6, 3]]),
    "random_hue": (L("RandomHue", factor=0.5, value_range=[-3, 3]), [[6, 6, 3]]),
    "random_sharpness": (L("RandomSharpness", factor=0.5, value_range=[-3, 3]), [IMG]),
    "random_posterization": (L("RandomPosterization", factor=[2, 6], value_range=[-3, 3]),
                             [IMG]),
    "equalization": (L("Equalization", value_range=[-3, 3], bins=64), [IMG]),
    "random_gaussian_blur": (L("RandomGaussianBlur", factor=0.5, kernel_size=[3, 5],
                               value_range=[-3, 3]), [IMG]),
    "random_color_jitter": (L("RandomColorJitter", value_range=[-3, 3], brightness_factor=0.2,
                              contrast_factor=0.3, saturation_factor=[0.3, 0.7],
                              hue_factor=0.2), [[6, 6, 3]]),
    "pipeline": (L("Pipeline", layers=[nested(L("RandomHue", factor=0.2, value_range=[-3, 3])),
                                       nested(L("Equalization", value_range=[-3, 3]))]),
                 [[6, 6, 3]]),
    "contrast_limited_adaptive_histogram_equalization": (
        L("ContrastLimitedAdaptiveHistogramEqualization", value_range=[-3, 3],
          tile_grid_size=[2, 2]), [IMG]),
    "einsum_dense": (L("EinsumDense", equation="abc,cd->abd", output_shape=[5, 4],
                       bias_axes="d"), [SEQ]),
    "adaptive_average_pooling1d": (L("AdaptiveAveragePooling1D", output_size=2), [SEQ]),
    "adaptive_average_pooling2d": (L("AdaptiveAveragePooling2D", output_size=4), [IMG]),
    "adaptive_average_pooling3d": (L("AdaptiveAveragePooling3D", output_size=3), [VOL]),
    "adaptive_max_pooling1d": (L("AdaptiveMaxPooling1D", output_size=3), [SEQ]),
    "adaptive_max_pooling2d": (L("AdaptiveMaxPooling2D", output_size=[3, 4]), [IMG]),
    "adaptive_max_pooling3d": (L("AdaptiveMaxPooling3D", output_size=2), [VOL]),
    "conv_lstm1d": (L("ConvLSTM1D", filters=3, kernel_size=3, padding="same"), [[3, 6, 2]]),
    "conv_lstm2d": (L("ConvLSTM2D", filters=3, kernel_size=3, return_sequences=True),
                    [[3, 5, 5, 2]]),
    "conv_lstm3d": (L("ConvLSTM3D", filters=2, kernel_size=2, data_format="channels_first"),
                    [[2, 2, 4, 4, 3]]),
}
INT_INPUTS = {"embedding", "category_encoding", "integer_lookup", "hashing", "hashed_crossing"}
# Layers whose inputs are strings (words of "abcd").
STRING_INPUTS = {"string_lookup", "text_vectorization"}
# Layers without a Keras-made layout fixture: Keras runs the lookup layers only with
# TensorFlow installed (their h5 layouts were compared with Keras on TensorFlow by hand;
# they have no weights), and Keras 3.15.1's RandomCrop returns its input uncropped at
# inference, so a model after it cannot be built with Keras.
NO_KERAS_FIXTURE = {"string_lookup", "text_vectorization", "integer_lookup", "hashing",
                    "hashed_crossing", "random_crop",
                    # Keras 3.15.1's RandomElasticTransform fails inside a jitted JAX step
                    # (a tracer leaks into an error message), and its Equalization returns
                    # its symbolic input as it is, so its models leave the layer out;
                    # neither has weights to lay out
                    "random_elastic_transform", "equalization"}
# Layers called with their inputs as separate arguments, `layer(query, value)`.
SEPARATE_ARGUMENTS = {"multi_head_attention"}
# Grouped-query attention, spectral normalization, the reversible embedding and the
# spectrogram layers (their Keras layouts: tests/golden/layers_more.cases.json).
LAYER_SPECS.update({
    "group_query_attention": (L("GroupQueryAttention", head_dim=2, num_query_heads=2,
                                num_key_value_heads=1), [SEQ, SEQ]),
    "spectral_normalization": (L("SpectralNormalization", layer=nested(L("Dense", units=3))),
                               [VEC]),
    "reversible_embedding": (L("ReversibleEmbedding", input_dim=10, output_dim=3,
                               tie_weights=False), [[5]]),
    "stft_spectrogram": (L("STFTSpectrogram", frame_length=8, frame_step=4), [[32, 2]]),
    "mel_spectrogram": (L("MelSpectrogram", fft_length=16, sequence_stride=8,
                          num_mel_bins=4), [[64]]),
})
INT_INPUTS |= {"reversible_embedding"}
SEPARATE_ARGUMENTS |= {"group_query_attention"}


def build_layer(spec, layers):
    """The layer a spec describes, from the `layers` module of Keras or kerasx."""

    def value(v):
        if isinstance(v, dict) and "__layer__" in v:
            return build_layer(v["__layer__"], layers)
        if isinstance(v, list) and v and all(isinstance(i, dict) and "__layer__" in i for i in v):
            return [value(i) for i in v]
        return v

    kwargs = {k: value(v) for k, v in spec["kwargs"].items()}
    return getattr(layers, spec["class_name"])(**kwargs)


def build_spec_model(lib, name):
    """The model of spec `name` built with `lib` (the `keras` or `kerasx` module): the
    layer on `Input`s, flattened if needed, then `Dense(2)`."""
    spec, inputs = LAYER_SPECS[name]
    dtype = "string" if name in STRING_INPUTS else "int32" if name in INT_INPUTS else "float32"
    ins = [lib.Input(shape=tuple(s), dtype=dtype) for s in inputs]
    layer = build_layer(spec, lib.layers)
    x = layer(*ins) if name in SEPARATE_ARGUMENTS else layer(ins if len(ins) > 1 else ins[0])
    if len(x.shape) > 2:
        x = lib.layers.Flatten()(x)
    return lib.Model(ins, lib.layers.Dense(2)(x))


def spec_data(name, inputs, n=8, seed=0):
    """`(list of inputs, targets)` for the model of spec `name`."""
    rng = np.random.default_rng(seed)
    if name in STRING_INPUTS:
        words = np.array(["a", "b", "c", "d", "a b", "c d a"])
        xs = [words[rng.integers(0, 6, size=(n, *shape))] for shape in inputs]
    elif name in INT_INPUTS:
        xs = [rng.integers(0, 10, size=(n, *shape)).astype("int32") for shape in inputs]
    else:
        xs = [rng.normal(size=(n, *shape)).astype("float32") for shape in inputs]
    y = rng.normal(size=(n, 2)).astype("float32")
    return xs, y


def h5_layout(path):
    """Every group, and every dataset with its shape and dtype, of an HDF5 file."""
    import h5py

    groups, datasets = [], []

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset):
            datasets.append([name, list(obj.shape), str(obj.dtype)])
        else:
            groups.append(name)

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return {"groups": sorted(groups), "datasets": sorted(datasets)}
