"""Confusion-matrix metrics: counts at thresholds, precision, recall and the `X`-at-`Y` family.

Every metric here counts, for each threshold `t`, the (weighted) predictions with
`y_pred > t` whose label is positive (true positives) or negative (false positives); false
negatives and true negatives are the label totals minus those. The counting is one histogram,
not a comparison per threshold: each prediction gets the index of the thresholds it exceeds,
one `index_add_` files the weights under `(label, index)`, and a cumulative sum from the top
turns the histogram into counts at every threshold. That is O(samples + thresholds) work and
memory, with no host sync.

The index is found as Keras 3 finds it, so results agree at the edges:
- evenly spaced thresholds (`i / (n - 1)`, the usual case) bucket the prediction clipped to
  `[0, 1]` by `ceil(y_pred * (n - 1))`, with the lowest bucket widened when the end thresholds
  carry an epsilon (as `AUC`'s `-1e-7` and `1 + 1e-7` do);
- any other thresholds use an exact `y_pred > t` (a `searchsorted` over the sorted thresholds).

`AUC` (`auc.py`) and the `X`-at-`Y` metrics (`sensitivity_metrics.py`) count with the same
`ThresholdCounter` and `prepare`.
"""

import numbers

import numpy as np
import torch

from lamina import config
from lamina.losses.loss import squeeze_or_expand_to_same_rank
from lamina.metrics.metric import Metric
from lamina.registry import register
from lamina.validation import received, validate_positive_int

NEG_INF = -1e10  # the score `top_k` gives to predictions outside the top k (Keras' value)


def divide_no_nan(numerator, denominator):
    """`numerator / denominator`, with 0 where the denominator is 0."""
    return torch.where(denominator == 0, 0.0, numerator / denominator)


def check_thresholds(thresholds, owner):
    """`thresholds` (a number or a list of numbers in `[0, 1]`) as a list of floats."""
    values = thresholds if isinstance(thresholds, (list, tuple)) else [thresholds]
    if not values or not all(isinstance(t, numbers.Real) and not isinstance(t, bool)
                             and 0 <= t <= 1 for t in values):
        raise ValueError(f"`{owner}` expects `thresholds` to be a float in [0, 1] or a list of "
                         "them. " + received("thresholds", thresholds))
    return [float(t) for t in values]


def is_evenly_distributed(thresholds):
    """Whether `thresholds` are `i / (n - 1)` for `i = 0..n-1` (Keras' test, n >= 3)."""
    count = len(thresholds)
    return count >= 3 and bool(np.allclose(
        thresholds, np.arange(count, dtype=np.float32) / (count - 1), atol=config.epsilon()))


