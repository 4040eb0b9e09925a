"""Adamax: Adam with the infinity norm in place of the second moment, by Keras 3's rule."""

import torch

from lamina import registry
from lamina.optimizers.optimizer import MODULE, Optimizer, check_float


@registry.register(MODULE, aliases=("adamax",))
class Adamax(Optimizer):
    """Adamax: steps divided by a decaying maximum of the gradients' magnitudes.

    Keras' rule, at step `t` (from 1), with `m` and `u` zeros at first:

        m <- beta_1 * m + (1 - beta_1) * g
        u <- max(beta_2 * u, |g|)
        w <- w - learning_rate * m / ((1 - beta_1 ** t) * (u + epsilon))

    `torch.optim.Adamax` puts epsilon inside the maximum (`max(beta_2 * u, |g| + epsilon)`),
    so its `u` carries epsilon from step to step and differs from Keras' slot. lamina keeps
    Keras' rule, as one list-wide update of `torch._foreach_*` ops whose step-dependent
    scalar stays on the device.

    Args:
        learning_rate: A non-negative float or a learning rate schedule.
            Defaults to `0.001`.
        beta_1: Float in `[0, 1)`, the decay of the first-moment average. Defaults to `0.9`.
        beta_2: Float in `[0, 1]`, the decay of the infinity norm. Defaults to `0.999`.
        epsilon: Small non-negative float added to the norm for numerical stability.
            Defaults to `1e-7`.
        **kwargs: The arguments every optimizer shares; see `Optimizer`.

    Slots:
        momentum, norm: One each per weight, same shape, zeros at first.

    Example:

    >>> import torch
    >>> from lamina import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    >>> opt = optimizers.Adamax(learning_rate=0.1, epsilon=0.0)
    >>> _ = opt.apply_gradients([(torch.tensor([4.0, -0.5]), w)])
    >>> w.detach()  # m = 0.1 * g and u = |g|: the first step is learning_rate * sign(g)
    tensor([0.9000, 2.1000])
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = check_float(beta_1, "beta_1", self, 0.0, 1.0, high_open=True)
        self.beta_2 = check_float(beta_2, "beta_2", self, 0.0, 1.0)
        self.epsilon = check_float(epsilon, "epsilon", self)

    def build(self, params):
        if self.built:
            return
        super().build(params)
        self._momentums, self._norms = self.add_optimizer_variables(
            self._params, ["momentum", "norm"])
        # Keras computes `beta_1 ** t` in the weights' dtype: float64 only for float64 weights.
        dtype = torch.float64 if self._params and all(
            p.dtype == torch.float64 for p in self._params) else torch.float32
        self._beta_1 = torch.tensor(self.beta_1, dtype=dtype, device=self._iterations.device)

    def _foreach_update(self, grads, params, learning_rate, momentum, norm):
        # (1 - beta_1 ** t) / learning_rate, on the device: four tiny ops, no host sync.
        scale = torch.pow(self._beta_1, self._iterations + 1).neg_().add_(1.0).div_(
            learning_rate)
        torch._foreach_lerp_(momentum, grads, 1.0 - self.beta_1)  # m += (g - m) * (1 - beta_1)
        torch._foreach_mul_(norm, self.beta_2)
        torch._foreach_maximum_(norm, torch._foreach_abs(grads))
        denominator = torch._foreach_add(norm, self.epsilon)
        # The rate and the bias correction folded into the denominator: one pass fewer
        # than scaling `m`.
        torch._foreach_mul_(denominator, scale)
        torch._foreach_addcdiv_(params, momentum, denominator, value=-1.0)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
