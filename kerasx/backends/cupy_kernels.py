"""Fast CuPy kernels for hot ops; each compiles lazily on its first use."""

from kerasx.backends.cupy_build import kernel_cache

# One thread per (row run, column) of the stably sorted indices sums that run's updates
# in their original order: the rounding of `numpy.add.at`, the same on every run, where
# atomic adds would sum in whatever order the threads arrive.
_SUM_SORTED_RUNS = (
    "raw int64 starts, raw int64 order, raw I rows, raw T updates, int64 n, int64 runs, "
    "int64 d, int64 table_rows", "raw T out", """
    long long r = i / d, c = i % d;
    long long row = (long long)rows[order[starts[r]]];
    if (row >= 0 && row < table_rows) {  // others add nothing, as in the portable one-hot
        long long end = r + 1 < runs ? starts[r + 1] : n;
        T acc = 0;
        for (long long j = starts[r]; j < end; ++j) acc += updates[order[j] * d + c];
        out[row * d + c] = acc;
    }""", "kerasx_sum_sorted_runs")


def kernels(cupy):
    """The CuPy fast-path table. The portable array-API path stays the reference."""
    kernel = kernel_cache(cupy)

    def scatter_add_rows(table_shape, indices, updates, dtype):
        """out[indices[i]] += updates[i] (embedding gradients), deterministically: the
        indices are sorted stably and each row's updates are summed in index order."""
        with updates.device:
            out = cupy.zeros(table_shape, dtype=updates.dtype)
            rows = indices.reshape(-1)
            n = rows.size
            if n == 0:
                return out
            d = out.size // table_shape[0]
            values = cupy.ascontiguousarray(updates.reshape(n, d))
            order = cupy.argsort(rows, kind="stable")
            ranked = rows[order]
            starts = cupy.flatnonzero(cupy.concatenate(
                [cupy.ones(1, dtype=bool), ranked[1:] != ranked[:-1]]))
            runs = starts.size
            kernel(_SUM_SORTED_RUNS)(starts, order, rows, values, n, runs, d, table_shape[0],
                                     out, size=runs * d)
        return out

    return {"scatter_add_rows": scatter_add_rows}
