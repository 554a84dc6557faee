"""Gradients of gradients through the Fourier transforms, the complex views, `i0`,
`segment_prod` with zero factors, normalizations of a constant input with a zero scale,
`custom_gradient` and bfloat16 / mixed-precision weights: second derivatives against
central finite differences of first-order gradients in float64 (`check_second_order`)."""

import importlib.util

import numpy as np
import pytest

import kerasx as keras
from kerasx import GradientTape, Variable, layers, ops
from kerasx.backends import current
from kerasx.ops.normalization import fused_batch_normalization
from tests.autodiff.test_higher_order import _values, check_second_order
from tests.autodiff.test_higher_order_linalg_and_more import _central_difference
from tests.conftest import to_numpy


@pytest.fixture(autouse=True)
def _float64():
    """Layers compute in `floatx`: float64 for finite differences."""
    keras.config.set_floatx("float64")


def _with_zeros(shape, at, seed=1):
    v = _values(shape, seed=seed)[0]
    for index in at:
        v[index] = 0.0
    return v


FOURIER = {
    "fft": (lambda x, y: ops.sum(ops.sin(ops.fft((x, y * x))[0]) + ops.fft((x, y))[1] ** 2),
            _values((2, 5), (2, 5))),
    "fft_imag_only": (lambda x, y: ops.sum(ops.square(ops.fft((x * y, y))[1])),
                      _values((4,), (4,))),
    "fft2": (lambda x, y: ops.sum(ops.cos(ops.fft2((x, ops.tanh(y)))[0]) * x[..., :1]),
             _values((2, 3, 4), (2, 3, 4))),
    "ifft2": (lambda x, y: ops.sum(ops.sin(ops.ifft2((x * x, y))[1]) + ops.ifft2((x, y))[0] * x),
              _values((3, 4), (3, 4))),
    "rfft": (lambda x: ops.sum(ops.sin(ops.rfft(x)[0]) + ops.rfft(x)[1] ** 2 * x[..., :1]),
             _values((2, 6))),
    "rfft_odd": (lambda x: ops.sum(ops.tanh(ops.rfft(x * x)[1])), _values((5,))),
    "rfft_padded": (lambda x: ops.sum(ops.sin(ops.rfft(x, fft_length=8)[0] * 3.0)),
                    _values((2, 5))),
    "rfft_cut": (lambda x: ops.sum(ops.square(ops.rfft(x, fft_length=4)[1]) * ops.cos(x[:, :3])),
                 _values((2, 7))),
    "irfft": (lambda x, y: ops.sum(ops.sin(ops.irfft((x, y * y)))), _values((2, 4), (2, 4))),
    "irfft_odd_length": (lambda x, y: ops.sum(ops.tanh(ops.irfft((x * y, y), fft_length=7))),
                         _values((3, 4), (3, 4))),
    "irfft_cut": (lambda x, y: ops.sum(ops.square(ops.irfft((ops.sin(x), y), fft_length=4))),
                  _values((5,), (5,))),
    "irfft_padded": (lambda x, y: ops.sum(ops.sin(ops.irfft((x, y * x), fft_length=8) * 2.0)),
                     _values((2, 3), (2, 3))),
    "stft": (lambda x: ops.sum(ops.sin(ops.stft(x, 6, 3, 8)[0]) * ops.stft(x, 6, 3, 8)[1]),
             _values((2, 16))),
    "stft_no_center_no_window": (
        lambda x: ops.sum(ops.square(ops.stft(x * x, 4, 2, 4, window=None, center=False)[1])),
        _values((10,))),
    "istft": (lambda x, y: ops.sum(ops.sin(ops.istft((x, y * x), 6, 3, 8) * 2.0)),
              _values((2, 5, 5), (2, 5, 5))),
    "istft_no_window": (lambda x, y: ops.sum(ops.square(ops.istft((x * y, y), 4, 2, 4,
                                                                  window=None))),
                        _values((4, 3), (4, 3))),
    "view_as_complex_real": (
        lambda x: ops.sum(ops.sin(ops.view_as_real(ops.view_as_complex(x * x)) * x)),
        _values((3, 2))),
    "view_as_complex_sum": (
        lambda x, y: ops.sum(ops.tanh(ops.view_as_real(ops.view_as_complex(x)
                                                       + ops.view_as_complex(x * y)))),
        _values((2, 3, 2), (2, 3, 2))),
    "view_as_real_of_real": (lambda x: ops.sum(ops.square(ops.view_as_real(ops.sin(x)))),
                             _values((2, 3))),
}


