"""Overlap losses for segmentation: Dice and Tversky.

Both sum over `axis` — by default every axis, so the whole batch gives one value — and add
`config.epsilon()` to the denominator, as Keras does, so empty masks give a loss of 1, not NaN.
Pass `axis=(1, 2, 3)` for one value per image of a `(batch, height, width, channels)` batch.
"""

import torch

from lamina import config
from lamina.losses.losses import _BuiltinLoss, _pair
from lamina.registry import register


def _sum(x, axis):
    return x.sum() if axis is None else x.sum(dim=axis)


def _axis(axis):
    return tuple(axis) if isinstance(axis, list) else axis  # a JSON config gives a list


@register("keras.losses")
def dice(y_true, y_pred, axis=None):
    """Dice loss: `1 - 2 * sum(y_true * y_pred) / (sum(y_true) + sum(y_pred) + eps)`.

    Args:
        y_true: Target masks (or soft masks) in [0, 1].
        y_pred: Predicted masks, of a shape that broadcasts with `y_true`'s.
        axis: The axis or tuple of axes summed over. Defaults to `None` (every axis).

    Returns:
        The loss: a scalar with `axis=None`, else `y_pred`'s shape without `axis`.

    Example:
    >>> import torch
    >>> dice(torch.tensor([[1.0, 1.0, 0.0]]), torch.tensor([[1.0, 0.0, 0.0]]))
    tensor(0.3333)
    """
    y_true, y_pred = _pair(y_true, y_pred, "dice")
    axis = _axis(axis)
    overlap = _sum(y_true * y_pred, axis)
    return 1.0 - 2.0 * overlap / (_sum(y_true, axis) + _sum(y_pred, axis) + config.epsilon())


@register("keras.losses")
def tversky(y_true, y_pred, alpha=0.5, beta=0.5, axis=None):
    """Tversky loss: `1 - TP / (TP + alpha * FN + beta * FP + eps)`, sums over `axis`.

    `TP = sum(y_true * y_pred)`, `FN = sum(y_true * (1 - y_pred))` and
    `FP = sum((1 - y_true) * y_pred)` (Salehi et al., 2017). With `alpha = beta = 0.5` it is the
    Dice loss (up to `eps`).

    Args:
        y_true: Target masks (or soft masks) in [0, 1].
        y_pred: Predicted masks, of a shape that broadcasts with `y_true`'s.
        alpha: The weight of missed targets (false negatives). Defaults to `0.5`.
        beta: The weight of false alarms (false positives). Defaults to `0.5`.
        axis: The axis or tuple of axes summed over. Defaults to `None` (every axis).

    Returns:
        The loss: a scalar with `axis=None`, else `y_pred`'s shape without `axis`.

    Example:
    >>> import torch
    >>> tversky(torch.tensor([[1.0, 1.0, 0.0]]), torch.tensor([[1.0, 0.0, 1.0]]), alpha=0.7,
    ...         beta=0.3)
    tensor(0.5000)
    """
    y_true, y_pred = _pair(y_true, y_pred, "tversky")
    axis = _axis(axis)
    if y_true.shape != y_pred.shape:  # Keras' FN and FP sum products over the broadcast shape
        y_true, y_pred = torch.broadcast_tensors(y_true, y_pred)
    overlap = _sum(y_true * y_pred, axis)
    missed = _sum(y_true, axis) - overlap  # sum(y_true * (1 - y_pred))
    false_alarms = _sum(y_pred, axis) - overlap  # sum((1 - y_true) * y_pred)
    return 1.0 - overlap / (overlap + alpha * missed + beta * false_alarms + config.epsilon())


@register("keras.losses")
class Dice(_BuiltinLoss):
    """`dice` loss reduced over the batch (see `Loss`).

    Args:
        axis: See `dice`. Defaults to `None`.

    Example:
    >>> import torch
    >>> loss = Dice(axis=(1, 2), reduction=None)
    >>> loss(torch.ones(2, 2, 2), torch.tensor([[[1.0, 0.0], [1.0, 0.0]], [[1.0] * 2] * 2]))
    tensor([0.3333, 0.0000])
    """

    def __init__(self, reduction="sum_over_batch_size", name="dice", axis=None, dtype=None):
        super().__init__(dice, reduction, name, dtype, axis=axis)


@register("keras.losses")
class Tversky(_BuiltinLoss):
    """`tversky` loss reduced over the batch (see `Loss`).

    Args:
        alpha, beta, axis: See `tversky`. Default to `0.5`, `0.5` and `None`.
    """

    def __init__(self, alpha=0.5, beta=0.5, reduction="sum_over_batch_size", name="tversky",
                 axis=None, dtype=None):
        super().__init__(tversky, reduction, name, dtype, alpha=alpha, beta=beta, axis=axis)
