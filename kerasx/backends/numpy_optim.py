"""Fast NumPy optimizer updates (in place, with `out=`), checked against the portable path."""

KERNELS = {}
