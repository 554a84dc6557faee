"""Initializers: statistics on large shapes, fans, orthogonality, seeds across backends,
identifiers and errors."""

import math

import numpy as np
import pytest

import kerasx
from kerasx import initializers
from kerasx.backends import current, use_backend
from kerasx.initializers import compute_fans

TRUNC = 0.87962566103423978  # std of a standard normal truncated to [-2, 2]


def draw(init, shape, dtype=None):
    value = init(shape, dtype=dtype)
    backend = current()
    assert backend.is_native(value), f"{init!r} returned {type(value)}, not a backend array"
    if hasattr(value, "device"):
        assert str(value.device) == str(backend.device)
    return backend.to_numpy(value)


# -- deterministic initializers ---------------------------------------------------------------
def test_zeros_ones_constant():
    np.testing.assert_array_equal(draw(initializers.Zeros(), (3, 4)), np.zeros((3, 4), np.float32))
    np.testing.assert_array_equal(draw(initializers.Ones(), (2, 2, 2)), np.ones((2, 2, 2)))
    out = draw(initializers.Constant(2.5), (5,))
    assert out.dtype == np.float32
    np.testing.assert_array_equal(out, np.full((5,), 2.5, np.float32))
    assert draw(initializers.Constant(np.float32(1.5)), ()).item() == 1.5
    ints = draw(initializers.Constant(3), (2,), dtype="int32")
    assert ints.dtype == np.int32 and ints.tolist() == [3, 3]
    assert draw(initializers.Zeros(), (2,), dtype="int64").dtype == np.int64


def test_identity_square_and_rectangular():
    np.testing.assert_array_equal(draw(initializers.Identity(), (3, 3)), np.eye(3))
    np.testing.assert_array_equal(draw(initializers.Identity(gain=0.5), (2, 4)), 0.5 * np.eye(2, 4))


def test_requested_dtype_is_used():
    for init in (initializers.GlorotUniform(seed=1), initializers.Orthogonal(seed=1),
                 initializers.RandomNormal(seed=1), initializers.Ones()):
        assert draw(init, (4, 3), dtype="float64").dtype == np.float64
        assert draw(init, (4, 3)).dtype == np.float32


def test_floatx_is_the_default_dtype():
    kerasx.config.set_floatx("float64")
    assert draw(initializers.HeNormal(seed=3), (3, 3)).dtype == np.float64


# -- statistics of the random initializers ----------------------------------------------------
N = (400, 500)  # 200k draws: the standard error of a mean is ~0.2% of a standard deviation


def assert_moments(x, mean, std, rel=0.015):
    assert abs(x.mean() - mean) < 5 * std / math.sqrt(x.size), (x.mean(), mean)
    assert abs(x.std() - std) < rel * std, (x.std(), std)


def test_random_normal_statistics():
    x = draw(initializers.RandomNormal(mean=0.5, stddev=2.0), N)
    assert_moments(x, 0.5, 2.0)
    assert x.min() < 0.5 - 4 * 2.0  # not truncated


def test_random_uniform_statistics_and_bounds():
    x = draw(initializers.RandomUniform(minval=-1.0, maxval=3.0), N)
    assert x.min() >= -1.0 and x.max() < 3.0
    assert x.min() < -0.99 and x.max() > 2.99
    assert_moments(x, 1.0, 4.0 / math.sqrt(12.0))


def test_truncated_normal_statistics_and_bounds():
    x = draw(initializers.TruncatedNormal(mean=1.0, stddev=0.5), N)
    assert x.min() >= 0.0 and x.max() <= 2.0
    assert x.min() < 0.01 and x.max() > 1.99
    assert_moments(x, 1.0, 0.5 * TRUNC)


DENSE = (300, 200)  # fan_in 300, fan_out 200
CONV = (3, 3, 16, 32)  # receptive field 9: fan_in 144, fan_out 288


@pytest.mark.parametrize("shape, fan_in, fan_out", [
    ((), 1, 1), ((7,), 7, 7), (DENSE, 300, 200), (CONV, 144, 288), ((5, 4, 6), 20, 30),
    ((2, 3, 4, 5, 6), 120, 144)])
def test_compute_fans(shape, fan_in, fan_out):
    assert compute_fans(shape) == (fan_in, fan_out)


def test_compute_fans_with_explicit_axes():
    assert compute_fans((4, 5, 6), input_axes=[0, 1], output_axes=[2]) == (20, 6)


