"""Fast NumPy kernels (conv), registered by the NumPy backend; the tests check each
against the portable array-API path."""

KERNELS = {}
