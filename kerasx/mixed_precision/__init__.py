"""Mixed precision: float16 or bfloat16 computations with float32 weights.

    kerasx.mixed_precision.set_global_policy("mixed_float16")
    model = kerasx.Sequential([..., kerasx.layers.Dense(10),
                               kerasx.layers.Activation("softmax", dtype="float32")])
    model.compile(...)   # the optimizer is wrapped in a LossScaleOptimizer

float16 runs on the NumPy backend (without BLAS: slowly) and on CuPy; bfloat16 needs
`ml_dtypes`; `array_api_strict` has neither (the standard does not define them).
"""

from kerasx.dtype_policies.dtype_policy import DTypePolicy, dtype_policy, set_dtype_policy
from kerasx.optimizers.loss_scale_optimizer import LossScaleOptimizer

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = ["DTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy", "global_policy",
           "set_dtype_policy", "set_global_policy"]
