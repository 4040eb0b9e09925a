"""Mixed precision: Keras 3's `keras.mixed_precision`.

Set a global policy before building a model and every layer computes in float16 or bfloat16
while keeping float32 weights; `compile` then wraps the optimizer in a `LossScaleOptimizer`
for `"mixed_float16"`:

    keras.mixed_precision.set_global_policy("mixed_float16")
    model = keras.Sequential([..., keras.layers.Dense(10),
                              keras.layers.Activation("softmax", dtype="float32")])

See `policy.py` for the policies and `autocast.py` for how layers apply them.
"""

from lamina.mixed_precision.policy import (
    DTypePolicy,
    FloatDTypePolicy,
    dtype_policy,
    set_dtype_policy,
)
from lamina.optimizers.loss_scale_optimizer import LossScaleOptimizer

Policy = DTypePolicy
global_policy = dtype_policy
set_global_policy = set_dtype_policy

__all__ = ["DTypePolicy", "FloatDTypePolicy", "LossScaleOptimizer", "Policy", "dtype_policy",
           "global_policy", "set_dtype_policy", "set_global_policy"]