@pytest.mark.parametrize("name", sorted(FOURIER))
def test_second_derivatives_through_fourier_transforms_and_complex_views(name):
    fn, values = FOURIER[name]
    check_second_order(fn, values)


def test_third_derivative_through_rfft_and_irfft():
    # the rules call the transforms themselves, so the next order is recorded too
    x = Variable(np.array([0.3, -0.7, 1.1, 0.4, -0.2]))

    def f(x):
        return ops.sum(ops.sin(ops.irfft(ops.rfft(x * x), fft_length=5)))

    with GradientTape() as t3:
        with GradientTape() as t2:
            with GradientTape() as t1:
                y = f(x)
            d1 = t1.gradient(y, x)
            s1 = ops.sum(d1)
        d2 = t2.gradient(s1, x)
        s2 = ops.sum(d2)
    d3 = t3.gradient(s2, x)
    # irfft(rfft(x^2)) is x^2 again: d/dx_i sum sin(x^2) = 2 x cos(x^2), then
    # (2 cos(x^2) - 4 x^2 sin(x^2))' = -12 x sin(x^2) - 8 x^3 cos(x^2)
    v = to_numpy(x)
    np.testing.assert_allclose(to_numpy(d3), -12 * v * np.sin(v * v) - 8 * v ** 3
                               * np.cos(v * v), rtol=1e-9, atol=1e-12)


BESSEL = {
    "i0": (lambda x: ops.sum(ops.i0(x) * ops.sin(x)), _values((6,), low=-3.0, high=3.0)),
    "i0_large": (lambda x: ops.sum(ops.log(ops.i0(x))), [np.array([-25.0, 21.5, 30.0])]),
    "i0_at_zero": (lambda x: ops.sum(ops.i0(x * x) + ops.i0(x) * x), [np.array([0.0, 1.5])]),
}


@pytest.mark.parametrize("name", sorted(BESSEL))
def test_second_derivatives_of_i0(name):
    fn, values = BESSEL[name]
    check_second_order(fn, values, rtol=1e-6, atol=1e-6)


def test_third_derivative_of_i0_is_i1_second_derivative():
    # I0''' = I1'' = I1 - I0 / x + 2 I1 / x^2 (scipy-free: from I0 = I1' + I1 / x)
    v = np.array([-2.0, -0.5, 0.7, 1.9])
    x = Variable(v)
    with GradientTape() as t3:
        with GradientTape() as t2:
            with GradientTape() as t1:
                y = ops.sum(ops.i0(x))
            s1 = ops.sum(t1.gradient(y, x))
        s2 = ops.sum(t2.gradient(s1, x))
    d3 = to_numpy(t3.gradient(s2, x))
    i0 = to_numpy(ops.i0(v))
    with GradientTape() as tape:
        y = ops.sum(ops.i0(x))
    i1 = to_numpy(tape.gradient(y, x))
    np.testing.assert_allclose(d3, i1 - i0 / v + 2 * i1 / v ** 2, rtol=1e-10)


_IDS = np.array([0, 0, 1, 1, 1, 2, 3])

SEGMENT_PROD = {
    "one_zero": (lambda x: ops.sum(ops.segment_prod(x, _IDS, 4) * ops.sin(x[:4])),
                 [_with_zeros((7, 2), [(1, 0)])]),
    "two_zeros_in_a_segment": (
        lambda x: ops.sum(ops.square(ops.segment_prod(x, _IDS, 4)) + ops.segment_prod(x, _IDS, 4)
                          * x[2:6]),
        [_with_zeros((7, 2), [(2, 1), (4, 1), (0, 0)])]),
    "zero_alone_in_its_segment": (
        lambda x: ops.sum(ops.segment_prod(x, _IDS, 4) * ops.segment_prod(x * x, _IDS, 4)),
        [_with_zeros((7,), [(5,), (1,)])]),
    "unsorted_ids_and_dropped_rows": (
        lambda x: ops.sum(ops.sin(ops.segment_prod(x, np.array([2, 0, -1, 2, 0, 5]), 3)) * x[:3]),
        [_with_zeros((6, 2, 2), [(3, 1, 0), (2, 0, 0)])]),
    "empty_segment": (lambda x: ops.sum(ops.square(ops.segment_prod(x, np.array([0, 2, 2]), 4))),
                      [_with_zeros((3,), [(2,)])]),
}


@pytest.mark.parametrize("name", sorted(SEGMENT_PROD))
def test_second_derivatives_of_segment_prod_with_zero_factors(name):
    fn, values = SEGMENT_PROD[name]
    check_second_order(fn, values)


