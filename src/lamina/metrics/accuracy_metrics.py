"""Accuracy metrics: exact match, thresholded binary, argmax categorical, top-k.

Each function returns one 0/1 value (floatx) per sample; each class is the running mean of its
function (`MeanMetricWrapper`), so sample weights apply as in `Mean`.
"""

import torch

from lamina import config
from lamina.losses.loss import convert_pred, squeeze_or_expand_to_same_rank
from lamina.metrics.reduction_metrics import _BuiltinMeanMetric
from lamina.registry import register
from lamina.validation import validate_positive_int


def _floatx():
    return config.torch_dtype(None)


def _labels(y_true, y_pred):
    return torch.as_tensor(y_true, device=y_pred.device)


def accuracy(y_true, y_pred):
    """1 where `y_true == y_pred` (after casting `y_true` to `y_pred`'s dtype), else 0."""
    y_pred = convert_pred(y_pred, like=y_true)
    y_true = torch.as_tensor(y_true, dtype=y_pred.dtype, device=y_pred.device)
    y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    return (y_true == y_pred).to(_floatx())


@register("keras.metrics")
def binary_accuracy(y_true, y_pred, threshold=0.5):
    """1 where `y_pred > threshold` agrees with the 0/1 label `y_true`, else 0.

    Example:
    >>> import torch
    >>> binary_accuracy(torch.tensor([[1.0], [0.0]]), torch.tensor([[0.7], [0.6]]))
    tensor([[1.],
            [0.]])
    """
    return _binary_matches(y_true, y_pred, threshold).to(_floatx())


def _binary_matches(y_true, y_pred, threshold=0.5):
    """`binary_accuracy` as booleans: the metric classes sum these without a float cast."""
    y_pred = convert_pred(y_pred, like=y_true)
    y_true, y_pred = squeeze_or_expand_to_same_rank(_labels(y_true, y_pred), y_pred)
    return (y_pred > threshold).eq(y_true)  # eq promotes the bools: one kernel


@register("keras.metrics")
def categorical_accuracy(y_true, y_pred):
    """1 where the argmax of one-hot `y_true` equals the argmax of `y_pred`, else 0."""
    return _categorical_matches(y_true, y_pred).to(_floatx())


def _categorical_matches(y_true, y_pred):
    y_pred = convert_pred(y_pred, like=y_true)
    return _labels(y_true, y_pred).argmax(dim=-1) == y_pred.argmax(dim=-1)


@register("keras.metrics")
def sparse_categorical_accuracy(y_true, y_pred):
    """1 where the integer label `y_true` equals the argmax of `y_pred`, else 0.

    Example:
    >>> import torch
    >>> sparse_categorical_accuracy(torch.tensor([[2], [1]]),
    ...                             torch.tensor([[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]]))
    tensor([0., 1.])
    """
    return _sparse_categorical_matches(y_true, y_pred).to(_floatx())


def _sparse_categorical_matches(y_true, y_pred):
    y_pred = convert_pred(y_pred, like=y_true)
    y_true = _labels(y_true, y_pred)
    if y_true.dim() == y_pred.dim() and y_true.shape[-1] == 1:
        y_true = y_true.squeeze(-1)  # (batch, 1) labels
    return y_true == y_pred.argmax(dim=-1)


def _in_top_k(targets, predictions, k):
    """Whether each target's score is among the `k` largest (ties count in its favour)."""
    at_label = predictions.gather(-1, targets.unsqueeze(-1))  # (n, 1)
    at_label = torch.where(at_label.isnan(), float("-inf"), at_label)  # NaN is not a high score
    rank = 1 + (predictions > at_label).sum(dim=-1)
    return rank <= k


def _top_k_matches(targets, y_pred, k):
    shape = targets.shape
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])  # (samples, classes)
    matches = _in_top_k(targets.reshape(-1) if targets.dim() > 1 else targets, y_pred, k)
    return matches.to(_floatx()).reshape(shape)


@register("keras.metrics")
def top_k_categorical_accuracy(y_true, y_pred, k=5):
    """1 where the class of one-hot `y_true` is among the `k` highest-scored, else 0."""
    y_pred = convert_pred(y_pred, like=y_true)
    return _top_k_matches(_labels(y_true, y_pred).argmax(dim=-1), y_pred, k)


