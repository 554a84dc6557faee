"""The NumPy backend's Winograd F(4x4, 3x3) convolutions: the kernels against the im2col
products in float64, float32 within its documented accuracy, the shapes they decline,
and the ops that run them (plain, fused with max and average pooling, and with batch
normalization and max pooling) against the float64 references, by finite differences
and with the kernels removed."""

import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest

from kerasx import ops
from kerasx.backends import current
from kerasx.ops.conv_batch_norm_pool import conv_batch_norm_max_pool
from kerasx.ops.conv_pool import conv_avg_pool, conv_max_pool
from kerasx.testing import OpCase
from tests.ops.conv_reference import (conv_pool_case, conv_ref, count_kernel_calls,
                                      run_with_gradients)
from tests.ops.test_batch_norm_pool import reference as bn_pool_ref
from tests.sampled_gradcheck import check_op_case

pytestmark = pytest.mark.skipif("current().name != 'numpy'", reason="NumPy kernel")
rng = np.random.default_rng(7)


def r(*shape):
    return rng.standard_normal(shape)


def _im2col_conv(x, w):
    """Valid 3x3 convolution, its input and kernel gradients for `dy`, by im2col."""
    batch, height, width, cin = x.shape
    out_h, out_w = height - 2, width - 2
    cols = np.stack([x[:, i:i + out_h, j:j + out_w] for i in range(3) for j in range(3)],
                    axis=3).reshape(-1, 9 * cin)
    y = (cols @ w.reshape(9 * cin, -1)).reshape(batch, out_h, out_w, -1)

    def grads(dy):
        dy2 = dy.reshape(-1, w.shape[-1])
        dw = (cols.T @ dy2).reshape(w.shape)
        dcols = (dy2 @ w.reshape(9 * cin, -1).T).reshape(batch, out_h, out_w, 9, cin)
        dx = np.zeros_like(x)
        for k, (i, j) in enumerate((i, j) for i in range(3) for j in range(3)):
            dx[:, i:i + out_h, j:j + out_w] += dcols[:, :, :, k]
        return dx, dw

    return y, grads


def _kernels():
    from kerasx.backends import numpy_winograd

    return numpy_winograd


@pytest.fixture
def small_channels(monkeypatch):
    """Lets 16-channel convolutions through (the backend takes 32+, where it is the
    faster one), so that the finite-difference checks stay small: the arithmetic is
    the same for every channel count."""
    monkeypatch.setattr(_kernels(), "_OVERRUN_BY_CHANNELS", ((16, 1.2),))


# (input shape, filters): outputs that fill their 4x4 tiles, and ones that do not
SHAPES = [((2, 10, 10, 16), 16), ((3, 14, 18, 16), 24), ((2, 17, 17, 20), 16),
          ((1, 34, 34, 16), 17), ((2, 6, 6, 16), 16)]


@pytest.mark.parametrize("x_shape,filters", SHAPES, ids=str)
def test_forward_and_gradients_are_the_im2col_ones_in_float64(x_shape, filters,
                                                                small_channels):
    wg = _kernels()
    x, w = r(*x_shape), r(3, 3, x_shape[-1], filters)
    y_ref, grads_ref = _im2col_conv(x, w)
    y, saved = wg.conv_winograd(x, w, (1, 1), (1, 1), 1, True, True)
    assert y.shape == y_ref.shape and y.dtype == np.float64 and y.flags.c_contiguous
    scale = np.abs(y_ref).max()
    np.testing.assert_allclose(y, y_ref, rtol=0, atol=1e-12 * scale)
    dy = r(*y.shape)
    dx_ref, dw_ref = grads_ref(dy)
    dx, dw = wg.conv_winograd_grads(dy, saved, x.shape, True, True)
    assert dx.shape == x.shape and dw.shape == w.shape
    np.testing.assert_allclose(dx, dx_ref, rtol=0, atol=1e-12 * np.abs(dx_ref).max())
    np.testing.assert_allclose(dw, dw_ref, rtol=0, atol=1e-12 * np.abs(dw_ref).max())