@pytest.mark.parametrize("shape", [DENSE, CONV], ids=["dense", "conv"])
@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_statistics(shape, mode, distribution):
    scale = 2.0
    fan_in, fan_out = compute_fans(shape)
    fan = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    std = math.sqrt(scale / fan)
    init = initializers.VarianceScaling(scale=scale, mode=mode, distribution=distribution, seed=4)
    x = draw(init, shape)
    if distribution == "uniform":
        limit = math.sqrt(3.0) * std
        assert np.abs(x).max() <= limit * (1 + 1e-6)
        assert np.abs(x).max() > 0.99 * limit
    elif distribution == "truncated_normal":
        assert np.abs(x).max() <= 2 * std / TRUNC * (1 + 1e-6)
    else:
        assert np.abs(x).max() > 2 * std / TRUNC  # tails beyond the truncation point
    # The whole point of VarianceScaling: the variance is scale / fan after truncation too.
    assert_moments(x, 0.0, std, rel=0.03 if x.size < 60000 else 0.015)


@pytest.mark.parametrize("name, scale, mode, uniform", [
    ("GlorotUniform", 1.0, "fan_avg", True), ("GlorotNormal", 1.0, "fan_avg", False),
    ("HeUniform", 2.0, "fan_in", True), ("HeNormal", 2.0, "fan_in", False),
    ("LecunUniform", 1.0, "fan_in", True), ("LecunNormal", 1.0, "fan_in", False)])
def test_named_variance_scaling_families(name, scale, mode, uniform):
    init = getattr(initializers, name)(seed=11)
    assert (init.scale, init.mode) == (scale, mode)
    assert init.distribution == ("uniform" if uniform else "truncated_normal")
    fan = {"fan_in": 300, "fan_avg": 250}[mode]
    std = math.sqrt(scale / fan)
    x = draw(init, DENSE)
    bound = math.sqrt(3.0) * std if uniform else 2 * std / TRUNC
    assert np.abs(x).max() <= bound * (1 + 1e-6)
    assert_moments(x, 0.0, std)
    # Same numbers as the generic VarianceScaling with the same seed.
    generic = initializers.VarianceScaling(scale, mode, init.distribution, seed=11)
    np.testing.assert_array_equal(x, draw(generic, DENSE))


@pytest.mark.parametrize("shape", [(300, 100), (100, 300), (3, 3, 8, 16), (50, 50)])
def test_orthogonal_is_orthogonal(shape):
    gain = 1.7
    x = draw(initializers.Orthogonal(gain=gain, seed=2), shape).astype(np.float64)
    assert x.shape == shape
    flat = x.reshape(-1, shape[-1])
    rows, cols = flat.shape
    gram = flat.T @ flat if rows >= cols else flat @ flat.T
    np.testing.assert_allclose(gram, gain ** 2 * np.eye(min(rows, cols)), atol=2e-5)


@pytest.mark.skipif("current().name == 'array_api_strict'", reason="strict arrays have no layout")
@pytest.mark.parametrize("shape", [(128, 512), (512, 128), (2, 3, 40)])
def test_orthogonal_kernels_are_row_major(shape):
    """A wide kernel is a transposed QR factor: it is copied row-major, so the optimizers'
    in-place kernels and cuBLAS see the layout every other weight has."""
    value = initializers.Orthogonal(seed=2)(shape)
    assert value.flags.c_contiguous


def test_orthogonal_is_not_biased_towards_positive_diagonals():
    # The sign fix from diag(R) makes Q uniformly distributed: first rows have both signs.
    signs = [np.sign(draw(initializers.Orthogonal(seed=s), (8, 8))[0, 0]) for s in range(20)]
    assert 0 < signs.count(1.0) < 20


# -- seeds ------------------------------------------------------------------------------------
RANDOM = ["RandomNormal", "RandomUniform", "TruncatedNormal", "VarianceScaling", "GlorotUniform",
          "GlorotNormal", "HeUniform", "HeNormal", "LecunUniform", "LecunNormal", "Orthogonal"]


