"""`EinsumDense`: a dense layer whose product is any einsum of the input and a kernel."""

__all__ = ["EinsumDense"]

import re

from kerasx import activations, constraints, initializers, ops, regularizers
from kerasx.initializers import VarianceScaling
from kerasx.layers.core._lora import LoRA, lora_weight
from kerasx.layers.core._quantization import resolve_quantization_config
from kerasx.layers.core._quantized_einsum_dense import QuantizedEinsumDense
from kerasx.layers.layer import Layer

# "..." is read as "0"; the three forms Keras accepts: no ellipsis, an ellipsis leading
# the input and the output, an ellipsis trailing them (after at least the batch letter)
_FORMS = (
    (re.compile(r"([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)"), None),
    (re.compile(r"0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)"), "left"),
    (re.compile(r"([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0"), "right"),
)


class EinsumDense(LoRA, QuantizedEinsumDense, Layer):
    """`activation(einsum(equation, inputs, kernel) + bias)`.

    The kernel's shape follows from the equation: each kernel letter takes its size
    from the output (`output_shape`) when the output has it, else from the input.
    The bias covers the output axes from the first letter of `bias_axes` to the
    last output axis, with size 1 on the axes not in `bias_axes`.

    Args:
        equation: `"ab,bc->ac"`, `"...ab,bc->...ac"` or `"ab...,bc->ac..."` forms:
            the input's letters, the kernel's, then the output's.
        output_shape: an int or a tuple, the output's sizes without the batch axis
            and the axes under `...`; None for a size taken from the input.
        activation: an activation name or callable (None: linear).
        bias_axes: a string of output letters to add a bias over, or None (no bias).
        kernel_initializer, bias_initializer: initializers (`glorot_uniform`, `zeros`);
            a variance-scaling kernel initializer counts its fans over the kernel axes
            shared with the input (fan in) and with the output (fan out).
        kernel_regularizer, bias_regularizer, activity_regularizer: optional penalties.
        kernel_constraint, bias_constraint: optional constraints.
        lora_rank, lora_alpha: if `lora_rank` is set, the built layer enables LoRA
            (`enable_lora(lora_rank, lora_alpha)`): the kernel is frozen and two
            low-rank factors, scaled by `lora_alpha / lora_rank`, train in its place.
        quantization_config: the `kerasx.quantizers.QuantizationConfig` of a layer
            built quantized (its dtype policy names the mode, e.g.
            `"int8_from_float32"`); `layer.quantize("int8")` or `("float8")`
            quantizes a built layer.

    Input shape: any rank that fits the equation, the batch axis first.
    Output shape: `(batch, *output_shape)` with the `...` axes where the equation puts them.

    Example:

        layer = EinsumDense("abc,cd->abd", output_shape=(None, 64), bias_axes="d")
        layer(np.zeros((2, 5, 16)))   # shape (2, 5, 64)
    """

    kernel = lora_weight("kernel")

    def __init__(self, equation, output_shape, activation=None, bias_axes=None,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, lora_rank=None, lora_alpha=None,
                 gptq_unpacked_column_size=None, quantization_config=None, **kwargs):
        super().__init__(**kwargs)
        self._init_lora(lora_rank, lora_alpha)
        # the kernel columns of a "gptq" layer, which its config records as Keras's does
        self.gptq_unpacked_column_size = gptq_unpacked_column_size
        self.quantization_config = resolve_quantization_config(quantization_config)
        split_equation(equation)
        if bias_axes is not None and not (isinstance(bias_axes, str) and bias_axes):
            raise ValueError(f"EinsumDense: bias_axes must be a string of output letters or "
                             f"None, received bias_axes={bias_axes!r}.")
        self.equation = equation
        self.partial_output_shape = _normalize_output_shape(output_shape)
        self.bias_axes = bias_axes
        self.activation = activations.get(activation)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)

    def build(self, input_shape):
        shapes = analyze(self.equation, self.bias_axes, input_shape, self.partial_output_shape,
                         self.name)
        initializer = self.kernel_initializer
        if isinstance(initializer, VarianceScaling) and (
                initializer.input_axes is None or initializer.output_axes is None):
            initializer = type(initializer).from_config({
                **initializer.get_config(), "input_axes": shapes["input_axes"],
                "output_axes": shapes["output_axes"]})
        self._input_rank = len(input_shape)
        mode = self.quantization_mode
        if mode is not None:
            self._quantized_build(shapes["kernel"], mode, self.quantization_config)
        if mode in (None, "float8"):
            self.kernel = self.add_weight(shapes["kernel"], initializer,
                                          regularizer=self.kernel_regularizer,
                                          constraint=self.kernel_constraint, name="kernel")
        self.bias = None
        if shapes["bias"] is not None:
            self.bias = self.add_weight(shapes["bias"], self.bias_initializer,
                                        regularizer=self.bias_regularizer,
                                        constraint=self.bias_constraint, name="bias")
        # input axis -> the size the kernel needs there (also once a quantized kernel is
        # stored in another shape)
        self._contracted_sizes = {axis: shapes["kernel"][k]
                                  for k, axis in shapes["kernel_input_positions"].items()}
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    def call(self, inputs):
        shape = tuple(inputs.shape)
        expected = self._contracted_sizes
        if len(shape) != self._input_rank or any(shape[a] != n for a, n in expected.items()):
            raise ValueError(
                f"EinsumDense layer {self.name!r} (equation {self.equation!r}) was built for "
                f"inputs of rank {self._input_rank} with sizes {expected} on the axes it "
                f"contracts (axis: size), but received an input of shape {shape}."
            )
        if self._quantized is not None:
            return self._quantized_call(inputs)
        out = ops.einsum(self.equation, inputs, self.kernel)
        if self.bias is not None:
            out = ops.add(out, self.bias)
        return out if self.activation is None else self.activation(out)

    def compute_output_shape(self, input_shape):
        return analyze(self.equation, self.bias_axes, input_shape, self.partial_output_shape,
                       self.name)["output"]

    def get_config(self):
        from kerasx.saving.serialization import serialize_keras_object

        config = self._lora_config(self._quantized_config({
            **super().get_config(),
            "output_shape": self.partial_output_shape,
            "equation": self.equation,
            "activation": activations.serialize(self.activation),
            "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": serialize_keras_object(self.kernel_regularizer),
            "bias_regularizer": serialize_keras_object(self.bias_regularizer),
            "activity_regularizer": serialize_keras_object(self.activity_regularizer),
            "kernel_constraint": serialize_keras_object(self.kernel_constraint),
            "bias_constraint": serialize_keras_object(self.bias_constraint),
            "quantization_config": None,
        }))
        if self.gptq_unpacked_column_size:
            config["gptq_unpacked_column_size"] = self.gptq_unpacked_column_size
        return config


