"""Gradients of gradients through cumulative products and products with zero factors,
linear algebra (solves, factorizations, pseudo-inverses, norms), segment reductions,
the CTC loss, the fused convolution / normalization / pooling nodes of models, custom
recurrent activations, updates, distances, patches, weight penalties and more
elementwise ops: second derivatives against central finite differences of first-order
gradients in float64, a gradient penalty and a meta-gradient through models."""

import numpy as np
import pytest

import kerasx as keras
from kerasx import GradientTape, layers, ops
from kerasx.ops.batch_norm_pool import batch_norm_max_pool
from kerasx.ops.conv_batch_norm_pool import conv_batch_norm_max_pool
from kerasx.ops.conv_pool import conv_avg_pool, conv_global_max_pool, conv_max_pool
from tests.autodiff.test_higher_order import _away_from_zero, _values, check_second_order
from tests.conftest import to_numpy


@pytest.fixture(autouse=True)
def _float64():
    """Layers and losses compute in `floatx`: float64 for finite differences."""
    keras.config.set_floatx("float64")


def _spd(n, seed=0, batch=()):
    """Well-conditioned symmetric positive-definite matrices."""
    rng = np.random.default_rng(seed)
    m = rng.normal(size=batch + (n, n))
    return m @ np.swapaxes(m, -1, -2) + n * np.eye(n)


def _with_zero(shape, at, seed=1):
    v = _values(shape, seed=seed)[0]
    v[at] = 0.0
    return v


CUMULATIVE = {
    "cumprod": (lambda x: ops.sum(ops.cumprod(x, axis=1) * ops.sin(x)), _values((2, 4))),
    "cumprod_flat": (lambda x: ops.sum(ops.square(ops.cumprod(x))), _values((2, 3))),
    "cumprod_zero": (lambda x: ops.sum(ops.cumprod(x, axis=1) * ops.sin(x)),
                     [_with_zero((2, 4), (0, 1))]),
    # two zeros in the first column: the partials after the first zero vanish, not their
    # derivatives
    "cumprod_two_zeros": (lambda x: ops.sum(ops.square(ops.cumprod(x, axis=0)) + x),
                          [_with_zero((4, 2), (1, 0)) * (np.arange(8).reshape(4, 2) != 6)]),
    "prod_zero": (lambda x: ops.sum(ops.prod(x, axis=1) * ops.sum(x, axis=1)),
                  [_with_zero((3, 4), (0, 2))]),
    "prod_two_zeros": (lambda x: ops.sum(ops.prod(x, axis=0) * x[0]),
                       [_with_zero((3, 2), (0, 1)) * (np.arange(6).reshape(3, 2) != 5)]),
    "prod_zero_all_axes": (lambda x: ops.square(ops.prod(x)) + ops.prod(x * x * x),
                           [_with_zero((2, 3), (1, 1))]),
    "cumsum": (lambda x: ops.sum(ops.cumsum(x, axis=0) * ops.cos(x)), _values((3, 2))),
}


@pytest.mark.parametrize("name", sorted(CUMULATIVE))
def test_second_derivatives_of_cumulative_products(name):
    fn, values = CUMULATIVE[name]
    check_second_order(fn, values)


