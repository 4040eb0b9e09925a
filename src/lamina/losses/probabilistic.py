"""Cross-entropy variants: binary and categorical focal cross-entropy, and the generalized
(noise-robust) cross-entropy.

They follow the numerics of `losses.binary_crossentropy` and `losses.categorical_crossentropy`
(see the notes at the top of `losses.py`): probabilities clipped to `[eps, 1 - eps]`, and, when
`y_pred` holds logits or came out of `sigmoid`/`softmax`, the clipped log-probabilities computed
from the logits, so nothing round-trips through saturated probabilities.
"""

import warnings

import torch
import torch.nn.functional as F

from lamina import config
from lamina.losses.loss import convert_pred
from lamina.losses.losses import (_BuiltinLoss, _check_same_shape, _fused_logits,
                                  _log_clip_bounds, _pair)
from lamina.registry import register
from lamina.validation import received

_ALPHAS = {}  # (alpha tuple, dtype, device) -> tensor, so a list `alpha` is copied once


def _alpha_factor(alpha, like):
    """`alpha` as a number, or (a per-class list) a tensor on `like`'s device, made once."""
    if not isinstance(alpha, (list, tuple)):
        return alpha
    key = (tuple(alpha), like.dtype, like.device)
    found = _ALPHAS.get(key)
    if found is None:
        found = _ALPHAS[key] = torch.tensor(alpha, dtype=like.dtype, device=like.device)
    return found


def _check_axis(axis, fn):
    if isinstance(axis, bool):
        raise ValueError(f"`{fn}` expects `axis` to be an integer. Received: axis={axis!r} "
                         "(of type bool).")


