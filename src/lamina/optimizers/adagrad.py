"""Adagrad: per-coordinate learning rates scaled by the accumulated squared gradients."""

import torch

from lamina import registry
from lamina.optimizers.optimizer import MODULE, Optimizer, check_float


@registry.register(MODULE, aliases=("adagrad",))
class Adagrad(Optimizer):
    """Adagrad: coordinates that saw large gradients take smaller steps.

    Keras' rule, with an accumulator `a` that starts at `initial_accumulator_value`:

        a <- a + g ** 2
        w <- w - learning_rate * g / sqrt(a + epsilon)

    `torch.optim.Adagrad` differs twice: its accumulator starts at 0 and it adds epsilon
    outside the root (`sqrt(a) + epsilon`), which matters while `a` is small. lamina keeps
    Keras' rule, as one list-wide update of `torch._foreach_*` ops.

    Args:
        learning_rate: A non-negative float or a learning rate schedule.
            Defaults to `0.001`.
        initial_accumulator_value: Non-negative float, the accumulators' starting value.
            Defaults to `0.1`.
        epsilon: Small non-negative float added under the root for numerical stability.
            Defaults to `1e-7`.
        **kwargs: The arguments every optimizer shares; see `Optimizer`.

    Slots:
        accumulator: One per weight, same shape, `initial_accumulator_value` at first.

    Example:

    >>> import torch
    >>> from lamina import optimizers
    >>> w = torch.nn.Parameter(torch.tensor([1.0]))
    >>> opt = optimizers.Adagrad(learning_rate=0.1, initial_accumulator_value=0.0)
    >>> _ = opt.apply_gradients([(torch.tensor([2.0]), w)])
    >>> w.detach()  # a = 4, step = 0.1 * 2 / sqrt(4)
    tensor([0.9000])
    """

    def __init__(self, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7,
                 **kwargs):
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.initial_accumulator_value = check_float(
            initial_accumulator_value, "initial_accumulator_value", self)
        self.epsilon = check_float(epsilon, "epsilon", self)

    def build(self, params):
        if self.built:
            return
        super().build(params)
        self._accumulators = self.add_optimizer_variables(
            self._params, "accumulator", initializer=self.initial_accumulator_value)

    def _foreach_update(self, grads, params, learning_rate, accumulator):
        torch._foreach_addcmul_(accumulator, grads, grads)  # a <- a + g ** 2
        denominator = torch._foreach_add(accumulator, self.epsilon)
        torch._foreach_sqrt_(denominator)
        # w <- w - g / (denominator / learning_rate): the rate folded into the denominator
        # saves one pass over the tensors.
        torch._foreach_div_(denominator, learning_rate)
        torch._foreach_addcdiv_(params, grads, denominator, value=-1.0)

    def get_config(self):
        return {**super().get_config(),
                "initial_accumulator_value": self.initial_accumulator_value,
                "epsilon": self.epsilon}
