"""Label encoding and normalization, on host arrays and on tensors."""


def to_categorical(x, num_classes=None):
    """Integer class ids (any shape; a last axis of 1 is dropped) to one-hot rows.

    Host data (NumPy arrays, lists) gives a float64 NumPy array, as in Keras; a
    tensor gives a tensor of `floatx` on the device (`ops.one_hot`)."""
    from kerasx.autodiff.tensor import TensorOps
    from kerasx.backends.host import to_host

    if isinstance(x, TensorOps):
        from kerasx import ops

        if x.ndim > 1 and x.shape[-1] == 1:
            x = ops.squeeze(x, axis=-1)
        if num_classes is None:
            num_classes = int(ops.max(x)) + 1
        return ops.one_hot(x, int(num_classes))
    labels = to_host(x)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.size and (labels.min() < 0 or (labels != labels.astype("int64")).any()):
        raise ValueError("to_categorical expects non-negative integer class ids.")
    labels = labels.astype("int64")
    n = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.size and labels.max() >= n:
        raise ValueError(f"Class id {int(labels.max())} is out of range for num_classes={n}.")
    out = to_host(labels.reshape(-1)[:, None] == to_host(range(n))[None, :], dtype="float64")
    return out.reshape(labels.shape + (n,))


def normalize(x, axis=-1, order=2):
    """`x` divided by its `order`-norm along `axis` (zero rows stay zero).

    A NumPy array gives a NumPy array, for any vector norm order of `np.linalg.norm`
    (`inf`, `-inf`, 0 counts the non-zero entries, fractions); anything else (a
    tensor inside a model or a loss) goes through `ops.normalize`, so gradients flow
    through it."""
    from kerasx.backends.host import is_host_array, to_host

    if not is_host_array(x):
        from kerasx import ops

        return ops.normalize(ops.convert_to_tensor(x), axis=axis, order=order)
    arr = to_host(x)
    magnitude = abs(arr)
    # the vector norms of `np.linalg.norm`, which Keras uses for NumPy arrays
    if order == float("inf"):
        norm = magnitude.max(axis=axis, keepdims=True)
    elif order == -float("inf"):
        norm = magnitude.min(axis=axis, keepdims=True)
    elif order == 0:  # the number of non-zero entries
        counts = (magnitude != 0).sum(axis=axis, keepdims=True)
        norm = counts.astype(arr.dtype if arr.dtype.kind == "f" else "float64")
    else:
        norm = (magnitude ** order).sum(axis=axis, keepdims=True) ** (1.0 / order)
    norm[norm == 0] = 1
    return arr / norm
