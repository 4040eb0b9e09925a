"""`AUC`: the area under the ROC or precision-recall curve, from counts at fixed thresholds.

The four confusion counts are kept at `num_thresholds` thresholds from `-epsilon` to
`1 + epsilon` (so predictions of exactly 0 and 1 fall inside), counted as in
`confusion_metrics` (one histogram per update, no host sync). `result()` reads the curve off
the counts and sums it with a Riemann rule: the trapezoid ("interpolation"), the lower
("minoring") or the upper ("majoring") of the two heights. For the PR curve with
"interpolation" the counts, not the precision, are interpolated between thresholds (Davis &
Goadrich, 2006), which is what Keras computes too.
"""

import numbers

import torch

from lamina import config
from lamina.metrics.confusion_metrics import (ThresholdCounter, check_thresholds,
                                              divide_no_nan, is_evenly_distributed, prepare)
from lamina.metrics.metric import Metric
from lamina.registry import register
from lamina.validation import received, validate_positive_int

# Keras' accepted spellings
_CURVES = {"ROC": "ROC", "roc": "ROC", "PR": "PR", "pr": "PR", "PRGAIN": "PRGAIN",
           "prgain": "PRGAIN"}
_SUMMATIONS = {spelling: method for method in ("interpolation", "majoring", "minoring")
               for spelling in (method, method.capitalize())}


