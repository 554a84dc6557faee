"""`AWQConfig`: the settings of AWQ (activation-aware weight quantization), which
scales each input row of a kernel by a power of its inputs' largest magnitude before
rounding it to 4 bits, so that the rows the inputs use most lose the least."""

from kerasx.quantizers.gptq_config import check_group_size
from kerasx.quantizers.quantization_config import QuantizationConfig


class AWQConfig(QuantizationConfig):
    """How `model.quantize("awq", config=...)` calibrates and quantizes.

    Args:
        dataset: the calibration data: an iterable of strings (tokenized by
            `tokenizer.tokenize`) or of token-id arrays, cut into `num_samples`
            windows of `sequence_length` tokens (see `GPTQConfig`).
        tokenizer: an object with a `tokenize(text)` method.
        weight_bits: 4, the only width AWQ supports.
        num_samples: the number of calibration windows.
        sequence_length: the tokens per calibration window.
        group_size: the input rows that share a scale and a zero point, or -1 for one
            per output channel.
        num_grid_points: the exponents `i / num_grid_points` (i = 0..num_grid_points)
            of the largest input magnitudes tried as row scales.
        quantization_layer_structure: `{"pre_block_layers": [...],
            "sequential_blocks": [...]}` (None: the model's
            `get_quantization_layer_structure("awq")`).
    """

    def __init__(self, dataset, tokenizer, *, weight_bits=4, num_samples=128,
                 sequence_length=512, group_size=128, num_grid_points=20,
                 quantization_layer_structure=None):
        super().__init__()
        if weight_bits != 4:
            raise ValueError("AWQ only supports 4-bit quantization. Received "
                             f"weight_bits={weight_bits}.")
        if num_samples <= 0:
            raise ValueError("num_samples must be a positive integer.")
        if sequence_length <= 0:
            raise ValueError("sequence_length must be a positive integer.")
        check_group_size(group_size, "-1 (per-channel)")
        if num_grid_points <= 0:
            raise ValueError("num_grid_points must be a positive integer.")
        self.dataset = dataset
        self.tokenizer = tokenizer
        self.weight_bits = weight_bits
        self.num_samples = num_samples
        self.sequence_length = sequence_length
        self.group_size = group_size
        self.num_grid_points = num_grid_points
        self.quantization_layer_structure = quantization_layer_structure

    @property
    def mode(self):
        return "awq"

    def dtype_policy_string(self):
        """The mode part of the quantized policy's name, `"awq/4/<group_size>"`."""
        return f"awq/{self.weight_bits}/{self.group_size}"

    def get_config(self):
        # calibration-only arguments are not saved (see GPTQConfig.get_config)
        return {"dataset": None, "tokenizer": None, "weight_bits": self.weight_bits,
                "num_samples": self.num_samples, "sequence_length": self.sequence_length,
                "group_size": self.group_size, "num_grid_points": self.num_grid_points,
                "quantization_layer_structure": None}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
