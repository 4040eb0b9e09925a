"""`LearningRateScheduler`: set the learning rate at the start of each epoch from a function."""

import inspect
import numbers

import numpy as np
import torch

from lamina.callbacks.callback import Callback
from lamina.callbacks.reduce_lr_on_plateau import learning_rate_of
from lamina.registry import register
from lamina.validation import received


def _takes_rate(schedule):
    """Whether `schedule` accepts `(epoch, lr)`; `False` when it takes only `epoch`."""
    try:
        parameters = inspect.signature(schedule).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: assume Keras' new API
        return True
    positional = 0
    for parameter in parameters:
        if parameter.kind is parameter.VAR_POSITIONAL:
            return True
        if parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD):
            positional += 1
    return positional >= 2


def _as_rate(value):
    """A schedule's output as a float; `None` if it is not a real number."""
    if isinstance(value, (torch.Tensor, np.ndarray)) and value.ndim == 0:
        value = value.item()  # host sync if on a device: once per epoch, at most
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real,
                                                                     np.number)):
        return None
    return float(value)


@register("keras.callbacks")
class LearningRateScheduler(Callback):
    """Set the optimizer's learning rate at the start of every epoch.

    Args:
        schedule: A function `schedule(epoch, lr)` of the 0-based epoch index and the
            current learning rate (a float) that returns the new rate, or `schedule(epoch)`
            (Keras 2's form; the form is chosen from the function's signature).
        verbose: 0 (silent) or 1 (print the rate set at each epoch). Defaults to `0`.

    The epoch logs get a `"learning_rate"` entry, which `History` records. Setting the rate
    fills the optimizer's rate tensor on the device: no host-device sync.

    Raises:
        TypeError: If `schedule` is not callable.
        ValueError: If `schedule` returns something other than a number.

    Example:

    >>> import math
    >>> import numpy as np
    >>> import lamina as keras
    >>> def scheduler(epoch, lr):  # keep the rate for 10 epochs, then decay it
    ...     return lr if epoch < 10 else lr * math.exp(-0.1)
    >>> model = keras.Sequential([keras.Input((20,)), keras.layers.Dense(10)])
    >>> model.compile(keras.optimizers.SGD(), loss="mse")
    >>> round(model.optimizer.learning_rate, 5)
    0.01
    >>> callback = keras.callbacks.LearningRateScheduler(scheduler)
    >>> history = model.fit(np.arange(100).reshape(5, 20), np.zeros((5, 10)), epochs=15,
    ...                     callbacks=[callback], verbose=0)
    >>> round(model.optimizer.learning_rate, 5)
    0.00607
    """

    def __init__(self, schedule, verbose=0):
        super().__init__()
        if not callable(schedule):
            raise TypeError("`LearningRateScheduler` expects `schedule` to be a function "
                            "`schedule(epoch, lr) -> new lr`. " + received("schedule", schedule))
        self.schedule = schedule
        self.verbose = verbose
        self._takes_rate = _takes_rate(schedule)

    def on_epoch_begin(self, epoch, logs=None):
        optimizer = self.model.optimizer
        if self._takes_rate:
            output = self.schedule(epoch, learning_rate_of(optimizer))
        else:
            output = self.schedule(epoch)
        learning_rate = _as_rate(output)
        if learning_rate is None:
            raise ValueError("`LearningRateScheduler` expects `schedule` to return a float "
                             f"learning rate. At epoch {epoch} it returned {output!r} "
                             f"(of type {type(output).__name__}).")
        optimizer.learning_rate = learning_rate
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to "
                  f"{learning_rate}.")

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = learning_rate_of(self.model.optimizer)