def test_input_gradient_extends_with_zeros_past_the_region_read(small_channels):
    """A convolution before "valid" pooling reads a cropped input; its gradient has the
    whole padded input's shape, zero where no window read."""
    wg = _kernels()
    x, w = r(2, 15, 15, 16), r(3, 3, 16, 16)
    cropped = x[:, :14, :14]
    y, saved = wg.conv_winograd(cropped, w, (1, 1), (1, 1), 1, True, False)
    dy = r(*y.shape)
    dx, dw = wg.conv_winograd_grads(dy, saved, x.shape, True, False)
    assert dw is None and dx.shape == x.shape
    dx_ref, _ = _im2col_conv(np.ascontiguousarray(cropped), w)[1](dy)
    np.testing.assert_allclose(dx[:, :14, :14], dx_ref, atol=1e-11)
    assert not dx[:, 14:].any() and not dx[:, :, 14:].any()


def test_keeps_only_what_the_wanted_gradients_read(small_channels):
    wg = _kernels()
    x, w = r(1, 10, 10, 16), r(3, 3, 16, 16)
    _, only_w = wg.conv_winograd(x, w, (1, 1), (1, 1), 1, False, True)
    _, only_x = wg.conv_winograd(x, w, (1, 1), (1, 1), 1, True, False)
    assert only_w.u is None and only_w.v is not None
    assert only_x.v is None and only_x.u is not None
    dy = r(1, 8, 8, 16)
    assert wg.conv_winograd_grads(dy, only_w, x.shape, False, True)[0] is None
    assert wg.conv_winograd_grads(dy, only_x, x.shape, True, False)[1] is None


def test_windows_of_zeros_give_exact_zeros(small_channels):
    """A window that reads only zeros (padding, a blank background, a dead ReLU before)
    gives exactly 0, as im2col does, so that a ReLU after it passes no gradient."""
    wg = _kernels()
    x = np.zeros((2, 14, 14, 16))
    x[0, 3:7, 4:9] = r(4, 5, 16)
    x[1, 9:, :3, 5] = r(5, 3)
    w = r(3, 3, 16, 16)
    y, _ = wg.conv_winograd(x, w, (1, 1), (1, 1), 1, False, False)
    y_ref, _ = _im2col_conv(x, w)
    empty = y_ref == 0
    assert empty.sum() > y.size // 2
    assert (y[empty] == 0).all()
    np.testing.assert_allclose(y, y_ref, atol=1e-12 * np.abs(y_ref).max())


def test_float32_is_within_its_documented_accuracy():
    """About 1e-5 of the output's scale (the transforms' constants), against 3e-7 for
    im2col; checked against the float64 result at 4e-5."""
    wg = _kernels()
    x, w = r(8, 18, 18, 32), r(3, 3, 32, 64) * 0.1
    y64, grads64 = _im2col_conv(x, w)
    x32, w32 = x.astype(np.float32), w.astype(np.float32)
    y, saved = wg.conv_winograd(x32, w32, (1, 1), (1, 1), 1, True, True)
    assert y.dtype == np.float32
    err = np.abs(y - y64).max() / np.abs(y64).max()
    assert err < 4e-5
    dy = r(*y.shape)
    dx64, dw64 = grads64(dy)
    dx, dw = wg.conv_winograd_grads(dy.astype(np.float32), saved, x.shape, True, True)
    assert dx.dtype == dw.dtype == np.float32
    assert np.abs(dx - dx64).max() / np.abs(dx64).max() < 4e-5
    assert np.abs(dw - dw64).max() / np.abs(dw64).max() < 4e-5


@pytest.mark.parametrize("x_shape,w_shape,strides,dilation,groups,dtype", [
    ((1, 10, 10, 32), (3, 3, 32, 32), (2, 2), (1, 1), 1, np.float64),
    ((1, 12, 12, 32), (3, 3, 32, 32), (1, 1), (2, 2), 1, np.float64),
    ((1, 10, 10, 64), (3, 3, 32, 32), (1, 1), (1, 1), 2, np.float64),
    ((1, 10, 10, 32), (5, 5, 32, 32), (1, 1), (1, 1), 1, np.float64),
    ((1, 10, 10, 32), (3, 2, 32, 32), (1, 1), (1, 1), 1, np.float64),
    ((1, 10, 10, 16), (3, 3, 16, 32), (1, 1), (1, 1), 1, np.float64),
    ((1, 10, 10, 32), (3, 3, 32, 16), (1, 1), (1, 1), 1, np.float64),
    ((1, 10, 32), (3, 32, 32), (1,), (1,), 1, np.float64),
    ((1, 12, 12, 32), (3, 3, 32, 32), (1, 1), (1, 1), 1, np.float16),
    ((1, 5, 12, 32), (3, 3, 32, 32), (1, 1), (1, 1), 1, np.float64),
    ((2, 12, 12, 32), (3, 3, 32, 64), (1, 1), (1, 1), 1, np.float64),  # 10x10 in 12x12
    ((2, 11, 11, 64), (3, 3, 64, 64), (1, 1), (1, 1), 1, np.float64),  # 9x9 in 12x12
], ids=["strides", "dilation", "groups", "5x5", "3x2", "16_channels", "16_filters", "1d",
        "float16", "3_rows", "32_channels_44%_overrun", "64_channels_78%_overrun"])
