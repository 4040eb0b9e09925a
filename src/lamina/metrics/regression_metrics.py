"""Regression metrics: running means of the regression losses, RMSE, cosine similarity, R2.

Each mean class averages its function's per-sample values over everything it has seen (see
`Mean` for sample weights); the functions are the losses of the same name (`losses.losses`).
`R2Score` accumulates per-column sums instead.
"""

import numbers

import torch

from lamina.losses.loss import convert_pred, convert_true, squeeze_or_expand_to_same_rank
from lamina.losses.losses import (log_cosh, mean_absolute_error,
                                  mean_absolute_percentage_error, mean_squared_error,
                                  mean_squared_logarithmic_error)
from lamina.losses.losses import cosine_similarity as _negative_cosine_similarity
from lamina.metrics.metric import Metric
from lamina.metrics.reduction_metrics import Mean, _BuiltinMeanMetric
from lamina.registry import register
from lamina.validation import received, validate_choice


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


_CLASS_AGGREGATIONS = (None, "uniform_average", "variance_weighted_average")


@register("keras.metrics", aliases=("r2_score",))
class R2Score(Metric):
    """The coefficient of determination `1 - SS_res / SS_tot`, per output column.

    Sums of `y_true`, `y_true ** 2`, squared residuals and weights are accumulated per column
    (so several batches give the same value as one); `result()` combines them. A column whose
    `SS_tot` is zero scores 0.

    Args:
        class_aggregation: How the per-column scores are combined: `"uniform_average"` (their
            mean), `"variance_weighted_average"` (weighted by each column's `SS_tot`) or
            `None` (the vector of scores). Defaults to `"uniform_average"`.
        num_regressors: The number of independent variables `p`, for the adjusted score
            `1 - (1 - R2) * (n - 1) / (n - p - 1)`, with `n` the number of values seen. With
            `p >= n - 1` the plain score is returned (Keras also warns; reading the count to
            warn would need a host sync). Defaults to `0` (plain R2).
        name: Defaults to `"r2_score"`.
        dtype: See `Metric`. Defaults to `None`.

    Input shape:
        `y_true` and `y_pred` of shape `(batch_size, output_dim)` (a trailing size-1 axis is
        squeezed or added to match ranks). `sample_weight` of shape `(batch_size,)`,
        `(batch_size, 1)` or `(batch_size, output_dim)`.

    Example:
    >>> metric = R2Score()
    >>> metric.update_state([[1.0], [4.0], [3.0]], [[2.0], [4.0], [4.0]])
    >>> round(float(metric.result()), 4)
    0.5714
    """

    _direction = "up"

    def __init__(self, class_aggregation="uniform_average", num_regressors=0, name="r2_score",
                 dtype=None):
        super().__init__(name=name, dtype=dtype)
        validate_choice(class_aggregation, "class_aggregation", _CLASS_AGGREGATIONS, self)
        if isinstance(num_regressors, bool) or not isinstance(num_regressors, numbers.Integral) \
                or num_regressors < 0:
            raise ValueError("`R2Score` expects `num_regressors` to be a non-negative integer. "
                             + received("num_regressors", num_regressors))
        self.class_aggregation = class_aggregation
        self.num_regressors = int(num_regressors)
        self.num_samples = self.add_variable((), "zeros", name="num_samples")
        self._built = False

    def _build(self, y_true, y_pred):
        if y_true.dim() != 2 or y_pred.dim() != 2:
            raise ValueError("`R2Score` expects 2D inputs of shape (batch_size, output_dim). "
                             f"Received: y_true.shape={tuple(y_true.shape)}, "
                             f"y_pred.shape={tuple(y_pred.shape)}")
        columns = y_pred.shape[-1]
        self.squared_sum = self.add_variable((columns,), "zeros", name="squared_sum")
        self.sum = self.add_variable((columns,), "zeros", name="sum")
        self.total_mse = self.add_variable((columns,), "zeros", name="residual")
        self.count = self.add_variable((columns,), "zeros", name="count")
        if self.sum.device != self.num_samples.device:
            self.to(self.num_samples.device)  # beside the state the metric was moved with
        self._built = True

    @torch.no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        y_pred = self._on_state_device(y_pred).to(self._torch_dtype)
        y_true = convert_true(y_true, y_pred)
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        if not self._built:
            self._build(y_true, y_pred)
        squared_error = (y_true - y_pred).square()
        if sample_weight is None:
            weighted_true = y_true
            self.count.add_(y_true.shape[0])
        else:
            weight = torch.as_tensor(sample_weight, dtype=self._torch_dtype,
                                     device=y_true.device)
            weight = self._broadcast_weight(weight, y_true.shape)
            weighted_true = y_true * weight
            squared_error = squared_error * weight
            self.count.add_(weight.sum(dim=0))
        self.sum.add_(weighted_true.sum(dim=0))
        self.squared_sum.add_((y_true * weighted_true).sum(dim=0))
        self.total_mse.add_(squared_error.sum(dim=0))
        self.num_samples.add_(y_true.numel())

    @staticmethod
    def _broadcast_weight(weight, shape):
        if weight.dim() == 1:
            weight = weight.unsqueeze(1)  # (batch, 1): one weight per row
        try:
            return weight.expand(shape)
        except RuntimeError as error:
            raise ValueError("`R2Score` expects `sample_weight` of shape (batch_size,), "
                             "(batch_size, 1) or (batch_size, output_dim). Received: "
                             f"sample_weight.shape={tuple(weight.shape)} for inputs of shape "
                             f"{tuple(shape)}") from error

    def result(self):
        if not self._built:
            return torch.zeros((), dtype=self._torch_dtype, device=self.num_samples.device)
        mean = self.sum / self.count
        total = self.squared_sum - self.sum * mean  # SS_tot per column
        scores = 1.0 - self.total_mse / total
        scores = torch.where(scores.isinf(), 0.0, scores)
        if self.class_aggregation == "uniform_average":
            score = scores.mean()
        elif self.class_aggregation == "variance_weighted_average":
            score = (total * scores).sum() / total.sum()
        else:
            score = scores
        if self.num_regressors == 0:
            return score
        n, p = self.num_samples, float(self.num_regressors)
        adjusted = 1.0 - (1.0 - score) * (n - 1.0) / (n - p - 1.0)
        return torch.where(p < n - 1.0, adjusted, score)  # no host sync to choose

    def get_config(self):
        return {**super().get_config(), "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
