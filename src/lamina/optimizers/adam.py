"""Adam, by Keras 3's rule, run by torch's fused Adam kernel."""

import math
import struct

import torch
from torch.optim.adam import adam as torch_adam

from lamina import registry
from lamina.optimizers.optimizer import MODULE, Optimizer, check_float, fused_kernels_support

# torch's fused kernel bias-corrects with its own per-tensor step count `s`:
# `w -= lr / (1 - beta_1**s) * m / (sqrt(v) / sqrt(1 - beta_2**s) + epsilon)`, which puts
# epsilon inside the correction. Keras keeps it outside. Pinning `s` at 2**64 makes both of
# torch's corrections exactly 1 (beta**(2**64) underflows to 0, and `s + 1 == s` in float32),
# and lamina passes Keras' corrected rate `alpha` as the kernel's learning rate tensor.
_UNCORRECTED_STEP = 2.0 ** 64


def _round_f32(value):
    """`value` rounded to the nearest float32 (plain Python: cheaper than numpy scalars)."""
    return struct.unpack("f", struct.pack("f", value))[0]


def _round_f64(value):
    return value
_CAPTURABLE_DEVICES = ("cuda", "xpu", "hpu", "xla")


@registry.register(MODULE, aliases=("adam",))
class Adam(Optimizer):
    """Adam: gradient descent on bias-corrected moving averages of the gradient's moments.

    Keras' rule, at step `t` (from 1), with `m` and `v` zeros at first:

        m <- beta_1 * m + (1 - beta_1) * g
        v <- beta_2 * v + (1 - beta_2) * g ** 2
        v_hat <- max(v_hat, v)                   (amsgrad; then v_hat replaces v below)
        alpha = learning_rate * sqrt(1 - beta_2 ** t) / (1 - beta_1 ** t)
        w <- w - alpha * m / (sqrt(v) + epsilon)

    `torch.optim.Adam` adds epsilon to the bias-corrected root instead, i.e. uses an
    epsilon `sqrt(1 - beta_2 ** t)` times smaller (about 30x at the first step): with the
    defaults, Keras' first step is 3% shorter than torch's for a gradient of 1e-4 and half
    as long for 3e-6. lamina keeps Keras' rule exactly while still running torch's fused
    Adam kernel (one kernel for all parameters, on CPU, CUDA, MPS, XPU, HPU, MTIA); on
    XLA it runs torch's capturable `foreach` Adam. With a constant rate `alpha` is computed
    on the host; with a schedule, six tiny ops on 0-d tensors compute it on the device.

    Args:
        learning_rate: A non-negative float or a learning rate schedule.
            Defaults to `0.001`.
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

    Example:

    >>> import torch
    >>> from lamina import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([1.0, 2.0]))
    >>> opt = optimizers.Adam(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(torch.tensor([0.5, -0.5]), w)])
    >>> w.detach()  # the first step moves each weight by about learning_rate
    tensor([0.9000, 2.1000])
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7,
                 amsgrad=False, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta_1 = check_float(beta_1, "beta_1", self, 0.0, 1.0, high_open=True)
        self.beta_2 = check_float(beta_2, "beta_2", self, 0.0, 1.0, high_open=True)
        self.epsilon = check_float(epsilon, "epsilon", self)
        self.amsgrad = bool(amsgrad)

    def build(self, params):
        if self.built:
            return
        super().build(params)
        self._fused = fused_kernels_support(self._params)
        self._one_group = len({(p.device, p.dtype) for p in self._params}) <= 1
        device = self._iterations.device
        if not self._fused and device.type not in _CAPTURABLE_DEVICES:
            self.built = False
            raise ValueError(
                f"`{type(self).__name__}` runs on torch's fused Adam kernel (float16, "
                "bfloat16, float32 or float64 parameters on CPU, CUDA, MPS, XPU, HPU or MTIA) "
                f"or its capturable foreach Adam (on {', '.join(_CAPTURABLE_DEVICES)}). "
                f"Received parameters of dtype "
                f"{', '.join(sorted({str(p.dtype) for p in self._params}))} on {device}. "
                "Cast the model to float32 (`model.float()`) or move it to a supported device.")
        self._momentums, self._velocities = self.add_optimizer_variables(
            self._params, ["momentum", "velocity"])
        self._velocity_hats = []
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(self._params, "velocity_hat")
        self._add_hidden_slot("torch_step", [
            torch.full((), _UNCORRECTED_STEP, dtype=torch.float32, device=p.device)
            for p in self._params])
        # Keras computes the correction in the weights' dtype; 1 - beta_2 ** t loses 1e-5 of
        # its value in float32, so float64 weights get it in float64.
        dtype = torch.float64 if self._params and all(
            p.dtype == torch.float64 for p in self._params) else torch.float32
        self._betas = torch.tensor([self.beta_1, self.beta_2], dtype=dtype, device=device)
        self._host_step, self._seen_version = 0, self._iterations._version
        self._powers = torch.tensor([-1.0, 0.5], dtype=dtype, device=device)

    def _alpha(self, learning_rate):
        """Keras' bias-corrected rate for this step (no host sync).

        With a constant learning rate it is a Python float from a step count kept on the host:
        Python arithmetic instead of six tiny device kernels per step. The host count is
        trusted while `iterations` changed only by this optimizer's own `add_(1)` (tracked by
        the tensor's version counter); after anything else wrote it (a restored checkpoint),
        it is read back once.
        """
        if self._schedule is None:
            if self._iterations._version != self._seen_version:
                self._host_step = int(self._iterations)  # host sync, only after outside writes
            step = self._host_step = self._host_step + 1
            self._seen_version = self._iterations._version + 1  # the base class adds 1 next
            # Rounded as Keras computes it, in the correction's dtype (float32 unless the
            # weights are float64): each operation's result rounded to that dtype.
            r = _round_f64 if self._betas.dtype == torch.float64 else _round_f32
            b1, b2 = r(self.beta_1), r(self.beta_2)
            return r(r(r(self._learning_rate_value) * r(math.sqrt(r(1.0 - r(b2 ** step)))))
                     / r(1.0 - r(b1 ** step)))
        corrections = 1 - torch.pow(self._betas, self._iterations + 1)  # 1 - beta_i ** t
        # (1 - beta_1**t) ** -1 * (1 - beta_2**t) ** 0.5: 6 small ops, fewer than indexing.
        alpha = torch.pow(corrections, self._powers).prod() * learning_rate
        return alpha.float()  # torch's fused kernels read a float32 rate (no-op if float32)

    def _foreach_update(self, grads, params, learning_rate, momentum, velocity,
                        torch_step, velocity_hat=()):
        self._run_kernel(params, grads, momentum, velocity, velocity_hat, torch_step,
                         lr=self._alpha(learning_rate), weight_decay=0.0)

    def _run_kernel(self, params, grads, momentum, velocity, velocity_hat, torch_step, lr,
                    weight_decay, decoupled=False):
        """One step of torch's Adam kernel (AdamW's decay when `decoupled`) on `params`.

        When the parameters share one device and dtype (the usual case), the fused kernel is
        called directly: `torch.optim.adam.adam` would check its arguments, group the tensors
        by device and dtype, and add 1 to the pinned step counts (a no-op at 2**64) on every
        step, a few percent of a small model's step on the CPU."""
        if self._fused and self._one_group:
            kernel = torch._fused_adamw_ if decoupled else torch._fused_adam_
            kernel(params, grads, momentum, velocity, list(velocity_hat), torch_step,
                   lr=lr, beta1=self.beta_1, beta2=self.beta_2, weight_decay=weight_decay,
                   eps=self.epsilon, amsgrad=self.amsgrad, maximize=False)
            return
        torch_adam(params, grads, momentum, velocity, list(velocity_hat), torch_step,
                   fused=self._fused, foreach=not self._fused, capturable=not self._fused,
                   amsgrad=self.amsgrad, beta1=self.beta_1, beta2=self.beta_2, lr=lr,
                   weight_decay=weight_decay, eps=self.epsilon, maximize=False,
                   decoupled_weight_decay=decoupled)

    def get_config(self):
        return {**super().get_config(), "beta_1": self.beta_1, "beta_2": self.beta_2,
                "epsilon": self.epsilon, "amsgrad": self.amsgrad}