def test_declines_what_it_does_not_compute_faster(x_shape, w_shape, strides, dilation, groups,
                                                  dtype):
    wg = _kernels()
    x, w = r(*x_shape).astype(dtype), r(*w_shape).astype(dtype)
    assert wg.conv_winograd(x, w, strides, dilation, groups, True, True) is None


@pytest.mark.parametrize("x_shape,filters", [((1, 10, 10, 32), 32), ((1, 15, 15, 64), 64)],
                         ids=["32_channels_exact", "64_channels_51%_overrun"])
def test_takes_what_it_computes_faster(x_shape, filters):
    wg = _kernels()
    x, w = r(*x_shape), r(3, 3, x_shape[-1], filters)
    assert wg.conv_winograd(x, w, (1, 1), (1, 1), 1, True, True) is not None


def test_mixed_precision_is_declined():
    wg = _kernels()
    x, w = r(1, 10, 10, 32).astype(np.float32), r(3, 3, 32, 32)
    assert wg.conv_winograd(x, w, (1, 1), (1, 1), 1, True, True) is None


def _conv_case(name, x, w, b, padding, data_format="channels_last"):
    def fn(x, w, b):
        return ops.conv(x, w, 1, padding, data_format, 1, bias=b, relu=True)

    def ref(x, w, b):
        return np.maximum(conv_ref(x, w, (1, 1), padding, (1, 1), data_format, b), 0.0)

    return OpCase(name, fn, ref, [x, w, b])


def _conv_bn_pool_case(name, x, w, b, scale, offset):
    def fn(x, w, b, scale, offset):
        return conv_batch_norm_max_pool(x, w, b, scale, offset, 1e-3, 1, "same",
                                        pool_size=(2, 2), relu=True)[0]

    def ref(x, w, b, scale, offset):
        y = conv_ref(x, w, (1, 1), "same", (1, 1), "channels_last", b)
        return bn_pool_ref(y, scale, offset, 1e-3, (2, 2), (2, 2), "valid", "channels_last",
                           True)

    return OpCase(name, fn, ref, [x, w, b, scale, offset])


OP_CASES = [
    _conv_case("conv_same", r(1, 8, 8, 16), r(3, 3, 16, 16) * 0.3, r(16), "same"),
    _conv_case("conv_valid_channels_first", r(1, 16, 10, 10), r(3, 3, 16, 16) * 0.3, r(16),
               "valid", "channels_first"),
    conv_pool_case(conv_max_pool, "max", "conv_max_pool_cropped", r(1, 11, 11, 16),
                   r(3, 3, 16, 16) * 0.3, r(16)),
    conv_pool_case(conv_avg_pool, "average", "conv_avg_pool_same", r(1, 8, 8, 16),
                   r(3, 3, 16, 16) * 0.3, r(16), padding="same"),
    _conv_bn_pool_case("conv_batch_norm_max_pool", r(2, 8, 8, 16), r(3, 3, 16, 16) * 0.3,
                       r(16), np.where(r(16) > 0, 1.5, -0.5), r(16)),
]


def _count_winograd(monkeypatch):
    """Lets 16 channels through and records the calls `conv_winograd` takes (True) and
    declines (False), through the backend's kernel table and the fused node's import."""
    import kerasx.backends.numpy_conv_bn_pool as bn_pool

    monkeypatch.setattr(_kernels(), "_OVERRUN_BY_CHANNELS", ((16, 1.2),))
    return count_kernel_calls(monkeypatch, "conv_winograd", bn_pool)


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
def test_ops_through_winograd_match_references_and_finite_differences(case, monkeypatch):
    """The float32 run is held to the kernels' documented accuracy (about 1e-5 of the
    output's scale) rather than the op table's default 1e-5 / 1e-6."""
    taken = _count_winograd(monkeypatch)
    check_op_case(dataclasses.replace(case, rtol32=5e-5, atol32=5e-5))
    assert taken and all(taken)


