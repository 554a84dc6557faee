"""`GPTQDTypePolicy` and `AWQDTypePolicy`: the policies of layers quantized by a
calibrated algorithm, which name its bits and group size (`"gptq/4/128_from_float32"`,
`"awq/4/-1_from_float32"`) so that a loaded layer builds the same variables."""

from kerasx.dtype_policies.quantized_dtype_policy import QuantizedDTypePolicy


class _CalibratedDTypePolicy(QuantizedDTypePolicy):
    """`"<algorithm>/<weight_bits>/<group_size>"` on top of a float policy."""

    algorithm = None

    def __init__(self, mode, source_name=None):
        name = type(self).__name__
        expected = f"'{self.algorithm}/<weight_bits>/<group_size>'"
        parts = mode.split("/") if isinstance(mode, str) else ()
        if len(parts) != 3 or parts[0] != self.algorithm:
            raise ValueError(f"Invalid mode for {name}. Expected format {expected}, but got "
                             f"'{mode}'.")
        try:
            weight_bits, group_size = int(parts[1]), int(parts[2])
        except ValueError:
            raise ValueError(f"Invalid mode for {name}. <weight_bits> and <group_size> must "
                             f"be integers. Expected format {expected}, but got "
                             f"'{mode}'.") from None
        self._check_weight_bits(weight_bits, mode)
        if group_size < -1 or group_size == 0:
            raise ValueError("Invalid group_size in mode. Supported values are -1 "
                             f"({self._minus_one}) or a positive integer, but got "
                             f"{group_size} from '{mode}'.")
        super().__init__(mode=self.algorithm, source_name=source_name)
        self._name = f"{mode}_from_{self._source_name}"
        self.mode = self.algorithm
        self.weight_bits = weight_bits
        self.group_size = group_size

    def __eq__(self, other):
        return (super().__eq__(other) and self.weight_bits == other.weight_bits
                and self.group_size == other.group_size)

    __hash__ = QuantizedDTypePolicy.__hash__

    def get_config(self):
        return {**super().get_config(),
                "mode": f"{self.algorithm}/{self.weight_bits}/{self.group_size}"}


class GPTQDTypePolicy(_CalibratedDTypePolicy):
    """The policy of a "gptq" layer.

    Args:
        mode: `"gptq/<weight_bits>/<group_size>"`: bits 2, 3, 4 or 8, and the group
            size -1 (one group of all input rows) or a positive integer.
        source_name: the float policy the layer was quantized from (`"float32"`).
    """

    algorithm = "gptq"
    _minus_one = "whole-tensor"

    @staticmethod
    def _check_weight_bits(weight_bits, mode):
        if weight_bits not in (2, 3, 4, 8):
            raise ValueError("Invalid weight_bits in mode. Supported values are 2, 3, 4, and "
                             f"8, but got {weight_bits} from '{mode}'.")


class AWQDTypePolicy(_CalibratedDTypePolicy):
    """The policy of an "awq" layer.

    Args:
        mode: `"awq/4/<group_size>"`: 4 bits, and the group size -1 (per channel) or a
            positive integer.
        source_name: the float policy the layer was quantized from (`"float32"`).
    """

    algorithm = "awq"
    _minus_one = "per-channel"

    @staticmethod
    def _check_weight_bits(weight_bits, mode):
        if weight_bits != 4:
            raise ValueError("Invalid weight_bits in mode. AWQ only supports 4-bit "
                             f"quantization, but got {weight_bits} from '{mode}'.")
