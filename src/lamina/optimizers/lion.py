"""Lion: steps of equal size in the sign of an interpolated momentum, by Keras 3's rule."""

import math
import numbers

import torch

from lamina import registry
from lamina.optimizers.optimizer import MODULE, Optimizer, check_float
from lamina.validation import received


@registry.register(MODULE, aliases=("lion",))
class Lion(Optimizer):
    """Lion (EvoLved Sign Momentum): every coordinate moves by exactly `learning_rate`.

    Keras' rule, with a momentum `m` (zeros at first):

        w <- w - learning_rate * sign(beta_1 * m + (1 - beta_1) * g)
        m <- beta_2 * m + (1 - beta_2) * g

    Because every step has the size of the learning rate, Lion usually wants a rate 3-10x
    smaller than Adam's (and a weight decay 3-10x larger). torch has no Lion; lamina runs
    the rule as one list-wide update of `torch._foreach_*` ops.

    Args:
        learning_rate: A non-negative float or a learning rate schedule.
            Defaults to `0.001`.
        beta_1: Float in `(0, 1]`, how much of the momentum (against the new gradient)
            sets the step's sign. `0` would make Lion plain sign descent, so Keras
            rejects it. Defaults to `0.9`.
        beta_2: Float in `[0, 1]`, the decay of the momentum. Defaults to `0.99`.
        **kwargs: The arguments every optimizer shares; see `Optimizer`.

    Slots:
        momentum: One per weight, same shape, zeros at first.

    Raises:
        ValueError: If `beta_1` is not in `(0, 1]`, or for any other argument out of range.

    Example:

    >>> import torch
    >>> from lamina import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0, 3.0]))
    >>> opt = optimizers.Lion(learning_rate=0.25)
    >>> _ = opt.apply_gradients([(torch.tensor([0.001, -7.0, 0.0]), w)])
    >>> w.detach()  # the size of the gradient does not matter, only its sign
    tensor([0.7500, 2.2500, 3.0000])
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.99, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        ok = (isinstance(beta_1, numbers.Real) and not isinstance(beta_1, bool)
              and math.isfinite(beta_1) and 0.0 < beta_1 <= 1.0)
        if not ok:
            raise ValueError(
                "`Lion` expects `beta_1` to be a float in (0, 1]. " + received("beta_1", beta_1)
                + " At 0 the momentum never reaches the step and Lion degenerates to sign "
                "descent.")
        self.beta_1 = float(beta_1)
        self.beta_2 = check_float(beta_2, "beta_2", self, 0.0, 1.0)

    def build(self, params):
        if self.built:
            return
        super().build(params)
        self._momentums = self.add_optimizer_variables(self._params, "momentum")

    def _foreach_update(self, grads, params, learning_rate, momentum):
        steps = torch._foreach_lerp(momentum, grads, 1.0 - self.beta_1)
        torch._foreach_sign_(steps)
        torch._foreach_mul_(steps, learning_rate)
        torch._foreach_sub_(params, steps)
        torch._foreach_lerp_(momentum, grads, 1.0 - self.beta_2)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2}
