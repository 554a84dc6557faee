"""Gradients of gradients through activations, the softmax family, fused
cross-entropies, normalizations, pooling, gathers and more convolutions: second
derivatives against central finite differences of first-order gradients in float64."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import GradientTape, Variable, layers, ops
from tests.autodiff.test_higher_order import _away_from_zero, _values, check_second_order
from tests.conftest import to_numpy


@pytest.fixture(autouse=True)
def _float64():
    """Layers and losses compute in `floatx`: float64 for finite differences."""
    keras.config.set_floatx("float64")

ACTIVATIONS = {
    "elu": (lambda x: ops.sum(ops.elu(x, 0.7) * x), _away_from_zero((6,))),
    "selu": (lambda x: ops.sum(ops.selu(x) * x * x), _away_from_zero((6,))),
    "celu": (lambda x: ops.sum(ops.celu(x, 1.5) * x), _away_from_zero((6,))),
    "gelu_tanh": (lambda x: ops.sum(ops.gelu(x) * x), _values((6,), low=-2.0, high=2.0)),
    "silu": (lambda x: ops.sum(ops.silu(x) * x), _values((6,), low=-3.0, high=3.0)),
    "swish": (lambda x: ops.sum(ops.swish(x * 2.0)), _values((6,), low=-3.0, high=3.0)),
    "mish": (lambda x: ops.sum(ops.mish(x) * x), _values((6,), low=-3.0, high=3.0)),
    "softsign": (lambda x: ops.sum(ops.softsign(x) * x), _away_from_zero((6,))),
    "hard_sigmoid": (lambda x: ops.sum(ops.hard_sigmoid(x) * x * x),
                     _values((6,), low=-2.0, high=2.0)),
    "relu6": (lambda x: ops.sum(ops.relu6(x * 4.0) * x), _away_from_zero((6,))),
    "hard_silu": (lambda x: ops.sum(ops.hard_silu(x * 3.0) * x), _away_from_zero((6,))),
    "log_sigmoid": (lambda x: ops.sum(ops.log_sigmoid(x) * x), _values((6,))),
    "tanh_shrink": (lambda x: ops.sum(ops.tanh_shrink(x) * x), _values((6,))),
    "squareplus": (lambda x: ops.sum(ops.squareplus(x) * x), _values((6,))),
    "exponential": (lambda x: ops.sum(keras.activations.exponential(x) * x), _values((6,))),
    "hard_tanh": (lambda x: ops.sum(ops.hard_tanh(x * 2.0) * x * x), _away_from_zero((6,))),
    "hard_shrink": (lambda x: ops.sum(ops.hard_shrink(x, 0.4) * x * x), _away_from_zero((6,))),
    "soft_shrink": (lambda x: ops.sum(ops.soft_shrink(x, 0.4) * x * x), _away_from_zero((6,))),
    "threshold": (lambda x: ops.sum(ops.threshold(x, 0.1, -2.0) * x * x), _away_from_zero((6,))),
    "sparse_plus": (lambda x: ops.sum(ops.sparse_plus(x * 2.0) * x), _away_from_zero((8,))),
    "sparse_sigmoid": (lambda x: ops.sum(ops.sparse_sigmoid(x * 2.0) * x * x),
                       _away_from_zero((8,))),
    "glu": (lambda x: ops.sum(ops.glu(x) * ops.sum(x)), _values((2, 4))),
    "glu_axis0": (lambda x: ops.sum(ops.square(ops.glu(x, axis=0))), _values((4, 2))),
    "sparsemax": (lambda x: ops.sum(ops.sparsemax(x * 2.0) * x), _values((3, 4))),
    "softmax": (lambda x: ops.sum(ops.softmax(x) * ops.sin(x)), _values((2, 4))),
    "softmax_axis0": (lambda x: ops.sum(ops.softmax(x, axis=0) * ops.sin(x)), _values((3, 2))),
    "log_softmax": (lambda x: ops.sum(ops.log_softmax(x) * ops.cos(x)), _values((2, 4))),
    "logsumexp": (lambda x: ops.sum(ops.logsumexp(x, axis=1) * ops.sum(x, axis=1)),
                  _values((2, 4))),
    "max_axis": (lambda x: ops.sum(ops.square(ops.max(x, axis=1)) * ops.sum(x, axis=1)),
                 _values((3, 4))),
    "min_keepdims": (lambda x: ops.sum(ops.square(ops.min(x, axis=0, keepdims=True)) * x),
                     _values((3, 4))),
}


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_second_derivatives_of_activations(name):
    fn, values = ACTIVATIONS[name]
    check_second_order(fn, values)


def test_second_derivative_of_the_exact_gelu():
    # the forward's erf is a fit (error below 1.2e-7): its derivative is the normal
    # density only to about that accuracy
    check_second_order(lambda x: ops.sum(ops.gelu(x, approximate=False) * x),
                       _values((6,), low=-2.0, high=2.0), rtol=1e-5, atol=1e-6)


_IDS = np.array([2, 0, 1, 2])
_ONE_HOT = np.eye(3)[_IDS]
_SOFT = np.array([[0.2, 0.3, 0.5], [0.6, 0.1, 0.3], [0.0, 1.0, 0.0], [0.25, 0.25, 0.5]])
_BINARY = np.array([[1.0, 0.0, 1.0], [0.0, 0.0, 1.0], [1.0, 1.0, 0.0], [0.3, 0.7, 0.5]])

LOSSES = {
    "sparse_logits": lambda z: ops.sparse_categorical_crossentropy(_IDS, z, from_logits=True),
    "sparse_probs": lambda z: ops.sparse_categorical_crossentropy(_IDS, ops.softmax(z)),
    "sparse_loss_class": lambda z: keras.losses.SparseCategoricalCrossentropy(
        from_logits=True)(_IDS, z),
    "sparse_sequence": lambda z: keras.losses.SparseCategoricalCrossentropy(from_logits=True)(
        np.reshape(_IDS, (2, 2)), ops.reshape(z * z, (2, 2, 3))),
    "categorical_logits": lambda z: ops.categorical_crossentropy(_SOFT, z, from_logits=True),
    "categorical_probs": lambda z: keras.losses.CategoricalCrossentropy()(_ONE_HOT,
                                                                          ops.softmax(z)),
    "categorical_smoothed": lambda z: keras.losses.CategoricalCrossentropy(
        from_logits=True, label_smoothing=0.1)(_ONE_HOT, z),
    "binary_logits": lambda z: ops.binary_crossentropy(_BINARY, z, from_logits=True),
    "binary_probs": lambda z: keras.losses.BinaryCrossentropy()(_BINARY, ops.sigmoid(z)),
    "binary_probs_unfused": lambda z: keras.losses.BinaryCrossentropy()(
        _BINARY, ops.sigmoid(z) * 0.9 + 0.05),
    "mean_squared_error": lambda z: keras.losses.MeanSquaredError()(_SOFT, ops.tanh(z)),
    "mean_absolute_error": lambda z: keras.losses.MeanAbsoluteError()(_SOFT, z * z * z),
    "huber": lambda z: keras.losses.Huber(delta=0.5)(_SOFT, z * z),
    "log_cosh": lambda z: keras.losses.LogCosh()(_SOFT, z * z),
    "kl_divergence": lambda z: keras.losses.KLDivergence()(_SOFT, ops.softmax(z)),
    "cosine_similarity": lambda z: keras.losses.CosineSimilarity()(_SOFT, z * z),
}


@pytest.mark.parametrize("name", sorted(LOSSES))
def test_second_derivatives_of_losses(name):
    loss = LOSSES[name]
    rng = np.random.default_rng(5)
    logits = rng.choice([-1.0, 1.0], size=(4, 3)) * rng.uniform(0.3, 1.5, size=(4, 3))
    check_second_order(lambda z: ops.sum(loss(z) * 1.0), [logits])


def test_sparse_cross_entropy_ignores_out_of_range_labels_in_its_second_derivative():
    ids = np.array([1, -1, 3, 0])
    check_second_order(
        lambda z: ops.sum(ops.sparse_categorical_crossentropy(ids, z * z, from_logits=True)),
        _values((4, 3)))


def _fused_batch_norm(x, scale, offset, relu=False, axis=-1):
    from kerasx.ops.normalization import fused_batch_normalization

    return fused_batch_normalization(x, axis=axis, scale=scale, offset=offset, relu=relu)[0]


NORMALIZATIONS = {
    "layer_norm_last_axis": (
        lambda x, g, b: ops.sum(ops.tanh(ops.layer_normalization(x, g, b, epsilon=1e-3)) * x),
        _values((3, 4), (4,), (4,))),
    "layer_norm_two_axes": (
        lambda x, g, b: ops.sum(ops.sin(ops.layer_normalization(x, g, b, axis=(1, 2))) * x),
        _values((2, 2, 3), (2, 3), (2, 3))),
    "layer_norm_rms_scaling": (
        lambda x, g: ops.sum(ops.sin(ops.layer_normalization(x, g, axis=-1, rms_scaling=True))),
        _values((3, 4), (4,))),
    "batch_norm_training": (
        lambda x, s, o: ops.sum(ops.tanh(_fused_batch_norm(x, s, o)) * x),
        _values((5, 3), (3,), (3,))),
    "batch_norm_training_relu_4d": (
        lambda x, s, o: ops.sum(ops.square(_fused_batch_norm(x, s, o, relu=True)) * x),
        _values((2, 2, 2, 3), (3,), (3,), seed=4)),
    "batch_norm_training_channels_first": (
        lambda x, s, o: ops.sum(ops.sin(_fused_batch_norm(x, s, o, axis=1)) * x),
        _values((3, 2, 2), (2,), (2,))),
    "batch_norm_inference": (
        lambda x, m, v, o, s: ops.sum(ops.tanh(ops.batch_normalization(
            x, m, v, axis=-1, offset=o, scale=s, epsilon=1e-2)) * x),
        _values((3, 2), (2,), (2,), (2,), (2,), seed=2)),
    "moments": (
        lambda x: ops.sum(ops.square(ops.moments(x, axes=[0])[1]) * ops.moments(x, axes=[0])[0]),
        _values((4, 3))),
    "rms_normalization": (
        lambda x, s: ops.sum(ops.sin(ops.rms_normalization(x, s, epsilon=1e-3)) * x),
        _values((3, 4), (4,))),
    "normalize": (lambda x: ops.sum(ops.sin(ops.normalize(x, axis=-1)) * x), _values((3, 4))),
}


@pytest.mark.parametrize("name", sorted(NORMALIZATIONS))
def test_second_derivatives_of_normalizations(name):
    fn, values = NORMALIZATIONS[name]
    if name == "batch_norm_inference":  # a variance stays positive
        values[2] = np.abs(values[2]) + 0.5
    check_second_order(fn, values, rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("op", ["layer_norm", "batch_norm", "batch_norm_relu"])
def test_second_derivatives_of_normalization_parameters_on_a_constant_input(op):
    # only the scale and offset take gradients (the input is the model's input)
    x = ops.convert_to_tensor(_values((4, 3), seed=6)[0])

    def fn(gamma, beta):
        if op == "layer_norm":
            y = ops.layer_normalization(x, gamma, beta)
        else:
            y = _fused_batch_norm(x, gamma, beta, relu=op == "batch_norm_relu")
        return ops.sum(ops.tanh(y) * y)

    check_second_order(fn, _values((3,), (3,)), rtol=1e-5)


POOLING = {
    "max_2d_valid": lambda x: ops.max_pool(x, 2),
    "max_2d_same_overlapping": lambda x: ops.max_pool(x, 3, strides=2, padding="same"),
    "average_2d_valid": lambda x: ops.average_pool(x, 2),
    "average_2d_same_overlapping": lambda x: ops.average_pool(x, 3, strides=2, padding="same"),
    "max_2d_channels_first": lambda x: ops.max_pool(x, 2, data_format="channels_first"),
    "max_1d": lambda x: layers.MaxPooling1D(2)(ops.reshape(x, (2, 10, 2))),
    "average_1d_same": lambda x: layers.AveragePooling1D(3, strides=2, padding="same")(
        ops.reshape(x, (2, 10, 2))),
    "global_max_2d": lambda x: layers.GlobalMaxPooling2D()(x),
    "global_average_2d": lambda x: layers.GlobalAveragePooling2D()(x),
    "global_max_1d": lambda x: layers.GlobalMaxPooling1D()(ops.reshape(x, (2, 10, 2))),
    "global_average_1d": lambda x: layers.GlobalAveragePooling1D()(ops.reshape(x, (2, 10, 2))),
}


@pytest.mark.parametrize("name", sorted(POOLING))
def test_second_derivatives_through_pooling(name):
    pool = POOLING[name]
    check_second_order(lambda x: ops.sum(ops.sin(pool(x * x)) * ops.sum(x)),
                       _values((2, 5, 2, 2), seed=7))


CONVOLUTIONS = {
    "grouped": (lambda x, w: ops.conv(x, w, padding="same"), _values((1, 4, 4, 4), (3, 3, 2, 4))),
    "grouped_strided_channels_first": (
        lambda x, w: ops.conv(x, w, strides=2, data_format="channels_first"),
        _values((1, 4, 5, 5), (3, 3, 2, 6))),
    "depthwise": (lambda x, w: ops.depthwise_conv(x, w, padding="same"),
                  _values((1, 4, 4, 2), (3, 3, 2, 2))),
    "depthwise_1d_dilated": (lambda x, w: ops.depthwise_conv(x, w, dilation_rate=2),
                             _values((2, 7, 3), (2, 3, 1))),
    "separable": (lambda x, d, p: ops.separable_conv(x, d, p, padding="same"),
                  _values((1, 4, 4, 2), (3, 3, 2, 2), (1, 1, 4, 3))),
    "transpose_valid": (lambda x, w: ops.conv_transpose(x, w, strides=2),
                        _values((1, 3, 3, 2), (3, 3, 2, 2))),
    "transpose_same": (lambda x, w: ops.conv_transpose(x, w, strides=2, padding="same"),
                       _values((1, 3, 3, 2), (3, 3, 3, 2))),
    "transpose_output_padding_channels_first": (
        lambda x, w: ops.conv_transpose(x, w, strides=2, padding="same", output_padding=1,
                                        data_format="channels_first"),
        _values((1, 2, 3, 3), (4, 4, 1, 2))),
    "transpose_1d": (lambda x, w: ops.conv_transpose(x, w, strides=3),
                     _values((2, 4, 2), (2, 3, 2))),
}


@pytest.mark.parametrize("name", sorted(CONVOLUTIONS))
def test_second_derivatives_through_more_convolutions(name):
    conv, values = CONVOLUTIONS[name]

    def fn(x, *kernels):
        y = conv(x, *kernels)
        return ops.sum(ops.tanh(y) * y)

    check_second_order(fn, values, rtol=1e-5, atol=1e-6)


def test_second_derivatives_through_conv_layers_with_bias():
    x = _values((1, 5, 5, 2), seed=8)[0]
    for layer in (layers.DepthwiseConv2D(3, padding="same"),
                  layers.Conv2D(4, 3, groups=2, activation="relu"),
                  layers.Conv2DTranspose(3, 3, strides=2, padding="same")):
        layer.build(x.shape)
        for weight in layer.weights:  # a bias of zeros would leave ReLU kinks on the grid
            weight.assign(_values(tuple(weight.shape), seed=9)[0])
        check_second_order(lambda v: ops.sum(ops.sin(layer(v)) * layer(v)), [x], rtol=1e-5,
                           atol=1e-6)


PRODUCTS_AND_GATHERS = {
    "einsum_matmul": (lambda a, b: ops.einsum("ij,jk->ik", a, b), _values((2, 3), (3, 2))),
    "einsum_batched_transposed": (lambda a, b: ops.einsum("bij,bkj->bki", a, b),
                                  _values((2, 2, 3), (2, 2, 3))),
    "einsum_ellipsis_broadcast": (lambda a, b: ops.einsum("...ij,jk->...ik", a, b),
                                  _values((2, 2, 3), (3, 2))),
    "einsum_diagonal": (lambda a, b: ops.einsum("ii,i->i", a, b), _values((3, 3), (3,))),
    "einsum_dot": (lambda a, b: ops.reshape(ops.einsum("i,i->", a, b), (1,)),
                   _values((4,), (4,))),
    "einsum_three_operands": (lambda a, b, c: ops.einsum("ij,jk,k->i", a, b, c),
                              _values((2, 3), (3, 2), (2,))),
    "take_rows": (lambda x: ops.take(x, np.array([[2, 0], [2, 1]]), axis=0), _values((3, 2))),
    "take_middle_axis": (lambda x: ops.take(x, np.array([1, 1, 0]), axis=1),
                         _values((2, 3, 2))),
    "take_flat": (lambda x: ops.take(x, np.array([5, 0, 3])), _values((2, 3))),
    "take_along_axis": (lambda x: ops.take_along_axis(x, np.array([[2, 0], [1, 1]]), axis=1),
                        _values((2, 3))),
    "embedding": (lambda x: ops.reshape(_embedding(x), (-1,)), _values((4, 3))),
}


def _embedding(table):
    """`Embedding`'s op: the rows of `table` at the ids."""
    return ops.take(table, np.array([[0, 3, 3], [1, 0, 2]]), axis=0)


