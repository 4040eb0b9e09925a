"""`LearningRateValue`: what `optimizer.learning_rate` returns, a float that can be assigned.

In Keras the learning rate is a variable: `optimizer.learning_rate.assign(1e-4)` (Keras 3) and
`K.set_value(model.optimizer.lr, 1e-4)` (Keras 2) change it in place. lamina keeps the rate in a
device tensor behind the `learning_rate` property, which reads as a Python float. The float it
returns is a `LearningRateValue`: it is that number for every purpose (arithmetic, formatting,
JSON, comparisons), and it also knows its optimizer, so that assigning to it sets the
optimizer's rate (`optimizer.learning_rate = value`, with that setter's checks).
"""

import weakref

import numpy as np


class LearningRateValue(float):
    """The learning rate an optimizer had when it was read, remembering the optimizer.

    Args:
        value: The rate, a float.
        optimizer: The optimizer it was read from (held by a weak reference).

    Example:
    >>> from lamina import optimizers
    >>> opt = optimizers.SGD(learning_rate=0.1)
    >>> rate = opt.learning_rate
    >>> rate * 2
    0.2
    >>> rate.assign(0.05)
    >>> opt.learning_rate
    0.05
    """

    __slots__ = ("_optimizer",)

    def __new__(cls, value, optimizer):
        self = super().__new__(cls, value)
        self._optimizer = weakref.ref(optimizer)
        return self

    def __reduce__(self):  # copies and pickles are plain floats: they must not hold the optimizer
        return float, (float(self),)

    @property
    def optimizer(self):
        """The optimizer this rate was read from.

        Raises:
            RuntimeError: If that optimizer no longer exists.
        """
        optimizer = self._optimizer()
        if optimizer is None:
            raise RuntimeError("This learning rate belonged to an optimizer that no longer "
                               "exists, so it cannot be assigned. Set the rate on the optimizer "
                               "in use: `model.optimizer.learning_rate = value`.")
        return optimizer

    def assign(self, value):
        """Set the optimizer's learning rate to `value` (as `optimizer.learning_rate = value`),
        taking effect at its next update."""
        self.optimizer.learning_rate = value

    def numpy(self):
        """This value as a numpy float32 scalar, as Keras' variable gives it."""
        return np.float32(self)
