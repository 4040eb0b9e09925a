"""`ReduceLROnPlateau`: lower the learning rate when a monitored quantity stops improving."""

import numpy as np

from lamina.callbacks.monitor_callback import (
    MonitorCallback,
    check_finite,
    check_non_negative_int,
)
from lamina.registry import register
from lamina.validation import received, validate_rate


def learning_rate_of(optimizer):
    """The optimizer's current learning rate as Keras reads it: its float32 value, as a float.

    Reading it costs no host-device sync for a float rate (the optimizer keeps a host copy).
    """
    return float(np.float32(optimizer.learning_rate))


@register("keras.callbacks")
class ReduceLROnPlateau(MonitorCallback):
    """Multiply the learning rate by `factor` when a monitored quantity stops improving.

    At each epoch end (see `MonitorCallback` for `mode` and `min_delta`): an improvement
    resets the count of epochs without one; after `patience` such epochs the rate becomes
    `max(rate * factor, min_lr)` (if it is above `min_lr`), and the count is held at zero for
    `cooldown` epochs. The new rate is written into the optimizer's rate tensor on the
    device, so the next step uses it without recompiling anything. The epoch logs get a
    `"learning_rate"` entry (the rate used during that epoch), which `History` records.

    Args:
        monitor: Quantity to watch in the epoch logs. Defaults to `"val_loss"`.
        factor: Float in `[0, 1)`: `new_lr = lr * factor`. Defaults to `0.1`.
        patience: Number of epochs without improvement before the rate is lowered.
            Defaults to `10`.
        verbose: 0 (silent) or 1 (print a line when the rate changes). Defaults to `0`.
        mode: `"auto"`, `"min"` or `"max"`; see `MonitorCallback`. Defaults to `"auto"`.
        min_delta: Smallest change that counts as an improvement. Defaults to `1e-4`.
        cooldown: Number of epochs after a reduction during which epochs without
            improvement are not counted. Defaults to `0`.
        min_lr: Lower bound of the learning rate. Defaults to `0.0`.

    Raises:
        ValueError: For `factor` outside `[0, 1)` or a negative `patience`, `cooldown` or
            `min_lr`.

    Example:

    >>> import lamina as keras
    >>> reduce_lr = keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.2,
    ...                                               patience=5, min_lr=0.001)
    >>> reduce_lr.factor, reduce_lr.cooldown
    (0.2, 0)
    """

    def __init__(self, monitor="val_loss", factor=0.1, patience=10, verbose=0, mode="auto",
                 min_delta=1e-4, cooldown=0, min_lr=0.0):
        super().__init__(monitor, mode, min_delta=min_delta)
        self.factor = validate_rate(factor, "factor", self)
        self.min_lr = check_finite(min_lr, "min_lr", self)
        if self.min_lr < 0:
            raise ValueError("`ReduceLROnPlateau` expects `min_lr` to be a non-negative float. "
                             + received("min_lr", min_lr))
        self.patience = check_non_negative_int(patience, "patience", self)
        self.verbose = verbose
        self.cooldown = check_non_negative_int(cooldown, "cooldown", self)
        self.cooldown_counter = 0
        self.wait = 0

    def _reset(self):
        self.best = None
        self.cooldown_counter = 0
        self.wait = 0

    def on_train_begin(self, logs=None):
        self._reset()

    def get_state(self):
        """See `MonitorCallback.get_state` (the rate itself is the optimizer's state)."""
        return {**super().get_state(), "wait": self.wait,
                "cooldown_counter": self.cooldown_counter}

    def set_state(self, state):
        super().set_state(state)
        self.wait, self.cooldown_counter = state["wait"], state["cooldown_counter"]

    def in_cooldown(self):
        return self.cooldown_counter > 0

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor_op is None:
            self._set_monitor_op()
        logs = {} if logs is None else logs
        optimizer = self.model.optimizer
        logs["learning_rate"] = learning_rate_of(optimizer)
        current = self._monitor_value(logs, "Learning rate reduction")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._is_improvement(current, self.best):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            self.wait += 1
            if self.wait >= self.patience and self._reduce(optimizer, epoch):
                self.cooldown_counter = self.cooldown
                self.wait = 0

    def _reduce(self, optimizer, epoch):
        """Lower the rate unless it is already at `min_lr`; return whether it changed."""
        old_lr = learning_rate_of(optimizer)
        if old_lr <= float(np.float32(self.min_lr)):
            return False
        new_lr = max(old_lr * self.factor, self.min_lr)
        optimizer.learning_rate = new_lr  # fills the device tensor: no host-device sync
        if self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: ReduceLROnPlateau reducing learning rate to {new_lr}.")
        return True