class ThresholdCounter:
    """Counts weighted positives and negatives above a fixed list of thresholds.

    Built once per metric (the thresholds are Python numbers); `register` puts the sorted
    thresholds on the metric as a non-persistent buffer, so they follow `.to(device)` and
    never travel from the host during an update.

    Args:
        thresholds: The thresholds, in the order the metric reports them.
        evenly: Whether to bucket as for evenly spaced thresholds (see the module docstring).
    """

    def __init__(self, thresholds, evenly):
        self.count = len(thresholds)
        self.evenly = evenly
        self.with_epsilon = thresholds[0] < 0.0 or thresholds[-1] > 1.0
        order = sorted(range(self.count), key=lambda i: thresholds[i])
        self.sorted = [thresholds[i] for i in order]
        # Where each threshold sits in the sorted list; `None` when already sorted.
        rank = [order.index(i) for i in range(self.count)]
        self.rank = None if rank == list(range(self.count)) else rank

    def register(self, metric):
        if not self.evenly:
            metric.register_buffer("_sorted_thresholds", torch.tensor(
                self.sorted, dtype=metric._torch_dtype, device=config.device()),
                persistent=False)
        if self.rank is not None:
            metric.register_buffer("_threshold_rank", torch.tensor(
                self.rank, device=config.device()), persistent=False)

    def _index(self, y_pred, metric):
        """How many thresholds each prediction exceeds, bucketed as Keras does: `0..count`."""
        if self.evenly:
            index = torch.ceil(y_pred.clamp(0.0, 1.0) * (self.count - 1))
            if self.with_epsilon:  # every prediction in [0, 1] exceeds the `-epsilon` threshold
                index = index.clamp_(min=1.0)
            return index.long()
        if self.count == 1:  # the usual `Precision()`: a comparison beats a binary search
            return torch.gt(y_pred, metric._sorted_thresholds).long()
        return torch.searchsorted(metric._sorted_thresholds, y_pred.contiguous())

    def counts(self, metric, positive, y_pred, weights, multi_label=False):
        """Weighted counts above each threshold.

        Args:
            metric: The metric holding the threshold buffers.
            positive: Booleans, the labels, shaped as `y_pred`.
            y_pred: Predictions of any shape (all entries counted together), or
                `(samples, labels)` with `multi_label`.
            weights: Weights broadcastable to `y_pred`, a Python number, or `None`.
            multi_label: Whether to count each label (last axis) apart.

        Returns:
            `(tp, fp, positives, negatives)`: `tp` and `fp` of shape `(thresholds,)` (or
            `(thresholds, labels)`), and the label totals, `()` (or `(labels,)`).
        """
        labels = y_pred.shape[-1] if multi_label else 1
        size = self.count + 1
        # Positives fill bins [0, size), negatives [size, 2 * size), each in reverse order of
        # the index, so that one cumsum from the bottom gives "at or above" counts.
        bins = torch.where(positive, self.count, self.count + size) - self._index(y_pred, metric)
        if multi_label:
            bins = bins + 2 * size * torch.arange(labels, device=bins.device)
        if weights is None:
            weights = torch.ones_like(y_pred)
        elif torch.is_tensor(weights):
            weights = torch.broadcast_to(weights, y_pred.shape)
        else:  # a Python number
            weights = torch.full_like(y_pred, weights)
        histogram = torch.zeros(labels * 2 * size, dtype=y_pred.dtype, device=y_pred.device)
        histogram.index_add_(0, bins.reshape(-1), weights.reshape(-1))
        above = histogram.view(labels, 2, size).cumsum(-1)  # [..., j]: index >= count - j
        totals = above[:, :, -1]  # (labels, 2)
        counts = above[:, :, :-1].flip(-1)  # (labels, 2, thresholds), sorted order
        if self.rank is not None:
            counts = counts[..., metric._threshold_rank]
        if multi_label:
            return counts[:, 0].T, counts[:, 1].T, totals[:, 0], totals[:, 1]
        return counts[0, 0], counts[0, 1], totals[0, 0], totals[0, 1]