@pytest.mark.parametrize("case", OP_CASES, ids=lambda c: c.name)
def test_ops_with_and_without_the_kernels(case, monkeypatch):
    taken = _count_winograd(monkeypatch)
    fast = run_with_gradients(case.fn, case.inputs, wrt_input=True)
    assert taken == [True]
    monkeypatch.setattr(current(), "kernels", {})
    portable = run_with_gradients(case.fn, case.inputs, wrt_input=True)
    for a, b in zip(fast, portable):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_conv_batch_norm_pool_node_with_and_without_winograd(monkeypatch):
    """The fused node's own kernel, its convolution by Winograd or by its offset-major
    im2col: the same outputs and gradients."""
    case = OP_CASES[-1]
    taken = _count_winograd(monkeypatch)
    with_winograd = run_with_gradients(case.fn, case.inputs, wrt_input=True)
    assert taken == [True]
    monkeypatch.setattr(_kernels(), "ENABLED", False)
    offset_major = run_with_gradients(case.fn, case.inputs, wrt_input=True)
    assert taken == [True]
    for a, b in zip(with_winograd, offset_major):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-10)


def test_the_environment_variable_turns_it_off():
    code = ("from kerasx.backends import current; "
            "print(current().kernel('conv_winograd') is None)")
    env = dict(os.environ, KERASX_BACKEND="numpy")
    for value, expected in (("0", "True"), ("1", "False")):
        env["KERASX_WINOGRAD"] = value
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True).stdout.strip()
        assert out == expected


def test_a_convnet_trains_the_same_with_and_without_winograd(digits, monkeypatch):
    """Two 3x3 convolutions of 32 filters on the 8x8 digits (their 4x4 tiles fit
    exactly), trained in float64 with Adam for three epochs from one seed: the
    Winograd run takes every training convolution of 32 channels, and its losses,
    accuracies and weights are the im2col run's. The digits' zero background makes
    windows of zeros, whose outputs must be exactly zero (`_empty_windows`): with a
    rounding residue there, the first step's bias gradients differed by 8% and the
    runs parted. (In float32 the runs' losses stay within about 1% over these epochs.)"""
    import kerasx as keras

    x_train, y_train, x_test, y_test = digits
    x_train = x_train.reshape(-1, 8, 8, 1).astype(np.float64)
    x_test = x_test.reshape(-1, 8, 8, 1).astype(np.float64)
    keras.config.set_floatx("float64")

    def run():
        keras.utils.set_random_seed(3)
        model = keras.Sequential([
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.Conv2D(32, 3, padding="same", activation="relu"),
            keras.layers.Flatten(),
            keras.layers.Dense(10, activation="softmax"),
        ])
        # eager steps: Winograd's use is counted at every step
        model.compile(keras.optimizers.Adam(0.01), "sparse_categorical_crossentropy",
                      metrics=["accuracy"], jit_compile=False)
        history = model.fit(x_train, y_train, batch_size=64, epochs=3, verbose=0)
        return (history.history, model.evaluate(x_test, y_test, verbose=0),
                [w.copy() for w in model.get_weights()])

    taken = _count_winograd(monkeypatch)
    monkeypatch.setattr(_kernels(), "_OVERRUN_BY_CHANNELS", ((32, 1.2),))  # as shipped
    with_winograd = run()
    steps = 3 * -(-len(x_train) // 64)
    # the second convolution takes it; the first (one input channel) is declined
    assert taken == [False, True] * steps
    monkeypatch.setattr(current(), "kernels", {k: v for k, v in current().kernels.items()
                                               if not k.startswith("conv_winograd")})
    im2col = run()
    assert len(taken) == 2 * steps
    history, evaluation, weights = with_winograd
    assert history["loss"][-1] < history["loss"][0] - 0.2  # it learns
    np.testing.assert_allclose(history["loss"], im2col[0]["loss"], rtol=1e-9)
    np.testing.assert_array_equal(history["accuracy"], im2col[0]["accuracy"])
    np.testing.assert_allclose(evaluation, im2col[1], rtol=1e-9)
    for w, w_ref in zip(weights, im2col[2]):
        np.testing.assert_allclose(w, w_ref, rtol=1e-7, atol=1e-9)
