"""`MonitorCallback`: the shared base of callbacks that watch one logged quantity.

`EarlyStopping` and `ReduceLROnPlateau` (and checkpointing with `save_best_only`) decide, at
each epoch end, whether the monitored value improved on the best one so far. This module holds
that decision once: which direction is better (`mode`), by how much a value must move to count
(`min_delta`), and the warning when the quantity is missing from the logs.
"""

import math
import numbers
import operator
import warnings

from lamina.callbacks.callback import Callback
from lamina.validation import received, validate_choice

MODES = ("auto", "min", "max")


def check_non_negative_int(value, arg, owner):
    """`value` as an int if it is an integer >= 0, else the Keras-style `ValueError`."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
        raise ValueError(f"`{type(owner).__name__}` expects `{arg}` to be a non-negative "
                         "integer. " + received(arg, value))
    return int(value)


def check_finite(value, arg, owner, optional=False):
    """`value` as a float if it is a finite real number (or `None` when `optional`)."""
    if value is None and optional:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) \
            or not math.isfinite(value):
        kind = "a finite float or None" if optional else "a finite float"
        raise ValueError(f"`{type(owner).__name__}` expects `{arg}` to be {kind}. "
                         + received(arg, value))
    return float(value)


class MonitorCallback(Callback):
    """Base class for callbacks that act when a monitored quantity stops improving.

    Not used on its own: `EarlyStopping` and `ReduceLROnPlateau` build on it.

    Args:
        monitor: Name of the quantity in the epoch logs, e.g. `"val_loss"` or
            `"val_accuracy"`. Defaults to `"val_loss"`.
        mode: `"min"` (lower is better), `"max"` (higher is better) or `"auto"`: `"min"` for
            a loss (`loss`, `val_loss`, a per-output `<name>_loss`), otherwise the direction
            the model's metric of that name declares (accuracy: up, errors: down).
            Defaults to `"auto"`.
        baseline: Optional float, the value to beat from the start. Defaults to `None` (the
            first monitored value becomes the best).
        min_delta: An improvement must exceed the best value by more than `abs(min_delta)`.
            Defaults to `0`.

    Raises:
        ValueError: For an unknown `mode` (Keras warns and uses `"auto"`), or when `"auto"`
            cannot tell the direction of the monitored metric.
    """

    def __init__(self, monitor="val_loss", mode="auto", baseline=None, min_delta=0):
        super().__init__()
        if not isinstance(monitor, str):
            raise TypeError(f"`{type(self).__name__}` expects `monitor` to be the name of a "
                            "logged quantity (a string such as 'val_loss'). "
                            + received("monitor", monitor))
        self.monitor = monitor
        self.mode = validate_choice(mode, "mode", MODES, self)
        self.best = check_finite(baseline, "baseline", self, optional=True)
        self.min_delta = abs(check_finite(min_delta, "min_delta", self))
        self.monitor_op = None

    def _set_monitor_op(self):
        """Fix the direction (at the first epoch end, when the model's metrics are built)."""
        if self.mode == "min":
            self.monitor_op = operator.lt
        elif self.mode == "max":
            self.monitor_op = operator.gt
        else:
            direction = self._metric_direction(self.monitor.removeprefix("val_"))
            if direction is None:
                raise ValueError(
                    f"`{type(self).__name__}` cannot tell whether `{self.monitor}` should go "
                    "up or down: no metric of the model with that name declares a direction. "
                    "Pass `mode='max'` to keep the highest value or `mode='min'` to keep the "
                    f"lowest, e.g. `{type(self).__name__}(monitor={self.monitor!r}, "
                    "mode='max')`.")
            self.monitor_op = operator.lt if direction == "down" else operator.gt
        if self.monitor_op is operator.lt:
            self.min_delta = -self.min_delta

    def _metric_direction(self, name):
        if name == "loss":
            return "down"
        model = self.model
        output_losses = {m.name for m in getattr(model, "_output_loss_trackers", ())}
        if name in output_losses:
            return "down"
        found = None
        for metric in getattr(model, "metrics", ()):
            if metric.name == name and getattr(metric, "_direction", None) in ("up", "down"):
                found = metric._direction
        return found

    def _is_improvement(self, monitor_value, reference_value):
        """Whether `monitor_value` beats `reference_value` by more than `min_delta`."""
        if reference_value is None:
            return True
        return self.monitor_op(monitor_value - self.min_delta, reference_value)

    def get_state(self):
        """The state that changes during `fit`, as plain values (for `BackupAndRestore`,
        which saves it with the training state and gives it back through `set_state`)."""
        return {"best": self.best}

    def set_state(self, state):
        """Restore what `get_state` returned."""
        self.best = state["best"]

    def _monitor_value(self, logs, action):
        """The monitored value in `logs`, or `None` with a warning naming the keys there."""
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(f"{action} is conditioned on metric `{self.monitor}` which is not "
                          f"available. Available metrics are: {','.join(logs)}.",
                          stacklevel=3)
        return value