@register("keras.metrics", aliases=("auc",))
class AUC(Metric):
    """The area under the ROC curve (or the precision-recall curve) of binary predictions.

    Args:
        num_thresholds: How many thresholds to evaluate the curve at, evenly spaced over
            `[0, 1]`; more gives a finer curve. Must be above 1. Defaults to `200`.
        curve: `"ROC"`, `"PR"` (precision-recall) or `"PRGAIN"` (precision-recall gain).
            Defaults to `"ROC"`.
        summation_method: `"interpolation"`, `"minoring"` or `"majoring"` (see the module
            docstring). Defaults to `"interpolation"`.
        name: Defaults to `None` (`"auc"`).
        dtype: See `Metric`. Defaults to `None`.
        thresholds: A list of thresholds in `[0, 1]` to use instead of `num_thresholds` even
            ones (`-epsilon` and `1 + epsilon` are added at the ends). Defaults to `None`.
        multi_label: Whether `(samples, labels)` inputs hold one binary problem per label (an
            AUC per label, then averaged) rather than entries of one problem. Defaults to
            `False`.
        num_labels: With `multi_label`, the number of labels, so the state is created at once
            (otherwise at the first update). Defaults to `None`.
        label_weights: One non-negative weight per label: with `multi_label` the weights of
            the per-label average, otherwise weights of each label's entries in the counts.
            Defaults to `None`.
        from_logits: Whether `y_pred` holds logits (a sigmoid is applied). Defaults to
            `False`.

    Example:
    >>> metric = AUC(num_thresholds=3)
    >>> metric.update_state([0, 0, 1, 1], [0, 0.5, 0.3, 0.9])
    >>> float(metric.result())
    0.75
    """

    _direction = "up"

    def __init__(self, num_thresholds=200, curve="ROC", summation_method="interpolation",
                 name=None, dtype=None, thresholds=None, multi_label=False, num_labels=None,
                 label_weights=None, from_logits=False):
        super().__init__(name=name, dtype=dtype)
        self.curve = _choice(curve, "curve", _CURVES)
        self.summation_method = _choice(summation_method, "summation_method", _SUMMATIONS)
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(check_thresholds(thresholds, "AUC"))
            self.num_thresholds = len(inner) + 2
            evenly = is_evenly_distributed([0.0] + inner + [1.0])
        else:
            if isinstance(num_thresholds, bool) or not isinstance(num_thresholds,
                                                                  numbers.Integral) \
                    or num_thresholds <= 1:
                raise ValueError("`AUC` expects `num_thresholds` to be an integer above 1. "
                                 + received("num_thresholds", num_thresholds))
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            evenly = True
        epsilon = config.epsilon()
        self._thresholds = [0.0 - epsilon] + inner + [1.0 + epsilon]
        self._counter = ThresholdCounter(self._thresholds, evenly)
        self._counter.register(self)
        self.multi_label = bool(multi_label)
        if num_labels is not None:
            validate_positive_int(num_labels, "num_labels", self)
        self.num_labels = num_labels
        self._from_logits = from_logits
        self._label_weights = None  # a Python list for the config; the tensor is a buffer
        weights = None
        if label_weights is not None:
            weights = torch.as_tensor(label_weights, dtype=self._torch_dtype)
            self._label_weights = weights.tolist()
            weights = weights.to(config.device())
        self.register_buffer("label_weights", weights, persistent=False)
        self._num_labels = None
        if self.multi_label:
            if num_labels:
                self._build((None, num_labels))
        elif num_labels:
            raise ValueError("`AUC` expects `num_labels` only with `multi_label=True`. "
                             + received("num_labels", num_labels))
        else:
            self._build(None)

    @property
    def thresholds(self):
        """The thresholds, `-epsilon` and `1 + epsilon` included."""
        return list(self._thresholds)

    def _build(self, shape):
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError("`AUC` with `multi_label=True` expects `y_pred` of rank 2, "
                                 f"(samples, labels). Received: y_pred.shape={tuple(shape)}.")
            self._num_labels = shape[1]
            if self.label_weights is not None and self.label_weights.numel() != shape[1]:
                raise ValueError(f"`AUC` expects one label weight per label: {shape[1]} "
                                 f"labels, {self.label_weights.numel()} weights in "
                                 f"`label_weights={self._label_weights}`.")
            state_shape = (self.num_thresholds, self._num_labels)
        else:
            state_shape = (self.num_thresholds,)
        for cell in ("true_positives", "false_positives", "true_negatives", "false_negatives"):
            setattr(self, cell, self.add_variable(state_shape, "zeros", name=cell))

    @torch.no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch: `y_true` 0/1 labels, `y_pred` scores (or logits) of the same shape."""
        if not self._variable_keys:  # multi-label, first batch: the labels are known now
            y_pred = torch.as_tensor(y_pred, device=_device_of(y_pred, self))
            self._build(tuple(y_pred.shape))
            self.to(y_pred.device)
        positive, y_pred, weights = prepare(self, y_true, y_pred, sample_weight)
        if self.multi_label and (y_pred.dim() != 2 or y_pred.shape[1] != self._num_labels):
            raise ValueError(f"`AUC` with `multi_label=True` was built for {self._num_labels} "
                             f"labels and expects `y_pred` of shape (samples, "
                             f"{self._num_labels}). Received: y_pred.shape="
                             f"{tuple(y_pred.shape)}.")
        if self._from_logits:
            y_pred = torch.sigmoid(y_pred)
        if self.label_weights is not None and not self.multi_label:
            if y_pred.shape[-1:] != self.label_weights.shape:
                raise ValueError(f"`AUC` expects `y_pred` with one column per label weight "
                                 f"({self.label_weights.numel()}). Received: "
                                 f"y_pred.shape={tuple(y_pred.shape)}.")
            weights = self.label_weights if weights is None else weights * self.label_weights
        tp, fp, positives, negatives = self._counter.counts(
            self, positive, y_pred, weights, multi_label=self.multi_label)
        self.true_positives.add_(tp)
        self.false_positives.add_(fp)
        self.true_negatives.add_(negatives - fp)
        self.false_negatives.add_(positives - tp)

    def result(self):
        if not self._variable_keys:  # a multi-label AUC that has seen no batch yet
            return torch.zeros((), dtype=self._torch_dtype, device=self._state_device())
        tp, fp = self.true_positives, self.false_positives
        tn, fn = self.true_negatives, self.false_negatives
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self._average(self._interpolated_pr_terms())
        recall = divide_no_nan(tp, tp + fn)
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, fp + tn), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, tp + fp)
        else:  # PRGAIN: gains relative to the always-positive classifier
            scale = divide_no_nan(tp + fn, tn + fp)
            none_found = tp == 0
            x = torch.where(none_found, 0.0, 1.0 - scale * divide_no_nan(fn, tp)).clamp(min=0.0)
            y = torch.where(none_found, 1.0, 1.0 - scale * divide_no_nan(fp, tp))
        if self.summation_method == "interpolation":
            heights = (y[:-1] + y[1:]) / 2.0
        elif self.summation_method == "minoring":
            heights = torch.minimum(y[:-1], y[1:])
        else:
            heights = torch.maximum(y[:-1], y[1:])
        return self._average((x[:-1] - x[1:]) * heights)

    def _interpolated_pr_terms(self):
        """Per-interval areas of the PR curve with tp and fp interpolated linearly."""
        tp, fp, fn = self.true_positives, self.false_positives, self.false_negatives
        positives = tp + fp  # predicted positives at each threshold
        dtp = tp[:-1] - tp[1:]
        dp = positives[:-1] - positives[1:]
        slope = divide_no_nan(dtp, dp.clamp(min=0.0))  # precision's slope along the interval
        intercept = tp[1:] - slope * positives[1:]
        both = (positives[:-1] > 0) & (positives[1:] > 0)
        ratio = torch.where(both, divide_no_nan(positives[:-1], positives[1:].clamp(min=0.0)),
                            1.0)
        return divide_no_nan(slope * (dtp + intercept * torch.log(ratio)),
                             (tp[1:] + fn[1:]).clamp(min=0.0))

    def _average(self, terms):
        """Sum the Riemann terms; with `multi_label`, average the per-label areas."""
        if not self.multi_label:
            return terms.sum()
        by_label = terms.sum(dim=0)
        if self.label_weights is None:
            return by_label.mean()
        return divide_no_nan((by_label * self.label_weights).sum(), self.label_weights.sum())

    def get_config(self):
        found = {**super().get_config(), "num_thresholds": self.num_thresholds,
                 "curve": self.curve, "summation_method": self.summation_method,
                 "multi_label": self.multi_label, "num_labels": self.num_labels,
                 "label_weights": self._label_weights, "from_logits": self._from_logits}
        if self._init_from_thresholds:
            found["thresholds"] = self.thresholds[1:-1]
        return found


def _choice(value, arg, table):
    if not isinstance(value, str) or value not in table:
        raise ValueError(f"`AUC` expects `{arg}` to be one of "
                         f"{', '.join(repr(v) for v in dict.fromkeys(table.values()))}. "
                         + received(arg, value))
    return table[value]


def _device_of(y_pred, metric):
    if torch.is_tensor(y_pred):
        return y_pred.device
    if metric.label_weights is not None:
        return metric.label_weights.device
    return config.device()
