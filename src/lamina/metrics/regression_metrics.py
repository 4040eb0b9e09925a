"""Regression metrics: running means of the regression losses, RMSE, cosine similarity.

Each class averages its function's per-sample values over everything it has seen (see `Mean`
for sample weights); the functions are the losses of the same name (`losses.losses`).
"""

import torch

from lamina.losses.loss import convert_pred, convert_true, squeeze_or_expand_to_same_rank
from lamina.losses.losses import (log_cosh, mean_absolute_error,
                                  mean_absolute_percentage_error, mean_squared_error,
                                  mean_squared_logarithmic_error)
from lamina.losses.losses import cosine_similarity as _negative_cosine_similarity
from lamina.metrics.reduction_metrics import Mean, _BuiltinMeanMetric
from lamina.registry import register


@register("keras.metrics", aliases=("mean_squared_error", "mse", "MSE"))
class MeanSquaredError(_BuiltinMeanMetric):
    """The running mean of `mean_squared_error`.

    Example:
    >>> metric = MeanSquaredError()
    >>> metric.update_state([[0.0, 1.0], [0.0, 0.0]], [[1.0, 1.0], [0.0, 0.0]])
    >>> float(metric.result())
    0.25
    """

    def __init__(self, name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, name, dtype)


@register("keras.metrics", aliases=("mean_absolute_error", "mae", "MAE"))
class MeanAbsoluteError(_BuiltinMeanMetric):
    """The running mean of `mean_absolute_error`."""

    def __init__(self, name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, name, dtype)


@register("keras.metrics", aliases=("mean_absolute_percentage_error", "mape", "MAPE"))
class MeanAbsolutePercentageError(_BuiltinMeanMetric):
    """The running mean of `mean_absolute_percentage_error`."""

    def __init__(self, name="mean_absolute_percentage_error", dtype=None):
        super().__init__(mean_absolute_percentage_error, name, dtype)


@register("keras.metrics", aliases=("mean_squared_logarithmic_error", "msle", "MSLE"))
class MeanSquaredLogarithmicError(_BuiltinMeanMetric):
    """The running mean of `mean_squared_logarithmic_error`."""

    def __init__(self, name="mean_squared_logarithmic_error", dtype=None):
        super().__init__(mean_squared_logarithmic_error, name, dtype)


@register("keras.metrics", aliases=("root_mean_squared_error",))
class RootMeanSquaredError(Mean):
    """`sqrt` of the running (weighted) mean of squared errors over all entries seen.

    Args:
        name: Defaults to `"root_mean_squared_error"`.
        dtype: See `Metric`. Defaults to `None`.

    Example:
    >>> metric = RootMeanSquaredError()
    >>> metric.update_state([[0.0, 1.0], [0.0, 0.0]], [[2.0, 1.0], [0.0, 0.0]])
    >>> float(metric.result())
    1.0
    """

    def __init__(self, name="root_mean_squared_error", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self._direction = "down"

    @torch.no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = convert_pred(y_pred, self._torch_dtype, like=y_true)
        y_true, y_pred = squeeze_or_expand_to_same_rank(convert_true(y_true, y_pred), y_pred)
        return super().update_state((y_pred - y_true).square(), sample_weight=sample_weight)

    def result(self):
        return super().result().sqrt()


def cosine_similarity(y_true, y_pred, axis=-1):
    """Cosine similarity along `axis` (1 for aligned vectors): the loss of the same name,
    negated."""
    return -_negative_cosine_similarity(y_true, y_pred, axis=axis)


@register("keras.metrics", aliases=("cosine_similarity",))
class CosineSimilarity(_BuiltinMeanMetric):
    """The running mean of the cosine similarity between labels and predictions.

    Args:
        name: Defaults to `"cosine_similarity"`.
        dtype: See `Metric`. Defaults to `None`.
        axis: The axis along which the similarity is computed. Defaults to `-1`.
    """

    def __init__(self, name="cosine_similarity", dtype=None, axis=-1):
        super().__init__(cosine_similarity, name, dtype, axis=axis)
        self._direction = "up"


@register("keras.metrics", aliases=("log_cosh_error",))
class LogCoshError(_BuiltinMeanMetric):
    """The running mean of `log_cosh`."""

    def __init__(self, name="logcosh", dtype=None):
        super().__init__(log_cosh, name, dtype)