@pytest.mark.parametrize("name", RANDOM)
def test_seeded_repeats_and_unseeded_differs(name):
    cls = getattr(initializers, name)
    seeded = cls(seed=7)
    np.testing.assert_array_equal(draw(seeded, (6, 5)), draw(seeded, (6, 5)))
    np.testing.assert_array_equal(draw(seeded, (6, 5)), draw(cls(seed=7), (6, 5)))
    assert not np.array_equal(draw(seeded, (6, 5)), draw(cls(seed=8), (6, 5)))
    unseeded = cls()
    assert not np.array_equal(draw(unseeded, (6, 5)), draw(unseeded, (6, 5)))


@pytest.mark.parametrize("name", RANDOM)
def test_unseeded_follows_the_global_seed(name):
    init = getattr(initializers, name)()
    kerasx.utils.set_random_seed(5)
    first = draw(init, (4, 4))
    kerasx.utils.set_random_seed(5)
    np.testing.assert_array_equal(first, draw(init, (4, 4)))


@pytest.mark.parametrize("name", RANDOM)
def test_seeded_values_equal_on_numpy_and_strict_backends(name):
    init = getattr(initializers, name)(seed=123)
    values = {}
    for backend_name in ("numpy", "array_api_strict"):
        with use_backend(backend_name) as backend:
            out = init((5, 4, 3))
            assert backend.is_native(out)
            values[backend_name] = backend.to_numpy(out)
    np.testing.assert_array_equal(values["numpy"], values["array_api_strict"])


def test_dense_kernel_uses_its_initializer():
    layer = kerasx.layers.Dense(4, kernel_initializer=initializers.he_normal(seed=9),
                                bias_initializer=initializers.Constant(0.25))
    layer.build((None, 6))
    np.testing.assert_array_equal(layer.kernel.numpy(), draw(initializers.HeNormal(seed=9), (6, 4)))
    np.testing.assert_array_equal(layer.bias.numpy(), np.full(4, 0.25, np.float32))


def test_layers_with_string_initializers_get_different_weights():
    a, b = kerasx.layers.Dense(5), kerasx.layers.Dense(5)
    a.build((None, 5))
    b.build((None, 5))
    assert not np.array_equal(a.kernel.numpy(), b.kernel.numpy())


# -- identifiers ------------------------------------------------------------------------------
@pytest.mark.parametrize("name, cls", [
    ("glorot_uniform", "GlorotUniform"), ("GlorotUniform", "GlorotUniform"),
    ("he_normal", "HeNormal"), ("lecun_uniform", "LecunUniform"), ("zeros", "Zeros"),
    ("zero", "Zeros"), ("one", "Ones"), ("normal", "RandomNormal"), ("uniform", "RandomUniform"),
    ("truncated_normal", "TruncatedNormal"), ("orthogonal", "Orthogonal"),
    ("OrthogonalInitializer", "Orthogonal"), ("identity", "Identity"),
    ("IdentityInitializer", "Identity"), ("variance_scaling", "VarianceScaling"),
    ("constant", "Constant")])
def test_get_by_name(name, cls):
    assert type(initializers.get(name)) is getattr(initializers, cls)


def test_function_style_aliases_are_the_classes():
    assert initializers.lecun_uniform is initializers.LecunUniform
    assert initializers.glorot_normal(seed=3).get_config()["seed"] == 3
    assert isinstance(initializers.he_normal(), initializers.VarianceScaling)


def test_get_other_identifiers():
    assert initializers.get(None) is None
    inst = initializers.Ones()
    assert initializers.get(inst) is inst
    assert type(initializers.get(initializers.HeUniform)) is initializers.HeUniform
    got = initializers.get({"class_name": "RandomNormal", "config": {"stddev": 2.0, "seed": 1}})
    assert type(got) is initializers.RandomNormal and got.stddev == 2.0 and got.seed == 1

    def fn(shape, dtype=None):
        return initializers.Ones()(shape, dtype)

    assert initializers.get(fn) is fn
    array = np.arange(6, dtype=np.float64).reshape(2, 3)
    from_array = initializers.get(array)
    np.testing.assert_array_equal(draw(from_array, (2, 3)), array.astype(np.float32))
    with pytest.raises(ValueError, match=r"Expected `shape` to be \(2, 3\).*\(3, 2\)"):
        from_array((3, 2))


def test_clone_gives_an_equal_independent_initializer():
    init = initializers.VarianceScaling(scale=3.0, mode="fan_out", seed=1)
    copy = init.clone()
    assert copy is not init and copy.get_config() == init.get_config()
    np.testing.assert_array_equal(draw(copy, (3, 3)), draw(init, (3, 3)))


