"""Stochastic gradient descent, with optional (Nesterov) momentum, by Keras 3's rule."""

import torch
from torch.optim.sgd import sgd as torch_sgd

from lamina import registry
from lamina.optimizers.optimizer import MODULE, Optimizer, check_float, fused_kernels_support


@registry.register(MODULE, aliases=("sgd",))
class SGD(Optimizer):
    """Gradient descent with momentum.

    Without momentum: `w <- w - learning_rate * g`. With momentum, a velocity `m`
    (zeros at first) is updated and added to the weight:

        m <- momentum * m - learning_rate * g
        w <- w + m                                    (nesterov=False)
        w <- w + momentum * m - learning_rate * g     (nesterov=True)

    This is Keras' rule. `torch.optim.SGD` keeps `b = momentum * b + g` and steps by
    `learning_rate * b`; the two agree while the learning rate is constant, but after a
    change of rate torch rescales the whole accumulated velocity at once where Keras
    carries the old steps over, and the stored slot differs (torch's `b` is
    `-m / learning_rate`). lamina computes Keras' rule, slot included, with torch's fused
    SGD kernel (one kernel for all parameters; torch's `foreach` SGD where no fused kernel
    exists). With momentum the kernel is fed the scaled gradients `learning_rate * g`:
    one more pass over the gradients than `torch.optim.SGD(fused=True)`.

    Args:
        learning_rate: A non-negative float or a learning rate schedule.
            Defaults to `0.01`.
        momentum: Float in `[0, 1]` that accelerates descent along consistent
            directions and damps oscillations. Defaults to `0.0` (plain descent).
        nesterov: Whether to use Nesterov momentum. Defaults to `False`.
        **kwargs: The arguments every optimizer shares; see `Optimizer`.

    Slots:
        momentum: One per weight, same shape, zeros at first; only when `momentum > 0`.

    Example:

    >>> import torch
    >>> from lamina import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    >>> opt = optimizers.SGD(learning_rate=0.1, momentum=0.9)
    >>> for _ in range(2):
    ...     _ = opt.apply_gradients([(torch.tensor([1.0, -1.0]), w)])
    >>> w.detach()  # m = -0.1, then -0.19: w moves by 0.29 against the gradient
    tensor([0.7100, 2.2900])
    """

    def __init__(self, learning_rate=0.01, momentum=0.0, nesterov=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = check_float(momentum, "momentum", self, 0.0, 1.0)
        self.nesterov = bool(nesterov)

    def build(self, params):
        if self.built:
            return
        super().build(params)
        self.momentums = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(self._params, "momentum")
        self._fused = fused_kernels_support(self._params)

    def _foreach_update(self, grads, params, learning_rate, momentum=()):
        buffers = list(momentum) or [None] * len(params)
        if self._fused and not momentum:  # w <- w - learning_rate * g: one fused pass
            torch_sgd(params, grads, buffers, fused=True, weight_decay=0.0, momentum=0.0,
                      lr=learning_rate, dampening=0.0, nesterov=False, maximize=False)
            return
        # torch's SGD with `maximize=True` and learning rate -1, fed `learning_rate * g`,
        # computes Keras' rule: its buffer becomes `momentum * m - learning_rate * g` (Keras'
        # `m`, same sign) and its step `w -= -1 * m` (or the Nesterov form). Its
        # `grad_scale` argument could carry the rate without this copy, but the fused kernel
        # then unscales the caller's gradients in place.
        torch_sgd(params, torch._foreach_mul(grads, learning_rate), buffers,
                  fused=self._fused, foreach=not self._fused, weight_decay=0.0,
                  momentum=self.momentum, lr=-1.0, dampening=0.0, nesterov=self.nesterov,
                  maximize=True)

    def get_config(self):
        return {**super().get_config(), "momentum": self.momentum, "nesterov": self.nesterov}
