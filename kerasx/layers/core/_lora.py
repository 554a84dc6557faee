"""LoRA (low-rank adaptation) of a layer's kernel or embedding table, as Keras's.

`layer.enable_lora(rank)` freezes the base weight `W` and adds two trainable
factors `A` (`W.shape[:-1] + (rank,)`, he-uniform) and `B` (`(rank, W.shape[-1])`,
zeros); the layer then computes with `W + (lora_alpha / lora_rank) * A @ B`, which
is what its `kernel` (or `embeddings`) attribute returns. Files hold that merged
weight in the base weight's place and no factors, so a saved LoRA layer is a plain
layer; loading into a LoRA layer puts the merged weight in the base and resets both
factors to zeros, as Keras does.

LoRA also adapts an int8 or int4 layer (QLoRA-style: `quantize` then `enable_lora`, or
the reverse order): the quantized call adds `(lora_alpha / lora_rank) * (x @ A) @ B`
to the product with the frozen quantized weight, and files hold the weight
dequantized, merged with the update and quantized again (new scales, and zero points
for grouped int4). GPTQ and AWQ layers refuse LoRA; a float8 layer takes it but
refuses to be called, as in Keras.
"""

import contextlib

from kerasx import initializers, ops

# the quantization modes whose layers compute with LoRA (a float8 layer refuses calls)
_INT_MODES = ("int8", "int4")
_REFUSED_MODES = ("gptq", "awq")


def lora_delta(layer):
    """`(lora_alpha / lora_rank) * A @ B`, the update LoRA adds to the base weight."""
    name = layer._lora_weight_name
    factors = ops.matmul(getattr(layer, f"lora_{name}_a"), getattr(layer, f"lora_{name}_b"))
    return (layer.lora_alpha / layer.lora_rank) * factors


def lora_output(layer, projected):
    """The LoRA term of a quantized layer's output, from `projected`, the inputs taken
    through `A` (`x @ A`, or the looked-up rows of `A`): `scale * projected @ B`, in
    the compute dtype."""
    name = layer._lora_weight_name
    update = ops.matmul(projected, getattr(layer, f"lora_{name}_b"))
    return ops.cast((layer.lora_alpha / layer.lora_rank) * update, layer.compute_dtype)


def refuse_float8_lora(layer):
    """Keras's error for calling a float8 layer with LoRA enabled."""
    if getattr(layer, "lora_enabled", False):
        raise NotImplementedError(
            f"Currently, `_float8_call` doesn't support LoRA ({type(layer).__name__} layer "
            f"{layer.name!r}). Quantize the layer to 'int8' or 'int4' to fine-tune it with "
            "LoRA, or disable LoRA.")


def lora_weight(name):
    """The `name` attribute of a LoRA layer, as Keras's: the weight itself while LoRA
    is off, the merged weight (a tensor in the compute dtype) once it is on. For an
    int4 layer the weight is the unpacked int4 values (int8), not the packed variable;
    an int8 / int4 layer with LoRA adds the update to those integer values (the
    quantized call and files read the variables, kept as `_<name>`). A calibrated
    GPTQ / AWQ layer's is its uint8 levels `(columns, rows)`, unpacked for 4 bits.
    Assigning it sets the base weight."""
    base = "_" + name

    def get(self):
        weight = self.__dict__.get(base)
        if weight is None:
            raise AttributeError(f"You must build the layer before accessing `{name}` "
                                 f"(layer {self.name!r} is not built).")
        mode = self.__dict__.get("_quantized")
        if mode == "int4":
            weight = self._unpacked_int4_weight()
        elif mode in _REFUSED_MODES and getattr(self, f"is_{mode}_calibrated", False):
            from kerasx.quantizers.calibrated_layer import calibrated_levels

            return calibrated_levels(self)  # LoRA is refused on these modes
        if not self.__dict__.get("lora_enabled"):
            return weight
        factors = ops.matmul(self.__dict__[f"lora_{name}_a"], self.__dict__[f"lora_{name}_b"])
        return ops.cast(ops.add(weight, (self.lora_alpha / self.lora_rank) * factors),
                        self.compute_dtype)

    def set(self, value):
        setattr(self, base, value)

    return property(get, set, doc=get.__doc__)


