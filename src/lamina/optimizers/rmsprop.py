"""RMSprop: steps divided by a moving root mean square of the gradients, by Keras 3's rule."""

import torch

from lamina import registry
from lamina.optimizers.optimizer import MODULE, Optimizer, check_float


@registry.register(MODULE, aliases=("rmsprop",))
class RMSprop(Optimizer):
    """RMSprop: divide each step by a moving average of the squared gradients' root.

    Keras' rule, with a velocity `v`, an average gradient `a` (`centered=True`) and a
    momentum `m` (`momentum > 0`), all zeros at first:

        v <- rho * v + (1 - rho) * g ** 2
        a <- rho * a + (1 - rho) * g                        (centered)
        step = learning_rate * g / sqrt(v - a ** 2 + epsilon)   (or sqrt(v + epsilon))
        m <- momentum * m + step;  w <- w - m               (or w <- w - step)

    `torch.optim.RMSprop` adds epsilon outside the root (`sqrt(v) + epsilon`), which
    changes the first steps by orders of magnitude for small gradients, and applies the
    learning rate after the momentum instead of inside it. lamina keeps Keras' rule, as
    one list-wide update of `torch._foreach_*` ops.

    Args:
        learning_rate: A non-negative float or a learning rate schedule.
            Defaults to `0.001`.
        rho: Float in `[0, 1)`, the discount of the moving averages. Defaults to `0.9`.
        momentum: Float in `[0, 1]`. Defaults to `0.0` (no momentum).
        epsilon: Small non-negative float added under the root for numerical stability.
            Defaults to `1e-7`.
        centered: If `True`, divide by an estimate of the gradients' variance instead of
            their uncentered second moment. Defaults to `False`.
        **kwargs: The arguments every optimizer shares; see `Optimizer`.

    Slots:
        velocity: One per weight, same shape, zeros at first.
        momentum: Likewise, only when `momentum > 0`.
        average_gradient: Likewise, only when `centered=True`.

    Example:

    >>> import torch
    >>> from lamina import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = optimizers.RMSprop(learning_rate=0.01, rho=0.75, epsilon=0.0)
    >>> _ = opt.apply_gradients([(torch.tensor([3.0]), w)])
    >>> w.detach()  # v = 0.25 * 9, step = 0.01 * 3 / 1.5
    tensor([0.9800])
    """

    def __init__(self, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7,
                 centered=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = check_float(rho, "rho", self, 0.0, 1.0, high_open=True)
        self.momentum = check_float(momentum, "momentum", self, 0.0, 1.0)
        self.epsilon = check_float(epsilon, "epsilon", self)
        self.centered = bool(centered)

    def build(self, params):
        if self.built:
            return
        super().build(params)
        self._velocities = self.add_optimizer_variables(self._params, "velocity")
        self._momentums, self._average_gradients = [], []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(self._params, "momentum")
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(self._params,
                                                                   "average_gradient")

    def _foreach_update(self, grads, params, learning_rate, velocity, momentum=(),
                        average_gradient=()):
        rho = self.rho
        torch._foreach_mul_(velocity, rho)
        torch._foreach_addcmul_(velocity, grads, grads, value=1 - rho)
        if self.centered:
            torch._foreach_mul_(average_gradient, rho)
            torch._foreach_add_(average_gradient, grads, alpha=1 - rho)
            denominator = torch._foreach_addcmul(velocity, average_gradient, average_gradient,
                                                 value=-1)
            torch._foreach_add_(denominator, self.epsilon)
        else:
            denominator = torch._foreach_add(velocity, self.epsilon)
        torch._foreach_sqrt_(denominator)
        # step = learning_rate * g / denominator, with the rate folded into the denominator:
        # one pass over the tensors fewer than scaling the gradients first.
        torch._foreach_div_(denominator, learning_rate)
        if momentum:
            torch._foreach_mul_(momentum, self.momentum)
            torch._foreach_addcdiv_(momentum, grads, denominator)  # m <- momentum * m + step
            torch._foreach_sub_(params, momentum)
        else:
            torch._foreach_addcdiv_(params, grads, denominator, value=-1.0)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "momentum": self.momentum,
                "epsilon": self.epsilon, "centered": self.centered}
