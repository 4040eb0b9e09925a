"""Nadam: Adam with Nesterov momentum and Keras 3's momentum-cache schedule."""

import torch

from lamina import registry
from lamina.optimizers.optimizer import MODULE, Optimizer, check_float


@registry.register(MODULE, aliases=("nadam",))
class Nadam(Optimizer):
    """Nadam: Adam that looks one momentum step ahead (Nesterov momentum).

    Keras' rule, at step `t` (from 1), with `m` and `v` zeros at first and a momentum
    cache `u_t = beta_1 * (1 - 0.5 * 0.96 ** t)` whose running product
    `P_t = u_1 * ... * u_t` is kept in a variable (the optimizer's last one):

        m <- beta_1 * m + (1 - beta_1) * g
        v <- beta_2 * v + (1 - beta_2) * g ** 2
        m_hat = u_{t+1} * m / (1 - P_t * u_{t+1}) + (1 - u_t) * g / (1 - P_t)
        w <- w - learning_rate * m_hat / (sqrt(v / (1 - beta_2 ** t)) + epsilon)

    `torch.optim.NAdam` computes the same rule when its `momentum_decay` is 1 (its default,
    0.004, makes the cache `beta_1 * (1 - 0.5 * 0.96 ** (0.004 * t))`), but keeps one
    product per weight instead of Keras' single variable, and has no fused kernel. lamina
    keeps Keras' state and rule, as one list-wide update of `torch._foreach_*` ops; the
    per-step scalars are computed on the device, with no host sync.

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
        The momentum cache's product `P_t`: one scalar in the weights' dtype, 1 at first,
        listed last in `variables` (as Keras lists it).

    Example:

    >>> import torch
    >>> from lamina import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    >>> opt = optimizers.Nadam(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(torch.tensor([0.5, -0.5]), w)])
    >>> w.detach()  # m_hat = (0.0485 / 0.7729 + 1) * g: a step of 1.063 * learning_rate
    tensor([0.8937, 2.1063])
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
        dtype = self._params[0].dtype if self._params else None  # as Keras: the first weight's
        self._u_product = self.add_variable((), initializer=1.0, dtype=dtype, name="u_product")
        device = self._iterations.device
        # One `pow` gives [0.96 ** t, 0.96 ** (t + 1), beta_2 ** t].
        self._bases = torch.tensor([0.96, 0.96, self.beta_2], dtype=self._u_product.dtype,
                                   device=device)
        self._offsets = torch.tensor([1.0, 2.0, 1.0], dtype=self._u_product.dtype,
                                     device=device)
        # Keras computes `1 - beta` in the weights' dtype. In float32, `1 - 0.999` is off by
        # 1.3e-5 relative, and the same error in `1 - beta_2 ** t` cancels it: keep both.
        one = torch.ones((), dtype=self._u_product.dtype)  # on the host: read once, no sync
        self._one_minus_betas = [float(one - self.beta_1), float(one - self.beta_2)]

    def _foreach_update(self, grads, params, learning_rate, momentum, velocity):
        beta_1 = self.beta_1
        # The step's scalars, on the device (t is `iterations + 1`).
        powers = torch.pow(self._bases, self._offsets + self._iterations)
        u_t, u_next = powers[:2].mul(-0.5 * beta_1).add_(beta_1)  # beta_1 * (1 - 0.5 * 0.96**t)
        product = self._u_product.mul_(u_t)  # P_t
        gradient_coef = (1.0 - u_t) * learning_rate / (1.0 - product)
        momentum_coef = u_next * learning_rate / (1.0 - product * u_next)
        bias_correction_2 = 1.0 - powers[2]

        one_minus_beta_1, one_minus_beta_2 = self._one_minus_betas
        torch._foreach_lerp_(momentum, grads, one_minus_beta_1)  # m += (g - m) * (1 - beta_1)
        torch._foreach_lerp_(velocity, torch._foreach_mul(grads, grads), one_minus_beta_2)
        denominator = torch._foreach_div(velocity, bias_correction_2)
        torch._foreach_sqrt_(denominator)
        torch._foreach_add_(denominator, self.epsilon)
        # w -= (momentum_coef * m + gradient_coef * g) / denominator, as two `addcdiv`s with
        # each coefficient folded into a copy of the denominator: four passes instead of five.
        scaled = torch._foreach_div(denominator, momentum_coef)
        torch._foreach_addcdiv_(params, momentum, scaled, value=-1.0)
        torch._foreach_div_(denominator, gradient_coef)
        torch._foreach_addcdiv_(params, grads, denominator, value=-1.0)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon}