LINALG = {
    "solve": (lambda a, b: ops.sum(ops.sin(ops.linalg.solve(a, b))),
              [_spd(3), _values((3, 2))[0]]),
    "solve_vector": (lambda a, b: ops.sum(ops.square(ops.linalg.solve(a, b))),
                     [_spd(3, seed=2), _values((3,))[0]]),
    "solve_batched_broadcast": (lambda a, b: ops.sum(ops.tanh(ops.linalg.solve(a, b))),
                                [_spd(2, batch=(2,)), _values((2, 1))[0]]),
    "solve_triangular_lower": (
        lambda a, b: ops.sum(ops.sin(ops.linalg.solve_triangular(a, b, lower=True))),
        [_spd(3, seed=3), _values((3, 2))[0]]),
    "solve_triangular_upper_vectors": (
        lambda a, b: ops.sum(ops.square(ops.linalg.solve_triangular(a, b))),
        [_spd(3, seed=4, batch=(2,)), _values((2, 3))[0]]),
    "cholesky": (lambda a: ops.sum(ops.sin(ops.linalg.cholesky(a))), [_spd(3)]),
    "cholesky_upper": (lambda a: ops.sum(ops.square(ops.linalg.cholesky(a, upper=True))
                                         * np.arange(9.0).reshape(3, 3)), [_spd(3, seed=5)]),
    "cholesky_inverse": (lambda a: ops.sum(ops.sin(ops.linalg.cholesky_inverse(a))),
                         [np.tril(_spd(3, seed=6))]),
    "eigh_values": (lambda a: ops.sum(ops.square(ops.linalg.eigh(a)[0])
                                      * np.array([1.0, 2.0, 3.0])), [_spd(3, seed=7)]),
    "eigh_vectors": (lambda a: ops.sum(ops.square(ops.linalg.eigh(a)[1][:, 0])
                                       * np.array([1.0, -2.0, 3.0])), [_spd(3, seed=8)]),
    "svd_values": (lambda a: ops.sum(ops.sin(ops.linalg.svd(a, compute_uv=False))),
                   _values((3, 2), seed=3)),
    "svd_thin": (lambda a: ops.sum(ops.square(ops.linalg.svd(a, full_matrices=False)[0])
                                   * np.arange(6.0).reshape(3, 2))
                 + ops.sum(ops.linalg.svd(a, full_matrices=False)[2][0]),
                 _values((3, 2), seed=4)),
    "svd_square_full": (lambda a: ops.sum(ops.linalg.svd(a)[1] * ops.linalg.svd(a)[2][:, 1]),
                        _values((3, 3), seed=5)),
    "qr_tall": (lambda a: ops.sum(ops.sin(ops.linalg.qr(a)[0])) + ops.sum(
        ops.square(ops.linalg.qr(a)[1])), _values((4, 3), seed=6)),
    "qr_wide": (lambda a: ops.sum(ops.sin(ops.linalg.qr(a)[1])) + ops.sum(
        ops.linalg.qr(a)[0] * np.arange(4.0).reshape(2, 2)), _values((2, 3), seed=7)),
    "pinv": (lambda a: ops.sum(ops.sin(ops.linalg.pinv(a))), _values((3, 2), seed=8)),
    "lstsq": (lambda a, b: ops.sum(ops.sin(ops.linalg.lstsq(a, b))),
              _values((4, 2), (4, 2), seed=9)),
    "lstsq_vector": (lambda a, b: ops.sum(ops.square(ops.linalg.lstsq(a, b))),
                     _values((4, 3), (4,), seed=10)),
    "inv_det": (lambda a: ops.linalg.det(a) * ops.sum(ops.linalg.inv(a)), [_spd(3, seed=9)]),
}

NORMS = [(None, None), (3, 1), (np.inf, 1), (-np.inf, 0), (1, 1), (0.5, 1), ("fro", (0, 1)),
         ("nuc", (0, 1)), (2, (0, 1)), (-2, (0, 1)), (1, (0, 1)), (-1, (1, 0)),
         (np.inf, (0, 1)), (-np.inf, (0, 1))]


