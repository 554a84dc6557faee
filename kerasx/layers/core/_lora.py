"""LoRA (low-rank adaptation) of a layer's kernel or embedding table, as Keras's.

`layer.enable_lora(rank)` freezes the base weight `W` and adds two trainable
factors `A` (`W.shape[:-1] + (rank,)`, he-uniform) and `B` (`(rank, W.shape[-1])`,
zeros); the layer then computes with `W + (lora_alpha / lora_rank) * A @ B`, which
is what its `kernel` (or `embeddings`) attribute returns. Files hold that merged
weight in the base weight's place and no factors, so a saved LoRA layer is a plain
layer; loading into a LoRA layer puts the merged weight in the base and resets both
factors to zeros, as Keras does.
"""

import contextlib

from kerasx import initializers, ops


def lora_weight(name):
    """The `name` attribute of a LoRA layer: the weight itself while LoRA is off, the
    merged weight (a tensor in the compute dtype) once it is on. Assigning it sets
    the base weight, kept as `_<name>`."""
    base = "_" + name

    def get(self):
        weight = self.__dict__.get(base)
        if weight is None:
            raise AttributeError(f"You must build the layer before accessing `{name}` "
                                 f"(layer {self.name!r} is not built).")
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
            raise ValueError(f"Cannot enable LoRA on a layer that isn't yet built ({owner}). "
                             "Build it first, e.g. by calling it on an input.")
        if self.lora_enabled:
            raise ValueError(f"LoRA is already enabled on {owner}. This can only be done "
                             "once per layer.")
        if getattr(self, "quantization_mode", None) is not None:
            raise NotImplementedError(
                f"LoRA on a quantized layer is not supported: {owner} is quantized with "
                f"mode {self.quantization_mode!r}. Enable LoRA before quantizing is not "
                "possible either; fine-tune the float layer, then quantize it.")
        if isinstance(rank, bool) or not isinstance(rank, int) or rank <= 0:
            raise ValueError(f"enable_lora: rank must be a positive integer, received "
                             f"rank={rank!r}.")
        base = self.__dict__["_" + name]
        dtype = "float64" if self.dtype == "float64" else "float32"
        regularizer = getattr(self, f"{name}_regularizer", None)
        shapes = {"a": tuple(base.shape[:-1]) + (rank,), "b": (rank, base.shape[-1])}
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
        """The layer's `quantize` (see its quantization mixin), refused with LoRA on."""
        if self.lora_enabled:
            raise NotImplementedError(
                f"Quantizing a layer with LoRA enabled is not supported ({type(self).__name__} "
                f"layer {self.name!r}). Save it (the file holds the merged weight), load it "
                "into a layer without LoRA, and quantize that one.")
        return super().quantize(mode, type_check=type_check, config=config)

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
