"""Adafactor: Adam-like steps with a factored second moment, by Keras 3's rule."""

import math
import numbers

import torch

from lamina import registry
from lamina.optimizers.optimizer import MODULE, Optimizer, check_float
from lamina.validation import received


@registry.register(MODULE, aliases=("adafactor",))
class Adafactor(Optimizer):
    """Adafactor (Shazeer & Stern, 2018): memory-light adaptive steps.

    For a weight of rank 2 or more, the running mean of the squared gradient is not stored
    whole: a row statistic `r` (the last axis averaged out) and a column statistic `c` (the
    second-to-last axis averaged out) are kept, and the second moment is rebuilt from them
    as `v = r / mean(r) (outer) c`. Weights of rank 0 or 1 keep a full `v`. Keras' rule at
    step `t` (from 1), with `r`, `c`, `v` zeros at first:

        rho = min(learning_rate, 1 / sqrt(t))
        alpha = max(epsilon_2, rms(w)) * rho
        beta = 1 - t ** beta_2_decay
        s = g ** 2 + epsilon_1
        r <- beta * r + (1 - beta) * mean(s, axis=-1)        (rank >= 2)
        c <- beta * c + (1 - beta) * mean(s, axis=-2)
        v <- r[..., None] / mean(r, axis=-1)[..., None, None] * c[..., None, :]
        v <- beta * v + (1 - beta) * s                        (rank < 2)
        u = g / sqrt(v)
        w <- w - alpha * u / max(1, rms(u) / clip_threshold)

    where `rms(x) = sqrt(mean(x ** 2))` over the whole tensor. The rule runs on all weights
    at once with `torch._foreach_*` ops, except the row and column means and the outer
    product (one small op each per factored weight).

    Args:
        learning_rate: A non-negative float or a learning rate schedule; the step is at
            most `1 / sqrt(t)` times the weight's RMS. Defaults to `0.001`.
        beta_2_decay: Float, the exponent of the second moment's decay schedule.
            Defaults to `-0.8`.
        epsilon_1: Small non-negative float added to the squared gradients.
            Defaults to `1e-30`.
        epsilon_2: Small non-negative float, the lowest weight RMS used to scale steps.
            Defaults to `1e-3`.
        clip_threshold: Positive float, the largest RMS of the normalised update `u`.
            Defaults to `1.0`.
        relative_step: Keras' switch for the `1 / sqrt(t)` cap on the learning rate. Keras'
            rule applies the cap (`rho` above) either way, so it changes nothing; it is kept
            in the config for compatibility. Defaults to `True`.
        **kwargs: The arguments every optimizer shares; see `Optimizer`.

    Slots (per weight, in Keras' order):
        r, c: The factored statistics, shaped `w.shape[:-1]` and `w.shape[:-2] +
            w.shape[-1:]`, zeros at first; 0-d int32 placeholders for weights of rank < 2,
            as Keras saves them.
        velocity: The second moment `v`, shaped like the weight.

    Example:

    >>> import torch
    >>> from lamina import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([3.0, -4.0]))
    >>> opt = optimizers.Adafactor(learning_rate=0.1)
    >>> _ = opt.apply_gradients([(torch.tensor([2.0, 1.0]), w)])
    >>> w.detach()  # first step: u = sign(g), rms(w) = sqrt(12.5), each moves by 0.1 * 3.54
    tensor([ 2.6464, -4.3536])
    """

    def __init__(self, learning_rate=0.001, beta_2_decay=-0.8, epsilon_1=1e-30,
                 epsilon_2=1e-3, clip_threshold=1.0, relative_step=True, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        if not (isinstance(beta_2_decay, numbers.Real) and not isinstance(beta_2_decay, bool)
                and math.isfinite(beta_2_decay)):
            raise ValueError("`Adafactor` expects `beta_2_decay` to be a finite float. "
                             + received("beta_2_decay", beta_2_decay))
        self.beta_2_decay = float(beta_2_decay)
        self.epsilon_1 = check_float(epsilon_1, "epsilon_1", self)
        self.epsilon_2 = check_float(epsilon_2, "epsilon_2", self)
        self.clip_threshold = check_float(clip_threshold, "clip_threshold", self)
        if self.clip_threshold == 0:
            raise ValueError("`Adafactor` expects `clip_threshold` to be a positive float. "
                             + received("clip_threshold", clip_threshold))
        self.relative_step = bool(relative_step)

    def build(self, params):
        if self.built:
            return
        super().build(params)
        rows, columns, velocities = [], [], []
        for p in self._params:
            if p.ndim < 2:  # not factored: Keras still lists two scalar placeholders
                rows.append(self.add_variable((), initializer=0, dtype="int32"))
                columns.append(self.add_variable((), initializer=0, dtype="int32"))
            else:
                rows.append(self.add_variable(p.shape[:-1], dtype=p.dtype))
                columns.append(self.add_variable(p.shape[:-2] + p.shape[-1:], dtype=p.dtype))
            velocities.append(self.add_variable_from_reference(p, "velocity"))
        self._slots.update(r=rows, c=columns, velocity=velocities)
        device = self._iterations.device
        # Keras computes the step's scalars in the weights' dtype: float64 only for float64.
        self._dtype = torch.float64 if self._params and all(
            p.dtype == torch.float64 for p in self._params) else torch.float32
        # sqrt(size) per weight, to turn L2 norms into RMS values.
        self._add_hidden_slot("sqrt_size", [
            torch.tensor(math.sqrt(max(p.numel(), 1)), dtype=self._dtype, device=device)
            for p in self._params])

    def _foreach_update(self, grads, params, learning_rate, r, c, velocity, sqrt_size):
        sqrt_size = torch.stack(sqrt_size)  # (n_weights,)
        t = (self._iterations + 1).to(self._dtype)
        rho = torch.minimum(learning_rate.to(self._dtype), t.sqrt().reciprocal_())
        beta = torch.pow(t, self.beta_2_decay).neg_().add_(1.0)  # 1 - t ** beta_2_decay
        weight = 1.0 - beta  # of the new statistics
        # alpha = max(epsilon_2, rms(w)) * rho, per weight, from the weights before the step.
        alpha = torch.stack(torch._foreach_norm(params)).div_(sqrt_size)
        alpha = alpha.clamp_(min=self.epsilon_2).mul_(rho)  # (n_weights,)
        squares = torch._foreach_mul(grads, grads)
        torch._foreach_add_(squares, self.epsilon_1)
        factored = [i for i, p in enumerate(params) if p.ndim >= 2]
        plain = [i for i, p in enumerate(params) if p.ndim < 2]
        # x <- beta * x + weight * new, in Keras' order. (`_foreach_lerp_` would read a
        # tensor weight back to the host.)
        if factored:
            rows, columns = [r[i] for i in factored], [c[i] for i in factored]
            means = [squares[i].mean(-1) for i in factored] + \
                [squares[i].mean(-2) for i in factored]
            torch._foreach_mul_(means, weight)
            torch._foreach_mul_(rows + columns, beta)
            torch._foreach_add_(rows + columns, means)
            for i, row, column in zip(factored, rows, columns):
                # (..., rows, 1) * (..., 1, columns) -> (..., rows, columns)
                scaled_row = (row / row.mean(-1, keepdim=True)).unsqueeze(-1)
                torch.mul(scaled_row, column.unsqueeze(-2), out=velocity[i])
        if plain:
            plain_velocities = [velocity[i] for i in plain]
            torch._foreach_mul_(plain_velocities, beta)
            torch._foreach_add_(plain_velocities,
                                torch._foreach_mul([squares[i] for i in plain], weight))
        updates = torch._foreach_div(grads, torch._foreach_sqrt(velocity))  # u = g / sqrt(v)
        # Each weight's step: alpha / max(1, rms(u) / clip_threshold), times u.
        clip = torch.stack(torch._foreach_norm(updates)).div_(sqrt_size)
        clip = clip.div_(self.clip_threshold).clamp_(min=1.0)
        torch._foreach_mul_(updates, alpha.div_(clip).unbind())
        torch._foreach_sub_(params, updates)

    def get_config(self):
        return {**super().get_config(), "beta_2_decay": self.beta_2_decay,
                "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                "clip_threshold": self.clip_threshold, "relative_step": self.relative_step}
