"""Fast CuPy kernels for hot ops; each compiles lazily on its first use."""


def kernels(cupy):
    """The CuPy fast-path table. The portable array-API path stays the reference."""

    def scatter_add_rows(table_shape, indices, updates, dtype):
        """out[indices[i]] += updates[i] with atomic adds (embedding gradients); CuPy's
        `add.at` replaces the deprecated `cupyx.scatter_add`."""
        with updates.device:
            out = cupy.zeros(table_shape, dtype=updates.dtype)
            cupy.add.at(out, indices.reshape(-1), updates.reshape(-1, table_shape[-1]))
        return out

    return {"scatter_add_rows": scatter_add_rows}