@pytest.mark.parametrize("name", sorted(PRODUCTS_AND_GATHERS))
def test_second_derivatives_of_einsum_and_gathers(name):
    fn, values = PRODUCTS_AND_GATHERS[name]

    def wrapped(*xs):
        y = fn(*xs)
        return ops.sum(ops.sin(y) * ops.sum(y))

    check_second_order(wrapped, values)


def test_second_derivatives_through_an_embedding_layer():
    keras.config.set_floatx("float64")
    embedding = layers.Embedding(5, 3)
    ids = np.array([[0, 4, 4], [2, 0, 1]])
    embedding.build(ids.shape)
    table = to_numpy(embedding.embeddings)
    with GradientTape() as outer:
        with GradientTape() as inner:
            y = ops.sum(ops.sin(embedding(ids)) * 2.0)
        grad = inner.gradient(y, embedding.embeddings)
        penalty = ops.sum(ops.square(grad))
    got = to_numpy(outer.gradient(penalty, embedding.embeddings))
    counts = np.zeros(5)
    np.add.at(counts, ids.ravel(), 1.0)
    # grad = 2 cos(table) * counts; d/dtable sum(grad^2) = -8 counts^2 cos sin
    np.testing.assert_allclose(got, -8.0 * counts[:, None] ** 2 * np.cos(table) * np.sin(table),
                               rtol=1e-10, atol=1e-12)


