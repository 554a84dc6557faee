"""The one shared broadcasting rule for gradients."""


def unbroadcast(xp, grad, shape):
    """Sums `grad` down to `shape`, undoing the broadcasting of a forward op."""
    shape = tuple(shape)
    gshape = tuple(grad.shape)
    if gshape == shape:
        return grad
    extra = len(gshape) - len(shape)
    axes = tuple(range(extra)) + tuple(
        i + extra for i, n in enumerate(shape) if n == 1 and gshape[i + extra] != 1
    )
    if axes:
        grad = xp.sum(grad, axis=axes, keepdims=True)
    if extra:
        grad = xp.reshape(grad, shape)
    return grad