def prepare(metric, y_true, y_pred, sample_weight, top_k=None, class_id=None):
    """Bring a batch to the state's device and dtype and apply Keras' shape rules.

    Returns:
        `(positive, y_pred, weights)`: boolean labels and predictions of one shape, and
        weights broadcastable to it (a tensor, a Python number or `None`).
    """
    device, dtype = metric._state_device(), metric._torch_dtype
    y_pred = torch.as_tensor(y_pred, device=device).detach().to(dtype)
    y_true = torch.as_tensor(y_true, device=device)  # only `!= 0` is used: no cast needed
    y_pred, y_true = squeeze_or_expand_to_same_rank(y_pred, y_true)
    if torch.is_tensor(sample_weight) or isinstance(sample_weight, (list, tuple, np.ndarray)):
        sample_weight = torch.as_tensor(sample_weight, device=device).to(dtype).unsqueeze(-1)
        _, sample_weight = squeeze_or_expand_to_same_rank(y_true, sample_weight,
                                                          expand_rank_1=False)
    name = type(metric).__name__
    classes = y_pred.shape[-1] if y_pred.dim() else 0
    if class_id is not None and (y_pred.dim() < 2 or class_id >= classes):
        raise ValueError(f"`{name}` expects `y_pred` of shape (samples, classes) with more than "
                         f"`class_id={class_id}` classes. "
                         f"Received: y_pred.shape={tuple(y_pred.shape)}.")
    if top_k is not None and top_k > classes:
        raise ValueError(f"`{name}` expects `y_pred` with at least `top_k={top_k}` classes on "
                         f"its last axis. Received: y_pred.shape={tuple(y_pred.shape)}.")
    if tuple(y_true.shape) != tuple(y_pred.shape):
        raise ValueError(f"`{name}` expects `y_true` and `y_pred` of the same shape. "
                         f"Received: y_true.shape={tuple(y_true.shape)}, "
                         f"y_pred.shape={tuple(y_pred.shape)}.")
    if top_k is not None:
        keep = torch.zeros_like(y_pred, dtype=torch.bool).scatter_(
            -1, y_pred.topk(top_k, dim=-1).indices, True)
        y_pred = torch.where(keep, y_pred, NEG_INF)
    if class_id is not None:
        y_true, y_pred = y_true[..., class_id, None], y_pred[..., class_id, None]
    if torch.is_tensor(sample_weight):
        try:
            fits = torch.broadcast_shapes(sample_weight.shape, y_pred.shape) == y_pred.shape
        except RuntimeError:
            fits = False
        if not fits:
            raise ValueError(f"`{name}` expects `sample_weight` broadcastable to the shape of "
                             f"`y_pred`, {tuple(y_pred.shape)}. Received: "
                             f"sample_weight.shape={tuple(sample_weight.shape)}.")
    return y_true != 0, y_pred, sample_weight


class _ConfusionMatrixConditionCount(Metric):
    """One cell of the confusion matrix, summed at each threshold (see `TruePositives`)."""

    _cell = None  # "tp", "fp", "tn" or "fn"

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = check_thresholds(0.5 if thresholds is None else thresholds,
                                           type(self).__name__)
        self._counter = ThresholdCounter(self.thresholds, is_evenly_distributed(self.thresholds))
        self._counter.register(self)
        self.accumulator = self.add_variable((len(self.thresholds),), "zeros",
                                             name="accumulator")

    @torch.no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch: `y_true` 0/1 labels, `y_pred` scores of the same shape."""
        positive, y_pred, weights = prepare(self, y_true, y_pred, sample_weight)
        tp, fp, positives, negatives = self._counter.counts(self, positive, y_pred, weights)
        cell = {"tp": lambda: tp, "fp": lambda: fp, "fn": lambda: positives - tp,
                "tn": lambda: negatives - fp}[self._cell]()
        self.accumulator.add_(cell)

    def result(self):
        if len(self.thresholds) == 1:
            return self.accumulator[0].clone()
        return self.accumulator.clone()

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds}


@register("keras.metrics", aliases=("true_positives",))
class TruePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of positive labels predicted above each threshold.

    Args:
        thresholds: A float in `[0, 1]` or a list of them (the result then has one count per
            threshold); a prediction above a threshold counts as positive. Defaults to `None`,
            meaning `0.5`.
        name: Defaults to `None` (the snake-case class name).
        dtype: See `Metric`. Defaults to `None`.

    Example:
    >>> metric = TruePositives()
    >>> metric.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> float(metric.result())
    2.0
    """

    _cell = "tp"


@register("keras.metrics", aliases=("false_positives",))
class FalsePositives(_ConfusionMatrixConditionCount):
    """The (weighted) number of negative labels predicted above each threshold.

    Arguments as for `TruePositives`.

    Example:
    >>> metric = FalsePositives(thresholds=[0.3, 0.7])
    >>> metric.update_state([0, 0, 1, 0], [0.5, 0.9, 1.0, 0.1])
    >>> metric.result().tolist()
    [2.0, 1.0]
    """

    _cell = "fp"


