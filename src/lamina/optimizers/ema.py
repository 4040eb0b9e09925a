"""The exponential moving average of the weights behind `use_ema=True`, by Keras 3's rule.

Keras updates the average after every call of `apply` (with gradient accumulation, also on
the calls that only accumulate), over all the weights the optimizer was built with, using
`iterations` as it was before the call:

    average <- weight                                               (iterations == 0)
    average <- ema_momentum * average + (1 - ema_momentum) * weight  (afterwards)
    weight <- average          (when (iterations + 1) % ema_overwrite_frequency == 0)

and `fit` copies the averages into the weights at the end (`finalize_variable_values`).
The decisions depend only on the step count, which the optimizer keeps on the host, so
each call is one or two list-wide torch ops and no host-device sync.
"""

import torch


def update_moving_average(averages, params, momentum, updates, overwrite_frequency):
    """Move `averages` towards `params` (lists of tensors) after a call; `updates` is the
    optimizer's `iterations` before the call, a Python int."""
    if updates == 0:
        torch._foreach_copy_(averages, params)
    else:  # average + (1 - m) * (param - average) == m * average + (1 - m) * param
        torch._foreach_lerp_(averages, params, 1.0 - momentum)
    if overwrite_frequency and (updates + 1) % overwrite_frequency == 0:
        torch._foreach_copy_(params, averages)
