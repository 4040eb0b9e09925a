"""The best value of one rate where another rate meets a floor, over evenly spaced thresholds.

`SensitivityAtSpecificity`, `SpecificityAtSensitivity`, `PrecisionAtRecall` and
`RecallAtPrecision` keep the four confusion counts at `num_thresholds` thresholds
(`0, 1/(n-1), ..., 1`, or just `0.5` when `n == 1`), counted as in `confusion_metrics`; the
result is the largest value of the reported rate among the thresholds where the constrained
rate is at least the target (0 when none is).
"""

import numbers

import torch

from lamina.metrics.confusion_metrics import (ThresholdCounter, check_class_id,
                                              divide_no_nan, prepare)
from lamina.metrics.metric import Metric
from lamina.registry import register
from lamina.validation import received, validate_positive_int


class SensitivitySpecificityBase(Metric):
    """The four confusion counts at evenly spaced thresholds, and the search for the best
    operating point (see the module docstring).

    Args:
        value: The target of the constrained rate, in `[0, 1]`.
        num_thresholds: How many thresholds to evaluate. Defaults to `200`.
        class_id: The class (column of `(samples, classes)` inputs) to look at. Defaults to
            `None` (all entries, flattened).
        name: Defaults to `None` (the snake-case class name).
        dtype: See `Metric`. Defaults to `None`.
    """

    _direction = "up"
    _target = None  # the argument naming `value`: "specificity", "sensitivity", ...

    def __init__(self, value, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = type(self).__name__
        if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 1:
            raise ValueError(f"`{owner}` expects `{self._target}` to be a float in [0, 1]. "
                             + received(self._target, value))
        self.value = value
        setattr(self, self._target, value)
        self.num_thresholds = validate_positive_int(num_thresholds, "num_thresholds", owner)
        self.class_id = None if class_id is None else check_class_id(class_id, owner)
        if num_thresholds == 1:
            self.thresholds = [0.5]
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
        self._counter = ThresholdCounter(self.thresholds, evenly=num_thresholds > 1)
        self._counter.register(self)
        shape = (len(self.thresholds),)
        for cell in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, cell, self.add_variable(shape, "zeros", name=cell))

    @torch.no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch: `y_true` 0/1 labels, `y_pred` scores of the same shape (or of shape
        `(samples, classes)` with `class_id`)."""
        positive, y_pred, weights = prepare(self, y_true, y_pred, sample_weight,
                                            class_id=self.class_id)
        tp, fp, positives, negatives = self._counter.counts(self, positive, y_pred, weights)
        self.true_positives.add_(tp)
        self.false_positives.add_(fp)
        self.true_negatives.add_(negatives - fp)
        self.false_negatives.add_(positives - tp)

    def _rate(self, which):
        tp, fp = self.true_positives, self.false_positives
        if which == "specificity":
            return divide_no_nan(self.true_negatives, self.true_negatives + fp)
        if which == "precision":
            return divide_no_nan(tp, tp + fp)
        return divide_no_nan(tp, tp + self.false_negatives)  # sensitivity, alias recall

    def _best(self, constrained, reported):
        feasible = self._rate(constrained) >= self.value
        return torch.where(feasible, self._rate(reported), 0.0).max().clamp(min=0.0)

    def get_config(self):
        return {**super().get_config(), "class_id": self.class_id,
                "num_thresholds": self.num_thresholds, self._target: self.value}


@register("keras.metrics", aliases=("sensitivity_at_specificity",))
class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (`tp / (tp + fn)`) where specificity (`tn / (tn + fp)`) is at least
    `specificity`.

    Args:
        specificity: The specificity floor, in `[0, 1]`.
        num_thresholds: See `SensitivitySpecificityBase`. Defaults to `200`.
        class_id: See `SensitivitySpecificityBase`. Defaults to `None`.
        name: Defaults to `None` (`"sensitivity_at_specificity"`).
        dtype: See `Metric`. Defaults to `None`.

    Example:
    >>> metric = SensitivityAtSpecificity(0.5)
    >>> metric.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(metric.result())
    0.5
    """

    _target = "specificity"

    def __init__(self, specificity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(specificity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("specificity", "sensitivity")


@register("keras.metrics", aliases=("specificity_at_sensitivity",))
class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity where sensitivity is at least `sensitivity`.

    Arguments as for `SensitivityAtSpecificity`, with `sensitivity` the floor.

    Example:
    >>> metric = SpecificityAtSensitivity(0.5)
    >>> metric.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> round(float(metric.result()), 4)
    0.6667
    """

    _target = "sensitivity"

    def __init__(self, sensitivity, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(sensitivity, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("sensitivity", "specificity")


@register("keras.metrics", aliases=("precision_at_recall",))
class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision (`tp / (tp + fp)`) where recall (`tp / (tp + fn)`) is at least
    `recall`.

    Arguments as for `SensitivityAtSpecificity`, with `recall` the floor.

    Example:
    >>> metric = PrecisionAtRecall(0.5)
    >>> metric.update_state([0, 0, 0, 1, 1], [0, 0.3, 0.8, 0.3, 0.8])
    >>> float(metric.result())
    0.5
    """

    _target = "recall"

    def __init__(self, recall, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(recall, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("recall", "precision")


@register("keras.metrics", aliases=("recall_at_precision",))
class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall where precision is at least `precision`.

    Arguments as for `SensitivityAtSpecificity`, with `precision` the floor.

    Example:
    >>> metric = RecallAtPrecision(0.8)
    >>> metric.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(metric.result())
    0.5
    """

    _target = "precision"

    def __init__(self, precision, num_thresholds=200, class_id=None, name=None, dtype=None):
        super().__init__(precision, num_thresholds, class_id, name, dtype)

    def result(self):
        return self._best("precision", "recall")
