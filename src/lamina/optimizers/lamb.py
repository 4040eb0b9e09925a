"""Lamb: Adam's step rescaled per weight by a trust ratio, by Keras 3's rule."""

import torch

from lamina import registry
from lamina.optimizers.optimizer import MODULE, Optimizer, check_float


@registry.register(MODULE, aliases=("lamb",))
class Lamb(Optimizer):
    """Lamb (layer-wise adaptive moments): Adam's direction, each weight's step scaled to it.

    Keras' rule, at step `t` (from 1), with `m` and `v` zeros at first:

        m <- beta_1 * m + (1 - beta_1) * g
        v <- beta_2 * v + (1 - beta_2) * g ** 2
        r = (m / (1 - beta_1 ** t)) / (sqrt(v / (1 - beta_2 ** t)) + epsilon)
        ratio = ||w|| / ||r||     (1 when either norm is 0)
        w <- w - learning_rate * ratio * r

    The norms are L2 norms over each whole weight tensor (after any weight decay), so a
    weight moves by about `learning_rate` times its own size, whatever its gradient's
    scale; this is what lets Lamb train with very large batches. torch has no Lamb; lamina
    runs the rule as one list-wide update of `torch._foreach_*` ops, the trust ratios of
    all weights computed together on the device (no host sync).

    Args:
        learning_rate: A non-negative float or a learning rate schedule.
            Defaults to `0.001`.
        beta_1: Float in `[0, 1)`, the decay of the first-moment average. Defaults to `0.9`.
        beta_2: Float in `[0, 1)`, the decay of the second-moment average.
            Defaults to `0.999`.
        epsilon: Small non-negative float added to the root for numerical stability.
            Defaults to `1e-7`.
        **kwargs: The arguments every optimizer shares; see `Optimizer`.

    Slots:
        momentum, velocity: One each per weight, same shape, zeros at first.

    Example:

    >>> import torch
    >>> from lamina import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([3.0, 4.0]))
    >>> opt = optimizers.Lamb(learning_rate=0.1, epsilon=0.0)
    >>> _ = opt.apply_gradients([(torch.tensor([1.0, -1.0]), w)])
    >>> w.detach()  # r = sign(g), ||w|| = 5, ||r|| = sqrt(2): each moves by 0.1 * 5 / sqrt(2)
    tensor([2.6464, 4.3536])
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = check_float(beta_1, "beta_1", self, 0.0, 1.0, high_open=True)
        self.beta_2 = check_float(beta_2, "beta_2", self, 0.0, 1.0, high_open=True)
        self.epsilon = check_float(epsilon, "epsilon", self)

    def build(self, params):
        if self.built:
            return
        super().build(params)
        self._momentums, self._velocities = self.add_optimizer_variables(
            self._params, ["momentum", "velocity"])
        # Keras computes the corrections in the weights' dtype: float64 only for float64.
        dtype = torch.float64 if self._params and all(
            p.dtype == torch.float64 for p in self._params) else torch.float32
        self._betas = torch.tensor([self.beta_1, self.beta_2], dtype=dtype,
                                   device=self._iterations.device)

    def _foreach_update(self, grads, params, learning_rate, momentum, velocity):
        # [1 - beta_1 ** t, 1 - beta_2 ** t], on the device.
        corrections = torch.pow(self._betas, self._iterations + 1).neg_().add_(1.0)
        torch._foreach_lerp_(momentum, grads, 1.0 - self.beta_1)  # m += (g - m) * (1 - beta_1)
        # v += (g ** 2 - v) * (1 - beta_2), Keras' form
        torch._foreach_lerp_(velocity, torch._foreach_mul(grads, grads), 1.0 - self.beta_2)
        denominator = torch._foreach_div(velocity, corrections[1])
        torch._foreach_sqrt_(denominator)
        torch._foreach_add_(denominator, self.epsilon)
        steps = torch._foreach_div(momentum, corrections[0])
        torch._foreach_div_(steps, denominator)  # r, one tensor per weight
        weight_norms = torch.stack(torch._foreach_norm(params))  # (n_weights,)
        step_norms = torch.stack(torch._foreach_norm(steps))  # (n_weights,)
        ratios = torch.where((weight_norms > 0) & (step_norms > 0),
                             weight_norms / step_norms, 1.0)
        ratios = ratios * learning_rate
        torch._foreach_mul_(steps, ratios.unbind())  # each weight's step times its own ratio
        torch._foreach_sub_(params, steps)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
