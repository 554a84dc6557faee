"""The CuPy kernel cache builds each `ElementwiseKernel` once, by name (checked with a
stand-in for CuPy, so it runs without a GPU)."""

from types import SimpleNamespace

from kerasx.backends.cupy_build import kernel_cache


def test_each_kernel_is_built_once_by_name():
    built = []

    class ElementwiseKernel:
        def __init__(self, *spec):
            built.append(spec)

    get = kernel_cache(SimpleNamespace(ElementwiseKernel=ElementwiseKernel))
    a = ("T x", "T y", "y = x;", "copy")
    b = ("T x", "T y", "y = -x;", "negate")
    first = get(a)
    assert get(a) is first and get(b) is not first and get(b) is get(b)
    assert built == [a, b]
