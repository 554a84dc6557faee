"""`ProjectedAttention`: what `MultiHeadAttention` and `GroupQueryAttention` share, their
projections' arguments, building on the first call and the build configuration."""

from kerasx import constraints, initializers, ops, regularizers
from kerasx.layers.attention._masks import as_bool, band_mask, causal_mask, check_mask
from kerasx.layers.attention._projection import HeadProjection
from kerasx.layers.layer import Layer


class ProjectedAttention(Layer):
    """An attention layer whose inputs go through `HeadProjection`s built on the first
    call from the shapes of `query`, `value` (and `key`). `_public_name` is the name
    its messages use."""

    _public_name = None

    def _set_projection_arguments(self, kernel_initializer, bias_initializer,
                                  kernel_regularizer, bias_regularizer, activity_regularizer,
                                  kernel_constraint, bias_constraint):
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.projection_activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.supports_masking = True
        self._build_shapes = None

    def _check_value_key(self, value_shape, key_shape):
        """Keras's check that `value` and `key` agree on every axis but the features."""
        if tuple(value_shape)[1:-1] != tuple(key_shape)[1:-1]:
            raise ValueError(
                f"{self._public_name} {self.name!r}: all dimensions of `value` and `key`, "
                f"except the last one, must be equal. Received: value_shape="
                f"{tuple(value_shape)} and key_shape={tuple(key_shape)}.")

    def __call__(self, query, value=None, *args, **kwargs):
        if value is None:
            raise ValueError(
                f"{self._public_name} {self.name!r} needs `value` as well as `query`: call it "
                "as layer(query, value) or layer(query, value, key) (for self-attention, "
                "layer(x, x)).")
        if not self.built:
            key = args[0] if args else kwargs.get("key")
            shapes = {"query_shape": self._shape_of(query), "value_shape": self._shape_of(value)}
            if key is not None:
                shapes["key_shape"] = self._shape_of(key)
            self.build(**shapes)
            self.built = True
        return super().__call__(query, value, *args, **kwargs)

    def _shape_of(self, x):
        shape = getattr(x, "shape", None)
        if shape is None:
            raise TypeError(f"{self._public_name} expects tensors or arrays for query, value "
                            f"and key, received {type(x).__name__}.")
        return tuple(shape)

    def _projection(self, name, equation, output_shape, bias_axes, input_shape,
                    activation=None):
        """A `HeadProjection` built for `input_shape` (a bias over `bias_axes` when the
        layer uses biases; each gets its own copy of the initializers, as in Keras)."""
        layer = HeadProjection(
            equation, output_shape, activation=activation,
            bias_axes=bias_axes if self.use_bias else None, name=name,
            kernel_initializer=_copy(self.kernel_initializer),
            bias_initializer=_copy(self.bias_initializer),
            kernel_regularizer=self.kernel_regularizer, bias_regularizer=self.bias_regularizer,
            activity_regularizer=self.projection_activity_regularizer,
            kernel_constraint=self.kernel_constraint, bias_constraint=self.bias_constraint,
            dtype=self._sublayer_dtype(name))
        layer.build(input_shape)
        return layer

    def _sublayer_dtype(self, name=None):
        """The sublayers' dtype: the layer's policy (a mixed one stays mixed), as Keras;
        from a `DTypePolicyMap`, a projection takes the policy of its path
        (`"<layer path>/query"`), as Keras's sublayers look theirs up."""
        from kerasx.dtype_policies import DTypePolicyMap

        policy = self._dtype_policy
        if policy is None:
            return self.dtype
        if name is not None and isinstance(policy, DTypePolicyMap):
            return policy[f"{self.path or self.name}/{name}"]
        return policy

    def _sequence_masks(self, query, value, key, query_mask, value_mask, key_mask,
                        use_causal_mask):
        """The padding masks given, the causal mask and the sliding window's band, each
        broadcastable to `(batch, T, S)` for `(batch, sequence, features)` inputs."""
        q_shape, v_shape = tuple(query.shape), tuple(value.shape)
        masks = []
        for what, mask, shape, axis, expected in (
                ("query_mask", query_mask, q_shape, -1, "(batch, query_length)"),
                ("value_mask", value_mask, v_shape, -2, "(batch, value_length)"),
                ("key_mask", key_mask, tuple(key.shape), -2, "(batch, key_length)")):
            if mask is not None:
                mask = as_bool(mask)
                check_mask(self, what, mask, shape[:-1], expected)
                masks.append(ops.expand_dims(mask, axis))
        if use_causal_mask:
            masks.append(causal_mask(q_shape[1], v_shape[1]))
        if self.sliding_window is not None:
            masks.append(band_mask(q_shape[1], v_shape[1], self.sliding_window))
        return masks

    def _projections(self):
        """The built projections, in Keras's order."""
        names = ("_query_dense", "_key_dense", "_gate_dense", "_value_dense", "_output_dense")
        return [p for p in (getattr(self, n, None) for n in names) if p is not None]

    def _dtype_config(self):
        """The layer's dtype, or, when projections are quantized (or the layer was given
        a `DTypePolicyMap`), Keras's `DTypePolicyMap` config holding each quantized
        projection's policy under its path, so that the layer loads quantized (Keras
        writes the plain policy and cannot load such a file)."""
        from kerasx.dtype_policies import DTypePolicyMap, serialize

        policy = self._dtype_policy
        quantized = {p.path: p.dtype_policy for p in self._projections()
                     if p.quantization_mode is not None and p.path}
        if not quantized and not isinstance(policy, DTypePolicyMap):
            return super()._dtype_config()
        if isinstance(policy, DTypePolicyMap):
            entries = {k: v for k, v in policy.items() if k not in quantized}
            default = policy._default_policy_arg
        else:
            entries, default = {}, policy if policy is not None else self.dtype
        return serialize(DTypePolicyMap(default, {**entries, **quantized}))

    def get_build_config(self):
        if self._build_shapes is None:
            return None
        return {"shapes_dict": dict(self._build_shapes)}

    def build_from_config(self, config):
        if not config or self.built:
            return
        shapes = config.get("shapes_dict") or {"query_shape": config.get("input_shape")}
        self.build(**{k: tuple(v) for k, v in shapes.items() if v is not None})
        self.built = True

    def _projection_config(self):
        """The projections' arguments, serialized as Keras writes them."""
        from kerasx.saving.serialization import serialize_keras_object as serialize

        return {
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize(self.kernel_regularizer),
            "bias_regularizer": serialize(self.bias_regularizer),
            "activity_regularizer": serialize(self.projection_activity_regularizer),
            "kernel_constraint": serialize(self.kernel_constraint),
            "bias_constraint": serialize(self.bias_constraint),
        }


def _copy(initializer):
    """A fresh initializer with the same configuration (a seeded one gives each
    projection its own draw sequence, as in Keras)."""
    if hasattr(initializer, "get_config") and hasattr(type(initializer), "from_config"):
        return type(initializer).from_config(initializer.get_config())
    return initializer