@pytest.mark.parametrize("name", sorted(LINALG))
def test_second_derivatives_of_linear_algebra(name):
    fn, values = LINALG[name]
    check_second_order(fn, values, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("ord,axis", NORMS, ids=[f"{o}-{a}" for o, a in NORMS])
def test_second_derivatives_of_norms(ord, axis):
    def fn(x):
        n = ops.linalg.norm(x * x + x, ord=ord, axis=axis)
        return ops.sum(n * n * n)

    check_second_order(fn, _away_from_zero((3, 4), seed=11), rtol=1e-5, atol=1e-6)


def _conv_pool(fused, **pool):
    def fn(x, w, b):
        y = fused(x, w, b, padding="same", relu=True, **pool)
        return ops.sum(ops.tanh(y) * ops.sum(x))

    return fn


def _constant_input_conv_pool(fused, **pool):
    x = _values((2, 6, 6, 2), seed=12)[0]

    def fn(w, b):
        y = fused(ops.convert_to_tensor(x), w, b, **pool)
        return ops.sum(ops.tanh(y) * y)

    return fn


def _bn_pool(x, scale, offset):
    out, _, _ = batch_norm_max_pool(x, scale, offset, 1e-3, 2, None, "valid", "channels_last",
                                    True)
    return ops.sum(ops.sin(out) * ops.sum(x))


def _conv_bn_pool(data_format):
    def fn(x, w, b, scale, offset):
        out, _, _ = conv_batch_norm_max_pool(x, w, b, scale, offset, 1e-3, padding="same",
                                             data_format=data_format, relu=True)
        return ops.sum(ops.sin(out) * out)

    return fn


# the nodes Sequential and functional models run a convolution or a batch normalization
# and the pooling after it as (`kerasx.models.fusion`)
FUSED = {
    "conv_max_pool": (_conv_pool(conv_max_pool, pool_size=2),
                      _values((2, 4, 4, 2), (3, 3, 2, 3), (3,), seed=13)),
    "conv_max_pool_strided_same": (_conv_pool(conv_max_pool, pool_size=3, pool_strides=2,
                                              pool_padding="same"),
                                   _values((1, 5, 5, 2), (2, 2, 2, 2), (2,), seed=14)),
    "conv_avg_pool": (_conv_pool(conv_avg_pool, pool_size=2),
                      _values((2, 4, 4, 2), (3, 3, 2, 3), (3,), seed=15)),
    "conv_global_max_pool": (_conv_pool(conv_global_max_pool),
                             _values((2, 4, 4, 2), (3, 3, 2, 3), (3,), seed=16)),
    "conv_global_max_pool_keepdims": (_conv_pool(conv_global_max_pool, keepdims=True),
                                      _values((2, 4, 4, 2), (3, 3, 2, 3), (3,), seed=17)),
    "conv_max_pool_constant_input": (_constant_input_conv_pool(conv_max_pool, pool_size=2),
                                     _values((3, 3, 2, 3), (3,), seed=18)),
    "conv_avg_pool_constant_input": (_constant_input_conv_pool(conv_avg_pool, pool_size=2,
                                                               relu=True),
                                     _values((3, 3, 2, 3), (3,), seed=19)),
    "batch_norm_max_pool": (_bn_pool, _values((2, 4, 4, 3), (3,), (3,), seed=20)),
    "conv_batch_norm_max_pool": (_conv_bn_pool("channels_last"),
                                 _values((2, 4, 4, 2), (3, 3, 2, 3), (3,), (3,), (3,),
                                         seed=21)),
    "conv_batch_norm_max_pool_channels_first": (
        _conv_bn_pool("channels_first"),
        _values((2, 2, 4, 4), (3, 3, 2, 2), (2,), (2,), (2,), seed=22)),
}


@pytest.mark.parametrize("name", sorted(FUSED))
def test_second_derivatives_through_fused_conv_normalization_and_pooling(name):
    fn, values = FUSED[name]
    check_second_order(fn, values, rtol=1e-5, atol=1e-6)


_IDS = np.array([0, 2, 0, 1, -1, 2])

SEGMENTS = {
    "segment_sum": (lambda x: ops.sum(ops.square(ops.segment_sum(x * x, _IDS, 4)) * x[:4]),
                    _values((6, 2), seed=23)),
    "segment_max": (lambda x: ops.sum(ops.sin(ops.segment_max(x * x, _IDS, 3)) * x[:3]),
                    _values((6, 2), seed=24)),
    "segment_min_3d": (lambda x: ops.sum(ops.square(ops.segment_min(ops.sin(x), _IDS, 3))),
                       _values((6, 2, 2), seed=25)),
    "segment_prod": (lambda x: ops.sum(ops.segment_prod(x, _IDS, 3) * x[:3]),
                     _away_from_zero((6, 2), seed=26)),
    "scatter": (lambda x: ops.sum(ops.sin(ops.scatter(np.array([[1], [3], [1]]), x * x,
                                                     (4, 2))) * ops.sum(x)),
                _values((3, 2), seed=27)),
}


@pytest.mark.parametrize("name", sorted(SEGMENTS))
def test_second_derivatives_of_segment_reductions(name):
    fn, values = SEGMENTS[name]
    check_second_order(fn, values)


def test_second_derivatives_of_the_ctc_loss():
    # a repeated label (needs a blank between), a shorter label and output length, and
    # the blank at another index than 0
    target = np.array([[1, 1, 2], [0, 2, 1]])
    lengths, frames = np.array([3, 2]), np.array([6, 4])

    def fn(logits):
        loss = ops.ctc_loss(target, logits * 2.0, lengths, frames, mask_index=3)
        return ops.sum(loss * np.array([1.0, 0.5]))

    check_second_order(fn, _values((2, 6, 4), seed=28), rtol=1e-5, atol=1e-6)



def _soft_tanh(xp, v):
    """A custom recurrent activation pair: `2 tanh(v / 2)` for any array API namespace..."""
    return 2.0 * xp.tanh(v / 2.0)


def _soft_tanh_from_output(xp, y):
    """... and its derivative from its output."""
    return 1.0 - y * y / 4.0


def test_second_derivatives_of_a_recurrent_op_with_a_custom_activation_pair():
    from kerasx.ops.rnn import gru

    def fn(x, w, r, b):
        out, h = gru(x, w, r, b, activation=(_soft_tanh, _soft_tanh_from_output),
                     recurrent_activation="sigmoid")
        return ops.sum(ops.sin(out) * out) + ops.sum(h * h)

    check_second_order(fn, _values((2, 3, 2), (2, 6), (2, 6), (2, 6), seed=29), rtol=1e-5,
                       atol=1e-7)


def _l1_l2(x):
    return keras.regularizers.L1L2(l1=0.01, l2=0.3)(x * x * x) * ops.sum(x)


def _orthogonal(mode):
    def fn(x):
        return keras.regularizers.OrthogonalRegularizer(0.5, mode=mode)(x) * ops.sum(x * x)

    return fn


MORE = {
    "slice_update": (lambda x, u: ops.sum(ops.sin(ops.slice_update(x * x, (1, 0), u * x[:1, :2]))
                                          * x), _values((3, 3), (1, 2), seed=30)),
    "scatter_update": (lambda x, u: ops.sum(ops.sin(
        ops.scatter_update(x * x, np.array([[0, 1], [2, 2], [0, 1]]), u * u)) * x),
        _values((3, 3), (3,), seed=31)),
    "scatter_update_rows_broadcast": (lambda x, u: ops.sum(ops.square(
        ops.scatter_update(x, np.array([[2], [0]]), ops.sin(u))) * x),
        _values((3, 2), (1, 2), seed=32)),
    "scatter_update_add": (lambda x, u: ops.sum(ops.sin(ops.scatter_update(
        x * u[0], np.array([[1], [1]]), u * u, reduction="add")) * x),
        _values((3, 2), (2, 2), seed=33)),
    "cdist": (lambda x, y: ops.sum(ops.square(ops.cdist(x * x, y)) * ops.cdist(x, y)),
              _values((3, 2), (4, 2), seed=34)),
    "cdist_batched": (lambda x, y: ops.sum(ops.sin(ops.cdist(x, y))),
                      _values((2, 3, 2), (1, 2, 2), seed=35)),
    "unfold_fold": (lambda x: ops.sum(ops.sin(ops.unfold(x * x, 2, padding=1, stride=2)))
                    + ops.sum(ops.square(ops.fold(ops.unfold(x, 2), (3, 4), 2)) * x),
                    _values((1, 2, 3, 4), seed=36)),
    "l1_l2_regularizer": (_l1_l2, _away_from_zero((3, 2), seed=37)),
    "orthogonal_regularizer_rows": (_orthogonal("rows"), _values((3, 4), seed=38)),
    "orthogonal_regularizer_columns": (_orthogonal("columns"), _values((4, 3), seed=39)),
}


@pytest.mark.parametrize("name", sorted(MORE))
def test_second_derivatives_of_updates_distances_patches_and_penalties(name):
    fn, values = MORE[name]
    check_second_order(fn, values)


def _pooling_critic():
    """A critic whose layer pairs Sequential runs as fused nodes: a convolution with its
    ReLU and max pooling (`conv_max_pool`), a convolution, batch normalization and max
    pooling (`conv_batch_norm_max_pool`), a depthwise convolution and average pooling."""
    return keras.Sequential([
        keras.Input((8, 8, 2)),
        layers.Conv2D(4, 3, padding="same", activation="relu"),
        layers.MaxPooling2D(),
        layers.Conv2D(4, 3, padding="same"),
        layers.BatchNormalization(),
        layers.MaxPooling2D(),
        layers.DepthwiseConv2D(2, padding="same"),
        layers.AveragePooling2D(),
        layers.Flatten(),
        layers.Dense(1),
    ])


def _input_gradient_penalty(critic, images):
    x = ops.convert_to_tensor(images)
    with GradientTape() as tape:
        tape.watch(x)
        score = critic(x, training=True)
    grads = tape.gradient(score, x)
    return ops.mean(ops.square(ops.sqrt(ops.sum(ops.square(grads), axis=[1, 2, 3])) - 1.0))


def test_gradient_penalty_through_fused_conv_normalization_and_pooling_layers():
    critic = _pooling_critic()
    images = np.random.default_rng(40).normal(size=(3, 8, 8, 2))
    with GradientTape() as tape:
        penalty = _input_gradient_penalty(critic, images)
    weights = critic.trainable_weights
    grads = tape.gradient(penalty, weights)
    for weight, grad in zip(weights, grads):
        base = to_numpy(weight)
        flat = np.zeros(base.size) if grad is None else to_numpy(grad).ravel()
        for k in range(0, base.size, max(1, base.size // 3)):
            np.testing.assert_allclose(
                flat[k], _central_difference(weight, base, k,
                                             lambda: _input_gradient_penalty(critic, images)), rtol=1e-5,
                                       atol=1e-8, err_msg=weight.path)


def test_a_critic_with_fused_layers_trains_on_its_gradient_penalty():
    critic = _pooling_critic()
    optimizer = keras.optimizers.Adam(0.02)
    images = np.random.default_rng(41).normal(size=(4, 8, 8, 2))
    penalties = []
    for _ in range(30):
        with GradientTape() as tape:
            penalty = _input_gradient_penalty(critic, images)
        grads = tape.gradient(penalty, critic.trainable_weights)
        pairs = [(g, w) for g, w in zip(grads, critic.trainable_weights) if g is not None]
        optimizer.apply([g for g, _ in pairs], [w for _, w in pairs])
        penalties.append(float(penalty))
    assert penalties[-1] < 0.2 * penalties[0]


def _separable_classifier():
    """Depthwise and grouped convolutions on the (constant) images, L2-regularized."""
    l2 = keras.regularizers.L2(0.05)
    return keras.Sequential([
        keras.Input((6, 6, 2)),
        layers.DepthwiseConv2D(3, depth_multiplier=2, depthwise_regularizer=l2),
        layers.Activation("tanh"),
        layers.Conv2D(4, 3, groups=2, kernel_regularizer=l2),
        layers.GlobalAveragePooling2D(),
        layers.Dense(3, activation="softmax"),
    ])


def _regularized_maml_loss(model, support, query, rate):
    """One regularized inner SGD step on the support set (a nested tape), then the
    adapted model's query loss."""
    loss_fn = keras.losses.SparseCategoricalCrossentropy()
    weights = model.trainable_variables
    with GradientTape() as inner:
        support_loss = loss_fn(support[1], model(support[0])) + ops.sum(model.losses)
    grads = inner.gradient(support_loss, weights)
    adapted = [w - rate * g for w, g in zip(weights, grads)]
    predictions, _ = model.stateless_call(adapted, [], query[0])
    return loss_fn(query[1], predictions)


def test_maml_meta_gradient_through_regularized_depthwise_and_grouped_convolutions():
    model = _separable_classifier()
    rng = np.random.default_rng(42)
    support = (rng.normal(size=(4, 6, 6, 2)), np.array([0, 1, 2, 1]))
    query = (rng.normal(size=(4, 6, 6, 2)), np.array([2, 0, 1, 1]))
    with GradientTape() as outer:
        meta_loss = _regularized_maml_loss(model, support, query, 0.5)
    weights = model.trainable_variables
    meta_grads = outer.gradient(meta_loss, weights)
    for weight, grad in zip(weights, meta_grads):
        base = to_numpy(weight)
        for k in range(0, base.size, max(1, base.size // 4)):
            loss = lambda: _regularized_maml_loss(model, support, query, 0.5)  # noqa: E731
            np.testing.assert_allclose(to_numpy(grad).ravel()[k],
                                       _central_difference(weight, base, k, loss),
                                       rtol=1e-5, atol=1e-8, err_msg=weight.path)


def _with_entry(values, at, entry):
    values = [v.copy() for v in values]
    values[0][at] = entry
    return values


ELEMENTWISE = {
    "arctan2": (lambda a, b: ops.sum(ops.arctan2(a, b) * a * b), _away_from_zero((5,), (5,))),
    "hypot": (lambda a, b: ops.sum(ops.hypot(a * a, b) * b), _values((5,), (5,), seed=43)),
    "cbrt": (lambda x: ops.sum(ops.cbrt(x) * x), _away_from_zero((5,), seed=44)),
    "fabs": (lambda x: ops.sum(ops.fabs(x) * x * x), _away_from_zero((5,), seed=45)),
    "deg2rad_rad2deg": (lambda x: ops.sum(ops.sin(ops.deg2rad(x * 50.0)) * ops.rad2deg(x)),
                        _values((5,), seed=46)),
    "sinc": (lambda x: ops.sum(ops.sinc(x) * x), _values((5,), low=-2.0, high=2.0, seed=47)),
    # the first-order gradient near 0 cancels to ~3e-12: finite differences lose 5 digits
    "sinc_at_zero": (lambda x: ops.sum(ops.sinc(x) * ops.cos(x)),
                     _with_entry(_values((3,), seed=48), 1, 0.0), {"rtol": 1e-4}),
    "ldexp": (lambda x: ops.sum(ops.sin(ops.ldexp(x, np.array([1, -2, 3]))) * x),
              _values((3,), seed=49)),
    "divide_no_nan": (lambda a, b: ops.sum(ops.divide_no_nan(a * a, b) * b * a),
                      _with_entry(_away_from_zero((5,), (5,), seed=50)[::-1], 2, 0.0)),
    # the gradient of `b` reaches it where `a` is 0: a step in `a` there, not differentiable
    "heaviside": (lambda a, b: ops.sum(ops.heaviside(a, b * b) * b),
                  _with_entry(_values((4,), (4,), seed=51), 1, 0.0), {"outer": [1]}),
    "fmod": (lambda a, b: ops.sum(ops.fmod(a * 3.0, b) * a * b),
             _away_from_zero((5,), (5,), seed=52)),
    "fmax_fmin": (lambda a, b: ops.sum(ops.fmax(a, b) * a * b + ops.square(ops.fmin(a * b, b))),
                  _away_from_zero((5,), (5,), seed=53)),
    "erfc_erfinv": (lambda x: ops.sum(ops.erfc(x) * ops.erfinv(x * 0.8) * x),
                    _values((5,), seed=54)),
    "logaddexp2": (lambda a, b: ops.sum(ops.logaddexp2(a, b * b) * a),
                   _values((5,), (5,), seed=55)),
    "identities": (lambda x: ops.sum(ops.copy(x) * ops.real(x) * ops.conj(x)
                                     * ops.nan_to_num(x)), _values((5,), seed=56)),
}


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_second_derivatives_of_more_elementwise_ops(name):
    fn, values, *options = ELEMENTWISE[name]
    check_second_order(fn, values, **(options[0] if options else {}))


def _third_derivative(fn, value):
    x = keras.Variable(np.array([[value]]))
    with GradientTape() as t3:
        with GradientTape() as t2:
            with GradientTape() as t1:
                y = fn(x)
            d1 = t1.gradient(y, x)
        d2 = t2.gradient(d1, x)
    return float(to_numpy(t3.gradient(d2, x))[0, 0])


def test_third_derivatives_through_the_rules_of_solve_cholesky_and_cumprod():
    # 1 x 1 matrices: solve(a, b) = b / a, cholesky(a) = sqrt(a)
    a, b = 1.7, np.array([[0.6]])
    got = _third_derivative(lambda x: ops.sum(ops.linalg.solve(x, b)), a)
    np.testing.assert_allclose(got, -6.0 * 0.6 / a ** 4, rtol=1e-10)
    got = _third_derivative(lambda x: ops.sum(ops.linalg.cholesky(x)), a)
    np.testing.assert_allclose(got, 3.0 / 8.0 * a ** -2.5, rtol=1e-10)
    # with a zero factor: cumprod([x, 0, x]) = [x, 0, 0], so the sum is x ** 3
    got = _third_derivative(
        lambda x: ops.sum(ops.cumprod(ops.concatenate([x, x * 0.0, x], axis=1), axis=1)
                          * ops.concatenate([x * x, x, x], axis=1)), a)
    np.testing.assert_allclose(got, 6.0, rtol=1e-10)


def _central_difference(weight, base, k, loss):
    """d loss / d weight[k] (flat index) by a float64 central difference around `base`,
    the weight's value, which it has again afterwards."""
    values = []
    for step in (1e-6, -1e-6):
        moved = base.copy().ravel()
        moved[k] += step
        weight.assign(moved.reshape(base.shape))
        values.append(float(loss()))
    weight.assign(base)
    return (values[0] - values[1]) / 2e-6
