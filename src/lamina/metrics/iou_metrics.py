"""Intersection-over-union metrics: `IoU`, `MeanIoU`, `BinaryIoU`, `OneHotIoU`, `OneHotMeanIoU`.

All of them accumulate one `(num_classes, num_classes)` confusion matrix (rows: true class,
columns: predicted class), weighted by `sample_weight`. The IoU of class `c` is
`cm[c, c] / (row_sum[c] + col_sum[c] - cm[c, c])`; the result is the mean of the IoUs of the
target classes whose denominator is not zero.

As in Keras 3, the matrix is `int32` unless `dtype` says otherwise, so fractional sample
weights are truncated towards zero (a warning says so, once): pass `dtype="float32"` to weigh with
fractions. Labels or predictions outside `[0, num_classes)`, and labels equal to
`ignore_class`, are left out. Updates are a handful of kernels and one scatter-add on the
device; nothing is read back to the host.
"""

import numbers
import warnings

import torch

from lamina import config
from lamina.metrics.metric import Metric
from lamina.registry import register
from lamina.validation import received, validate_positive_int


def _check_int(value, arg, owner, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        kind = "an integer or None" if allow_none else "an integer"
        raise ValueError(f"`{type(owner).__name__}` expects `{arg}` to be {kind}. "
                         + received(arg, value))
    return int(value)


def _check_target_ids(target_class_ids, num_classes, owner):
    ids = list(target_class_ids) if isinstance(target_class_ids, (list, tuple)) else None
    if not ids or not all(isinstance(i, numbers.Integral) and not isinstance(i, bool)
                          and 0 <= i < num_classes for i in ids):
        raise ValueError(f"`{type(owner).__name__}` expects `target_class_ids` to be a "
                         f"non-empty list of class ids in [0, {num_classes}) "
                         f"(`num_classes={num_classes}`). "
                         + received("target_class_ids", target_class_ids))
    return [int(i) for i in ids]


class _IoUBase(Metric):
    """The confusion matrix the IoU metrics share; see the module docstring.

    Args:
        num_classes: The number of classes. The matrix is `(num_classes, num_classes)`.
        name: See `Metric`. Defaults to `None` (the snake-case class name).
        dtype: The dtype of the matrix. Defaults to `None`, meaning `"int32"` as in Keras.
        ignore_class: A label (e.g. 255, a "void" class) left out of the matrix. Defaults to
            `None`.
        sparse_y_true: Whether labels are class ids; if `False`, the argmax over `axis`.
            Defaults to `True`.
        sparse_y_pred: Whether predictions are class ids; if `False`, the argmax over
            `axis`. Defaults to `True`.
        axis: The class axis of dense labels or predictions. Defaults to `-1`.
    """

    _direction = "up"

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        # Keras' "int" means int32 (torch's `int` would be int64).
        super().__init__(name=name, dtype="int32" if dtype in (None, "int") else dtype)
        self.num_classes = validate_positive_int(num_classes, "num_classes", self)
        self.ignore_class = _check_int(ignore_class, "ignore_class", self, allow_none=True)
        self.sparse_y_true = bool(sparse_y_true)
        self.sparse_y_pred = bool(sparse_y_pred)
        self.axis = _check_int(axis, "axis", self)
        self.total_cm = self.add_variable((self.num_classes, self.num_classes), "zeros",
                                          name="total_confusion_matrix")
        self._warned_truncation = False

    def _classes(self, values, sparse):
        values = torch.as_tensor(values, device=self.total_cm.device)
        if not sparse:
            values = values.argmax(dim=self.axis)
        return values.reshape(-1).long()  # (n,): a cast truncates, as Keras' int cast does

    def _weights(self, sample_weight, count):
        weight = torch.as_tensor(sample_weight, device=self.total_cm.device)
        shape = tuple(weight.shape)
        if weight.is_floating_point() and not self.total_cm.is_floating_point() \
                and not self._warned_truncation:
            self._warned_truncation = True
            warnings.warn(f"`{type(self).__name__}` received floating-point `sample_weight` "
                          f"but accumulates in dtype {self.dtype}: fractional weights are "
                          "truncated towards zero, as in Keras. Pass `dtype='float32'` to keep "
                          "fractions.", stacklevel=2)
        weight = weight.to(self.total_cm.dtype)
        if weight.dim() > 1:
            weight = weight.reshape(-1)
        if weight.dim() == 1 and weight.shape[0] not in (1, count):
            raise ValueError(f"`{type(self).__name__}` expects `sample_weight` to be a scalar or "
                             f"to have one entry per label ({count} once flattened). Received: "
                             f"sample_weight.shape={shape}")
        return weight

    @torch.no_grad()
    def update_state(self, y_true, y_pred, sample_weight=None):
        """Add a batch to the confusion matrix (labels and predictions are flattened)."""
        y_true = self._classes(y_true, self.sparse_y_true)
        y_pred = self._classes(y_pred, self.sparse_y_pred)
        if y_true.shape != y_pred.shape:
            raise ValueError(f"`{type(self).__name__}` expects as many labels as predictions. "
                             f"Received: {y_true.shape[0]} labels and {y_pred.shape[0]} "
                             "predictions (after the argmax and flattening).")
        n = self.num_classes
        valid = (y_true >= 0) & (y_true < n) & (y_pred >= 0) & (y_pred < n)
        if self.ignore_class is not None:
            valid &= y_true != self.ignore_class
        index = torch.where(valid, y_true * n + y_pred, 0)  # (n,): flat cell of each pair
        if sample_weight is None:
            values = valid.to(self.total_cm.dtype)
        else:
            values = torch.where(valid, self._weights(sample_weight, y_true.shape[0]), 0)
        self.total_cm.view(-1).index_put_((index,), values, accumulate=True)

    def _ious(self):
        """Per-class `(true_positives, denominator)` in float32, from the matrix."""
        cm = self.total_cm
        true_positives = cm.diagonal()
        denominator = cm.sum(dim=0) + cm.sum(dim=1) - true_positives
        return true_positives.float(), denominator.float()

    def _mean_iou(self, true_positives, denominator):
        valid = denominator > 1e-9
        iou = torch.where(valid, true_positives / (denominator + config.epsilon()), 0.0)
        return iou.sum() / (valid.sum(dtype=torch.float32) + config.epsilon())

    def _base_config(self):
        return {"name": self.name, "dtype": self.dtype}


@register("keras.metrics", aliases=("io_u",))  # Keras' snake-case key
class IoU(_IoUBase):
    """Intersection-over-union of the classes in `target_class_ids` (their mean for several).

    `iou = true_positives / (true_positives + false_positives + false_negatives)`, per class,
    from a confusion matrix accumulated over every batch (see the module docstring).

    Args:
        num_classes: The number of classes.
        target_class_ids: The classes whose mean IoU is returned, e.g. `[0]`.
        name, dtype, ignore_class, sparse_y_true, sparse_y_pred, axis: See `MeanIoU`.

    Example:
    >>> metric = IoU(num_classes=2, target_class_ids=[0])
    >>> metric.update_state([0, 0, 1, 1], [0, 1, 0, 1])
    >>> round(float(metric.result()), 4)
    0.3333
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_true=True, sparse_y_pred=True, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=sparse_y_true, sparse_y_pred=sparse_y_pred, axis=axis)
        self.target_class_ids = _check_target_ids(target_class_ids, self.num_classes, self)
        # On the device beside the matrix, so `result()` makes no host-to-device copy.
        self.register_buffer("_target_index", torch.tensor(self.target_class_ids,
                                                           device=self.total_cm.device),
                             persistent=False)

    def result(self):
        true_positives, denominator = self._ious()
        index = self._target_index
        return self._mean_iou(true_positives[index], denominator[index])

    def get_config(self):
        return {**self._base_config(), "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


@register("keras.metrics", aliases=("mean_io_u",))  # Keras' snake-case key
class MeanIoU(_IoUBase):
    """The mean intersection-over-union over all classes (see the module docstring).

    Args:
        num_classes: The number of classes.
        name: See `Metric`. Defaults to `None` (`"mean_io_u"`).
        dtype: The dtype of the confusion matrix. Defaults to `None`, meaning `"int32"`
            (fractional sample weights are then truncated, as in Keras).
        ignore_class: A label left out of the matrix (e.g. a "void" class). Defaults to
            `None`.
        sparse_y_true: Whether labels are class ids (else the argmax over `axis` is taken).
            Defaults to `True`.
        sparse_y_pred: Whether predictions are class ids (else the argmax over `axis`).
            Defaults to `True`.
        axis: The class axis of dense labels or predictions. Defaults to `-1`.

    Example:
    >>> metric = MeanIoU(num_classes=2, dtype="float32")
    >>> metric.update_state([0, 0, 1, 1], [0, 1, 0, 1], sample_weight=[0.3, 0.3, 0.3, 0.1])
    >>> round(float(metric.result()), 4)
    0.2381
    """

    def result(self):
        return self._mean_iou(*self._ious())

    def get_config(self):
        return {"num_classes": self.num_classes, **self._base_config(),
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


@register("keras.metrics", aliases=("binary_io_u",))  # Keras' snake-case key
class BinaryIoU(IoU):
    """IoU of classes 0 and/or 1 for binary labels, predictions thresholded first.

    A prediction `>= threshold` counts as class 1, anything else as class 0.

    Args:
        target_class_ids: `[0]`, `[1]` or `[0, 1]` (the mean of both). Defaults to `(0, 1)`.
        threshold: The decision threshold. Defaults to `0.5`.
        name: See `Metric`. Defaults to `None` (`"binary_io_u"`).
        dtype: The dtype of the confusion matrix. Defaults to `None`, meaning `"int32"`.

    Example:
    >>> metric = BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    >>> metric.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    >>> round(float(metric.result()), 4)
    0.3333
    """

    def __init__(self, target_class_ids=(0, 1), threshold=0.5, name=None, dtype=None):
        super().__init__(2, target_class_ids, name=name, dtype=dtype)
        if isinstance(threshold, bool) or not isinstance(threshold, numbers.Real):
            raise ValueError("`BinaryIoU` expects `threshold` to be a number. "
                             + received("threshold", threshold))
        self.threshold = threshold

    def update_state(self, y_true, y_pred, sample_weight=None):
        # float32 as in Keras, so values at the threshold compare the same way
        y_pred = torch.as_tensor(y_pred, dtype=torch.float32, device=self.total_cm.device)
        return super().update_state(y_true, y_pred >= self.threshold, sample_weight)

    def get_config(self):
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold,
                **self._base_config()}


@register("keras.metrics", aliases=("one_hot_io_u",))  # Keras' snake-case key
class OneHotIoU(IoU):
    """`IoU` for one-hot labels: the class is the argmax of `y_true` (and of `y_pred`, unless
    `sparse_y_pred=True`) over `axis`.

    Args:
        num_classes, target_class_ids, name, dtype, ignore_class, axis: See `IoU`.
        sparse_y_pred: Whether predictions are class ids. Defaults to `False`.

    Example:
    >>> metric = OneHotIoU(num_classes=3, target_class_ids=[0, 2])
    >>> metric.update_state([[0, 0, 1], [1, 0, 0], [0, 1, 0], [1, 0, 0]],
    ...                     [[0.2, 0.3, 0.5], [0.1, 0.2, 0.7], [0.5, 0.3, 0.1],
    ...                      [0.1, 0.4, 0.5]])
    >>> round(float(metric.result()), 4)
    0.1667
    """

    def __init__(self, num_classes, target_class_ids, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False,
                         sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids,
                **self._base_config(), "ignore_class": self.ignore_class,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


@register("keras.metrics", aliases=("one_hot_mean_io_u",))  # Keras' snake-case key
class OneHotMeanIoU(MeanIoU):
    """`MeanIoU` for one-hot labels: the class is the argmax of `y_true` (and of `y_pred`,
    unless `sparse_y_pred=True`) over `axis`.

    Args:
        num_classes, name, dtype, ignore_class, axis: See `MeanIoU`.
        sparse_y_pred: Whether predictions are class ids. Defaults to `False`.
    """

    def __init__(self, num_classes, name=None, dtype=None, ignore_class=None,
                 sparse_y_pred=False, axis=-1):
        super().__init__(num_classes, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self):
        return {"num_classes": self.num_classes, **self._base_config(),
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}
