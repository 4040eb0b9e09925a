"""Hinge metrics: the running means of `hinge`, `squared_hinge` and `categorical_hinge`.

The functions are the losses of the same name (`losses.losses`): labels in {0, 1} are read
as {-1, 1} by `hinge` and `squared_hinge`, and `categorical_hinge` expects one-hot labels.
Sample weights apply as in `Mean`.
"""

from lamina.losses.losses import categorical_hinge, hinge, squared_hinge
from lamina.metrics.reduction_metrics import _BuiltinMeanMetric
from lamina.registry import register


@register("keras.metrics", aliases=("hinge",))
class Hinge(_BuiltinMeanMetric):
    """The running mean of `hinge`: `mean(max(1 - y_true * y_pred, 0))` per sample.

    Args:
        name: Defaults to `"hinge"`.
        dtype: See `Metric`. Defaults to `None`.

    Example:
    >>> metric = Hinge()
    >>> metric.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(metric.result()), 4)
    1.3
    """

    def __init__(self, name="hinge", dtype=None):
        super().__init__(hinge, name, dtype)
        self._direction = "down"


@register("keras.metrics", aliases=("squared_hinge",))
class SquaredHinge(_BuiltinMeanMetric):
    """The running mean of `squared_hinge`: `mean(max(1 - y_true * y_pred, 0) ** 2)`.

    Args:
        name: Defaults to `"squared_hinge"`.
        dtype: See `Metric`. Defaults to `None`.

    Example:
    >>> metric = SquaredHinge()
    >>> metric.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(metric.result()), 4)
    1.86
    """

    def __init__(self, name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, name, dtype)
        self._direction = "down"


@register("keras.metrics", aliases=("categorical_hinge",))
class CategoricalHinge(_BuiltinMeanMetric):
    """The running mean of `categorical_hinge`: `max(0, 1 + neg - pos)` per sample, where
    `pos` is the score of the true class and `neg` the best score of the others.

    Args:
        name: Defaults to `"categorical_hinge"`.
        dtype: See `Metric`. Defaults to `None`.

    Example:
    >>> metric = CategoricalHinge()
    >>> metric.update_state([[0.0, 1.0], [0.0, 0.0]], [[0.6, 0.4], [0.4, 0.6]])
    >>> round(float(metric.result()), 4)
    1.4
    """

    def __init__(self, name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, name, dtype)
        self._direction = "down"
