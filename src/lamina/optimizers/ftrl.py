"""FTRL-Proximal: Follow The Regularized Leader, by Keras 3's rule."""

import math
import numbers

import torch

from lamina import registry
from lamina.optimizers.optimizer import MODULE, Optimizer, check_float
from lamina.validation import received


@registry.register(MODULE, aliases=("ftrl",))
class Ftrl(Optimizer):
    """FTRL-Proximal (McMahan et al., 2013), suited to shallow models with sparse features.

    Each weight is not moved by a step but recomputed from two accumulators: `n`, the sum of
    squared gradients (from `initial_accumulator_value`), and `z` ("linear", from 0). Keras'
    rule, with `p = -learning_rate_power` and `lr = learning_rate`:

        g' = g + 2 * l2_shrinkage_regularization_strength * w
        n_new = n + g ** 2
        z <- z + g' - (n_new ** p - n ** p) / lr * w
        q = n_new ** p / lr + 2 * (l2_regularization_strength + beta / (2 * lr))
        w <- (clip(z, -l1, l1) - z) / q                 (l1 = l1_regularization_strength)
        n <- n_new

    so a weight is exactly 0 while `|z| <= l1`. The rule runs on all weights at once with
    `torch._foreach_*` ops.

    Args:
        learning_rate: A non-negative float or a learning rate schedule.
            Defaults to `0.001`.
        learning_rate_power: Float `<= 0`; how the per-coordinate rate shrinks as `n` grows
            (`0` keeps it fixed). Defaults to `-0.5`.
        initial_accumulator_value: Non-negative float, the starting value of `n`.
            Defaults to `0.1`.
        l1_regularization_strength: Non-negative float. Defaults to `0.0`.
        l2_regularization_strength: Non-negative float, the stabilising L2 penalty of the
            paper. Defaults to `0.0`.
        l2_shrinkage_regularization_strength: Non-negative float, an L2 penalty on the
            weights' magnitude, added to the gradient. Defaults to `0.0`.
        beta: Non-negative float, the paper's beta. Defaults to `0.0`.
        **kwargs: The arguments every optimizer shares; see `Optimizer`.

    Slots (per weight, in Keras' order):
        accumulator: `n`, shaped like the weight.
        linear: `z`, shaped like the weight.

    Example:

    >>> import torch
    >>> from lamina import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([0.5]))
    >>> opt = optimizers.Ftrl(learning_rate=0.5, learning_rate_power=0.0,
    ...                       initial_accumulator_value=0.0)
    >>> _ = opt.apply_gradients([(torch.tensor([1.0]), w)])
    >>> w.detach()  # p = 0: z = 1, q = 1 / 0.5, w = -z / q
    tensor([-0.5000])
    """

    def __init__(self, learning_rate=0.001, learning_rate_power=-0.5,
                 initial_accumulator_value=0.1, l1_regularization_strength=0.0,
                 l2_regularization_strength=0.0, l2_shrinkage_regularization_strength=0.0,
                 beta=0.0, **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        power = learning_rate_power
        if not (isinstance(power, numbers.Real) and not isinstance(power, bool)
                and math.isfinite(power) and power <= 0):
            raise ValueError("`Ftrl` expects `learning_rate_power` to be a float <= 0. "
                             + received("learning_rate_power", power))
        self.learning_rate_power = float(power)
        self.initial_accumulator_value = check_float(
            initial_accumulator_value, "initial_accumulator_value", self)
        self.l1_regularization_strength = check_float(
            l1_regularization_strength, "l1_regularization_strength", self)
        self.l2_regularization_strength = check_float(
            l2_regularization_strength, "l2_regularization_strength", self)
        self.l2_shrinkage_regularization_strength = check_float(
            l2_shrinkage_regularization_strength, "l2_shrinkage_regularization_strength", self)
        self.beta = check_float(beta, "beta", self)

    def build(self, params):
        if self.built:
            return
        super().build(params)
        self._accumulators, self._linears = self.add_optimizer_variables(
            self._params, ["accumulator", "linear"],
            initializer=[self.initial_accumulator_value, "zeros"])
        # Keras computes the rule's scalars in the weights' dtype: float64 only for float64.
        self._dtype = torch.float64 if self._params and all(
            p.dtype == torch.float64 for p in self._params) else torch.float32

    def _foreach_update(self, grads, params, learning_rate, accumulator, linear):
        power, l1 = -self.learning_rate_power, self.l1_regularization_strength
        old_powers = torch._foreach_pow(accumulator, power)  # n ** p
        torch._foreach_addcmul_(accumulator, grads, grads)  # n <- n + g ** 2
        new_powers = torch._foreach_pow(accumulator, power)
        # z <- z + (g' - sigma * w), with sigma = (n_new ** p - n ** p) / lr
        change = torch._foreach_sub(new_powers, old_powers)
        torch._foreach_div_(change, learning_rate)
        torch._foreach_mul_(change, params)
        shrinkage = self.l2_shrinkage_regularization_strength
        gradients = torch._foreach_add(grads, params, alpha=2 * shrinkage) if shrinkage \
            else grads
        torch._foreach_add_(linear, torch._foreach_sub(gradients, change))
        # q = n_new ** p / lr + 2 * (l2 + beta / (2 * lr))
        learning_rate = learning_rate.to(self._dtype)
        l2 = torch.div(self.beta, learning_rate * 2.0).add_(self.l2_regularization_strength)
        quadratic = torch._foreach_div(new_powers, learning_rate)
        l2 = l2.mul_(2.0)
        # A list of the 0-d tensor: torch's (list, tensor) overload of `add` reads it back to
        # the host on some devices.
        torch._foreach_add_(quadratic, [l2] * len(quadratic))
        weights = torch._foreach_clamp_min(linear, -l1)
        torch._foreach_clamp_max_(weights, l1)
        torch._foreach_sub_(weights, linear)  # clip(z, -l1, l1) - z
        torch._foreach_div_(weights, quadratic)
        torch._foreach_copy_(params, weights)

    def get_config(self):
        return {**super().get_config(), "learning_rate_power": self.learning_rate_power,
                "initial_accumulator_value": self.initial_accumulator_value,
                "l1_regularization_strength": self.l1_regularization_strength,
                "l2_regularization_strength": self.l2_regularization_strength,
                "l2_shrinkage_regularization_strength":
                    self.l2_shrinkage_regularization_strength,
                "beta": self.beta}