class LoRA:
    """The LoRA half of a layer (a mixin placed before `Layer`). The layer names its
    base weight in `_lora_weight_name`, declares it with `lora_weight(name)`, calls
    `_init_lora` in `__init__` and adds `_lora_config` to its config."""

    _lora_weight_name = "kernel"

    def _init_lora(self, lora_rank, lora_alpha):
        if lora_rank is not None and (isinstance(lora_rank, bool) or not isinstance(
                lora_rank, int) or lora_rank < 0):
            raise ValueError(f"{type(self).__name__}: lora_rank must be a positive integer or "
                             f"None, received lora_rank={lora_rank!r}.")
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False

    def enable_lora(self, rank, lora_alpha=None, a_initializer="he_uniform",
                    b_initializer="zeros"):
        """Freezes the base weight and trains two low-rank factors in its place.

        Args:
            rank: positive integer, the inner size of the factors.
            lora_alpha: the update's scale is `lora_alpha / rank` (default: `rank`,
                a scale of 1).
            a_initializer, b_initializer: initializers of the factors `A` and `B`;
                `B` starts at zeros so that the layer first computes as before.

        The factors are float32 (float64 for a float64 layer) and take the base
        weight's regularizer. The layer must be built, not quantized, have no
        constraint on the base weight, and LoRA can be enabled once.
        """
        name = self._lora_weight_name
        owner = f"{type(self).__name__} layer {self.name!r}"
        if getattr(self, f"{name}_constraint", None):
            raise ValueError(
                f"LoRA is incompatible with {name} constraints: {owner} has "
                f"{name}_constraint={getattr(self, f'{name}_constraint')!r}. To enable LoRA "
                f"on this layer, remove the `{name}_constraint` argument.")
        if not self.built:
            raise ValueError(f"Cannot enable lora on a layer that isn't yet built ({owner}). "
                             "Build it first, e.g. by calling it on an input.")
        if self.lora_enabled:
            raise ValueError(f"lora is already enabled on {owner}. This can only be done "
                             "once per layer.")
        mode = getattr(self, "quantization_mode", None)
        if mode in _REFUSED_MODES:
            raise NotImplementedError(
                f"lora is not currently supported with {mode.upper()} quantization: {owner} "
                f"is quantized with mode {mode!r}. Fine-tune the float layer (or an 'int8' / "
                "'int4' one) with LoRA instead.")
        if isinstance(rank, bool) or not isinstance(rank, int) or rank <= 0:
            raise ValueError(f"enable_lora: rank must be a positive integer, received "
                             f"rank={rank!r}.")
        base = self.__dict__["_" + name]
        dtype = "float64" if self.dtype == "float64" else "float32"
        regularizer = getattr(self, f"{name}_regularizer", None)
        shape = tuple(base.shape)
        if self.__dict__.get("_quantized") in _INT_MODES:
            shape = self._lora_weight_shape()  # the float weight's, not the packed one's
        shapes = {"a": shape[:-1] + (rank,), "b": (rank, shape[-1])}
        tracker = self.__dict__.get("_tracker")  # a built layer takes no new state but this
        with tracker.unlocked() if tracker is not None else contextlib.nullcontext():
            for part, init in (("a", a_initializer), ("b", b_initializer)):
                factor = self.add_weight(shapes[part], initializers.get(init), dtype=dtype,
                                         regularizer=regularizer, name=f"lora_{name}_{part}")
                factor.path = f"{base.path.rpartition('/')[0]}/{factor.name}"  # the base's scope
                setattr(self, f"lora_{name}_{part}", factor)
        base.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    def quantize(self, mode=None, type_check=True, config=None):
        """The layer's `quantize` (see its quantization mixin). With LoRA on, the base
        weight is quantized and the factors keep training; GPTQ and AWQ are refused."""
        if not self.lora_enabled:
            return super().quantize(mode, type_check=type_check, config=config)
        resolved = mode if mode is not None else getattr(config, "mode", None)
        if resolved in _REFUSED_MODES:
            raise NotImplementedError(
                f"lora is not currently supported with {resolved.upper()} quantization "
                f"({type(self).__name__} layer {self.name!r} has LoRA enabled). Save the layer "
                "(the file holds the merged weight), load it into a layer without LoRA and "
                "quantize that one.")
        self.lora_enabled = False  # `quantize` reads the base weight, not the merged one
        try:
            return super().quantize(mode, type_check=type_check, config=config)
        finally:
            self.lora_enabled = True

    def _saved_variables(self):
        """What files hold: with LoRA, the merged weight in the base weight's place and
        no factors (Keras's order); otherwise the layer's usual order."""
        if not self.lora_enabled:
            saved = getattr(super(), "_saved_variables", None)
            if saved is not None:
                return saved()
            own = self._own_variables
            return [v for v in own if v.trainable] + [v for v in own if not v.trainable]
        name = self._lora_weight_name
        base = self.__dict__["_" + name]
        factors = (self.__dict__[f"lora_{name}_a"], self.__dict__[f"lora_{name}_b"])
        if self.__dict__.get("_quantized") in _INT_MODES:
            merged = ops.add(self._dequantized_weight(), lora_delta(self))
            values = {id(self._variable(key)): value
                      for key, value in self._requantized_values(merged).items()}
            return [StoredValue(self, v, values[id(v)]) if id(v) in values else v
                    for v in super()._saved_variables() if not any(v is f for f in factors)]
        return [MergedWeight(self, base) if v is base else v
                for v in self._own_variables if not any(v is f for f in factors)]

    def _lora_config(self, config):
        if self.lora_rank:
            config["lora_rank"] = self.lora_rank
            config["lora_alpha"] = self.lora_alpha
        return config


class MergedWeight:
    """The base weight of a LoRA layer as a file holds it: read, the merged weight;
    assigned, the base weight takes the value and both factors return to zeros."""

    def __init__(self, layer, base):
        self.layer, self.base = layer, base
        self.name, self.path, self.shape = base.name, base.path, base.shape

    @property
    def dtype(self):
        return self.layer.compute_dtype

    @property
    def value(self):
        return ops.convert_to_tensor(getattr(self.layer, self.layer._lora_weight_name)).value

    def numpy(self):
        from kerasx.backends import current

        return current().to_numpy(self.value)

    def assign(self, value):
        name = self.layer._lora_weight_name
        self.base.assign(value)
        for part in ("a", "b"):
            factor = getattr(self.layer, f"lora_{name}_{part}")
            factor.assign(ops.zeros(factor.shape, dtype=factor.dtype))


class StoredValue:
    """A quantized variable of a LoRA layer as a file holds it: read, its value with the
    update merged in and quantized again; assigned, the variable takes the value and
    both factors return to zeros."""

    def __init__(self, layer, variable, value):
        self.layer, self.variable = layer, variable
        self.name, self.path, self.dtype = variable.name, variable.path, variable.dtype
        self.stored = ops.cast(ops.convert_to_tensor(value), variable.dtype)
        self.shape = tuple(self.stored.shape)

    @property
    def value(self):
        return self.stored.value

    def numpy(self):
        from kerasx.backends import current

        return current().to_numpy(self.value)

    def assign(self, value):
        MergedWeight(self.layer, self.variable).assign(value)
