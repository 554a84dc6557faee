"""Cases of Keras's own op tests (keras/src/ops/*_test.py) where kerasx differed: values
against NumPy's, or against Keras 3.15.1's where NumPy disagrees with it."""

import numpy as np
import pytest

import kerasx
from kerasx import ops
from kerasx.backends import current

rng = np.random.default_rng(7)


def _np(t):
    return ops.convert_to_numpy(t)


def _needs(dtype):
    try:
        current().dtype(dtype)
    except TypeError:
        pytest.skip(f"the backend has no {dtype}")


@pytest.mark.parametrize("axis", [(-1, -2), (-3, -1), (0, -1), (1, 3), (-5, 1)])
def test_expand_dims_with_several_axes_counts_them_in_the_output_rank(axis):
    x = rng.standard_normal((2, 3, 4)).astype("float32")
    out = ops.expand_dims(x, axis)
    np.testing.assert_array_equal(_np(out), np.expand_dims(x, axis))


@pytest.mark.parametrize("shapes", [((2, 3), (4, 3, 2)), ((3,), (4, 3, 2)),
                                    ((5, 2, 3), (4, 3, 2)), ((2, 3), (3, 2)),
                                    ((4, 2, 3), (3,))])
def test_dot_of_higher_rank_operands_is_numpy_dot(shapes):
    a = rng.standard_normal(shapes[0]).astype("float32")
    b = rng.standard_normal(shapes[1]).astype("float32")
    out = _np(ops.dot(a, b))
    expected = np.dot(a.astype("float64"), b.astype("float64"))
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-5)


def test_dot_of_higher_rank_operands_differentiates_as_numpy_dot():
    a = kerasx.Variable(rng.standard_normal((2, 3)).astype("float32"))
    b = kerasx.Variable(rng.standard_normal((4, 3, 2)).astype("float32"))
    w = rng.standard_normal((2, 4, 2)).astype("float32")
    with kerasx.GradientTape() as tape:
        loss = ops.sum(ops.dot(a, b) * w)
    ga, gb = tape.gradient(loss, [a, b])
    # loss = sum over (i, j, m) of w[i, j, m] * sum over k of a[i, k] * b[j, k, m]
    np.testing.assert_allclose(_np(ga), np.einsum("ijm,jkm->ik", w, _np(b)), rtol=1e-4,
                               atol=1e-5)
    np.testing.assert_allclose(_np(gb), np.einsum("ik,ijm->jkm", _np(a), w), rtol=1e-4,
                               atol=1e-5)


def test_dot_of_higher_rank_symbolic_operands_has_numpy_dot_shape():
    out = ops.dot(kerasx.KerasTensor((2, 3)), kerasx.KerasTensor((4, 3, 2)))
    assert tuple(out.shape) == (2, 4, 2)


def test_argpartition_with_axis_none_partitions_the_flattened_input():
    x = np.array([[3, 4, 2], [1, 5, 0]], dtype="int32")
    out = _np(ops.argpartition(x, 2, axis=None))
    flat = x.reshape(-1)
    assert out.shape == (6,)
    picked = flat[out]
    assert picked[2] == np.sort(flat)[2]
    assert (picked[:2] <= picked[2]).all() and (picked[3:] >= picked[2]).all()


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_mean_of_half_precision_sums_in_float32(dtype):
    _needs(dtype)
    # Keras's test: the mean of [65504] * 3 in float16 is 65504, not inf
    x = ops.full((3,), 65504.0 if dtype == "float16" else 1.0e38, dtype=dtype)
    out = ops.mean(x)
    assert ops.convert_to_numpy(ops.cast(out, "float32")).item() == \
        ops.convert_to_numpy(ops.cast(x[0], "float32")).item()
    assert str(out.dtype) == dtype


def test_median_keeps_an_infinite_middle_entry_and_ignores_an_infinite_neighbour():
    x = np.array([[1.0, np.inf, 3.0], [-np.inf, 2.0, 3.0]], dtype="float32")
    np.testing.assert_array_equal(_np(ops.median(x, axis=1)), np.median(x, axis=1))
    np.testing.assert_array_equal(_np(ops.median(x, axis=())), x)


def test_quantile_between_an_infinite_and_a_finite_entry_is_infinite():
    # Keras 3.15.1 gives [[3, 2], [2, -inf]] (NumPy: nan for the first entry)
    x = np.array([[1.0, np.inf, 3.0], [-np.inf, 2.0, 3.0]], dtype="float32")
    np.testing.assert_array_equal(_np(ops.quantile(x, [0.5, 0.25], axis=1)),
                                  [[3.0, 2.0], [2.0, -np.inf]])


def test_nanmedian_over_no_axis_returns_the_input_infinities_included():
    x = np.array([[1.0, np.nan, 3.0, 4.0, 5.0], [np.nan, 2.0, 3.0, np.inf, -np.inf]],
                 dtype="float32")
    np.testing.assert_array_equal(_np(ops.nanmedian(x, axis=())), np.nanmedian(x, axis=()))
    # Keras 3.15.1 gives [2.5, -inf] for the 0.25 quantiles of the rows
    np.testing.assert_array_equal(_np(ops.nanquantile(x, 0.25, axis=1)), [2.5, -np.inf])


def test_split_of_an_empty_axis_gives_empty_sections():
    parts = ops.split(np.ones((0,), dtype="float32"), 2)
    assert [tuple(p.shape) for p in parts] == [(0,), (0,)]


def test_unique_rows_of_an_empty_matrix():
    out = ops.unique(np.zeros((0, 3), dtype="float32"), axis=0)
    assert tuple(out.shape) == (0, 3)


def test_linspace_takes_a_count_held_by_a_0d_integer_tensor():
    out = ops.linspace(0.0, 1.0, ops.convert_to_tensor(5))
    np.testing.assert_allclose(_np(out), np.linspace(0.0, 1.0, 5), rtol=1e-6)


@pytest.mark.parametrize("op", ["erf", "rsqrt", "sigmoid", "gelu"])
def test_symbolic_ops_on_bfloat16_keep_bfloat16(op):
    _needs("bfloat16")
    ops.ones((1,), dtype="bfloat16")  # bfloat16 in use
    fn = getattr(ops, op)
    inputs = kerasx.Input((2,), dtype="bfloat16")
    outputs = fn(inputs)
    assert outputs.dtype == "bfloat16"
    model = kerasx.Model(inputs, outputs)
    assert str(model(ops.ones((3, 2), dtype="bfloat16")).dtype) == "bfloat16"


def test_gaussian_blur_takes_arrays_of_sizes_and_sigmas():
    # keras/src/ops/image_test.py passes `np.array([3, 3])` and a float32 array of sigmas
    x = rng.uniform(size=(12, 12, 3)).astype("float32")
    sigma = np.array([0.6, 1.3], dtype="float32")
    out = ops.image.gaussian_blur(x, np.array([3, 5]), sigma, data_format="channels_last")
    expected = ops.image.gaussian_blur(x, (3, 5), (float(sigma[0]), float(sigma[1])),
                                       data_format="channels_last")
    np.testing.assert_allclose(_np(out), _np(expected), rtol=1e-6)
