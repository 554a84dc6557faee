"""Shared plumbing of the op modules: namespace lookup, wrapping, axes."""

from kerasx.autodiff.tape import record, tracked
from kerasx.autodiff.tensor import Tensor, TensorOps, value_of
from kerasx.backends import current
from kerasx.backends.base import dtype_name
from kerasx.config import floatx

__all__ = ["Tensor", "TensorOps", "axis_out_of_bounds", "current", "namespace", "normalize_axes",
           "operand_and_value", "operand_value", "record", "refuse_bool", "relu_of_fresh",
           "shape_of", "tracked", "value_of", "wrap"]


def namespace():
    return current().xp


def wrap(value):
    return Tensor(value)


_PYTHON_NUMBERS = (bool, int, float, complex)


def operand_value(x):
    """`value_of(x)`, a Python number read as the 0-d array Keras makes of it (floats as
    `floatx`, integers as int32, booleans as bool, complex numbers as complex64): for an
    op whose result takes its operand's dtype (`ops.trunc(2.5)` is float32 in Keras,
    NumPy's would be float64)."""
    if isinstance(x, TensorOps):
        return x.value
    if type(x) in _PYTHON_NUMBERS:
        from kerasx.ops.shape import convert_to_tensor

        if type(x) is complex:
            backend = current()
            return backend.asarray(x, dtype=backend.dtype("complex64"))
        return convert_to_tensor(x).value
    return value_of(x)


def operand_and_value(x):
    """`(operand, value)` for an op that passes its operand on to other ops: a Tensor
    and its array, else `operand_value(x)` twice (a Python number or list has no
    gradient to keep)."""
    if isinstance(x, TensorOps):
        return x, x.value
    value = operand_value(x)
    return value, value


def shape_of(x):
    """The shape of an array or Tensor; `()` for Python scalars."""
    shape = getattr(x, "shape", None)
    return () if shape is None else tuple(shape)


def relu_of_fresh(backend, y):
    """`max(y, 0)` of an array that nothing else holds: written over `y` by the
    backend's `relu_inplace` kernel where it has one, else a new array."""
    fast = backend.kernel("relu_inplace")
    return fast(backend.xp, y) if fast is not None else backend.xp.maximum(y, 0.0)


def axis_out_of_bounds(name, axis, shape):
    """The ValueError for an axis outside `[-ndim, ndim)` of an input of `shape`, with
    Keras's wording ("axis 10 is out of bounds for an array with dimension 2")."""
    ndim = len(shape)
    prefix = f"{name}: " if name else ""
    return ValueError(f"{prefix}axis {axis} is out of bounds for an array with dimension {ndim} "
                      f"(out of range for an input of shape {tuple(shape)}): pass an axis in "
                      f"[{-ndim}, {ndim}).")