@register("keras.metrics", aliases=("true_negatives",))
class TrueNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of negative labels predicted at or below each threshold.

    Arguments as for `TruePositives`.
    """

    _cell = "tn"


@register("keras.metrics", aliases=("false_negatives",))
class FalseNegatives(_ConfusionMatrixConditionCount):
    """The (weighted) number of positive labels predicted at or below each threshold.

    Arguments as for `TruePositives`.
    """

    _cell = "fn"


class _PrecisionRecall(Metric):
    """`Precision` and `Recall`: a ratio of counts at each threshold (see `Precision`)."""

    _direction = "up"
    _other = None  # the count beside the true positives: "false_positives" or "..._negatives"

    def __init__(self, thresholds=None, top_k=None, class_id=None, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = type(self).__name__
        self.init_thresholds = thresholds
        self.top_k = None if top_k is None else validate_positive_int(top_k, "top_k", owner)
        self.class_id = None if class_id is None else check_class_id(class_id, owner)
        if thresholds is None:  # with top_k, any prediction in the top k counts
            self.thresholds = [0.5 if top_k is None else NEG_INF]
        else:
            self.thresholds = check_thresholds(thresholds, owner)
        self._counter = ThresholdCounter(self.thresholds, is_evenly_distributed(self.thresholds))
        self._counter.register(self)
        shape = (len(self.thresholds),)
        self.true_positives = self.add_variable(shape, "zeros", name="true_positives")
        setattr(self, self._other, self.add_variable(shape, "zeros", name=self._other))

    @torch.no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch: `y_true` 0/1 labels, `y_pred` scores of the same shape (or of shape
        `(samples, classes)` with `top_k` or `class_id`)."""
        positive, y_pred, weights = prepare(self, y_true, y_pred, sample_weight,
                                            self.top_k, self.class_id)
        tp, fp, positives, _ = self._counter.counts(self, positive, y_pred, weights)
        self.true_positives.add_(tp)
        getattr(self, self._other).add_(fp if self._other == "false_positives"
                                        else positives - tp)

    def result(self):
        tp = self.true_positives
        value = divide_no_nan(tp, tp + getattr(self, self._other))
        return value[0] if len(self.thresholds) == 1 else value

    def get_config(self):
        return {**super().get_config(), "thresholds": self.init_thresholds,
                "top_k": self.top_k, "class_id": self.class_id}


def check_class_id(class_id, owner):
    if isinstance(class_id, bool) or not isinstance(class_id, numbers.Integral) or class_id < 0:
        raise ValueError(f"`{owner}` expects `class_id` to be a non-negative integer. "
                         + received("class_id", class_id))
    return int(class_id)


@register("keras.metrics", aliases=("precision",))
class Precision(_PrecisionRecall):
    """The fraction of positive predictions that are right: `tp / (tp + fp)`.

    A prediction counts as positive when it is above the threshold. With `top_k`, only the `k`
    highest scores of each sample (last axis) can count; with `class_id`, only that class
    (column) of `(samples, classes)` inputs is looked at.

    Args:
        thresholds: A float in `[0, 1]` or a list of them; the result then has one value per
            threshold. Defaults to `None`: `0.5`, or with `top_k` any score in the top k.
        top_k: Count only the `k` best-scored classes of each sample. Defaults to `None`.
        class_id: The class to compute precision for. Defaults to `None` (all entries).
        name: Defaults to `None` (`"precision"`).
        dtype: See `Metric`. Defaults to `None`.

    Example:
    >>> metric = Precision()
    >>> metric.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(metric.result()), 4)
    0.6667
    >>> metric = Precision(top_k=2)
    >>> metric.update_state([[0, 0, 1, 1]], [[0.9, 0.8, 0.1, 0.2]])
    >>> float(metric.result())
    0.0
    """

    _other = "false_positives"


@register("keras.metrics", aliases=("recall",))
class Recall(_PrecisionRecall):
    """The fraction of positive labels that are found: `tp / (tp + fn)`.

    Arguments as for `Precision`.

    Example:
    >>> metric = Recall()
    >>> metric.update_state([0, 1, 1, 1], [1, 0, 1, 1])
    >>> round(float(metric.result()), 4)
    0.6667
    """

    _other = "false_negatives"
