"""Backend objects: selection, transfer, randomness, and mixing errors."""

import os
import subprocess
import sys

import numpy as np
import pytest

import kerasx
from kerasx.backends import available_backends, current, get_backend, use_backend

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_active_backend_follows_environment():
    assert current().name == os.environ.get("KERASX_BACKEND", "numpy")
    assert kerasx.config.backend() == current().name


def test_unknown_backend_lists_the_available_ones():
    with pytest.raises(ValueError, match=r"Unknown backend 'jaxx'.*array_api_strict.*numpy"):
        get_backend("jaxx")
    assert {"numpy", "cupy", "array_api_strict"} <= set(available_backends())


def test_unknown_backend_in_environment_fails_at_first_use():
    proc = subprocess.run([sys.executable, "-c", "import kerasx; kerasx.ops.ones((2,))"],
                          capture_output=True, text=True,
                          env={**os.environ, "KERASX_BACKEND": "tensorflw",
                               "PYTHONPATH": ROOT + os.pathsep + os.environ.get("PYTHONPATH", "")})
    assert proc.returncode != 0
    assert "Unknown backend 'tensorflw'" in proc.stderr


def test_use_backend_switches_and_restores():
    before = current()
    with use_backend("array_api_strict") as strict:
        assert current() is strict
        x = kerasx.ops.ones((2, 3))
        assert type(x.value).__module__.startswith("array_api_strict")
        assert str(x.value.device) == str(strict.device)
    assert current() is before


def test_asarray_and_to_numpy_round_trip(backend):
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    dev = backend.asarray(host)
    assert backend.is_native(dev)
    np.testing.assert_array_equal(backend.to_numpy(dev), host)
    assert backend.to_numpy(backend.asarray(host, dtype="float64")).dtype == np.float64


@pytest.mark.parametrize("kind", ["real floating", "integral", "bool", "numeric",
                                  ("signed integer", "bool")])
def test_remembered_isdtype_answers_as_the_namespace(backend, kind):
    for name in ("float32", "float64", "int8", "int32", "int64", "uint8", "bool"):
        dtype = backend.dtype(name)
        first = backend.isdtype(dtype, kind)
        assert first == backend.xp.isdtype(dtype, kind)
        assert backend.isdtype(dtype, kind) == first  # the remembered answer


def test_strict_backend_puts_arrays_on_device1():
    strict = get_backend("array_api_strict")
    assert str(strict.device) == str(strict.xp.Device("device1"))
    assert strict.asarray([1.0, 2.0]).device == strict.device


def test_same_seed_same_random_numbers_on_every_cpu_backend():
    draws = {}
    for name in ("numpy", "array_api_strict"):
        with use_backend(name) as b:
            kerasx.utils.set_random_seed(3)
            draws[name] = [b.to_numpy(b.rng.normal((4, 3))), b.to_numpy(b.rng.uniform((5,))),
                           b.to_numpy(b.rng.truncated_normal((50,))),
                           b.to_numpy(b.rng.bernoulli((6,), 0.5)), b.rng.permutation(7)]
    for a, b in zip(draws["numpy"], draws["array_api_strict"]):
        np.testing.assert_array_equal(a, b)
    assert np.abs(draws["numpy"][2]).max() <= 2.0


