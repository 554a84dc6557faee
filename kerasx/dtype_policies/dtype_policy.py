"""`DTypePolicy`: the compute and variable dtypes of a layer, and the global policy."""

_MIXED = {"mixed_float16": ("float16", "float32"), "mixed_bfloat16": ("bfloat16", "float32")}
# the dtype names a policy may carry (`"float64"`, `"int32"`...), as Keras standardizes them
_DTYPES = ("float16", "bfloat16", "float32", "float64", "int8", "int16", "int32", "int64",
           "uint8", "uint16", "uint32", "uint64", "complex64", "complex128", "bool", "string")
_GLOBAL = [None]  # the policy set by `set_dtype_policy` (None: a policy of `floatx()`)


class DTypePolicy:
    """A layer's dtype policy: the dtype it computes in and the dtype of its weights.

        layer = kerasx.layers.Dense(10, dtype="mixed_float16")
        layer.compute_dtype, layer.variable_dtype   # ("float16", "float32")

    Args:
        name: a dtype name (`"float32"`, `"float64"`, `"float16"`, `"bfloat16"`...),
            which is then both dtypes, or `"mixed_float16"` / `"mixed_bfloat16"`:
            computations in float16 / bfloat16, weights in float32. None: the name of
            the global policy (`kerasx.config.dtype_policy()`).

    float16 and bfloat16 are not in the array API standard: the NumPy and CuPy
    backends have float16 (NumPy multiplies float16 matrices without BLAS, slowly),
    bfloat16 needs `ml_dtypes`; `array_api_strict` has neither.
    """

    def __init__(self, name=None):
        if name is None:
            name = dtype_policy().name
        self._name = name
        self._compute_dtype, self._variable_dtype = _parse(name)
        self._quantization_mode = None

    @property
    def name(self):
        return self._name

    @property
    def compute_dtype(self):
        """The dtype of the layer's inputs, computations and outputs."""
        return self._compute_dtype

    @property
    def variable_dtype(self):
        """The dtype the layer creates its weights in (read in `compute_dtype` inside
        `call`)."""
        return self._variable_dtype

    @property
    def quantization_mode(self):
        """None: kerasx has no quantized policies."""
        return self._quantization_mode

    def convert_input(self, x, autocast, dtype):
        """`x` as the input of a layer computing in `dtype`, as Keras converts it: a
        tensor, KerasTensor or array-like with `__array__` (a NumPy array) becomes a
        tensor, cast to `dtype` when `autocast` and it is floating point of another
        dtype (integer and boolean inputs keep theirs); anything else (a Python list,
        a number) is returned as it is."""
        from kerasx import ops
        from kerasx.backends.base import dtype_name
        from kerasx.layers.core.keras_tensor import KerasTensor

        dtype = dtype_name(dtype)
        if not isinstance(x, KerasTensor):
            if not (hasattr(x, "__array__") or hasattr(x, "__array_namespace__")
                    or hasattr(x, "value")):
                return x
            x = ops.convert_to_tensor(x)
        current = dtype_name(x.dtype)
        if autocast and current != dtype and current.startswith(("float", "bfloat")):
            x = ops.cast(x, dtype)
        return x

    def get_config(self):
        return {"name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f'<DTypePolicy "{self._name}">'

    def __eq__(self, other):
        if type(self) in _PLAIN and type(other) in _PLAIN:
            return self._name == other._name
        return type(other) is type(self) and self._name == other._name

    def __hash__(self):
        return hash((DTypePolicy, self._name))


class FloatDTypePolicy(DTypePolicy):
    """`DTypePolicy` under Keras's other name."""


_PLAIN = (DTypePolicy, FloatDTypePolicy)


def _parse(name):
    """`(compute_dtype, variable_dtype)` of the policy named `name`."""
    if not isinstance(name, str):
        raise TypeError(f"A DTypePolicy name must be a string such as 'mixed_float16', received "
                        f"name={name!r} of type {type(name).__name__}.")
    if name in _MIXED:
        return _MIXED[name]
    if name in _DTYPES:
        return name, name
    raise ValueError(
        f"Cannot convert {name!r} to a DTypePolicy: expected 'mixed_float16', 'mixed_bfloat16' "
        "or the name of a dtype such as 'float32', 'float64', 'float16' or 'bfloat16'."
    )


def set_dtype_policy(policy):
    """Sets the global dtype policy, the policy of the layers created afterwards without
    a `dtype` argument: a `DTypePolicy` or its name (`"mixed_float16"`)."""
    if isinstance(policy, str):
        policy = DTypePolicy(policy)
    elif not isinstance(policy, DTypePolicy):
        raise ValueError(
            "Invalid `policy` argument: expected the name of a policy (such as "
            f"'mixed_float16') or a DTypePolicy instance, received {policy!r} of type "
            f"{type(policy).__name__}."
        )
    _GLOBAL[0] = policy


def dtype_policy():
    """The global dtype policy: the one `set_dtype_policy` set, else a policy of
    `kerasx.config.floatx()` (which then follows `set_floatx`)."""
    policy = _GLOBAL[0]
    if policy is None:
        from kerasx.config import floatx

        return _named(floatx())
    return policy


def reset_dtype_policy():
    """Back to no policy set: layers take a policy of `floatx()` (`clear_session`)."""
    _GLOBAL[0] = None


def global_policy_is_set():
    """Whether `set_dtype_policy` set a policy other than one of `floatx()`."""
    from kerasx.config import floatx

    policy = _GLOBAL[0]
    return policy is not None and policy.name != floatx()


_BY_NAME = {}


def _named(name):
    """The (shared, immutable) plain policy named `name`."""
    policy = _BY_NAME.get(name)
    if policy is None:
        policy = _BY_NAME[name] = DTypePolicy(name)
    return policy
