"""Label encoding and normalization on host arrays."""


def to_categorical(x, num_classes=None):
    """Integer class ids (any shape) to one-hot float32 rows."""
    from kerasx.backends.host import to_host

    labels = to_host(x)
    if labels.ndim > 1 and labels.shape[-1] == 1:
        labels = labels.reshape(labels.shape[:-1])
    if labels.size and (labels.min() < 0 or (labels != labels.astype("int64")).any()):
        raise ValueError("to_categorical expects non-negative integer class ids.")
    labels = labels.astype("int64")
    n = int(labels.max()) + 1 if num_classes is None else int(num_classes)
    if labels.size and labels.max() >= n:
        raise ValueError(f"Class id {int(labels.max())} is out of range for num_classes={n}.")
    out = to_host(labels.reshape(-1)[:, None] == to_host(range(n))[None, :], dtype="float32")
    return out.reshape(labels.shape + (n,))


def normalize(x, axis=-1, order=2):
    """`x` divided by its `order`-norm along `axis` (zero rows stay zero)."""
    from kerasx.backends.host import to_host

    arr = to_host(x, dtype="float32") if not hasattr(x, "dtype") else to_host(x)
    norm = (abs(arr) ** order).sum(axis=axis, keepdims=True) ** (1.0 / order)
    norm[norm == 0] = 1
    return arr / norm
