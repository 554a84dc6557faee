"""`InputSpec`: what a layer accepts, checked when it is called (`assert_input_compatibility`)."""

__all__ = ["InputSpec"]


class InputSpec:
    """What a layer accepts: rank, dtype and sizes of given axes.

    A layer sets `self.input_spec` (one spec, or a list with one per input);
    calling the layer on a symbolic tensor that does not match raises at once.

    Args:
        dtype: the expected dtype name.
        shape: the expected shape, with None for any size.
        ndim, max_ndim, min_ndim: the expected rank, or its bounds.
        axes: a dict mapping axis indices (negative allowed) to their expected sizes.
        allow_last_axis_squeeze: accept a rank that differs by a trailing axis of size 1.
        name: the input's name (used in messages).
        optional: whether the input may be None.
    """

    def __init__(self, dtype=None, shape=None, ndim=None, max_ndim=None, min_ndim=None,
                 axes=None, allow_last_axis_squeeze=False, name=None, optional=False):
        self.dtype = dtype
        self.shape = None if shape is None else tuple(shape)
        self.ndim = len(self.shape) if self.shape is not None else ndim
        self.max_ndim = max_ndim
        self.min_ndim = min_ndim
        self.axes = {int(k): v for k, v in (axes or {}).items()}
        self.allow_last_axis_squeeze = allow_last_axis_squeeze
        self.name = name
        self.optional = optional

    def get_config(self):
        return {"dtype": self.dtype, "shape": self.shape, "ndim": self.ndim,
                "max_ndim": self.max_ndim, "min_ndim": self.min_ndim, "axes": self.axes}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        parts = [f"{k}={v}" for k, v in self.get_config().items() if v]
        return f"InputSpec({', '.join(parts)})"


def assert_input_compatibility(layer, shapes_and_dtypes):
    """Raises a ValueError when `(shape, dtype)` pairs break `layer.input_spec`."""
    spec = getattr(layer, "input_spec", None)
    if spec is None:
        return
    specs = list(spec) if isinstance(spec, (list, tuple)) else [spec]
    if len(specs) != len(shapes_and_dtypes) and len(specs) > 1:
        raise ValueError(
            f"Layer {layer.name!r} expects {len(specs)} input(s), but it received "
            f"{len(shapes_and_dtypes)} input tensors."
        )
    for i, (s, (shape, dtype)) in enumerate(zip(specs, shapes_and_dtypes)):
        if s is None:
            continue
        where = f"Input {i} of layer {layer.name!r} is incompatible with the layer"
        full = f"Full shape received: {tuple(shape)}."
        rank = len(shape)
        if s.ndim is not None and rank != s.ndim and not (
                s.allow_last_axis_squeeze and abs(rank - s.ndim) == 1):
            raise ValueError(f"{where}: expected ndim={s.ndim}, found ndim={rank}. {full}")
        if s.max_ndim is not None and rank > s.max_ndim:
            raise ValueError(f"{where}: expected max_ndim={s.max_ndim}, found ndim={rank}. {full}")
        if s.min_ndim is not None and rank < s.min_ndim:
            raise ValueError(f"{where}: expected min_ndim={s.min_ndim}, found ndim={rank}. {full}")
        if s.dtype is not None and dtype is not None and str(dtype) != str(s.dtype):
            raise ValueError(f"{where}: expected dtype={s.dtype}, found dtype={dtype}.")
        for axis, size in s.axes.items():
            if size is None:
                continue
            if not -rank <= axis < rank:
                raise ValueError(f"{where}: expected axis {axis} of size {size}, but the input "
                                 f"has only {rank} axes. {full}")
            if shape[axis] is not None and shape[axis] != size:
                raise ValueError(f"{where}: expected axis {axis} of input shape to have value "
                                 f"{size}, but received input with shape {tuple(shape)}.")
        if s.shape is not None and rank == len(s.shape):
            for got, want in zip(shape, s.shape):
                if want is not None and got is not None and got != want:
                    raise ValueError(f"{where}: expected shape={s.shape}, found shape="
                                     f"{tuple(shape)}.")
