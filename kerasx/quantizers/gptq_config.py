"""`GPTQConfig`: the settings of GPTQ, the calibrated post-training quantization that
quantizes a kernel column by column and spreads each column's error over the columns
not yet quantized, weighted by the inverse Hessian of the layer's inputs."""

from kerasx.quantizers.quantization_config import QuantizationConfig

GPTQ_WEIGHT_BITS = (2, 3, 4, 8)


class GPTQConfig(QuantizationConfig):
    """How `model.quantize("gptq", config=...)` calibrates and quantizes.

        config = GPTQConfig(dataset=texts, tokenizer=tokenizer, weight_bits=4,
                            group_size=128, quantization_layer_structure={
                                "pre_block_layers": [model.embedding],
                                "sequential_blocks": model.blocks})
        model.quantize("gptq", config=config)

    Args:
        dataset: the calibration data: an iterable of strings (tokenized by
            `tokenizer.tokenize`) or of token-id arrays. Its tokens are joined, repeated
            when too short, and cut into `num_samples` windows of `sequence_length`.
        tokenizer: an object with a `tokenize(text)` method (needed for strings).
        weight_bits: the bits per quantized weight: 2, 3, 4 (stored two per byte) or 8.
        num_samples: the number of calibration windows.
        per_channel: a scale and a zero point per output channel (True) or one for the
            whole kernel (False).
        sequence_length: the tokens per calibration window.
        hessian_damping: the fraction of the Hessian's mean diagonal added to its
            diagonal before inverting it, in [0, 1].
        group_size: the input rows that share a scale and a zero point, or -1 for one
            per output channel over all rows.
        symmetric: a zero point in the middle of the range (True) or from the minimum.
        activation_order: quantize the input rows by decreasing Hessian diagonal (the
            most used inputs first); the stored kernel keeps the original row order.
        quantization_layer_structure: `{"pre_block_layers": [...],
            "sequential_blocks": [...]}`: the layers the tokens pass through first, then
            the blocks quantized one after the other (None: the model's
            `get_quantization_layer_structure("gptq")`).
    """

    def __init__(self, dataset, tokenizer, *, weight_bits=4, num_samples=128, per_channel=True,
                 sequence_length=512, hessian_damping=0.01, group_size=128, symmetric=False,
                 activation_order=False, quantization_layer_structure=None):
        super().__init__()
        if weight_bits not in GPTQ_WEIGHT_BITS:
            raise ValueError(f"Unsupported weight_bits {weight_bits}. Supported values are 2, "
                             "3, 4, and 8.")
        if num_samples <= 0:
            raise ValueError("num_samples must be a positive integer.")
        if sequence_length <= 0:
            raise ValueError("sequence_length must be a positive integer.")
        if hessian_damping < 0 or hessian_damping > 1:
            raise ValueError("hessian_damping must be between 0 and 1.")
        check_group_size(group_size)
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.per_channel = per_channel
        self.sequence_length = sequence_length
        self.hessian_damping = hessian_damping
        self.group_size = group_size
        self.symmetric = symmetric
        self.activation_order = activation_order
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self):
        return "gptq"

    def dtype_policy_string(self):
        """The mode part of the quantized policy's name, `"gptq/<bits>/<group_size>"`."""
        return f"gptq/{self.weight_bits}/{self.group_size}"

    def get_config(self):
        # the dataset, tokenizer and layer structure serve the one calibration only:
        # they are not saved (a structure of layers inside a layer's config would
        # serialize that layer's config again, without end)
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "per_channel": self.per_channel,
                "sequence_length": self.sequence_length,
                "hessian_damping": self.hessian_damping, "group_size": self.group_size,
                "symmetric": self.symmetric, "activation_order": self.activation_order,
                "quantization_layer_structure": None}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


def check_group_size(group_size, minus_one="-1 (whole-tensor)"):
    if group_size < -1 or group_size == 0:
        raise ValueError(f"Invalid group_size. Supported values are {minus_one} or a "
                         f"positive integer, but got {group_size}.")