def normalize_axes(axis, ndim):
    """`axis` (None, int or sequence, negatives allowed) as a sorted tuple of axes; an axis
    outside `[-ndim, ndim)` is a ValueError (as NumPy's and Keras's AxisError)."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, int):
        axis = (axis,)
    for a in axis:
        if not -ndim <= a < ndim:
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}: "
                             f"pass axes in [{-ndim}, {ndim - 1}].")
    return tuple(sorted(a % ndim for a in axis))


# (dtype or Python type of each operand, floatx) -> what `keras_promoted` casts
_CASTS = {}


def keras_promoted(av, bv):
    """`(av, bv)` cast where Keras's type promotion differs from NumPy's and the array
    API's: an integer or boolean array meeting a float array takes that float type
    (NumPy widens int32 and int64 with float32 to float64; the array API refuses the
    mix), and meeting a Python float the default float type (NumPy: float64). A Python
    float meeting a bfloat16 array becomes bfloat16 (ml_dtypes would widen to float32).
    Anything else is left to the namespace. The decision is cached per pair of dtypes."""
    da, db = getattr(av, "dtype", None), getattr(bv, "dtype", None)
    key = (type(av) if da is None else da, type(bv) if db is None else db, floatx(),
           type(da))  # NumPy's and array_api_strict's dtypes are not to be compared
    try:
        casts = _CASTS[key]
    except KeyError:
        casts = _CASTS[key] = _casts_for(*key[:3])
    if casts is None:
        return av, bv
    backend = current()
    ta, tb = casts
    if ta is not None:
        av = _cast_operand(backend, av, ta)
    if tb is not None:
        bv = _cast_operand(backend, bv, tb)
    return av, bv


def python_number_of(value):
    """A NumPy scalar (`np.float64(...)`, not an array) as the Python number it holds: it
    promotes as one, as in Keras (`x * np.log(2 * np.pi)` stays float32, on every
    backend); anything else as it is."""
    if not isinstance(value, TensorOps) and getattr(value, "ndim", None) == 0 \
            and hasattr(value, "item") and not hasattr(value, "__setitem__"):
        return value.item()
    return value


def bool_as_number(value, other):
    """A Python bool meeting a numeric array as the int it is (`x * True` is `x`, as in
    Keras; the array API promotes Python bools with bool arrays only)."""
    if type(value) is bool and getattr(other, "dtype", None) is not None and \
            dtype_name(other.dtype) != "bool":
        return int(value)
    return value


def _cast_operand(backend, value, name):
    if hasattr(value, "dtype"):
        return backend.xp.astype(value, backend.dtype(name))
    return backend.asarray(value, dtype=name)  # a Python number


_SIGNED_32 = ("int8", "int16", "int32")

# a Python bool or int is weak (it takes the array's type); a complex is left alone
_PYTHON_KINDS = {bool: "weak", int: "weak", float: "python float", complex: None}


def _casts_for(da, db, default_float):
    """`(dtype name for a, dtype name for b)` (None: leave it) for `keras_promoted`, or
    None when neither operand needs a cast."""
    backend = current()

    def kind(d):
        if d in _PYTHON_KINDS:
            return _PYTHON_KINDS[d]
        if isinstance(d, type):  # any other Python object: not an array
            return None
        if backend.isdtype(d, ("integral", "bool")):
            return "integer array"
        return "float array" if backend.isdtype(d, "real floating") else None

    ka, kb = kind(da), kind(db)
    if ka == kb == "integer array":
        # uint32 meeting a signed type of 32 bits or fewer: int32 in Keras (JAX's 32-bit
        # lattice), where NumPy widens to int64 and the array API has no common type
        na, nb = dtype_name(da), dtype_name(db)
        if na == "uint32" and nb in _SIGNED_32:
            return "int32", None
        if nb == "uint32" and na in _SIGNED_32:
            return None, "int32"
        return None
    if ka == kb == "float array":
        # bfloat16 meeting another float: that float, float32 with float16 (Keras's
        # lattice), where ml_dtypes gives float64 or no common type
        na, nb = dtype_name(da), dtype_name(db)
        if na == nb or "bfloat16" not in (na, nb):
            return None
        other = nb if na == "bfloat16" else na
        target = "float32" if other == "float16" else other
        return (None if na == target else target), (None if nb == target else target)
    # a boolean array meeting a Python int: the int's type, int32 (NumPy: int64)
    if da is int and kb == "integer array" and dtype_name(db) == "bool":
        return None, "int32"
    if db is int and ka == "integer array" and dtype_name(da) == "bool":
        return "int32", None
    if ka == "float array" and kb == "python float" and dtype_name(da) == "bfloat16":
        return None, "bfloat16"
    if kb == "float array" and ka == "python float" and dtype_name(db) == "bfloat16":
        return "bfloat16", None
    if ka == "integer array" and kb in ("float array", "python float"):
        casts = (dtype_name(db) if kb == "float array" else default_float), None
    elif kb == "integer array" and ka in ("float array", "python float"):
        casts = None, (dtype_name(da) if ka == "float array" else default_float)
    else:
        return None
    # no cast where the namespace reaches that type by itself (NumPy: a bool or uint8
    # mask times float32), so no extra pass is made
    target = casts[0] or casts[1]
    try:
        natural = backend.xp.result_type(*(1.0 if d is float else d for d in (da, db)))
    except (TypeError, ValueError):
        return casts
    return None if dtype_name(natural) == target else casts


# (dtypes of the operands, whether the result is a float, floatx) -> the common dtype name
_COMMON = {}


def keras_common_dtype(dtypes, floating=False):
    """The dtype name Keras gives to an op joining operands of `dtypes` (a tuple of dtype
    objects or names): Keras's lattice, where NumPy widens `uint32` with `int32` to int64
    and `float16` with `bfloat16` to float64, and the array API has no common type (64-bit
    inputs are kept). With `floating`, integers and booleans give `floatx` (Keras's
    `result_type(..., float)` of ops computing a mean or a product sum). Cached."""
    key = (dtypes, floating, floatx())
    try:
        return _COMMON[key]
    except KeyError:
        pass
    from kerasx.utils.dtype_promotion import array_result_type

    name = array_result_type(*(dtype_name(d) for d in dtypes))
    if floating and (name == "bool" or "int" in name):
        name = floatx()
    _COMMON[key] = name
    return name


def as_dtype(x, name):
    """`x` (an array or a Tensor) cast to the dtype `name` where it differs (a Tensor by
    the differentiable `ops.cast`)."""
    if dtype_name(x.dtype) == name:
        return x
    if isinstance(x, TensorOps):
        from kerasx.ops.shape import cast

        return cast(x, name)
    backend = current()
    return backend.xp.astype(x, backend.dtype(name))


def common_operands(*xs, floating=False):
    """`xs` (Tensors or arrays) cast to `keras_common_dtype` of their dtypes (Tensors by
    the differentiable `ops.cast`); with `floating`, integers and booleans become
    floats, as Keras's ops that compute a mean or a product sum (`average`,
    `correlate`, `trapezoid`) take `result_type(*dtypes, float)`."""
    dtypes = tuple(x.dtype for x in xs)
    if not floating and len(set(dtypes)) == 1:
        return xs
    target = keras_common_dtype(dtypes, floating)
    return tuple(as_dtype(x, target) for x in xs)


def input_like_weights(xv, wv):
    """The input `xv` of an op with float weights `wv` (a convolution, a recurrent
    layer): cast to their type when it is an integer array, as Keras's promotion does,
    where NumPy would compute in float64 (or refuse)."""
    if getattr(xv, "dtype", None) is getattr(wv, "dtype", None):
        return xv
    xp = current().xp
    if xv.dtype == xp.bool:
        # NumPy promotes bool with float as Keras does, but the kernels compute in the
        # input's type (a one-hot bool array would be multiplied into a bool buffer)
        return xp.astype(xv, wv.dtype)
    return keras_promoted(xv, wv)[0]


def bfloat16_as_float32(*values):
    """`values` with bfloat16 arrays read as float32, for an op that Keras's NumPy
    backend computes by one ml_dtypes ufunc (in float32, rounded once) where the
    portable form takes several steps that would each round to bfloat16."""
    backend = current()
    return tuple(backend.xp.astype(v, backend.dtype("float32"))
                 if hasattr(v, "dtype") and dtype_name(v.dtype) == "bfloat16" else v
                 for v in values)


def refuse_bool(xv, name):
    """Raises the TypeError Keras's JAX backend raises for a boolean input to `name`, a
    float function with no meaning for booleans (`sigmoid`, `softmax`, `erf`, ...)."""
    if type(xv) is bool or dtype_name(getattr(xv, "dtype", "float32")) == "bool":
        raise TypeError(f"{name} does not accept dtype bool. Accepted dtypes are subtypes of "
                        f"floating (integers are read as floatx). Cast the input first, e.g. "
                        f"`ops.cast(x, \"float32\")`.")


def as_float_operand(xv):
    """`xv` for an op whose result is a float function of it (a square root, a logarithm,
    a mean, a true division): an integer or boolean array as `floatx`, as Keras reads it
    (NumPy computes in float64), a Python number too; a float array as it is."""
    backend = current()
    if type(xv) in (bool, int, float):  # `ops.floor(2.5)`, `ops.elu(3)`: floatx in Keras
        return backend.asarray(xv, dtype=backend.dtype(floatx()))
    dtype = getattr(xv, "dtype", None)
    if dtype is None:
        return xv
    if backend.isdtype(dtype, ("integral", "bool")):
        return backend.xp.astype(xv, backend.dtype(floatx()))
    return xv


def float_input(x, name=None):
    """`x`, with an integer or boolean array read as `floatx` (Keras's activations and
    average pooling give floats for integers; NumPy would compute in float64). A tracked
    input is a float. With `name`, a boolean input is refused as Keras's JAX backend
    refuses it."""
    if tracked(x):
        return x
    xv = value_of(x)
    floated = as_float_operand(xv)
    if floated is xv:
        return x
    if name is not None:
        refuse_bool(xv, name)
    return Tensor(floated)