@register("keras.metrics")
def sparse_top_k_categorical_accuracy(y_true, y_pred, k=5, from_sorted_ids=False):
    """1 where the integer label `y_true` is among the `k` highest-scored classes, else 0.

    With `from_sorted_ids=True`, `y_pred` holds class ids sorted by score (best first), and
    the label is looked for among the first `k`.

    Example:
    >>> import torch
    >>> sparse_top_k_categorical_accuracy(torch.tensor([2, 0]),
    ...     torch.tensor([[0.1, 0.6, 0.3], [0.1, 0.6, 0.3]]), k=2)
    tensor([1., 0.])
    """
    y_pred = convert_pred(y_pred, like=y_true)
    y_true = _labels(y_true, y_pred)
    if not from_sorted_ids:
        return _top_k_matches(y_true.long(), y_pred, k)
    shape = y_true.shape
    if y_pred.dim() > 2:
        y_pred = y_pred.reshape(-1, y_pred.shape[-1])
    flat = y_true.reshape(-1, 1).to(y_pred.dtype)
    return (flat == y_pred[:, :k]).any(dim=1).to(_floatx()).reshape(shape)


@register("keras.metrics", aliases=("accuracy",))
class Accuracy(_BuiltinMeanMetric):
    """How often predictions equal labels exactly (`accuracy` averaged; see `Mean`).

    Example:
    >>> metric = Accuracy()
    >>> metric.update_state([[1], [2], [3], [4]], [[0], [2], [3], [4]])
    >>> float(metric.result())
    0.75
    """

    def __init__(self, name="accuracy", dtype=None):
        super().__init__(accuracy, name, dtype)
        self._direction = "up"


@register("keras.metrics", aliases=("binary_accuracy",))
class BinaryAccuracy(_BuiltinMeanMetric):
    """How often thresholded predictions match binary labels (`binary_accuracy` averaged).

    Args:
        name: Defaults to `"binary_accuracy"`.
        dtype: See `Metric`. Defaults to `None`.
        threshold: Predictions above it count as 1. Defaults to `0.5`.
    """

    def __init__(self, name="binary_accuracy", dtype=None, threshold=0.5):
        super().__init__(_binary_matches, name, dtype, threshold=threshold)
        self._direction = "up"


@register("keras.metrics", aliases=("categorical_accuracy",))
class CategoricalAccuracy(_BuiltinMeanMetric):
    """How often the argmax matches one-hot labels (`categorical_accuracy` averaged)."""

    def __init__(self, name="categorical_accuracy", dtype=None):
        super().__init__(_categorical_matches, name, dtype)
        self._direction = "up"


@register("keras.metrics", aliases=("sparse_categorical_accuracy",))
class SparseCategoricalAccuracy(_BuiltinMeanMetric):
    """How often the argmax matches integer labels (`sparse_categorical_accuracy` averaged).

    Example:
    >>> metric = SparseCategoricalAccuracy()
    >>> metric.update_state([[2], [1]], [[0.1, 0.6, 0.3], [0.05, 0.95, 0.0]])
    >>> float(metric.result())
    0.5
    """

    def __init__(self, name="sparse_categorical_accuracy", dtype=None):
        super().__init__(_sparse_categorical_matches, name, dtype)
        self._direction = "up"


@register("keras.metrics", aliases=("top_k_categorical_accuracy",))
class TopKCategoricalAccuracy(_BuiltinMeanMetric):
    """How often the one-hot label is in the top `k` (`top_k_categorical_accuracy` averaged).

    Args:
        k: How many top-scored classes count. Defaults to `5`.
        name: Defaults to `"top_k_categorical_accuracy"`.
        dtype: See `Metric`. Defaults to `None`.
    """

    def __init__(self, k=5, name="top_k_categorical_accuracy", dtype=None):
        k = validate_positive_int(k, "k", self.__class__.__name__)
        super().__init__(top_k_categorical_accuracy, name, dtype, k=k)
        self._direction = "up"


@register("keras.metrics", aliases=("sparse_top_k_categorical_accuracy",))
class SparseTopKCategoricalAccuracy(_BuiltinMeanMetric):
    """How often the integer label is in the top `k` (`sparse_top_k_categorical_accuracy`).

    Args:
        k: How many top-scored classes count. Defaults to `5`.
        name: Defaults to `"sparse_top_k_categorical_accuracy"`.
        dtype: See `Metric`. Defaults to `None`.
        from_sorted_ids: Whether `y_pred` holds class ids sorted by score rather than scores.
            Defaults to `False`.
    """

    def __init__(self, k=5, name="sparse_top_k_categorical_accuracy", dtype=None,
                 from_sorted_ids=False):
        k = validate_positive_int(k, "k", self.__class__.__name__)
        super().__init__(sparse_top_k_categorical_accuracy, name, dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self._direction = "up"

    def get_config(self):
        config = super().get_config()
        if not self.from_sorted_ids:
            del config["from_sorted_ids"]  # Keras writes it only when set
        return config
