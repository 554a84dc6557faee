"""`conv_avg_pool`: a convolution, its bias and ReLU and the average pooling after it as
one node, against the float64 loop references of the separate steps, by finite
differences, and (NumPy) its blocked kernel against the portable path."""

import numpy as np
import pytest

from kerasx import ops
from kerasx.backends import current
from kerasx.ops.conv_pool import conv_avg_pool
from tests.ops.conv_reference import (check_blocked_kernel, conv_pool_case, conv_ref,
                                      pool_ref, run_with_gradients)
from tests.sampled_gradcheck import check_gradients, check_op_case

rng = np.random.default_rng(11)
numpy_only = pytest.mark.skipif("current().name != 'numpy'", reason="NumPy kernel")


def r(*shape):
    return rng.standard_normal(shape)


def case(*args, **kwargs):
    return conv_pool_case(conv_avg_pool, "average", *args, **kwargs)


CASES = [
    case("2d_first_layer", r(2, 8, 9, 1), r(3, 3, 1, 3), r(3)),
    case("2d_valid_odd_crop", r(2, 7, 8, 2), r(3, 3, 2, 3), r(3)),
    case("2d_no_relu_no_bias", r(2, 6, 6, 2), r(3, 3, 2, 2), relu=False),
    case("2d_no_relu_with_bias", r(2, 6, 7, 1), r(2, 2, 1, 2), r(2), relu=False),
    case("2d_one_channel_no_bias", r(2, 8, 7, 1), r(3, 2, 1, 3)),
    case("2d_same_strides2", r(1, 7, 6, 2), r(3, 2, 2, 3), r(3), strides=2, padding="same"),
    case("2d_overlapping_pool", r(1, 8, 7, 2), r(2, 2, 2, 2), r(2), pool_size=(3, 2),
         pool_strides=(2, 1)),
    case("2d_pool_same", r(1, 7, 5, 2), r(2, 2, 2, 2), r(2), pool_size=2, pool_padding="same"),
    case("2d_dilation2", r(1, 9, 8, 1), r(2, 2, 1, 2), r(2), dilation=(2, 1)),
    case("2d_groups2", r(1, 6, 6, 4), r(2, 2, 2, 4), r(4)),
    case("2d_channels_first", r(2, 1, 7, 6), r(3, 3, 1, 3), r(3), data_format="channels_first"),
    case("1d_causal_pool3", r(2, 10, 2), r(3, 2, 3), r(3), padding="causal", pool_size=3),
    case("3d_valid", r(1, 5, 4, 5, 2), r(2, 2, 2, 2, 2), r(2)),
    case("1d_one_channel_pool3", r(2, 11, 1), r(3, 1, 2), r(2), pool_size=3),
    case("3d_one_channel", r(1, 5, 6, 5, 1), r(2, 2, 2, 1, 2), r(2)),
    case("2d_conv_strides2_pool3", r(2, 13, 11, 1), r(3, 3, 1, 4), r(4), strides=2,
         pool_size=(3, 2)),
]


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_matches_separate_steps_and_finite_differences(c):
    check_op_case(c)


@pytest.mark.parametrize("c", CASES, ids=lambda c: c.name)
def test_kernel_and_bias_gradients_of_an_input_without_gradient(c):
    # the input takes no gradient here: the NumPy backend then runs its blocked kernel
    check_gradients(c.fn, c.inputs, wrt=list(range(1, len(c.inputs))))


_run = run_with_gradients


BLOCKED = [c for c in CASES if c.name in ("2d_first_layer", "2d_no_relu_with_bias",
                                           "2d_one_channel_no_bias",
                                           "2d_dilation2", "2d_channels_first",
                                           "2d_conv_strides2_pool3", "1d_one_channel_pool3",
                                           "3d_one_channel")]


@numpy_only
@pytest.mark.parametrize("c", BLOCKED, ids=lambda c: c.name)
def test_numpy_blocked_kernel_matches_portable_path(c, monkeypatch):
    check_blocked_kernel(c, "conv_avg_pool_blocked", monkeypatch)