def _normalize_output_shape(output_shape):
    entries = (output_shape,) if isinstance(output_shape, int) else output_shape
    ok = isinstance(entries, (tuple, list)) and all(
        n is None or (isinstance(n, int) and not isinstance(n, bool) and n > 0) for n in entries)
    if not ok:
        raise ValueError(
            f"EinsumDense: output_shape must be a positive int or a tuple of positive ints "
            f"and None (sizes taken from the input), received output_shape={output_shape!r}."
        )
    return tuple(entries)


def split_equation(equation):
    """`(input letters, kernel letters, output letters, ellipsis)` of an EinsumDense
    equation, `ellipsis` being None, `"left"` or `"right"`."""
    if isinstance(equation, str):
        for pattern, ellipsis in _FORMS:
            found = pattern.fullmatch(equation.replace("...", "0"))
            if found:
                return found.group(1), found.group(2), found.group(3), ellipsis
    raise ValueError(
        f"EinsumDense: invalid equation {equation!r}. Use one of the forms 'ab,bc->ac', "
        "'...ab,bc->...ac' or 'ab...,bc->ac...': letters for the input, the kernel and the "
        "output, with '...' for axes passed through unchanged."
    )


def analyze(equation, bias_axes, input_shape, partial_output_shape, name="einsum_dense"):
    """The shapes an EinsumDense equation implies for one input shape: a dict with
    `kernel`, `bias` (None without `bias_axes`), `output` (the full output shape),
    `input_axes` / `output_axes` (the kernel axes shared with the input / output, for
    the initializer's fans) and `kernel_input_positions` (kernel axis -> input axis for
    the kernel axes sized by the input)."""
    input_spec, kernel_spec, output_spec, ellipsis = split_equation(equation)
    input_shape = tuple(input_shape)
    where = f"EinsumDense layer {name!r} (equation {equation!r})"
    elided = len(input_shape) - len(input_spec)
    minimum = 1 if ellipsis == "left" else 0
    if elided < minimum or (ellipsis is None and elided):
        raise ValueError(
            f"{where} names {len(input_spec)} input axes"
            + (" besides those under '...' (which include the batch axis)"
               if ellipsis == "left" else "")
            + f", but received an input of shape {input_shape}."
        )
    lead = elided if ellipsis == "left" else 1
    named = len(output_spec) - (0 if ellipsis == "left" else 1)
    if len(partial_output_shape) != named:
        raise ValueError(
            f"{where}: output_shape={partial_output_shape} has {len(partial_output_shape)} "
            f"entries, but the output {output_spec!r} has {named} axes besides the batch "
            "axis and the axes under '...'. Give one size (or None) per such axis."
        )
    trailing = input_shape[len(input_shape) - elided:] if ellipsis == "right" else ()
    output = list(input_shape[:lead]) + list(partial_output_shape) + list(trailing)
    offset = elided if ellipsis == "left" else 0
    input_pos = {c: i + offset for i, c in enumerate(input_spec)}
    output_pos = {c: i + offset for i, c in enumerate(output_spec)}
    for c in output_spec:
        if c not in input_pos and c not in kernel_spec:
            raise ValueError(f"{where}: the output letter {c!r} is neither in the input "
                             f"{input_spec!r} nor in the kernel {kernel_spec!r}.")
        if c in input_pos:
            got, want = input_shape[input_pos[c]], output[output_pos[c]]
            if got is not None and want is not None and got != want:
                raise ValueError(
                    f"{where}: the input and the output share the axis {c!r}, but it has size "
                    f"{got} in the input (shape {input_shape}) and {want} in output_shape="
                    f"{partial_output_shape}.")
            output[output_pos[c]] = want if want is not None else got
    kernel, input_axes, output_axes, kernel_input_positions = [], [], [], {}
    for k, c in enumerate(kernel_spec):
        if c in output_pos:
            size, source = output[output_pos[c]], "output_shape"
            output_axes.append(k)
        elif c in input_pos:
            size, source = input_shape[input_pos[c]], "input shape"
            input_axes.append(k)
            kernel_input_positions[k] = input_pos[c]
        else:
            raise ValueError(f"{where}: the kernel letter {c!r} is neither in the input "
                             f"{input_spec!r} nor in the output {output_spec!r}; every kernel "
                             "axis needs a size from one of them.")
        if size is None:
            raise ValueError(
                f"{where}: the kernel axis {c!r} takes its size from the {source}, where it is "
                f"unknown (input shape {input_shape}, output_shape={partial_output_shape}). "
                "Give it a size.")
        kernel.append(size)
    return {"kernel": tuple(kernel), "output": tuple(output), "input_axes": input_axes,
            "output_axes": output_axes, "kernel_input_positions": kernel_input_positions,
            "bias": _bias_shape(where, bias_axes, output_spec, output, offset,
                                elided if ellipsis == "right" else 0)}


def _bias_shape(where, bias_axes, output_spec, output, offset, trailing):
    if bias_axes is None:
        return None
    for c in bias_axes:
        if c not in output_spec:
            raise ValueError(f"{where}: the bias axis {c!r} of bias_axes={bias_axes!r} is not "
                             f"an output letter; use letters of {output_spec!r}.")
    first = min(output_spec.index(c) for c in bias_axes)
    shape = []
    for i in range(first, len(output_spec)):
        size = output[i + offset] if output_spec[i] in bias_axes else 1
        if size is None:
            raise ValueError(f"{where}: the bias axis {output_spec[i]!r} has an unknown size; "
                             "give it in output_shape.")
        shape.append(size)
    return tuple(shape) + (1,) * trailing
