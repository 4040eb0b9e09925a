"""Correlation metrics: Pearson's and the concordance correlation coefficient.

Each function returns one coefficient per sample (computed along `axis`); each class is the
running mean of its function (`MeanMetricWrapper`), so sample weights apply as in `Mean`.
"""

from lamina import config
from lamina.losses.loss import convert_pred, convert_true, squeeze_or_expand_to_same_rank
from lamina.metrics.reduction_metrics import _BuiltinMeanMetric
from lamina.registry import register


def _pair(y_true, y_pred):
    y_pred = convert_pred(y_pred, like=y_true)
    return squeeze_or_expand_to_same_rank(convert_true(y_true, y_pred), y_pred)


@register("keras.metrics")
def pearson_correlation(y_true, y_pred, axis=-1):
    """Pearson's correlation coefficient of `y_true` and `y_pred` along `axis`.

    The mean of the product of both, each centred and divided by its (population) standard
    deviation.

    Example:
    >>> import torch
    >>> pearson_correlation(torch.tensor([[1.0, 2.0, 3.0]]), torch.tensor([[2.0, 4.0, 6.5]]))
    tensor([0.9979])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    true = y_true - y_true.mean(dim=axis, keepdim=True)
    pred = y_pred - y_pred.mean(dim=axis, keepdim=True)
    true = true / true.std(dim=axis, keepdim=True, correction=0)
    pred = pred / pred.std(dim=axis, keepdim=True, correction=0)
    return (true * pred).mean(dim=axis)


@register("keras.metrics")
def concordance_correlation(y_true, y_pred, axis=-1):
    """Lin's concordance correlation coefficient of `y_true` and `y_pred` along `axis`.

    `mean(2 * (y_true - mean_pred) * (y_pred - mean_pred) / (var_true + var_pred +
    (mean_true - mean_pred) ** 2))`, computed exactly as Keras 3 computes it (its covariance
    term centres `y_true` on the mean of `y_pred`), with `epsilon()` added to the denominator.

    Example:
    >>> import torch
    >>> concordance_correlation(torch.tensor([[1.0, 2.0, 3.0]]),
    ...                         torch.tensor([[1.0, 2.0, 3.0]]))
    tensor([1.0000])
    """
    y_true, y_pred = _pair(y_true, y_pred)
    true_mean = y_true.mean(dim=axis, keepdim=True)
    pred_mean = y_pred.mean(dim=axis, keepdim=True)
    true_var = (y_true - true_mean).var(dim=axis, keepdim=True, correction=0)
    pred_var = (y_pred - pred_mean).var(dim=axis, keepdim=True, correction=0)
    covariance = (y_true - pred_mean) * (y_pred - pred_mean)
    norm = true_var + pred_var + (true_mean - pred_mean).square()
    return (2.0 * covariance / (norm + config.epsilon())).mean(dim=axis)


@register("keras.metrics", aliases=("pearson_correlation",))
class PearsonCorrelation(_BuiltinMeanMetric):
    """The running mean of `pearson_correlation` (1: a perfect positive linear relation).

    Args:
        name: Defaults to `"pearson_correlation"`.
        dtype: See `Metric`. Defaults to `None`.
        axis: The axis (or axes) along which each coefficient is computed. Defaults to `-1`.

    Example:
    >>> metric = PearsonCorrelation()
    >>> metric.update_state([[1.0, 2.0, 3.0], [1.0, 0.0, 1.0]],
    ...                     [[2.0, 4.0, 6.0], [0.0, 1.0, 0.0]])  # coefficients 1 and -1
    >>> metric.update_state([[1.0, 2.0, 3.0]], [[1.0, 2.5, 3.0]])
    >>> round(float(metric.result()), 4)
    0.3203
    """

    def __init__(self, name="pearson_correlation", dtype=None, axis=-1):
        super().__init__(pearson_correlation, name, dtype, axis=axis)
        self._direction = "up"


@register("keras.metrics", aliases=("concordance_correlation",))
class ConcordanceCorrelation(_BuiltinMeanMetric):
    """The running mean of `concordance_correlation` (1: perfect agreement).

    Args:
        name: Defaults to `"concordance_correlation"`.
        dtype: See `Metric`. Defaults to `None`.
        axis: The axis (or axes) along which each coefficient is computed. Defaults to `-1`.
    """

    def __init__(self, name="concordance_correlation", dtype=None, axis=-1):
        super().__init__(concordance_correlation, name, dtype, axis=axis)
        self._direction = "up"
