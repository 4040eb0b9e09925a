"""Gradient accumulation behind `gradient_accumulation_steps=n`, by Keras 3's rule.

Keras sums the (unscaled) gradients of `n` consecutive calls of `apply` in one accumulator
per weight and updates the weights only at the last call of each window, with the mean
`sum / n`, which then goes through clipping, weight decay and the update rule as a single
gradient would. Its `iteration` variable (`variables[0]`, what schedules read) counts
calls; the `iterations` property counts updates (`calls // n`), which is what rules that
count steps (Adam's bias correction) read. The window position comes from the call count
kept on the host, so no call waits on the device.
"""

import torch


def accumulate(accumulators, grads, calls, steps):
    """Add `grads` to `accumulators` (lists of tensors); `calls` is the number of calls
    before this one, a Python int.

    Returns:
        Whether this call closes a window; the accumulators then hold the mean gradients
        (and must be zeroed after the update).
    """
    torch._foreach_add_(accumulators, grads)
    if (calls + 1) % steps:
        return False
    torch._foreach_div_(accumulators, steps)
    return True