# -- errors -----------------------------------------------------------------------------------
def test_unknown_name_suggests_the_closest():
    with pytest.raises(ValueError, match=r"Unknown initializer: 'glorot_unifrom'\. Did you mean "
                                         r"'glorot_uniform'"):
        initializers.get("glorot_unifrom")
    with pytest.raises(ValueError, match=r"Could not interpret initializer identifier: 3"):
        initializers.get(3)


@pytest.mark.parametrize("shape", [(5,), ()])
def test_orthogonal_needs_rank_two(shape):
    with pytest.raises(ValueError, match=r"Orthogonal initializer needs a shape of rank >= 2, "
                                         r"received shape=\(.*\) of rank [01]"):
        initializers.Orthogonal()(shape)


def test_identity_needs_rank_two():
    with pytest.raises(ValueError, match=r"only be used for 2D matrices.*shape=\(2, 2, 2\)"):
        initializers.Identity()((2, 2, 2))


def test_bad_arguments():
    with pytest.raises(ValueError,
                       match=r"Invalid `mode` argument: fan_sum.*'fan_in', 'fan_out', 'fan_avg'"):
        initializers.VarianceScaling(mode="fan_sum")
    with pytest.raises(ValueError, match=r"Invalid `distribution` argument: gaussian"):
        initializers.VarianceScaling(distribution="gaussian")
    with pytest.raises(ValueError, match=r"`scale` must be positive float. Received: scale=0"):
        initializers.VarianceScaling(scale=0)
    with pytest.raises(ValueError, match=r"`seed` must be an integer or None, received "
                                         r"seed='1'"):
        initializers.RandomNormal(seed="1")
    with pytest.raises(ValueError, match=r"`stddev` must be a non-negative"):
        initializers.TruncatedNormal(stddev=-1.0)
    with pytest.raises(ValueError, match=r"`maxval` must not be less than `minval`"):
        initializers.RandomUniform(minval=1.0, maxval=0.0)
    with pytest.raises(ValueError, match=r"pass both `input_axes` and `output_axes`"):
        initializers.GlorotUniform(input_axes=[0])
    with pytest.raises(TypeError, match=r"Constant: value must be a Python number or an array, "
                                        r"received 'a'"):
        initializers.Constant("a")
    with pytest.raises(ValueError, match=r"Constant: a value of shape \(3,\) cannot fill a "
                                         r"weight of shape \(2, 2\)"):
        initializers.Constant(np.ones(3))((2, 2))


def test_bad_shape_and_dtype():
    with pytest.raises(ValueError, match=r"shape must be a tuple of non-negative integers, "
                                         r"received shape=\(None, 3\)"):
        initializers.GlorotUniform()((None, 3))
    with pytest.raises(ValueError, match=r"draws floating-point values, but dtype='int32'"):
        initializers.RandomNormal()((2, 2), dtype="int32")


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_random_initializers_draw_half_precision_weights(dtype):
    # a layer made with dtype="float16" (or "bfloat16") builds with its default
    # Glorot kernel, as in Keras
    backend = current()
    if dtype not in backend._dtypes and not (dtype == "bfloat16" and _has_bfloat16(backend)):
        pytest.skip(f"{backend.name} has no {dtype}")
    for name in ["glorot_uniform", "he_normal", "lecun_uniform", "random_normal",
                 "random_uniform", "truncated_normal", "orthogonal", "variance_scaling"]:
        value = initializers.get(name)((64, 32), dtype=dtype)
        assert kerasx.backend.standardize_dtype(value.dtype) == dtype
        drawn = backend.to_numpy(value).astype(np.float32)
        wide = backend.to_numpy(initializers.get(name)((64, 32), dtype="float32"))
        assert np.all(np.isfinite(drawn)) and drawn.std() > 0
        assert abs(drawn.std() - wide.std()) < 0.15 * wide.std()  # the same distribution
    layer = kerasx.layers.Dense(3, dtype=dtype)
    out = layer(np.ones((2, 4), np.float32))
    assert kerasx.backend.standardize_dtype(layer.kernel.dtype) == dtype
    assert kerasx.backend.standardize_dtype(out.dtype) == dtype


def _has_bfloat16(backend):
    try:
        backend.dtype("bfloat16")
    except (ValueError, TypeError, KeyError):
        return False
    return True
