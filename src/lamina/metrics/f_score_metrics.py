"""`FBetaScore` and `F1Score`: the weighted harmonic mean of precision and recall, per class.

`F_beta = (1 + beta^2) * precision * recall / (beta^2 * precision + recall)`. The state is the
true positives, false positives and false negatives of each class (one number each with
`average="micro"`) and the count of positive labels per class, used by `average="weighted"`.
It is created at the first update, when the number of classes is known.
"""

import numbers

import torch

from lamina import config
from lamina.metrics.metric import Metric
from lamina.registry import register
from lamina.validation import received, validate_choice

_AVERAGES = (None, "micro", "macro", "weighted")


@register("keras.metrics", aliases=("f_beta_score",))
class FBetaScore(Metric):
    """The F-beta score of multi-label (or one-hot) classification, `(samples, classes)`.

    A prediction is positive when above `threshold`; with `threshold=None`, the highest score
    of each sample is the positive one (ties all count; an all-zero row counts none).

    Args:
        average: How to combine the classes: `None` (one score per class), `"micro"` (one
            score from the counts summed over classes), `"macro"` (the mean of the class
            scores) or `"weighted"` (their mean weighted by each class' positive labels).
            Defaults to `None`.
        beta: How much more recall weighs than precision; above 0. Defaults to `1.0`.
        threshold: A float in `(0, 1]`, or `None` for the top score. Defaults to `None`.
        name: Defaults to `"fbeta_score"`.
        dtype: See `Metric`. Defaults to `None`.

    Example:
    >>> metric = FBetaScore(beta=2.0, threshold=0.5, average="micro")
    >>> metric.update_state([[1, 0, 1], [0, 1, 0]], [[0.8, 0.7, 0.2], [0.1, 0.9, 0.6]])
    >>> round(float(metric.result()), 4)
    0.625
    """

    _direction = "up"

    def __init__(self, average=None, beta=1.0, threshold=None, name="fbeta_score", dtype=None):
        super().__init__(name=name, dtype=dtype)
        owner = type(self).__name__
        self.average = validate_choice(average, "average", _AVERAGES, owner)
        if isinstance(beta, bool) or not isinstance(beta, numbers.Real) or not beta > 0:
            raise ValueError(f"`{owner}` expects `beta` to be a float above 0. "
                             + received("beta", beta))
        if threshold is not None and (isinstance(threshold, bool)
                                      or not isinstance(threshold, numbers.Real)
                                      or not 0 < threshold <= 1):
            raise ValueError(f"`{owner}` expects `threshold` to be a float in (0, 1] or None. "
                             + received("threshold", threshold))
        self.beta = float(beta)
        self.threshold = None if threshold is None else float(threshold)
        self.axis = None if average == "micro" else 0
        self._num_classes = None

    def _build(self, y_true_shape, y_pred_shape, device):
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError(f"`{type(self).__name__}` expects `y_true` and `y_pred` of shape "
                             f"(samples, classes). Received: y_true.shape={y_true_shape}, "
                             f"y_pred.shape={y_pred_shape}.")
        self._num_classes = y_pred_shape[-1]
        shape = () if self.average == "micro" else (self._num_classes,)
        for cell in ("true_positives", "false_positives", "false_negatives",
                     "intermediate_weights"):
            setattr(self, cell, self.add_variable(shape, "zeros", name=cell))
        self.to(device)

    @torch.no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch: `y_true` 0/1 labels and `y_pred` scores, both `(samples, classes)`;
        `sample_weight` one weight per sample."""
        device = self._state_device() if self._variable_keys else (
            y_pred.device if torch.is_tensor(y_pred) else config.device())
        y_pred = torch.as_tensor(y_pred, device=device).detach().to(self._torch_dtype)
        y_true = torch.as_tensor(y_true, device=device).to(self._torch_dtype)
        if self._num_classes is None:
            self._build(tuple(y_true.shape), tuple(y_pred.shape), device)
        if y_pred.dim() != 2 or tuple(y_true.shape) != tuple(y_pred.shape) or \
                y_pred.shape[1] != self._num_classes:
            raise ValueError(f"`{type(self).__name__}` was built for {self._num_classes} "
                             f"classes and expects `y_true` and `y_pred` of shape (samples, "
                             f"{self._num_classes}). Received: y_true.shape="
                             f"{tuple(y_true.shape)}, y_pred.shape={tuple(y_pred.shape)}.")
        if self.threshold is None:  # the top score, unless it is 0
            top = y_pred.amax(dim=-1, keepdim=True)
            predicted = (y_pred >= top) & (y_pred.abs() > 1e-9)
        else:
            predicted = y_pred > self.threshold
        predicted = predicted.to(self._torch_dtype)
        weight = None
        if sample_weight is not None:
            weight = torch.as_tensor(sample_weight, device=device).to(self._torch_dtype)
            weight = weight.reshape(-1, 1) if weight.dim() else weight  # (samples, 1)
        dims = None if self.axis is None else (0,)

        def weighted_sum(values):
            if weight is not None:
                values = values * weight
            return values.sum(dim=dims) if dims else values.sum()

        hits = predicted * y_true
        self.true_positives.add_(weighted_sum(hits))
        self.false_positives.add_(weighted_sum(predicted - hits))
        self.false_negatives.add_(weighted_sum(y_true - hits))
        self.intermediate_weights.add_(weighted_sum(y_true))

    def result(self):
        if self._num_classes is None:  # nothing seen yet
            return torch.zeros((), dtype=self._torch_dtype, device=self._state_device())
        epsilon = config.epsilon()
        tp = self.true_positives
        precision = tp / (tp + self.false_positives + epsilon)
        recall = tp / (tp + self.false_negatives + epsilon)
        beta_squared = self.beta ** 2
        score = precision * recall / (beta_squared * precision + recall + epsilon)
        score = score * (1 + beta_squared)
        if self.average == "weighted":
            weights = self.intermediate_weights
            return (score * (weights / (weights.sum() + epsilon))).sum()
        if self.average is not None:  # micro (already one value) or macro
            return score.mean()
        return score

    def get_config(self):
        return {**super().get_config(), "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


@register("keras.metrics", aliases=("f1_score",))
class F1Score(FBetaScore):
    """The F1 score: `FBetaScore` with `beta=1`, the harmonic mean of precision and recall.

    Args:
        average: See `FBetaScore`. Defaults to `None`.
        threshold: See `FBetaScore`. Defaults to `None`.
        name: Defaults to `"f1_score"`.
        dtype: See `Metric`. Defaults to `None`.

    Example:
    >>> metric = F1Score(threshold=0.5)
    >>> metric.update_state([[1, 1, 0], [0, 1, 1]], [[0.9, 0.2, 0.7], [0.3, 0.8, 0.6]])
    >>> [round(v, 4) for v in metric.result().tolist()]
    [1.0, 0.6667, 0.6667]
    """

    def __init__(self, average=None, threshold=None, name="f1_score", dtype=None):
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self):
        found = super().get_config()
        del found["beta"]
        return found