@register("keras.losses")
def binary_focal_crossentropy(y_true, y_pred, apply_class_balancing=False, alpha=0.25,
                              gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy scaled by the focal factor `(1 - p_t) ** gamma`, averaged over `axis`.

    `p_t` is the predicted probability of the true class (`p` for label 1, `1 - p` for label
    0), so well-classified entries weigh less (Lin et al., 2018). With `gamma=0` and no class
    balancing this is `binary_crossentropy`.

    Args:
        y_true: Labels in [0, 1], of `y_pred`'s shape.
        y_pred: Probabilities, or logits when `from_logits=True`.
        apply_class_balancing: Whether to weigh label-1 entries by `alpha` and label-0 entries
            by `1 - alpha`. Defaults to `False`.
        alpha: The class-balancing weight of label 1. Defaults to `0.25`.
        gamma: The focusing exponent. Defaults to `2.0`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: In [0, 1]: labels move towards 0.5 by this fraction. Defaults to `0.0`.
        axis: The axis averaged over. Defaults to `-1`.

    Returns:
        The loss per sample: `y_pred`'s shape without `axis`.

    Example:
    >>> import torch
    >>> y_true, y_pred = torch.tensor([[0.0, 1.0]]), torch.tensor([[0.2, 0.6]])
    >>> binary_focal_crossentropy(y_true, y_pred, gamma=2.0)
    tensor([0.0453])
    """
    y_true, y_pred = _pair(y_true, y_pred, None)
    _check_same_shape(y_true, y_pred, "binary_focal_crossentropy")
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    logits = y_pred if from_logits else _fused_logits(y_pred, False, "sigmoid")
    if logits is not None:
        # -log(clip(sigmoid(z))) is BCE-with-logits of z clamped to [logit(lo), logit(hi)]
        log_lo, log_hi, log_1m_hi, log_1m_lo = _log_clip_bounds(logits.dtype)
        bce = F.binary_cross_entropy_with_logits(
            logits.clamp(log_lo - log_1m_lo, log_hi - log_1m_hi), y_true, reduction="none")
        probs = torch.sigmoid(y_pred) if from_logits else y_pred
    else:
        eps = config.epsilon()
        clipped = y_pred.clamp(eps, 1.0 - eps)
        bce = -(y_true * clipped.log() + (1.0 - y_true) * (1.0 - clipped).log())
        probs = y_pred
    p_t = y_true * probs + (1.0 - y_true) * (1.0 - probs)  # Keras' order of operations
    loss = (1.0 - p_t).pow(gamma) * bce
    if apply_class_balancing:
        loss = loss * (y_true * alpha + (1.0 - y_true) * (1.0 - alpha))
    return loss.mean(dim=axis)


@register("keras.losses")
def categorical_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False,
                                   label_smoothing=0.0, axis=-1):
    """Categorical cross-entropy with each class term scaled by `alpha * (1 - p) ** gamma`.

    Probabilities are normalised to sum to 1 along `axis` and clipped to `[eps, 1 - eps]`, as
    in `categorical_crossentropy`; the focal factor uses the clipped probabilities.

    Args:
        y_true: One-hot (or soft) labels, of `y_pred`'s shape.
        y_pred: Probabilities, or logits when `from_logits=True`.
        alpha: A weight for every class, or a list of one weight per class (broadcast along the
            last axis). Defaults to `0.25`.
        gamma: The focusing exponent. Defaults to `2.0`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: In [0, 1]: labels become `y * (1 - s) + s / num_classes`. Defaults to
            `0.0`.
        axis: The class axis. Defaults to `-1`.

    Returns:
        The loss per sample: `y_pred`'s shape without `axis`.

    Example:
    >>> import torch
    >>> y_true = torch.tensor([[0.0, 1.0, 0.0]])
    >>> categorical_focal_crossentropy(y_true, torch.tensor([[0.1, 0.8, 0.1]]))
    tensor([0.0022])
    """
    _check_axis(axis, "categorical_focal_crossentropy")
    y_true, y_pred = _pair(y_true, y_pred, None)
    _check_same_shape(y_true, y_pred, "categorical_focal_crossentropy")
    if y_pred.shape[-1] == 1:
        warnings.warn("`categorical_focal_crossentropy` expects `y_pred` of shape (batch, "
                      f"num_classes) with num_classes > 1. Received: y_pred.shape="
                      f"{tuple(y_pred.shape)}. With 2 classes, use 'binary_crossentropy'.",
                      SyntaxWarning, stacklevel=2)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    last_axis = axis in (-1, y_pred.dim() - 1)  # softmax attaches logits of the last axis only
    logits = y_pred if from_logits else (
        _fused_logits(y_pred, False, "softmax") if last_axis else None)
    if logits is not None:
        log_lo, log_hi, _, _ = _log_clip_bounds(logits.dtype)
        log_probs = F.log_softmax(logits, dim=axis).clamp(log_lo, log_hi)  # log(clip(p))
        probs = log_probs.exp()
    else:
        eps = config.epsilon()
        probs = (y_pred / y_pred.sum(dim=axis, keepdim=True)).clamp(eps, 1.0 - eps)
        log_probs = probs.log()
    focal = (1.0 - probs).pow(gamma) * _alpha_factor(alpha, probs)
    return -(focal * y_true * log_probs).sum(dim=axis)


@register("keras.losses")
def categorical_generalized_cross_entropy(y_true, y_pred, q):
    """Generalized cross-entropy `(1 - p ** q) / q`, `p` the probability of the true class.

    Between cross-entropy (as `q` tends to 0) and mean absolute error (`q = 1`): more robust to
    noisy labels (Zhang and Sabuncu, 2018).

    Args:
        y_true: Integer class indices, `(batch,)` or `(batch, 1)`.
        y_pred: Class probabilities, `(batch, num_classes)`.
        q: The noise parameter, in (0, 1).

    Returns:
        The loss per sample, `(batch,)`.

    Example:
    >>> import torch
    >>> categorical_generalized_cross_entropy(torch.tensor([1]), torch.tensor([[0.75, 0.25]]),
    ...                                       q=0.5)
    tensor([1.])
    """
    y_pred = convert_pred(y_pred, like=y_true)
    labels = torch.as_tensor(y_true, device=y_pred.device)
    if labels.dim() == y_pred.dim() and labels.shape[-1] == 1:
        labels = labels.squeeze(-1)
    if y_pred.dim() < 1 or labels.shape != y_pred.shape[:-1]:
        raise ValueError("`categorical_generalized_cross_entropy` expects integer labels of "
                         "`y_pred`'s shape without its last (class) axis. Received: "
                         f"y_true.shape={tuple(labels.shape)}, "
                         f"y_pred.shape={tuple(y_pred.shape)}.")
    probs = y_pred.gather(-1, labels.long().unsqueeze(-1)).squeeze(-1)
    return (1.0 - probs.pow(q)) / q


@register("keras.losses")
class BinaryFocalCrossentropy(_BuiltinLoss):
    """`binary_focal_crossentropy` reduced over the batch (see `Loss`).

    Args:
        apply_class_balancing, alpha, gamma, from_logits, label_smoothing, axis: See
            `binary_focal_crossentropy`. Default to `False`, `0.25`, `2.0`, `False`, `0.0` and
            `-1`.

    Example:
    >>> import torch
    >>> loss = BinaryFocalCrossentropy(gamma=2.0, from_logits=True)
    >>> loss(torch.tensor([[0.0, 1.0]]), torch.tensor([[-1.0, 2.0]]))
    tensor(0.0122)
    """

    def __init__(self, apply_class_balancing=False, alpha=0.25, gamma=2.0, from_logits=False,
                 label_smoothing=0.0, axis=-1, reduction="sum_over_batch_size",
                 name="binary_focal_crossentropy", dtype=None):
        super().__init__(binary_focal_crossentropy, reduction, name, dtype,
                         apply_class_balancing=apply_class_balancing, alpha=alpha, gamma=gamma,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


@register("keras.losses")
class CategoricalFocalCrossentropy(_BuiltinLoss):
    """`categorical_focal_crossentropy` reduced over the batch (see `Loss`).

    Args:
        alpha, gamma, from_logits, label_smoothing, axis: See `categorical_focal_crossentropy`.
            Default to `0.25`, `2.0`, `False`, `0.0` and `-1`.
    """

    def __init__(self, alpha=0.25, gamma=2.0, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_focal_crossentropy",
                 dtype=None):
        super().__init__(categorical_focal_crossentropy, reduction, name, dtype, alpha=alpha,
                         gamma=gamma, from_logits=from_logits, label_smoothing=label_smoothing,
                         axis=axis)


@register("keras.losses")
class CategoricalGeneralizedCrossEntropy(_BuiltinLoss):
    """`categorical_generalized_cross_entropy` reduced over the batch (see `Loss`).

    Args:
        q: The noise parameter, a float in (0, 1): near 0 the loss behaves like cross-entropy,
            near 1 like mean absolute error. Defaults to `0.5`.

    Raises:
        ValueError: If `q` is not in (0, 1).
    """

    def __init__(self, q=0.5, reduction="sum_over_batch_size",
                 name="categorical_generalized_cross_entropy", dtype=None):
        if isinstance(q, bool) or not isinstance(q, (int, float)) or not 0 < q < 1:
            raise ValueError("`CategoricalGeneralizedCrossEntropy` expects `q` to be a float in "
                             "(0, 1). " + received("q", q))
        super().__init__(categorical_generalized_cross_entropy, reduction, name, dtype, q=q)