_CONSTANT = np.random.default_rng(3).normal(size=(4, 6))
_ZERO_SCALE = np.array([0.0, 0.7, 0.0, -1.3, 0.0, 0.4])


NORMALIZATION = {
    # the NumPy kernels keep no normalized copy of a constant input: with a zero scale
    # the output does not tell it, and the rule normalizes the input again
    "layer_normalization": (
        lambda gamma, beta: ops.sum(ops.sin(3.0 * ops.layer_normalization(_CONSTANT, gamma, beta))
                                    * beta),
        [_ZERO_SCALE, _values((6,))[0]]),
    "layer_normalization_all_zero": (
        lambda gamma, beta: ops.sum(ops.tanh(ops.layer_normalization(_CONSTANT, gamma, beta))),
        [np.zeros(6), _values((6,))[0]]),
    "layer_normalization_two_axes": (
        lambda gamma, beta: ops.sum(ops.sin(ops.layer_normalization(
            _CONSTANT.reshape(2, 2, 6), ops.reshape(gamma, (2, 6)), ops.reshape(beta, (2, 6)),
            axis=(1, 2))) * ops.reshape(beta, (2, 6))),
        [np.tile(_ZERO_SCALE, 2), _values((12,))[0]]),
    "batch_normalization_training": (
        lambda scale, offset: ops.sum(ops.sin(2.0 * fused_batch_normalization(
            _CONSTANT, scale=scale, offset=offset)[0]) * offset),
        [_ZERO_SCALE, _values((6,))[0]]),
    "batch_normalization_training_relu": (
        lambda scale, offset: ops.sum(ops.square(fused_batch_normalization(
            _CONSTANT, scale=scale, offset=offset, relu=True)[0]) * scale),
        [_ZERO_SCALE, _values((6,), seed=4)[0]]),
    "batch_normalization_inference": (
        lambda scale, offset: ops.sum(ops.sin(2.0 * ops.batch_normalization(
            _CONSTANT, np.full(6, 0.3), np.full(6, 1.7), axis=-1, offset=offset, scale=scale))
            * offset),
        [_ZERO_SCALE, _values((6,))[0]]),
    # rows (layer) or columns (batch) of one value: zero variance, the epsilon decides
    # (a large one keeps the curvature within reach of finite differences)
    "layer_normalization_constant_rows": (
        lambda x, gamma, beta: ops.sum(ops.sin(3.0 * ops.layer_normalization(
            x, gamma, beta, epsilon=0.1)) * x),
        [np.repeat(_values((4, 1))[0], 6, axis=1), _ZERO_SCALE, _values((6,))[0]]),
    "batch_normalization_constant_columns": (
        lambda x, scale, offset: ops.sum(ops.sin(2.0 * fused_batch_normalization(
            x, scale=scale, offset=offset)[0]) * x),
        [np.repeat(_values((1, 6))[0], 4, axis=0), _ZERO_SCALE, _values((6,))[0]]),
    "rms_normalization": (
        lambda scale: ops.sum(ops.sin(3.0 * ops.rms_normalization(_CONSTANT, scale)) * scale),
        [_ZERO_SCALE]),
}


@pytest.mark.parametrize("name", sorted(NORMALIZATION))
def test_second_derivatives_of_normalizing_a_constant_input_with_a_zero_scale(name):
    fn, values = NORMALIZATION[name]
    check_second_order(fn, values)


@pytest.mark.parametrize("make", [
    lambda: layers.LayerNormalization(gamma_initializer="zeros", beta_initializer="ones"),
    lambda: layers.BatchNormalization(gamma_initializer="zeros", beta_initializer="ones"),
    lambda: layers.GroupNormalization(groups=2, gamma_initializer="zeros",
                                      beta_initializer="ones"),
], ids=["LayerNormalization", "BatchNormalization", "GroupNormalization"])
def test_penalty_on_the_weight_gradients_of_a_zero_scale_normalization_layer(make):
    # the penalty `|dL/dgamma|^2 + |dL/dbeta|^2` of a layer with a zero scale on a
    # constant input, differentiated with respect to the weights, against finite
    # differences of the penalty
    layer = make()
    layer.build((4, 6))
    x = ops.convert_to_tensor(_CONSTANT)

    def penalty():
        with GradientTape() as tape:
            y = ops.sum(ops.sin(3.0 * layer(x, training=True)))
        return sum(ops.sum(g * g) for g in tape.gradient(y, layer.trainable_weights))

    with GradientTape() as outer:
        p = penalty()
    got = outer.gradient(p, layer.trainable_weights)
    for weight, grad in zip(layer.trainable_weights, got):
        base = to_numpy(weight)
        expected = [_central_difference(weight, base, k, penalty) for k in range(base.size)]
        np.testing.assert_allclose(to_numpy(grad).ravel(), expected, rtol=1e-6, atol=1e-6,
                                   err_msg=weight.path)


