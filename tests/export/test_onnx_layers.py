"""Each convertible layer, alone in a model: the ONNX file computes what `predict` does."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import layers, ops
from tests.export.onnx_check import assert_export_matches

ACTIVATIONS = ["relu", "sigmoid", "tanh", "softmax", "log_softmax", "elu", "selu", "softplus",
               "softsign", "exponential", "gelu", "silu", "hard_sigmoid", "hard_silu", "relu6",
               "leaky_relu", "mish", "celu", "hard_tanh", "hard_shrink", "soft_shrink",
               "tanh_shrink", "log_sigmoid", "squareplus", "sparse_sigmoid", "sparse_plus",
               "linear"]


def single(layer, shape, dtype="float32"):
    return keras.Sequential([keras.Input(shape, dtype=dtype), layer])


def with_statistics(layer, shape):
    """A model around a BatchNormalization layer with non-trivial moving statistics."""
    model = single(layer, shape)
    rng = np.random.default_rng(1)
    size = layer.moving_mean.shape[0]
    layer.moving_mean.assign(rng.standard_normal(size).astype("float32"))
    layer.moving_variance.assign(rng.uniform(0.5, 2.0, size).astype("float32"))
    if layer.gamma is not None:
        layer.gamma.assign(rng.uniform(0.5, 1.5, size).astype("float32"))
        layer.beta.assign(rng.standard_normal(size).astype("float32"))
    return model


def deprecated_rms_layer_normalization():
    with pytest.warns(UserWarning, match="rms_scaling"):
        return layers.LayerNormalization(rms_scaling=True, gamma_initializer="random_normal")


LAYER_CASES = {
    "dense": lambda: single(layers.Dense(5), (4,)),
    "dense_3d_no_bias": lambda: single(layers.Dense(5, use_bias=False), (3, 4)),
    "activation_relu": lambda: single(layers.Activation("relu"), (6,)),
    "activation_glu": lambda: single(layers.Activation("glu"), (3, 6)),
    "relu_layer_options": lambda: single(layers.ReLU(max_value=1.0, negative_slope=0.1,
                                                     threshold=0.2), (6,)),
    "relu_layer_capped": lambda: single(layers.ReLU(max_value=0.5), (6,)),
    "softmax_axis_1": lambda: single(layers.Softmax(axis=1), (3, 4)),
    "softmax_two_axes": lambda: single(layers.Softmax(axis=(1, 2)), (3, 4)),
    "leaky_relu": lambda: single(layers.LeakyReLU(negative_slope=0.3), (6,)),
    "elu": lambda: single(layers.ELU(alpha=0.7), (6,)),
    "prelu": lambda: single(layers.PReLU(alpha_initializer="random_uniform"), (6,)),
    "dropout": lambda: single(layers.Dropout(0.5), (6,)),
    "gaussian_noise": lambda: single(layers.GaussianNoise(0.5), (6,)),
    "flatten": lambda: single(layers.Flatten(), (3, 4, 2)),
    "flatten_channels_first": lambda: single(layers.Flatten(data_format="channels_first"),
                                             (3, 4, 2)),
    "reshape": lambda: single(layers.Reshape((4, -1)), (3, 4)),
    "permute": lambda: single(layers.Permute((2, 1)), (3, 4)),
    "repeat_vector": lambda: single(layers.RepeatVector(3), (4,)),
    "conv1d_valid": lambda: single(layers.Conv1D(4, 3), (9, 3)),
    "conv1d_same_strides": lambda: single(layers.Conv1D(4, 3, strides=2, padding="same"),
                                          (9, 3)),
    "conv1d_causal_dilated": lambda: single(layers.Conv1D(4, 3, padding="causal",
                                                          dilation_rate=2), (9, 3)),
    "conv1d_channels_first": lambda: single(layers.Conv1D(4, 3, data_format="channels_first"),
                                            (3, 9)),
    "conv2d_valid": lambda: single(layers.Conv2D(4, 3, activation="tanh"), (8, 7, 3)),
    "conv2d_same_strided": lambda: single(layers.Conv2D(4, (3, 2), strides=(2, 3),
                                                        padding="same"), (8, 7, 3)),
    "conv2d_same_even_kernel": lambda: single(layers.Conv2D(2, 4, strides=2, padding="same"),
                                              (9, 8, 3)),
    "conv2d_dilated": lambda: single(layers.Conv2D(4, 3, dilation_rate=2, padding="same"),
                                     (9, 9, 2)),
    "conv2d_groups": lambda: single(layers.Conv2D(6, 3, groups=2), (7, 7, 4)),
    "conv2d_channels_first": lambda: single(layers.Conv2D(4, 3, padding="same", strides=2,
                                                          data_format="channels_first"),
                                            (3, 8, 7)),
    "conv3d": lambda: single(layers.Conv3D(2, 2), (4, 5, 4, 2)),
    "depthwise_conv2d": lambda: single(layers.DepthwiseConv2D(3, depth_multiplier=2,
                                                              padding="same"), (7, 6, 3)),
    "depthwise_conv2d_channels_first": lambda: single(
        layers.DepthwiseConv2D(3, strides=2, data_format="channels_first"), (3, 7, 6)),
    "depthwise_conv1d": lambda: single(layers.DepthwiseConv1D(3, depth_multiplier=2), (9, 3)),
    "separable_conv2d": lambda: single(layers.SeparableConv2D(5, 3, depth_multiplier=2,
                                                              padding="same",
                                                              activation="relu"), (7, 6, 3)),
    "separable_conv1d": lambda: single(layers.SeparableConv1D(4, 3, strides=2), (9, 3)),
    "conv2d_transpose_valid": lambda: single(layers.Conv2DTranspose(3, 3, strides=2),
                                             (5, 4, 2)),
    "conv2d_transpose_same": lambda: single(layers.Conv2DTranspose(3, 3, strides=2,
                                                                   padding="same"), (5, 4, 2)),
    "conv2d_transpose_small_kernel": lambda: single(layers.Conv2DTranspose(2, 2, strides=3),
                                                    (4, 4, 2)),
    "conv2d_transpose_output_padding": lambda: single(
        layers.Conv2DTranspose(2, 3, strides=2, padding="same", output_padding=1), (4, 5, 2)),
    "conv2d_transpose_channels_first": lambda: single(
        layers.Conv2DTranspose(2, 3, strides=2, data_format="channels_first"), (2, 4, 5)),
    "conv1d_transpose": lambda: single(layers.Conv1DTranspose(3, 4, strides=2, padding="same"),
                                       (6, 2)),
    "conv3d_transpose": lambda: single(layers.Conv3DTranspose(2, 2, strides=2), (2, 3, 2, 2)),
    "max_pooling3d": lambda: single(layers.MaxPooling3D(2, padding="same"), (3, 4, 5, 2)),
    "average_pooling3d": lambda: single(layers.AveragePooling3D(2), (4, 4, 5, 2)),
    "global_average_pooling3d": lambda: single(layers.GlobalAveragePooling3D(), (3, 4, 2, 2)),
    "cropping3d": lambda: single(layers.Cropping3D(1), (4, 3, 5, 2)),
    "spatial_dropout2d": lambda: single(layers.SpatialDropout2D(0.5), (4, 3, 2)),
    "max_pooling1d": lambda: single(layers.MaxPooling1D(2), (9, 3)),
    "average_pooling1d_same": lambda: single(layers.AveragePooling1D(3, strides=2,
                                                                     padding="same"), (9, 3)),
    "max_pooling2d_same": lambda: single(layers.MaxPooling2D(3, strides=2, padding="same"),
                                         (7, 8, 2)),
    "average_pooling2d": lambda: single(layers.AveragePooling2D((2, 3)), (7, 8, 2)),
    "average_pooling2d_same": lambda: single(layers.AveragePooling2D(3, strides=2,
                                                                     padding="same"), (7, 8, 2)),
    "max_pooling2d_channels_first": lambda: single(
        layers.MaxPooling2D(2, data_format="channels_first"), (2, 7, 8)),
    "global_average_pooling1d": lambda: single(layers.GlobalAveragePooling1D(), (9, 3)),
    "global_max_pooling2d": lambda: single(layers.GlobalMaxPooling2D(), (5, 4, 3)),
    "global_average_pooling2d_keepdims": lambda: single(
        layers.GlobalAveragePooling2D(keepdims=True), (5, 4, 3)),
    "global_average_pooling2d_channels_first": lambda: single(
        layers.GlobalAveragePooling2D(data_format="channels_first"), (3, 5, 4)),
    "batch_normalization": lambda: with_statistics(layers.BatchNormalization(), (5,)),
    "batch_normalization_axis_1": lambda: with_statistics(layers.BatchNormalization(axis=1),
                                                          (3, 4, 5)),
    "batch_normalization_no_scale": lambda: with_statistics(
        layers.BatchNormalization(center=False, scale=False), (4, 5)),
    "layer_normalization": lambda: single(layers.LayerNormalization(
        beta_initializer="random_normal", gamma_initializer="random_normal"), (3, 6)),
    "layer_normalization_axes": lambda: single(layers.LayerNormalization(
        axis=(1, 2), gamma_initializer="random_normal"), (3, 4)),
    "layer_normalization_rms": lambda: single(deprecated_rms_layer_normalization(), (6,)),
    "group_normalization": lambda: single(layers.GroupNormalization(
        groups=2, gamma_initializer="random_normal", beta_initializer="random_normal"),
        (5, 4, 6)),
    "group_normalization_channels_first": lambda: single(
        layers.GroupNormalization(groups=3, axis=1), (6, 5, 4)),
    "group_normalization_2d": lambda: single(layers.GroupNormalization(groups=4), (8,)),
    "rms_normalization": lambda: single(layers.RMSNormalization(), (3, 6)),
    "unit_normalization": lambda: single(layers.UnitNormalization(axis=(1, 2)), (3, 4)),
    "zero_padding3d": lambda: single(layers.ZeroPadding3D(1), (2, 3, 2, 2)),
    "cropping1d": lambda: single(layers.Cropping1D((2, 1)), (6, 3)),
    "up_sampling3d": lambda: single(layers.UpSampling3D((1, 2, 2)), (2, 3, 2, 2)),
    "lambda": lambda: single(layers.Lambda(lambda x: ops.sqrt(ops.abs(x)) * 3.0 - x[:, :1]),
                             (4,)),
    "time_distributed_dense": lambda: single(layers.TimeDistributed(layers.Dense(3)), (5, 4)),
    "time_distributed_conv2d": lambda: single(
        layers.TimeDistributed(layers.Conv2D(2, 3, activation="relu")), (3, 6, 5, 2)),
    "embedding": lambda: single(layers.Embedding(10, 4), (5,), dtype="int32"),
    "embedding_int64": lambda: single(layers.Embedding(10, 3), (5,), dtype="int64"),
    "zero_padding1d": lambda: single(layers.ZeroPadding1D((1, 2)), (5, 3)),
    "zero_padding2d": lambda: single(layers.ZeroPadding2D(((1, 0), (2, 3))), (4, 5, 2)),
    "cropping2d": lambda: single(layers.Cropping2D(((1, 0), (2, 1))), (6, 7, 2)),
    "up_sampling1d": lambda: single(layers.UpSampling1D(3), (4, 2)),
    "up_sampling2d_nearest": lambda: single(layers.UpSampling2D((2, 3)), (4, 5, 2)),
    "up_sampling2d_bilinear": lambda: single(layers.UpSampling2D(2, interpolation="bilinear"),
                                             (4, 5, 2)),
    "up_sampling2d_channels_first": lambda: single(
        layers.UpSampling2D(2, data_format="channels_first", interpolation="bilinear"),
        (2, 4, 5)),
    "rescaling": lambda: single(layers.Rescaling(1 / 255.0, offset=-0.5), (4,)),
    "normalization": lambda: single(layers.Normalization(mean=[1.0, 2.0, 3.0],
                                                         variance=[4.0, 0.25, 1.0]), (3,)),
    "normalization_invert": lambda: single(layers.Normalization(mean=2.0, variance=9.0,
                                                                invert=True), (3,)),
}
for _name in ACTIVATIONS:
    LAYER_CASES[f"dense_{_name}"] = (lambda name: lambda: single(
        layers.Dense(5, activation=name), (4,)))(_name)


@pytest.mark.parametrize("case", sorted(LAYER_CASES))
def test_layer_export_matches_predict(case, tmp_path):
    assert_export_matches(LAYER_CASES[case](), tmp_path)


def merged(layer, *shapes):
    inputs = [keras.Input(shape) for shape in shapes]
    return keras.Model(inputs, layer(inputs))


MERGE_CASES = {
    "add_three": lambda: merged(layers.Add(), (4, 3), (4, 3), (4, 3)),
    "add_lower_rank": lambda: merged(layers.Add(), (4, 3), (3,)),
    "subtract": lambda: merged(layers.Subtract(), (5,), (5,)),
    "multiply": lambda: merged(layers.Multiply(), (2, 5), (2, 5)),
    "average": lambda: merged(layers.Average(), (5,), (5,), (5,)),
    "maximum": lambda: merged(layers.Maximum(), (5,), (5,)),
    "minimum": lambda: merged(layers.Minimum(), (5,), (5,)),
    "concatenate_axis_1": lambda: merged(layers.Concatenate(axis=1), (2, 3), (4, 3)),
    "dot_vectors": lambda: merged(layers.Dot(axes=1), (5,), (5,)),
    "dot_normalized": lambda: merged(layers.Dot(axes=-1, normalize=True), (3, 5), (4, 5)),
    "dot_sequences": lambda: merged(layers.Dot(axes=(1, 2)), (4, 3), (2, 4)),
}


@pytest.mark.parametrize("case", sorted(MERGE_CASES))
def test_merge_export_matches_predict(case, tmp_path):
    assert_export_matches(MERGE_CASES[case](), tmp_path)