@numpy_only
@pytest.mark.parametrize("shape,kernel,pool", [((1, 6, 6, 2), (3, 3, 2, 2), {}),
                                               ((1, 6, 6, 1), (3, 3, 1, 2),
                                                {"pool_strides": 1}),
                                               ((1, 6, 6, 1), (3, 3, 1, 2),
                                                {"pool_padding": "same"})])
def test_numpy_blocked_kernel_declines_what_it_does_not_cover(shape, kernel, pool, monkeypatch):
    """Inputs of several channels (the strided patch copies cost more than the layout
    saves), overlapping windows and "same" pooling take the portable path."""
    backend = current()
    calls = []
    blocked = backend.kernels["conv_avg_pool_blocked"]
    monkeypatch.setitem(backend.kernels, "conv_avg_pool_blocked",
                        lambda *a: calls.append(a) or blocked(*a))
    x, w = r(*shape), r(*kernel)
    got = _run(lambda x, w: conv_avg_pool(x, w, relu=True, **pool), [x, w], wrt_input=False)
    assert not calls or blocked(*calls[0]) is None
    ps = (2, 2)
    st = (1, 1) if pool.get("pool_strides") == 1 else ps
    want = pool_ref(np.maximum(conv_ref(x, w, (1, 1), "valid", (1, 1), "channels_last"), 0),
                    ps, st, pool.get("pool_padding", "valid"), "average")
    np.testing.assert_allclose(got[0], want, rtol=1e-12, atol=1e-12)


def test_bias_of_another_dtype_promotes():
    x, w = r(1, 6, 6, 1).astype(np.float32), r(3, 3, 1, 2).astype(np.float32)
    b = np.array([0.25, -0.5])
    out = conv_avg_pool(*[ops.convert_to_tensor(a) for a in (x, w, b)], relu=True)
    assert out.dtype == "float64"
    want = pool_ref(np.maximum(conv_ref(x, w, (1, 1), "valid", (1, 1), "channels_last", b), 0),
                    (2, 2), (2, 2), "valid", "average")
    np.testing.assert_allclose(ops.convert_to_numpy(out), want, rtol=1e-6, atol=1e-6)


@numpy_only
@pytest.mark.parametrize("op,mode", [(conv_avg_pool, "average"), ("max", "max")])
def test_numpy_blocked_forward_reuses_one_chunk_buffer(op, mode, monkeypatch):
    """Forward only, the blocked kernels fill one chunk's im2col buffer again for each
    chunk (one sample per chunk here) and still give every sample's result."""
    from kerasx.backends import numpy_conv_pool
    from kerasx.ops.conv_pool import conv_max_pool

    op = conv_max_pool if op == "max" else op
    monkeypatch.setattr(numpy_conv_pool, "_CHUNK_BYTES", 1)
    monkeypatch.setattr(numpy_conv_pool, "_MIN_FORWARD_BYTES", 0)
    backend = current()
    calls = []
    name = f"conv_{'avg' if mode == 'average' else 'max'}_pool_blocked"
    blocked = backend.kernels[name]
    monkeypatch.setitem(backend.kernels, name,
                        lambda *a: calls.append(blocked(*a)) or calls[-1])
    x, w, b = r(5, 9, 8, 1), r(3, 3, 1, 4), r(4)
    got = ops.convert_to_numpy(op(*[ops.convert_to_tensor(a) for a in (x, w, b)], relu=True))
    assert calls and calls[0] is not None
    if mode == "max":
        assert len(calls[0][2]) == 1  # the im2col buffer holds one chunk, not the batch
    else:
        assert calls[0][1] is None  # nothing kept for a backward
    want = pool_ref(np.maximum(conv_ref(x, w, (1, 1), "valid", (1, 1), "channels_last", b), 0),
                    (2, 2), (2, 2), "valid", mode)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