def _classifier():
    return keras.Sequential([keras.Input((3,)), layers.Dense(5, activation="tanh"),
                             layers.Dense(4, activation="softmax")])


def _maml_query_loss(model, support, query, inner_rate, outer_tape_open=True):
    """One inner SGD step on the support set, taken with a nested tape, then the
    adapted model's loss on the query set (differentiable through the inner step)."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    weights = model.trainable_variables
    with GradientTape() as inner:
        support_loss = loss_fn(support[1], model(support[0]))
    grads = inner.gradient(support_loss, weights)
    adapted = [w - inner_rate * g for w, g in zip(weights, grads)]
    predictions, _ = model.stateless_call(adapted, [], query[0])
    return loss_fn(query[1], predictions)


def _tasks(seed):
    rng = np.random.default_rng(seed)
    shift = rng.normal(size=(1, 3))
    x = rng.normal(size=(12, 3)) + shift
    y = np.argmax(x @ rng.normal(size=(3, 4)), axis=1)
    return (x[:6], y[:6]), (x[6:], y[6:])


def test_maml_meta_gradient_of_a_softmax_classifier_against_finite_differences():
    keras.config.set_floatx("float64")
    model = _classifier()
    support, query = _tasks(0)
    with GradientTape() as outer:
        meta_loss = _maml_query_loss(model, support, query, 0.5)
    meta_grads = outer.gradient(meta_loss, model.trainable_variables)
    # without the second-order terms (first-order MAML) the gradient differs
    with GradientTape() as plain:
        adapted_loss = _maml_query_loss(model, support, query, 0.0)
    assert not np.allclose(to_numpy(meta_grads[0]),
                           to_numpy(plain.gradient(adapted_loss, model.trainable_variables)[0]))
    for weight, grad in zip(model.trainable_variables, meta_grads):
        base = to_numpy(weight)
        expected = np.zeros(base.size)
        for k in range(base.size):
            values = []
            for step in (1e-6, -1e-6):
                moved = base.copy().ravel()
                moved[k] += step
                weight.assign(moved.reshape(base.shape))
                values.append(float(_maml_query_loss(model, support, query, 0.5)))
            weight.assign(base)
            expected[k] = (values[0] - values[1]) / 2e-6
        np.testing.assert_allclose(to_numpy(grad).ravel(), expected, rtol=1e-5, atol=1e-8)


def test_maml_outer_loop_trains_through_the_inner_step():
    keras.config.set_floatx("float64")
    model = _classifier()
    optimizer = keras.optimizers.Adam(0.05)
    tasks = [_tasks(seed) for seed in range(4)]

    def meta_loss():
        return sum(_maml_query_loss(model, s, q, 0.5) for s, q in tasks) / len(tasks)

    before = float(meta_loss())
    for _ in range(30):
        with GradientTape() as outer:
            loss = meta_loss()
        optimizer.apply(outer.gradient(loss, model.trainable_variables),
                        model.trainable_variables)
    assert float(meta_loss()) < 0.7 * before


MORE_ELEMENTWISE = {
    "tan": (lambda x: ops.sum(ops.tan(x) * x), _values((4,))),
    "arcsin_arccos": (lambda x: ops.sum(ops.arcsin(x) * ops.arccos(x * 0.5)),
                      _values((4,), low=-0.8, high=0.8)),
    "arctan": (lambda x: ops.sum(ops.arctan(x) * x), _values((4,))),
    "sinh_cosh": (lambda x: ops.sum(ops.sinh(x) * ops.cosh(x * x)), _values((4,))),
    "arcsinh_arctanh": (lambda x: ops.sum(ops.arcsinh(x) * ops.arctanh(x * 0.5)),
                        _values((4,), low=-0.8, high=0.8)),
    "arccosh": (lambda x: ops.sum(ops.arccosh(x) * x), _values((4,), low=1.5, high=3.0)),
    "log2_log10": (lambda x: ops.sum(ops.log2(x) * ops.log10(x * x)),
                   _values((4,), low=0.5, high=2.0)),
    "exp2": (lambda x: ops.sum(ops.exp2(x) * x), _values((4,))),
    "rsqrt": (lambda x: ops.sum(ops.rsqrt(x) * x), _values((4,), low=0.5, high=2.0)),
    "erf": (lambda x: ops.sum(ops.erf(x) * x), _values((4,))),
    "logaddexp": (lambda x, y: ops.sum(ops.logaddexp(x, y * y) * x), _values((4,), (4,))),
    "sign": (lambda x: ops.sum(ops.sign(x) * x * x * x), _away_from_zero((4,))),
    "power_fractional": (lambda x: ops.sum(x ** 0.5 * x + x ** 2.5),
                         _values((4,), low=0.5, high=2.0)),
    "power_negative": (lambda x: ops.sum(ops.power(x, -2) * x + x ** -1),
                       _values((4,), low=0.5, high=2.0)),
    "power_large_whole": (lambda x: ops.sum(x ** 7), _values((4,))),
    "power_constant_base": (lambda x: ops.sum(2.0 ** x * x), _values((4,))),
    "norm": (lambda x: ops.sum(ops.norm(x, axis=-1) * ops.sum(x, axis=-1)), _values((2, 3))),
    "norm_ord_1_and_fro": (lambda x: ops.norm(x, ord=1) * ops.norm(x, ord="fro")
                           * ops.sum(x), _away_from_zero((2, 3))),
    "sqrt_sum_square": (lambda x: ops.sum(ops.sqrt(ops.sum(ops.square(x), axis=1) + 1e-12)
                                          * x[:, 0]), _values((2, 3))),
    "std_var": (lambda x: ops.sum(ops.std(x, axis=1) * ops.var(x, axis=1)), _values((2, 3))),
    "relu_capped": (lambda x: ops.sum(keras.activations.relu(x * 2.0, max_value=1.0) * x * x),
                    _away_from_zero((6,))),
    "relu_slope_threshold_cap": (
        lambda x: ops.sum(keras.activations.relu(x * 2.0, negative_slope=0.1, threshold=0.3,
                                                 max_value=1.5) * x * x),
        _away_from_zero((8,))),
    "prelu": (lambda x, a: ops.sum(ops.nn.prelu(x, a) * x * a), _away_from_zero((2, 3), (3,))),
    "repeat": (lambda x: ops.sum(ops.square(ops.repeat(x, 3, axis=1)) * ops.sum(x)),
               _values((2, 2))),
    "upsampling_2d": (lambda x: ops.sum(ops.sin(layers.UpSampling2D(2)(x)) * ops.sum(x)),
                      _values((1, 2, 2, 1))),
    "cumsum": (lambda x: ops.sum(ops.square(ops.cumsum(x, axis=1)) * x), _values((2, 3))),
    "unstack": (lambda x: ops.sum(ops.unstack(x, axis=1)[0] * ops.unstack(x)[1] ** 2),
                _values((2, 2))),
    "scan": (lambda x: ops.sum(ops.scan(lambda c, v: (c * v + v, c * c), ops.zeros((3,)) + 0.5,
                                        x)[1]), _values((2, 3))),
    "vectorized_map": (lambda x: ops.sum(ops.vectorized_map(lambda r: ops.sin(r) * r, x) * x),
                       _values((2, 3))),
    "sort": (lambda x: ops.sum(ops.sort(x, axis=0) * ops.arange(1.0, 7.0).reshape(2, 3) * x),
             _values((2, 3))),
    "top_k": (lambda x: ops.sum(ops.square(ops.top_k(x, 2)[0]) * ops.sum(x)), _values((2, 4))),
    "prod": (lambda x: ops.sum(ops.prod(x, axis=1) * x[:, 0]), _away_from_zero((2, 3))),
    "prod_keepdims": (lambda x: ops.sum(ops.prod(x, axis=0, keepdims=True) * x),
                      _away_from_zero((2, 3))),
    "roll": (lambda x: ops.sum(ops.roll(x, 1, axis=1) * x * x), _values((2, 3))),
}


@pytest.mark.parametrize("name", sorted(MORE_ELEMENTWISE))
def test_second_derivatives_of_more_elementwise_and_array_ops(name):
    fn, values = MORE_ELEMENTWISE[name]
    check_second_order(fn, values, rtol=1e-5, atol=1e-7)


MERGES = {
    "add": layers.Add, "subtract": layers.Subtract, "multiply": layers.Multiply,
    "average": layers.Average, "maximum": layers.Maximum, "minimum": layers.Minimum,
}


@pytest.mark.parametrize("name", sorted(MERGES))
def test_second_derivatives_through_merge_layers(name):
    merge = MERGES[name]()

    def fn(x, y):
        z = merge([ops.sin(x), y * x])  # y broadcasts against x
        return ops.sum(ops.square(z) * x)

    check_second_order(fn, _values((2, 3), (1, 3), seed=11))


def test_second_derivatives_through_a_dot_layer():
    dot = layers.Dot(axes=(2, 1))
    check_second_order(lambda a, b: ops.sum(ops.square(dot([a, b])) * ops.sum(a)),
                       _values((2, 2, 3), (2, 3, 2)))


def test_getitem_with_new_axes_differentiates_on_every_backend():
    x = Variable(np.arange(6.0).reshape(2, 3))
    with GradientTape() as tape:
        y = (ops.sum(x[None] * 2.0) + ops.sum(x[:, None, 1:] ** 2)
             + ops.sum(x[None, ..., 0] * 3.0))
    expected = 2.0 + np.array([[3.0, 2.0, 4.0], [3.0, 8.0, 10.0]])
    np.testing.assert_allclose(to_numpy(tape.gradient(y, x)), expected)
    # and its gradient again
    check_second_order(lambda v: ops.sum(v[:, None, 1:] ** 3) + ops.sum(v[None] * v[None]),
                       _values((2, 3)))


def _assert_weight_gradients(value_at, weights, grads, per_weight=5, rtol=1e-5, atol=1e-8):
    """Compares `grads` with central differences of `value_at()` over a few entries of
    each weight."""
    for weight, grad in zip(weights, grads):
        base = to_numpy(weight)
        flat = np.zeros(base.size) if grad is None else to_numpy(grad).ravel()
        for k in range(0, base.size, max(1, base.size // per_weight)):
            values = []
            for step in (1e-6, -1e-6):
                moved = base.copy().ravel()
                moved[k] += step
                weight.assign(moved.reshape(base.shape))
                values.append(float(value_at()))
            weight.assign(base)
            np.testing.assert_allclose(flat[k], (values[0] - values[1]) / 2e-6, rtol=rtol,
                                       atol=atol, err_msg=weight.path)


def test_gradient_penalty_of_a_critic_with_normalization_pooling_and_smooth_activations():
    keras.config.set_floatx("float64")
    critic = keras.Sequential([
        keras.Input((6, 6, 2)),
        layers.Conv2D(4, 3, padding="same"),
        layers.LayerNormalization(),
        layers.Activation("gelu"),
        layers.AveragePooling2D(2),
        layers.DepthwiseConv2D(2, padding="same", activation="elu"),
        layers.MaxPooling2D(2, strides=1),
        layers.Conv2D(3, 1, activation="silu"),
        layers.GlobalMaxPooling2D(),
        layers.Dense(1),
    ])
    images = ops.convert_to_tensor(np.random.default_rng(3).normal(size=(2, 6, 6, 2)))

    def penalty():
        with GradientTape() as inner:
            inner.watch(images)
            score = critic(images)
        grads = inner.gradient(score, images)
        norm = ops.sqrt(ops.sum(ops.square(grads), axis=[1, 2, 3]))
        return ops.mean((norm - 1.0) ** 2)

    with GradientTape() as tape:
        value = penalty()
    grads = tape.gradient(value, critic.trainable_weights)
    kernels = [g for w, g in zip(critic.trainable_weights, grads) if "kernel" in w.path]
    assert kernels and all(g is not None for g in kernels)
    _assert_weight_gradients(penalty, critic.trainable_weights, grads)


def test_input_gradient_regularizer_of_a_classifier_with_batch_normalization():
    # gradient-times-input (a saliency penalty) added to the loss, BatchNormalization in
    # training mode and a softmax output with sparse categorical cross-entropy
    keras.config.set_floatx("float64")
    model = keras.Sequential([keras.Input((4,)), layers.Dense(6),
                              layers.BatchNormalization(), layers.Activation("swish"),
                              layers.Dense(3, activation="softmax")])
    rng = np.random.default_rng(4)
    x = ops.convert_to_tensor(rng.normal(size=(5, 4)))
    labels = np.array([0, 2, 1, 1, 0])
    loss_fn = keras.losses.SparseCategoricalCrossentropy()

    def total_loss():
        with GradientTape() as inner:
            inner.watch(x)
            loss = loss_fn(labels, model(x, training=True))
        saliency = ops.multiply(inner.gradient(loss, x), x)
        return loss + 0.5 * ops.mean(ops.square(saliency))

    with GradientTape() as tape:
        value = total_loss()
    grads = tape.gradient(value, model.trainable_weights)
    _assert_weight_gradients(total_loss, model.trainable_weights, grads)


def test_pinn_with_swish_and_sin_features():
    # u(x) = Dense(swish(Dense(sin(x)))); the residual of u'' + u is differentiated
    keras.config.set_floatx("float64")
    model = keras.Sequential([keras.Input((1,)), layers.Lambda(ops.sin),
                              layers.Dense(6, activation="swish"),
                              layers.Dense(6, activation="softplus"), layers.Dense(1)])
    x = ops.convert_to_tensor(np.linspace(-1.0, 1.0, 4)[:, None])

    def residual():
        with GradientTape() as second:
            second.watch(x)
            with GradientTape() as first:
                first.watch(x)
                u = model(x)
            u_x = first.gradient(u, x)
        u_xx = second.gradient(u_x, x)
        return ops.mean(ops.square(ops.add(u_xx, model(x))))

    with GradientTape() as tape:
        value = residual()
    grads = tape.gradient(value, model.trainable_weights)
    _assert_weight_gradients(residual, model.trainable_weights, grads)


class _SelfAttention(layers.Layer):
    def __init__(self):
        super().__init__()
        self.attention = layers.MultiHeadAttention(2, 3)

    def call(self, x):
        return self.attention(x, x)


LAYERS = {
    "multi_head_attention": (_SelfAttention, (2, 3, 4)),
    "einsum_dense": (lambda: layers.EinsumDense("abc,cd->abd", (3, 2), bias_axes="d"),
                     (2, 3, 4)),
    "group_normalization": (lambda: layers.GroupNormalization(2), (2, 3, 4)),
    "unit_normalization": (layers.UnitNormalization, (2, 4)),
    "repeat_vector": (lambda: layers.RepeatVector(2), (2, 3)),
    "max_pooling_3d": (lambda: layers.MaxPooling3D(2, padding="same"), (1, 3, 2, 2, 2)),
    "conv_1d_transpose": (lambda: layers.Conv1DTranspose(2, 3, strides=2), (2, 3, 2)),
    "conv_lstm_1d": (lambda: layers.ConvLSTM1D(2, 2), (1, 2, 4, 2)),
    "bidirectional_lstm": (lambda: layers.Bidirectional(layers.LSTM(2)), (2, 3, 2)),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_second_derivatives_through_more_layers(name):
    make, shape = LAYERS[name]
    layer = make()
    layer(np.zeros(shape))  # builds it (default initializers)

    def fn(x):
        y = layer(x)
        return ops.sum(ops.sin(y) * y)

    check_second_order(fn, _values(shape, seed=12), rtol=1e-5, atol=1e-7)


RECURRENT = {
    "simple_rnn": lambda: layers.SimpleRNN(3, return_sequences=True),
    "simple_rnn_relu_backwards": lambda: layers.SimpleRNN(3, activation="softsign",
                                                         go_backwards=True),
    "lstm": lambda: layers.LSTM(3, return_sequences=True),
    "lstm_last_output": lambda: layers.LSTM(2, recurrent_activation="hard_sigmoid"),
    "gru": lambda: layers.GRU(3, return_sequences=True),
    "gru_reset_before": lambda: layers.GRU(2, reset_after=False, go_backwards=True,
                                           return_sequences=True),
}


@pytest.mark.parametrize("name", sorted(RECURRENT))
def test_second_derivatives_through_recurrent_layers(name):
    layer = RECURRENT[name]()
    layer(np.zeros((2, 4, 2)))
    for weight in layer.weights:  # a random bias too, so that every term is exercised
        weight.assign(_values(tuple(weight.shape), seed=13)[0] * 0.8)

    def fn(x):
        y = layer(x)
        return ops.sum(ops.sin(y) * y)

    check_second_order(fn, _values((2, 4, 2), seed=14), rtol=1e-5, atol=1e-7)


def test_second_derivatives_of_an_lstm_with_a_mask_dropout_and_initial_state():
    from kerasx.ops.rnn import lstm

    rng = np.random.default_rng(15)
    mask = np.array([[True, True, False, True], [True, False, False, True]])
    dropout = rng.uniform(0.5, 1.5, size=(4, 2, 2))  # one mask per gate
    recurrent_dropout = rng.uniform(0.5, 1.5, size=(2, 3))

    def fn(x, w, r, b, h0):
        outputs, h, c = lstm(x, w, r, b, initial_state=[h0, h0 * h0], mask=mask,
                             zero_output_for_mask=True, dropout_mask=dropout,
                             recurrent_dropout_mask=recurrent_dropout)
        return ops.sum(ops.sin(outputs) * outputs) + ops.sum(h * c)

    check_second_order(fn, _values((2, 4, 2), (2, 12), (3, 12), (12,), (2, 3), seed=16),
                       rtol=1e-5, atol=1e-7)


def test_maml_step_through_a_gru_classifier():
    # a meta-gradient through one inner step of a GRU sequence classifier
    keras.config.set_floatx("float64")
    model = keras.Sequential([keras.Input((3, 2)), layers.GRU(3),
                              layers.Dense(2, activation="softmax")])
    rng = np.random.default_rng(17)
    support = (rng.normal(size=(4, 3, 2)), np.array([0, 1, 1, 0]))
    query = (rng.normal(size=(4, 3, 2)), np.array([1, 0, 1, 0]))
    with GradientTape() as outer:
        meta_loss = _maml_query_loss(model, support, query, 0.3)
    grads = outer.gradient(meta_loss, model.trainable_variables)
    _assert_weight_gradients(lambda: _maml_query_loss(model, support, query, 0.3),
                             model.trainable_variables, grads)


_WELL_CONDITIONED = np.eye(3) * 2.0

LINALG = {
    "inv": (lambda x: ops.sum(ops.linalg.inv(x + _WELL_CONDITIONED) * x), _values((3, 3))),
    "inv_batched": (lambda x: ops.sum(ops.square(ops.linalg.inv(x + _WELL_CONDITIONED))),
                    _values((2, 3, 3))),
    "det": (lambda x: ops.sum(ops.linalg.det(x + _WELL_CONDITIONED) * ops.sum(x)),
            _values((2, 3, 3))),
    "slogdet": (lambda x: ops.sum(ops.slogdet(x + _WELL_CONDITIONED)[1] * ops.sum(x)),
                _values((3, 3))),
    "triu_tril": (lambda x: ops.sum(ops.square(ops.triu(x, k=1)) * x)
                  + ops.sum(ops.tril(x) * x * x), _values((3, 3))),
}


@pytest.mark.parametrize("name", sorted(LINALG))
def test_second_derivatives_of_matrix_ops(name):
    fn, values = LINALG[name]
    check_second_order(fn, values, rtol=1e-5, atol=1e-7)


def test_third_derivatives_through_a_gather_and_a_layer_normalization():
    # the rules' own outputs (`take_gradient`, the recomputed normalization) are
    # differentiable again
    def third(fn, v):
        x = Variable(v)
        with GradientTape() as t3:
            with GradientTape() as t2:
                with GradientTape() as t1:
                    y = fn(x)
                d1 = t1.gradient(y, x)
                s1 = ops.sum(d1 * d1)
            d2 = t2.gradient(s1, x)
            s2 = ops.sum(ops.sin(d2))
        return to_numpy(t3.gradient(s2, x))

    def second_penalty(fn, v):
        x = Variable(v)
        with GradientTape() as t2:
            with GradientTape() as t1:
                y = fn(x)
            d1 = t1.gradient(y, x)
            s1 = ops.sum(d1 * d1)
        return to_numpy(t2.gradient(s1, x))

    ids = np.array([0, 2, 2, 1])
    functions = [
        lambda t: ops.sum(ops.sin(ops.take(t, ids, axis=0)) * 2.0),
        lambda t: ops.sum(ops.tanh(ops.layer_normalization(t, epsilon=1e-3)) * t),
    ]
    for fn in functions:
        v = _values((3, 4), seed=18)[0]
        got = third(fn, v)
        expected = np.zeros_like(v)
        for k in np.ndindex(v.shape):
            up, down = v.copy(), v.copy()
            up[k] += 1e-6
            down[k] -= 1e-6
            expected[k] = (np.sum(np.sin(second_penalty(fn, up)))
                           - np.sum(np.sin(second_penalty(fn, down)))) / 2e-6
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7)