@ops.custom_gradient
def _log1pexp(x):
    e = ops.exp(x)  # read by the gradient function: its dependence on x must not be lost

    def grad(*args, upstream=None):
        if upstream is None:
            (upstream,) = args
        return ops.multiply(upstream, 1.0 - 1.0 / ops.add(1.0, e))

    return ops.log(1.0 + e), grad


@ops.custom_gradient
def _cube_with_another_gradient(x):
    def grad(upstream):
        return upstream * 5.0 * x  # deliberately not 3 x^2: the rule follows grad, not f

    return x ** 3, grad


@ops.custom_gradient
def _scaled_product(a, b):
    ab = a * b

    def grad(*args, upstream):  # the keyword-only form
        return upstream * b * ops.cos(ab), ops.sum(upstream * a * ops.cos(ab), axis=0)

    return ops.sin(ab), grad


@ops.custom_gradient
def _two_outputs(x):
    s, c = ops.sin(x), ops.cos(x)

    def grad(upstream):
        gs, gc = upstream
        return gs * c - gc * s

    return (s, c), grad


CUSTOM = {
    "closes_over_the_forward": (lambda x: ops.sum(ops.square(_log1pexp(x * x))), _values((2, 3))),
    "two_arguments_broadcast_gradient": (
        lambda a, b: ops.sum(ops.tanh(_scaled_product(a, b)) * a), _values((3, 2), (2,))),
    "two_outputs": (lambda x: ops.sum(_two_outputs(x)[0] * x + ops.square(_two_outputs(x)[1])),
                    _values((5,))),
    "one_output_unused": (lambda x: ops.sum(ops.exp(_two_outputs(x * 2.0)[1])), _values((3,))),
}


@pytest.mark.parametrize("name", sorted(CUSTOM))
def test_second_derivatives_through_custom_gradients(name):
    fn, values = CUSTOM[name]
    check_second_order(fn, values)


def test_custom_gradient_second_derivative_equals_keras_on_jax():
    x = Variable(np.array([0.3, -1.2, 2.0], dtype="float32"))
    got = []
    for f in (_log1pexp, _cube_with_another_gradient):
        with GradientTape() as outer:
            with GradientTape() as inner:
                y = ops.sum(f(x))
            penalty = ops.sum(inner.gradient(y, x) ** 2)
        got.append(to_numpy(outer.gradient(penalty, x)))
    # Keras 3.15.1 on JAX (`jax.grad` of the same penalty, float32): the gradient
    # functions are differentiated, closed-over forward values included
    np.testing.assert_allclose(got[0], [0.28085452, 0.08235629, 0.18495607], rtol=1e-5)
    np.testing.assert_allclose(got[1], [15.0, -60.0, 100.0], rtol=1e-6)


def test_a_custom_gradient_computed_outside_kerasx_ops_refuses_a_second_derivative():
    @ops.custom_gradient
    def double(x):
        def grad(upstream):
            return to_numpy(upstream) * 2.0  # leaves the tape

        return x * 2.0, grad

    x = Variable(np.array([0.5, -1.0]))
    with GradientTape() as outer:
        with GradientTape() as inner:
            inner.watch(x)
            h = ops.sin(x)
            y = ops.sum(double(h) * h)
        g = inner.gradient(y, x)
        penalty = ops.sum(g * g)
    # the first-order gradient is right: 4 sin(x) cos(x)
    np.testing.assert_allclose(to_numpy(g), 4 * np.sin([0.5, -1.0]) * np.cos([0.5, -1.0]))
    with pytest.raises(NotImplementedError, match="custom_gradient function double.*kerasx.ops"):
        outer.gradient(penalty, x)


