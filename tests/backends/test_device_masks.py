"""The CuPy backend's per-step masks: SplitMix64 over the element index, keyed by one
draw of the host generator, so seeds and saved random states govern them."""

import ctypes
import shutil
import subprocess

import numpy as np
import pytest

import kerasx
from kerasx.backends import current  # noqa: F401 (read by the skipif condition)
from kerasx.backends import random as krandom
from kerasx.backends.random import mask_threshold, splitmix64, splitmix_bernoulli


def _splitmix64_scalar(state, n):
    """SplitMix64 as published (Steele, Lea, Flood 2014), in Python integers."""
    mask, out = 2**64 - 1, []
    for _ in range(n):
        state = (state + 0x9E3779B97F4A7C15) & mask
        z = ((state ^ (state >> 30)) * 0xBF58476D1CE4E5B9) & mask
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & mask
        out.append(z ^ (z >> 31))
    return out


def test_splitmix64_is_the_published_generator():
    assert [int(v) for v in splitmix64(0, 3)] == [0xE220A8397B1DCDAF, 0x6E789E6AA1B965F4,
                                                  0x06C45D188009454F]
    for key in (1, 2**63 + 12345, 2**64 - 1):
        assert [int(v) for v in splitmix64(key, 40)] == _splitmix64_scalar(key, 40)


@pytest.mark.parametrize("p", [0.8, 0.5, 0.0025])
def test_splitmix_masks_keep_the_requested_fraction(p):
    n = 2_000_000
    mask = splitmix_bernoulli(0xDEADBEEF, (n // 1000, 1000), p)
    assert mask.shape == (n // 1000, 1000) and mask.dtype == bool
    assert abs(mask.mean() - p) < 5 * np.sqrt(p * (1 - p) / n)


def test_splitmix_mask_edges():
    assert mask_threshold(1.0) == 2**32 and mask_threshold(0.0) == 0
    assert splitmix_bernoulli(7, (5, 3), 1.0).all()
    assert not splitmix_bernoulli(7, (5, 3), 0.0).any()
    assert splitmix_bernoulli(7, (), 0.5).shape == ()
    assert not np.array_equal(splitmix_bernoulli(7, (64,), 0.5), splitmix_bernoulli(8, (64,), 0.5))


@pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler")
def test_cuda_mask_body_compiled_as_c_matches_the_host_reference(tmp_path):
    """The CUDA body of the CuPy mask kernel is plain C: compiled for the CPU it must give
    `splitmix_bernoulli`'s masks bit for bit."""
    from kerasx.backends.cupy import _MASK_KERNEL

    source = f"""
    typedef float T;
    void mask_kernel(unsigned long long key, unsigned long long threshold, T* out, long long n) {{
        for (long long i = 0; i < n; ++i) {{ T mask; {_MASK_KERNEL[2]} out[i] = mask; }} }}
    """
    (tmp_path / "k.c").write_text(source)
    subprocess.run(["cc", "-O1", "-shared", "-fPIC", "-o", str(tmp_path / "k.so"),
                    str(tmp_path / "k.c")], check=True)
    lib = ctypes.CDLL(str(tmp_path / "k.so"))
    for key, p, n in [(0, 0.5, 1000), (2**64 - 1, 0.8, 777), (123456789, 0.0025, 5000),
                      (42, 1.0, 10), (42, 0.0, 10)]:
        got = np.empty(n, dtype=np.float32)
        lib.mask_kernel(ctypes.c_ulonglong(key), ctypes.c_ulonglong(mask_threshold(p)),
                        got.ctypes.data_as(ctypes.c_void_p), ctypes.c_longlong(n))
        np.testing.assert_array_equal(got, splitmix_bernoulli(key, (n,), p).astype(np.float32))


def test_masks_repeat_after_reseeding_and_restoring_the_state(backend):
    """Also with the same seed set twice, and after `set_state` (BackupAndRestore)."""
    def draw():
        return backend.to_numpy(backend.rng.bernoulli((8, 16), 0.7))

    kerasx.utils.set_random_seed(5)
    first = draw()
    kerasx.utils.set_random_seed(5)
    np.testing.assert_array_equal(draw(), first)
    state = krandom.get_state()
    later = [draw(), draw()]
    assert not np.array_equal(later[0], later[1])
    krandom.set_state(state)
    np.testing.assert_array_equal(draw(), later[0])


@pytest.mark.skipif("current().name != 'cupy'", reason="needs the cupy backend and a GPU")
@pytest.mark.parametrize("dtype", ["float32", "float64", "bool"])
def test_cupy_masks_are_the_host_reference(backend, dtype):
    kerasx.utils.set_random_seed(9)
    state = krandom.get_state()
    got = backend.to_numpy(backend.rng.bernoulli((33, 65), 0.6, dtype=dtype))
    krandom.set_state(state)
    key = krandom.global_generator().bit_generator.random_raw()
    assert got.dtype == np.dtype(dtype)
    np.testing.assert_array_equal(got, splitmix_bernoulli(key, (33, 65), 0.6).astype(dtype))
