"""Builds CuPy `ElementwiseKernel`s once per backend, on first use."""


def kernel_cache(cupy):
    """`get(spec)`: the `ElementwiseKernel` of `spec = (in_params, out_params, body, name)`,
    built on its first request and kept by name. Building is cheap (CuPy compiles a
    kernel on its first launch); doing it on request keeps the backend's start cheap."""
    built = {}

    def get(spec):
        kernel = built.get(spec[3])
        if kernel is None:
            kernel = built[spec[3]] = cupy.ElementwiseKernel(*spec)
        return kernel

    return get