def test_another_gradient_than_the_derivative_refuses_where_its_output_is_differentiated():
    # sin(f(x)) with f's gradient function not f's derivative: the outer derivative of
    # the inner gradient cos(f(x)) 5x passes through f(x) itself, which JAX differentiates
    # as x^3 (3 x^2) and kerasx's shared tape would with the gradient function (5x)
    x = Variable(np.array([0.3, -1.2, 2.0]))
    with GradientTape() as outer:
        with GradientTape() as inner:
            y = ops.sum(ops.sin(_cube_with_another_gradient(x)))
        g = inner.gradient(y, x)
        penalty = ops.sum(g)
    v = to_numpy(x)
    np.testing.assert_allclose(to_numpy(g), np.cos(v ** 3) * 5.0 * v)  # first order stands
    with pytest.raises(NotImplementedError, match="_cube_with_another_gradient.*not the "
                                                  "derivative"):
        outer.gradient(penalty, x)


def _input_gradient_penalty(layer, x):
    with GradientTape() as tape:
        tape.watch(x)
        y = ops.sum(layer(x))
    return ops.sum(ops.square(ops.cast(tape.gradient(y, x), "float64")))


_NO_BFLOAT16 = pytest.mark.skipif(
    importlib.util.find_spec("ml_dtypes") is None or current().name not in ("numpy", "cupy"),
    reason="bfloat16 needs ml_dtypes on the numpy or cupy backend")
_NO_FLOAT16 = pytest.mark.skipif(not hasattr(current().xp, "float16"),
                                 reason="float16 is not in this backend")


@pytest.mark.parametrize("policy,weight_dtype,rtol", [
    pytest.param("mixed_bfloat16", "float32", 5e-2, marks=_NO_BFLOAT16),
    pytest.param("bfloat16", "bfloat16", 5e-2, marks=_NO_BFLOAT16),
    pytest.param("mixed_float16", "float32", 1e-2, marks=_NO_FLOAT16)])
def test_gradient_penalty_of_low_precision_layers(policy, weight_dtype, rtol):
    # the weights' gradients of an input-gradient penalty, in the weights' stored types,
    # against finite differences of the same penalty of a float64 layer with equal weights
    # (the tolerance is the low precision's: bfloat16 keeps 8 bits, float16 11)
    rng = np.random.default_rng(5)
    kernel, bias = rng.normal(size=(4, 3)) * 0.7, rng.normal(size=(3,)) * 0.3
    x = rng.normal(size=(2, 4)).astype("float32")
    layer = layers.Dense(3, activation="tanh", dtype=policy)
    reference = layers.Dense(3, activation="tanh", dtype="float64")
    for d in (layer, reference):
        d.build((2, 4))
        d.set_weights([kernel, bias])
    kernel, bias = (to_numpy(ops.cast(w, "float64")) for w in layer.weights)
    reference.set_weights([kernel, bias])  # the low-precision layer's own values
    with GradientTape() as outer:
        penalty = _input_gradient_penalty(layer, ops.convert_to_tensor(x))
    got = outer.gradient(penalty, layer.trainable_weights)
    x64 = ops.convert_to_tensor(x.astype("float64"))
    for weight, grad in zip(reference.trainable_weights, got):
        assert ops.convert_to_tensor(grad).dtype == weight_dtype
        base = to_numpy(weight)
        expected = [_central_difference(weight, base, k,
                                        lambda: _input_gradient_penalty(reference, x64))
                    for k in range(base.size)]
        np.testing.assert_allclose(to_numpy(ops.cast(grad, "float64")).ravel(), expected,
                                   rtol=rtol, atol=rtol * np.max(np.abs(expected)))


def test_a_jax_layer_refuses_a_second_derivative_naming_itself():
    jnp = pytest.importorskip("jax.numpy")

    def call_fn(params, inputs):
        return jnp.tanh(inputs @ params["w"])

    keras.config.set_floatx("float32")  # JAX's default 32-bit mode
    layer = layers.JaxLayer(call_fn=call_fn, params={"w": np.full((3, 2), 0.5, "float32")})
    x = ops.convert_to_tensor(np.random.default_rng(0).normal(size=(2, 3)).astype("float32"))
    with GradientTape() as outer:
        with GradientTape() as inner:
            inner.watch(x)
            y = ops.sum(layer(x))
        g = inner.gradient(y, x)
        penalty = ops.sum(g * g)
    # the first-order gradient stands: (1 - tanh^2) summed against the kernel's rows
    expected = (1 - np.tanh(to_numpy(x) @ np.full((3, 2), 0.5)) ** 2) @ np.full((2, 3), 0.5)
    np.testing.assert_allclose(to_numpy(g), expected, rtol=1e-5)
    with pytest.raises(NotImplementedError, match=r"second derivatives\) are not available "
                                                  r"through `JaxLayer / FlaxLayer"):
        outer.gradient(penalty, layer.trainable_weights)
