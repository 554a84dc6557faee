"""Fused CuPy softmax and sparse softmax cross-entropy over the last axis.

The portable ops launch about five kernels for a softmax and fifteen more for the
sparse cross-entropy and its gradient; a step of a small classifier on a GPU is
bound by those launches. Here one thread per row computes the row maximum, the
exponentials, their sum and the probabilities (`softmax_last_axis`, the same
`(probabilities, row maxima, row sums)` contract as the NumPy kernel), and the
cross-entropy then takes one launch forward and one backward. Rows are summed in
order, so values differ from the portable tree reductions by rounding. Rows wider
than `MAX_CLASSES` keep the portable path, which spreads a row over many threads.
"""

from kerasx.backends.cupy_build import kernel_cache

MAX_CLASSES = 4096

_SOFTMAX_ROWS = ("raw T x, int64 classes", "raw T probs, raw T maxima, raw T sums", """
    long long base = i * classes;
    T m = x[base];
    for (long long k = 1; k < classes; ++k) m = x[base + k] > m ? x[base + k] : m;
    T s = 0;
    for (long long k = 0; k < classes; ++k) {
        T e = exp(x[base + k] - m);
        probs[base + k] = e;
        s += e;
    }
    for (long long k = 0; k < classes; ++k) probs[base + k] = probs[base + k] / s;
    maxima[i] = m;
    sums[i] = s;""", "kerasx_softmax_rows")

# labels outside [0, classes) give a loss and a gradient of 0, as the portable op
_PICK_LOSS = ("raw T x, raw I labels, raw T maxima, raw T sums, int64 classes", "T loss", """
    long long id = (long long)labels[i];
    loss = id >= 0 && id < classes ? log(sums[i]) - (x[i * classes + id] - maxima[i]) : (T)0;""",
              "kerasx_sparse_xent_loss")

_XENT_GRAD = ("raw T probs, raw I labels, raw T g, int64 classes", "T grad", """
    long long row = i / classes, id = (long long)labels[row];
    grad = id >= 0 && id < classes
        ? g[row] * (probs[i] - (i - row * classes == id ? (T)1 : (T)0)) : (T)0;""",
              "kerasx_sparse_xent_grad")


def kernels(cupy):
    """The fused softmax and sparse cross-entropy; each compiles on its first launch."""
    kernel = kernel_cache(cupy)

    def usable(x):
        return (isinstance(x, cupy.ndarray) and x.dtype in (cupy.float32, cupy.float64)
                and x.ndim >= 1 and 0 < x.shape[-1] <= MAX_CLASSES)

    def softmax_last_axis(x):
        if not usable(x):
            return None
        classes = x.shape[-1]
        rows = x.size // classes
        with x.device:
            flat = cupy.ascontiguousarray(x).reshape(-1)
            probs = cupy.empty(flat.shape, x.dtype)
            maxima = cupy.empty(x.shape[:-1] + (1,), x.dtype)
            sums = cupy.empty(x.shape[:-1] + (1,), x.dtype)
            if rows:
                kernel(_SOFTMAX_ROWS)(flat, classes, probs, maxima, sums, size=rows)
        return probs.reshape(x.shape), maxima, sums

    def sparse_softmax_cross_entropy(logits, labels, softmax=None):
        if not usable(logits) or logits.ndim != 2 or tuple(labels.shape) != logits.shape[:1]:
            return None
        n, classes = logits.shape
        with logits.device:
            labels = cupy.ascontiguousarray(cupy.asarray(labels))
            if labels.dtype.kind not in "iuf":
                return None
            x = cupy.ascontiguousarray(logits)
            probs, maxima, sums = softmax if softmax is not None else softmax_last_axis(x)
            losses = cupy.empty((n,), x.dtype)
            kernel(_PICK_LOSS)(x, labels, maxima, sums, classes, losses)

        def gradient(g):
            with logits.device:
                grad = cupy.empty((n, classes), x.dtype)
                kernel(_XENT_GRAD)(probs, labels, cupy.ascontiguousarray(g, dtype=x.dtype),
                                   classes, grad)
            return grad

        return losses, gradient

    return {"softmax_last_axis": softmax_last_axis,
            "sparse_softmax_cross_entropy": sparse_softmax_cross_entropy}
