"""AdamW: Adam with decoupled weight decay, by Keras 3's rule, on torch's fused AdamW kernel."""

from lamina import registry
from lamina.optimizers.adam import Adam
from lamina.optimizers.optimizer import MODULE
from lamina.validation import received


@registry.register(MODULE, aliases=("adamw",))
class AdamW(Adam):
    """AdamW: Adam whose weights also shrink towards zero, apart from the gradient.

    Keras' rule: before each Adam update (see `Adam`), every weight is decayed by

        w <- w - w * weight_decay * learning_rate

    with the raw (not bias-corrected) learning rate; the gradient never sees the decay.
    torch's fused AdamW kernel decays by its own learning rate argument, which for lamina
    is Keras' bias-corrected rate `alpha` (see `Adam`). With a constant learning rate
    lamina hands the kernel the decay `weight_decay * learning_rate / alpha`, so the decay
    and the update run in one fused kernel, with no pass over the weights beyond
    `torch.optim.AdamW(fused=True)`'s. With a schedule, a callable rate, or weights excluded
    by `exclude_from_weight_decay`, the decay is one list-wide multiply before the kernel.

    Args:
        learning_rate: A non-negative float or a learning rate schedule.
            Defaults to `0.001`.
        weight_decay: Non-negative float, the decay per unit of learning rate.
            Defaults to `0.004`.
        beta_1: Float in `[0, 1)`, the decay of the first-moment average. Defaults to `0.9`.
        beta_2: Float in `[0, 1)`, the decay of the second-moment average.
            Defaults to `0.999`.
        epsilon: Small non-negative float added to the root for numerical stability.
            Defaults to `1e-7`.
        amsgrad: Whether to divide by the running maximum of `v` (AMSGrad).
            Defaults to `False`.
        **kwargs: The arguments every optimizer shares; see `Optimizer`.

    Slots:
        momentum, velocity: One each per weight, same shape, zeros at first.
        velocity_hat: Likewise, only when `amsgrad=True`.

    Raises:
        ValueError: If `weight_decay` is `None` or negative, or for any argument `Adam`
            rejects.

    Example:

    >>> import torch
    >>> from lamina import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    >>> opt = optimizers.AdamW(learning_rate=0.1, weight_decay=0.5)
    >>> _ = opt.apply_gradients([(torch.tensor([0.5, -0.5]), w)])
    >>> w.detach()  # decayed by 5% (0.95, 1.9), then Adam's first step of 0.1
    tensor([0.8500, 2.0000])
    """

    def __init__(self, learning_rate=0.001, weight_decay=0.004, beta_1=0.9, beta_2=0.999,
                 epsilon=1e-7, amsgrad=False, **kwargs):
        if weight_decay is None:
            raise ValueError(
                "`AdamW` expects `weight_decay` to be a non-negative float (AdamW without "
                "decay is Adam). " + received("weight_decay", weight_decay))
        super().__init__(learning_rate=learning_rate, beta_1=beta_1, beta_2=beta_2,
                         epsilon=epsilon, amsgrad=amsgrad, weight_decay=weight_decay, **kwargs)

    def _kernel_decays(self):
        """Whether this update's decay runs inside torch's kernel: a constant rate (so the
        kernel's decay can be rescaled on the host) and every weight decayed."""
        return bool(self.weight_decay) and self._schedule is None and self._decay_mask is None

    def _decay(self, params, indices, learning_rate):
        if not self._kernel_decays():
            super()._decay(params, indices, learning_rate)

    def _foreach_update(self, grads, params, learning_rate, momentum, velocity,
                        torch_step, velocity_hat=()):
        alpha = self._alpha(learning_rate)
        weight_decay = 0.0
        if self._kernel_decays() and alpha:  # alpha is a Python float here: no sync
            # torch decays by `alpha * weight_decay`; Keras by `learning_rate * weight_decay`.
            weight_decay = self.weight_decay * self._learning_rate_value / alpha
        self._run_kernel(params, grads, momentum, velocity, velocity_hat, torch_step,
                         lr=alpha, weight_decay=weight_decay, decoupled=True)