@pytest.mark.parametrize("p", [0.8, 0.5, 0.3, 0.9975, 0.0025])
def test_per_step_masks_keep_the_requested_fraction(p):
    from kerasx.backends.random import bernoulli_from_bits

    n = 4_000_000
    mask = bernoulli_from_bits(np.random.default_rng(0), (n // 1000, 1000), p)
    assert mask.shape == (n // 1000, 1000) and mask.dtype == bool
    # within 5 standard deviations of the binomial (p = 0.0025: 32-bit comparisons)
    assert abs(mask.mean() - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_float32_normal_values_follow_the_standard_normal_distribution():
    import math

    from kerasx.backends.random import standard_normal_float32

    n = 2_000_000
    z = standard_normal_float32(np.random.default_rng(3), (n // 1000, 1000))
    assert z.shape == (n // 1000, 1000) and z.dtype == np.float32
    assert np.isfinite(z).all() and np.abs(z).max() < 5.8
    assert abs(z.mean()) < 5 / math.sqrt(n)
    assert abs(z.astype(np.float64).std() - 1.0) < 5 * math.sqrt(0.5 / n)
    for t in (-3.0, -2.0, -1.0, -0.3, 0.0, 0.5, 1.0, 2.0, 3.0):
        cdf = 0.5 * (1.0 + math.erf(t / math.sqrt(2.0)))
        assert abs((z < t).mean() - cdf) < 5 * math.sqrt(cdf * (1 - cdf) / n), t


def test_float32_normal_draws_odd_shapes_and_scales():
    from kerasx.backends.random import standard_normal_float32

    gen = np.random.default_rng(4)
    assert standard_normal_float32(gen, ()).shape == ()
    assert standard_normal_float32(gen, (0, 5)).shape == (0, 5)
    assert standard_normal_float32(gen, (7, 3)).shape == (7, 3)
    first, second = standard_normal_float32(gen, (9,)), standard_normal_float32(gen, (9,))
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(standard_normal_float32(np.random.default_rng(5), (4, 5)),
                                  standard_normal_float32(np.random.default_rng(5), (4, 5)))
    rng = current().rng
    x = current().to_numpy(rng.normal((400, 1000), 3.0, 2.0, dtype="float32", seed=6))
    assert x.dtype == np.float32 and abs(x.mean() - 3.0) < 0.02 and abs(x.std() - 2.0) < 0.02
    # float64 values come from NumPy's own float64 normal
    y = current().to_numpy(rng.normal((5, 4), 1.0, 0.5, dtype="float64", seed=7))
    np.testing.assert_array_equal(y, np.random.default_rng(7).normal(1.0, 0.5, size=(5, 4)))


@pytest.mark.parametrize("draw", ["normal", "uniform", "truncated_normal", "bernoulli"])
def test_random_draws_take_dtype_names_and_the_backends_dtype_objects(draw):
    rng, xp = current().rng, current().xp
    kwargs = {"p": 0.5, "seed": 3} if draw == "bernoulli" else {"seed": 3}
    for dtype, name in ((xp.float32, "float32"), (xp.float64, "float64"), ("float64", "float64"),
                        (None, kerasx.config.floatx())):
        value = getattr(rng, draw)((8, 600), dtype=dtype, **kwargs)
        assert kerasx.backends.base.dtype_name(value.dtype) == name and value.shape == (8, 600)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_uniform_draws_cover_their_interval_evenly(dtype):
    import math

    n = 1_000_000
    x = current().to_numpy(current().rng.uniform((n,), -3.0, 5.0, dtype=dtype, seed=8))
    assert x.dtype == np.dtype(dtype) and x.min() >= -3.0 and x.max() <= 5.0
    assert abs(x.mean() - 1.0) < 5 * 8 / math.sqrt(12 * n)
    assert abs(x.astype(np.float64).std() - 8 / math.sqrt(12)) < 0.01
    counts = np.histogram(x, bins=16, range=(-3.0, 5.0))[0]
    assert np.abs(counts - n / 16).max() < 5 * math.sqrt(n / 16)


def test_per_step_masks_edges_and_odd_sizes():
    from kerasx.backends.random import bernoulli_from_bits

    gen = np.random.default_rng(1)
    assert bernoulli_from_bits(gen, (7, 3), 1.0).all()
    assert not bernoulli_from_bits(gen, (7, 3), 0.0).any()
    # far below 2**-16: 32 random bits per entry, so it is not rounded to zero
    assert bernoulli_from_bits(gen, (2000, 1000), 5e-6).sum() > 0
    assert bernoulli_from_bits(gen, (5,), 0.5).shape == (5,)
    assert bernoulli_from_bits(gen, (), 1.0).shape == ()
    assert bernoulli_from_bits(gen, (), 0.5).shape == ()
    assert bernoulli_from_bits(gen, (0, 5), 0.5).shape == (0, 5)
    # each mask consumes fresh bits
    assert not np.array_equal(bernoulli_from_bits(gen, (64,), 0.5),
                              bernoulli_from_bits(gen, (64,), 0.5))


def test_seeded_draws_repeat_and_unseeded_draws_differ(backend):
    a = backend.to_numpy(backend.rng.normal((3,), seed=5))
    b = backend.to_numpy(backend.rng.normal((3,), seed=5))
    c = backend.to_numpy(backend.rng.normal((3,)))
    d = backend.to_numpy(backend.rng.normal((3,)))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(c, d)


def test_foreign_array_is_a_clear_error():
    strict = get_backend("array_api_strict")
    numpy_backend = get_backend("numpy")
    with pytest.raises(TypeError, match=r"array_api_strict.*active backend is 'numpy'.*asarray"):
        numpy_backend.asarray(strict.asarray([1.0]))


def test_cupy_without_cuda_names_the_install_command():
    code = ("import kerasx\n"
            "from kerasx.backends import get_backend\n"
            "try:\n    get_backend('cupy')\nexcept (ImportError, RuntimeError) as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ, "PYTHONPATH": ROOT + os.pathsep
                              + os.environ.get("PYTHONPATH", "")}).stdout
    try:
        import cupy  # noqa: F401  (only whether it imports matters)
        has_cupy = True
    except ImportError:
        has_cupy = False
    if not has_cupy:
        assert "pip install kerasx[cuda12]" in out


def test_config_floatx_and_errors():
    assert kerasx.config.floatx() == "float32"
    kerasx.config.set_floatx("float64")
    assert kerasx.layers.Dense(2).dtype == "float64"
    with pytest.raises(ValueError, match="Unknown floatx 'int32'"):
        kerasx.config.set_floatx("int32")
    assert kerasx.config.epsilon() == 1e-7
    assert kerasx.config.image_data_format() == "channels_last"


def test_fit_with_arrays_of_another_library_names_the_mix():
    foreign_name = "numpy" if current().name == "array_api_strict" else "array_api_strict"
    other = get_backend(foreign_name)
    x = other.asarray(np.ones((4, 3), np.float32))
    y = other.asarray(np.ones((4, 1), np.float32))
    model = kerasx.Sequential([kerasx.Input(shape=(3,)), kerasx.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    if foreign_name == "numpy":  # NumPy data is the normal host input of every backend
        model.fit(x, y, verbose=0)
        return
    with pytest.raises(TypeError, match=r"`x` is an array of array_api_strict but the active backend "
                                        rf"is '{current().name}'.*cannot be mixed"):
        model.fit(x, y, verbose=0)


def test_dtype_accepts_numpy_scalar_types(backend):
    """CuPy's namespace uses NumPy's scalar types (`numpy.int64`, a class) as dtypes."""
    from kerasx.backends.base import dtype_name

    assert [dtype_name(t) for t in (np.int64, np.float32, np.bool_, np.uint8)] == [
        "int64", "float32", "bool", "uint8"]
    int64 = backend.dtype("int64")
    assert backend.dtype(int64) == int64 and backend.dtype(np.int64) == int64
    assert backend.to_numpy(backend.asarray([1, 2], dtype=int64)).dtype == np.int64
