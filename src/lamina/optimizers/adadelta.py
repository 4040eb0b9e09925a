"""Adadelta, by Keras 3's rule, which `torch.optim.Adadelta` computes exactly."""

import torch
from torch.optim.adadelta import adadelta as torch_adadelta

from lamina import registry
from lamina.optimizers.optimizer import MODULE, Optimizer, check_float

# Devices on which torch's foreach Adadelta reads a tensor learning rate on the device.
# Elsewhere it converts it to a number: free on CPU, a host sync on MPS.
_CAPTURABLE_DEVICES = ("cuda", "xpu", "hpu")


@registry.register(MODULE, aliases=("adadelta",))
class Adadelta(Optimizer):
    """Adadelta: steps scaled by the ratio of moving roots of past steps and gradients.

    Keras' rule, with both accumulators zeros at first:

        a_g <- rho * a_g + (1 - rho) * g ** 2
        delta = sqrt(a_d + epsilon) / sqrt(a_g + epsilon) * g
        a_d <- rho * a_d + (1 - rho) * delta ** 2
        w <- w - learning_rate * delta

    `torch.optim.Adadelta` computes the same rule, so lamina runs its `foreach`
    implementation (all parameters per op).

    Args:
        learning_rate: A non-negative float or a learning rate schedule. Keras' default
            is small for this method; the original paper uses `1.0`. Defaults to `0.001`.
        rho: Float in `[0, 1)`, the decay rate of both averages. Defaults to `0.95`.
        epsilon: Small non-negative float added under the roots for numerical stability.
            Defaults to `1e-7`.
        **kwargs: The arguments every optimizer shares; see `Optimizer`.

    Slots:
        accumulated_grad, accumulated_delta_var: One each per weight, same shape, zeros
            at first.

    Example:

    >>> import torch
    >>> from lamina import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = optimizers.Adadelta(learning_rate=1.0, rho=0.0, epsilon=0.01)
    >>> _ = opt.apply_gradients([(torch.tensor([0.3]), w)])
    >>> w.detach()  # delta = sqrt(0.01) / sqrt(0.09 + 0.01) * 0.3
    tensor([0.9051])
    """

    def __init__(self, learning_rate=0.001, rho=0.95, epsilon=1e-7, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.rho = check_float(rho, "rho", self, 0.0, 1.0, high_open=True)
        self.epsilon = check_float(epsilon, "epsilon", self)

    def build(self, params):
        if self.built:
            return
        super().build(params)
        self._accumulated_grads, self._accumulated_delta_vars = self.add_optimizer_variables(
            self._params, ["accumulated_grad", "accumulated_delta_var"])
        # torch counts steps per tensor; Adadelta's rule never reads the count.
        self._add_hidden_slot("torch_step", [torch.zeros((), device=p.device)
                                             for p in self._params])
        self._capturable = self._iterations.device.type in _CAPTURABLE_DEVICES

    def _foreach_update(self, grads, params, learning_rate, accumulated_grad,
                        accumulated_delta_var, torch_step):
        torch_adadelta(params, grads, accumulated_grad, accumulated_delta_var, torch_step,
                       foreach=True, capturable=self._capturable, lr=learning_rate,
                       rho=self.rho, eps=self.epsilon, weight_decay=0.0, maximize=False)

    def get_config(self):
        return {**super().get_config(), "rho": self.rho, "epsilon": self.epsilon}
