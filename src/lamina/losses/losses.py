"""Keras 3's built-in losses: a function per loss (per-sample values) and its `Loss` class.

Each function takes `(y_true, y_pred, **options)`, casts `y_true` to `y_pred`'s dtype and
returns one value per sample (the last axis reduced). The classes wrap the functions with
`LossFunctionWrapper`, which adds Keras' weighting and reduction (see `Loss`).

Cross-entropies follow Keras' numerics: probabilities are clipped to `[eps, 1 - eps]`
(`config.epsilon()`, 1e-7) when `from_logits=False`. When `y_pred` came out of `softmax` or
`sigmoid`, the activation has attached its input as `y_pred._keras_logits`; the loss then works
from the logits (`log_softmax`, `logsigmoid`) and clamps the log-probabilities to
`[log(eps), log(1 - eps)]`. Since `log` is monotonic this is `log(clip(p))` exactly, gradients
included, without the round trip through probabilities that loses precision at saturation.
"""

import warnings

import torch
import torch.nn.functional as F

from lamina import config, registry
from lamina.losses.loss import (Loss, carry_logits, convert_pred, convert_true,
                                squeeze_or_expand_to_same_rank)
from lamina.registry import register
from lamina.validation import received

_LOG_BOUNDS = {}  # (dtype, eps) -> log-space clip bounds, see _log_clip_bounds


def _clip(x, lo, hi):
    """`x.clamp(lo, hi)` with a one-kernel backward (`hardtanh`; `clamp`'s backward takes five
    small kernels, a few percent of a small model's training step on the CPU). The gradient
    differs only at exactly `lo` or `hi`, where it is 0 instead of passing through."""
    return F.hardtanh(x, lo, hi)


def _log_clip_bounds(dtype):
    """`(log lo, log hi, log(1 - hi), log(1 - lo))` for Keras' clip range `[lo, hi]`.

    `lo = eps` and `hi = 1 - eps` are rounded to `dtype` first, as Keras' clip rounds them
    (in float32 `1 - 1e-7` is `1 - 2**-23`). Computed once per dtype on CPU scalars: no
    device tensor is read.
    """
    eps = config.epsilon()
    found = _LOG_BOUNDS.get((dtype, eps))
    if found is None:
        clip = torch.tensor([eps, 1.0 - eps], dtype=dtype)
        lo, hi, one_minus_lo, one_minus_hi = torch.cat([clip, 1 - clip]).double().log().tolist()
        found = _LOG_BOUNDS[(dtype, eps)] = (lo, hi, one_minus_hi, one_minus_lo)
    return found


for _dtype in (torch.float16, torch.bfloat16, torch.float32, torch.float64):
    _log_clip_bounds(_dtype)  # fill the cache eagerly, so compiled code only reads it


def _pair(y_true, y_pred, fn, squeeze=False):
    """`y_pred` as a tensor and `y_true` cast to it; with `squeeze`, a trailing size-1 axis is
    squeezed or added to even the ranks. Shapes that do not broadcast raise a `ValueError`
    naming `fn` (a check on Python shapes only: nothing is read from the device); `fn=None`
    skips it, for callers that require equal shapes and check them themselves."""
    y_pred = convert_pred(y_pred, like=y_true)
    y_true = convert_true(y_true, y_pred)
    if squeeze:
        y_true, y_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
    if fn is not None and y_true.shape != y_pred.shape:
        _check_broadcastable(y_true, y_pred, fn)
    return y_true, y_pred


def _check_broadcastable(y_true, y_pred, fn):
    try:
        torch.broadcast_shapes(y_true.shape, y_pred.shape)
    except RuntimeError:
        raise ValueError(f"`{fn}` expects `y_true` and `y_pred` of the same (or broadcastable) "
                         f"shapes. Received: y_true.shape={tuple(y_true.shape)}, "
                         f"y_pred.shape={tuple(y_pred.shape)}.") from None


def _fused_logits(y_pred, from_logits, activation):
    """The logits `activation` attached to `y_pred`, when the loss may use them."""
    if from_logits:
        return None
    logits = getattr(y_pred, "_keras_logits", None)
    if logits is None or getattr(y_pred, "_keras_activation", activation) != activation:
        return None
    return logits


def _check_same_shape(y_true, y_pred, fn):
    if y_true.shape != y_pred.shape:
        raise ValueError(f"`{fn}` expects `y_true` and `y_pred` to have the same shape. "
                         f"Received: y_true.shape={tuple(y_true.shape)}, "
                         f"y_pred.shape={tuple(y_pred.shape)}.")
    if y_pred.dim() < 1:
        raise ValueError(f"`{fn}` expects `y_pred` of rank 1 or more. Received: "
                         f"y_pred.shape={tuple(y_pred.shape)}.")


def _same_shape(a, b):
    return (a, b) if a.shape == b.shape else torch.broadcast_tensors(a, b)


# -- regression ------------------------------------------------------------------------------
@register("keras.losses", aliases=("mse", "MSE"))
def mean_squared_error(y_true, y_pred):
    """Mean of `square(y_true - y_pred)` over the last axis.

    Example:
    >>> import torch
    >>> mean_squared_error(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 1.0]]))
    tensor([0.5000])
    """
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_error", squeeze=True)
    return F.mse_loss(*_same_shape(y_pred, y_true), reduction="none").mean(dim=-1)


@register("keras.losses", aliases=("mae", "MAE"))
def mean_absolute_error(y_true, y_pred):
    """Mean of `abs(y_true - y_pred)` over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_error", squeeze=True)
    return F.l1_loss(*_same_shape(y_pred, y_true), reduction="none").mean(dim=-1)


@register("keras.losses", aliases=("mape", "MAPE"))
def mean_absolute_percentage_error(y_true, y_pred):
    """`100 * mean(abs((y_true - y_pred) / max(abs(y_true), eps)))` over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_absolute_percentage_error", squeeze=True)
    diff = ((y_true - y_pred) / y_true.abs().clamp_min(config.epsilon())).abs()
    return 100.0 * diff.mean(dim=-1)


@register("keras.losses", aliases=("msle", "MSLE"))
def mean_squared_logarithmic_error(y_true, y_pred):
    """Mean of `square(log(max(y_pred, eps) + 1) - log(max(y_true, eps) + 1))`."""
    y_true, y_pred = _pair(y_true, y_pred, "mean_squared_logarithmic_error", squeeze=True)
    eps = config.epsilon()
    first = (y_pred.clamp_min(eps) + 1.0).log()
    second = (y_true.clamp_min(eps) + 1.0).log()
    return (first - second).square().mean(dim=-1)


def _l2_normalize(x, axis):
    # x / max(norm, eps), written as Keras does: x * min(rsqrt(sum(x**2)), 1 / eps)
    inv_norm = x.square().sum(dim=axis, keepdim=True).rsqrt().clamp_max(1.0 / config.epsilon())
    return x * inv_norm


@register("keras.losses")
def cosine_similarity(y_true, y_pred, axis=-1):
    """Negative cosine similarity along `axis`: -1 for aligned vectors, 1 for opposite ones.

    Example:
    >>> import torch
    >>> cosine_similarity(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 3.0]]))
    tensor([-1.])
    """
    y_true, y_pred = _pair(y_true, y_pred, "cosine_similarity", squeeze=True)
    return -(_l2_normalize(y_true, axis) * _l2_normalize(y_pred, axis)).sum(dim=axis)


@register("keras.losses")
def huber(y_true, y_pred, delta=1.0):
    """Mean Huber loss: `0.5 * e**2` where `abs(e) <= delta`, else `delta * (abs(e) - delta/2)`."""
    y_true, y_pred = _pair(y_true, y_pred, "huber", squeeze=True)
    return F.huber_loss(*_same_shape(y_pred, y_true), reduction="none",
                        delta=float(delta)).mean(dim=-1)


_LOG_2 = 0.6931471805599453


@register("keras.losses")
def log_cosh(y_true, y_pred):
    """Mean of `log(cosh(y_pred - y_true))`, computed as `x + softplus(-2x) - log(2)`."""
    y_true, y_pred = _pair(y_true, y_pred, "log_cosh", squeeze=True)
    error = y_pred - y_true
    return (error + F.softplus(-2.0 * error) - _LOG_2).mean(dim=-1)


# -- probabilistic ---------------------------------------------------------------------------
@register("keras.losses", aliases=("kld", "KLD"))
def kl_divergence(y_true, y_pred):
    """`sum(y_true * log(y_true / y_pred))`, both clipped to `[eps, 1]`, over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred, "kl_divergence")
    eps = config.epsilon()
    y_true, y_pred = y_true.clamp(eps, 1.0), y_pred.clamp(eps, 1.0)
    return (y_true * (y_true / y_pred).log()).sum(dim=-1)


@register("keras.losses")
def poisson(y_true, y_pred):
    """Mean of `y_pred - y_true * log(y_pred + eps)` over the last axis."""
    y_true, y_pred = _pair(y_true, y_pred, "poisson")
    return (y_pred - y_true * (y_pred + config.epsilon()).log()).mean(dim=-1)


# -- hinge -----------------------------------------------------------------------------------
def _hinge_labels(y_true):
    """Map labels in {0, 1} to {-1, 1}; leave any other labelling as it is (no host sync)."""
    is_binary = ((y_true == 0) | (y_true == 1)).all()
    return torch.where(is_binary, 2.0 * y_true - 1.0, y_true)


@register("keras.losses")
def hinge(y_true, y_pred):
    """Mean of `max(1 - y_true * y_pred, 0)`; labels in {0, 1} are read as {-1, 1}."""
    y_true, y_pred = _pair(y_true, y_pred, "hinge")
    return (1.0 - _hinge_labels(y_true) * y_pred).clamp_min(0.0).mean(dim=-1)


@register("keras.losses")
def squared_hinge(y_true, y_pred):
    """Mean of `square(max(1 - y_true * y_pred, 0))`; labels in {0, 1} are read as {-1, 1}."""
    y_true, y_pred = _pair(y_true, y_pred, "squared_hinge")
    return (1.0 - _hinge_labels(y_true) * y_pred).clamp_min(0.0).square().mean(dim=-1)


@register("keras.losses")
def categorical_hinge(y_true, y_pred):
    """`max(max((1 - y_true) * y_pred) - sum(y_true * y_pred) + 1, 0)` for one-hot `y_true`."""
    y_true, y_pred = _pair(y_true, y_pred, "categorical_hinge")
    positive = (y_true * y_pred).sum(dim=-1)
    negative = ((1.0 - y_true) * y_pred).amax(dim=-1)
    return (negative - positive + 1.0).clamp_min(0.0)


# -- cross-entropies -------------------------------------------------------------------------
@register("keras.losses", aliases=("bce", "BCE"))
def binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Binary cross-entropy, averaged over `axis`.

    Args:
        y_true: Labels in [0, 1], of `y_pred`'s shape.
        y_pred: Probabilities, or logits when `from_logits=True`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: In [0, 1]: labels move towards 0.5 by this fraction. Defaults to `0.0`.
        axis: The axis averaged over. Defaults to `-1`.

    Example:
    >>> import torch
    >>> binary_crossentropy(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.0, 1.0]]))
    tensor([1.1921e-07])
    """
    y_true, y_pred = _pair(y_true, y_pred, None)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing
    _check_same_shape(y_true, y_pred, "binary_crossentropy")
    logits = _fused_logits(y_pred, from_logits, "sigmoid")
    if from_logits:
        loss = F.binary_cross_entropy_with_logits(y_pred, y_true, reduction="none")
    elif logits is not None:
        # Clipping p = sigmoid(z) to [lo, hi] is clamping z to [logit(lo), logit(hi)] (sigmoid
        # is monotonic), so Keras' clipped loss and its gradients are BCE-with-logits of the
        # clamped logits: two kernels instead of a dozen.
        log_lo, log_hi, log_1m_hi, log_1m_lo = _log_clip_bounds(logits.dtype)
        loss = F.binary_cross_entropy_with_logits(
            _clip(logits, log_lo - log_1m_lo, log_hi - log_1m_hi), y_true, reduction="none")
    else:
        eps = config.epsilon()
        p = y_pred.clamp(eps, 1.0 - eps)
        loss = -(y_true * p.log() + (1.0 - y_true) * (1.0 - p).log())
    return loss.squeeze(axis) if loss.shape[axis] == 1 else loss.mean(dim=axis)  # a view for 1


@register("keras.losses")
def categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0, axis=-1):
    """Cross-entropy between one-hot (or soft) labels and predicted class probabilities.

    Probabilities are first normalised to sum to 1 along `axis` (Keras does so), then clipped.

    Args:
        y_true: One-hot or soft labels, of `y_pred`'s shape.
        y_pred: Probabilities, or logits when `from_logits=True`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        label_smoothing: In [0, 1]: labels become `y * (1 - s) + s / num_classes`. Defaults to
            `0.0`.
        axis: The class axis. Defaults to `-1`.

    Example:
    >>> import torch
    >>> categorical_crossentropy(torch.tensor([[0.0, 1.0]]), torch.tensor([[0.5, 0.5]]))
    tensor([0.6931])
    """
    if isinstance(axis, bool):
        raise ValueError("`categorical_crossentropy` expects `axis` to be an integer. "
                         f"Received: axis={axis!r} (of type bool).")
    y_true, y_pred = _pair(y_true, y_pred, None)
    _check_same_shape(y_true, y_pred, "categorical_crossentropy")
    if y_pred.shape[-1] == 1:
        warnings.warn("`categorical_crossentropy` expects `y_pred` of shape (batch, num_classes) "
                      f"with num_classes > 1. Received: y_pred.shape={tuple(y_pred.shape)}. "
                      "With 2 classes, use 'binary_crossentropy'.", SyntaxWarning, stacklevel=2)
    if label_smoothing:
        y_true = y_true * (1.0 - label_smoothing) + label_smoothing / y_true.shape[-1]
    last_axis = axis in (-1, y_pred.dim() - 1)  # softmax attaches logits of the last axis only
    logits = _fused_logits(y_pred, from_logits, "softmax") if last_axis else None
    if from_logits:
        log_probs = F.log_softmax(y_pred, dim=axis)
    elif logits is not None:
        log_lo, log_hi, _, _ = _log_clip_bounds(logits.dtype)
        log_probs = _clip(F.log_softmax(logits, dim=axis), log_lo, log_hi)
    else:
        eps = config.epsilon()
        probs = y_pred / y_pred.sum(dim=axis, keepdim=True)
        log_probs = probs.clamp(eps, 1.0 - eps).log()
    return -(y_true * log_probs).sum(dim=axis)


@register("keras.losses")
def sparse_categorical_crossentropy(y_true, y_pred, from_logits=False, ignore_class=None,
                                    axis=-1):
    """Cross-entropy between integer labels and predicted class probabilities.

    Args:
        y_true: Integer class indices, of `y_pred`'s shape without the class axis, or with a
            size-1 class axis (`(batch,)` or `(batch, 1)`).
        y_pred: Probabilities, or logits when `from_logits=True`.
        from_logits: Whether `y_pred` holds logits. Defaults to `False`.
        ignore_class: A label whose entries give 0 and are left out of the mean (e.g. padding).
            Defaults to `None`.
        axis: The class axis. Defaults to `-1`.

    Example:
    >>> import torch
    >>> sparse_categorical_crossentropy(torch.tensor([1]), torch.tensor([[0.5, 0.5]]))
    tensor([0.6931])
    """
    y_pred = convert_pred(y_pred, like=y_true)
    y_true = torch.as_tensor(y_true, device=y_pred.device)
    if y_pred.dim() < 1:
        raise ValueError("`sparse_categorical_crossentropy` expects `y_pred` of rank 1 or more. "
                         f"Received: y_pred.shape={tuple(y_pred.shape)}.")
    class_axis = axis % y_pred.dim()
    if y_true.dim() == y_pred.dim() and y_true.shape[class_axis] == 1:
        y_true = y_true.squeeze(class_axis)
    if y_true.shape != y_pred.shape[:class_axis] + y_pred.shape[class_axis + 1:]:
        raise ValueError("`sparse_categorical_crossentropy` expects `y_true` of `y_pred`'s shape "
                         f"without the class axis. Received: y_true.shape={tuple(y_true.shape)}, "
                         f"y_pred.shape={tuple(y_pred.shape)}.")
    target = y_true.long()
    logits = _fused_logits(y_pred, from_logits, "softmax")
    if from_logits or (logits is not None and class_axis == y_pred.dim() - 1):
        z = y_pred if from_logits else logits
        if z.dim() > 1 and class_axis != 1:
            z = z.movedim(class_axis, 1)  # F.cross_entropy wants (batch, classes, ...)
        ignore = -100 if ignore_class is None else int(ignore_class)
        loss = F.cross_entropy(z, target, reduction="none", ignore_index=ignore)
        if not from_logits:
            log_lo, log_hi, _, _ = _log_clip_bounds(z.dtype)
            loss = _clip(loss, -log_hi, -log_lo)  # -clamp(log p) == clamp(-log p)
    else:
        safe = target if ignore_class is None else torch.where(target == ignore_class, 0, target)
        eps = config.epsilon()
        probs = y_pred / y_pred.sum(dim=class_axis, keepdim=True)
        picked = probs.gather(class_axis, safe.unsqueeze(class_axis)).squeeze(class_axis)
        loss = -picked.clamp(eps, 1.0 - eps).log()
    if ignore_class is not None:
        valid = target != ignore_class
        loss = torch.where(valid, loss, 0.0)
        loss._keras_mask = valid  # the reduction averages over valid entries only
    return loss


# -- classes ---------------------------------------------------------------------------------
@register("keras.losses")
class LossFunctionWrapper(Loss):
    """A `Loss` made from a function `fn(y_true, y_pred, **kwargs)` of per-sample values.

    Args:
        fn: The loss function.
        reduction: See `Loss`. Defaults to `"sum_over_batch_size"`.
        name: See `Loss`. Defaults to `None`.
        dtype: See `Loss`. Defaults to `None`.
        **kwargs: Keyword arguments passed to `fn` on every call.

    Example:
    >>> import torch
    >>> loss = LossFunctionWrapper(huber, delta=0.5)
    >>> loss(torch.tensor([[0.0, 0.0]]), torch.tensor([[2.0, 0.0]]))
    tensor(0.4375)
    """

    def __init__(self, fn, reduction="sum_over_batch_size", name=None, dtype=None, **kwargs):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        if not callable(fn):
            raise TypeError("`LossFunctionWrapper` expects `fn` to be a callable "
                            "`fn(y_true, y_pred)`. " + received("fn", fn))
        self.fn = fn
        self._fn_kwargs = kwargs

    def call(self, y_true, y_pred):
        new_true, new_pred = squeeze_or_expand_to_same_rank(y_true, y_pred)
        new_pred = carry_logits(y_pred, new_pred, lambda logits: logits.reshape(new_pred.shape))
        return self.fn(new_true, new_pred, **self._fn_kwargs)

    def get_config(self):
        return {**super().get_config(), "fn": registry.serialize(self.fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" not in config:
            return cls(**config)
        fn = config.pop("fn")
        if isinstance(fn, dict) and fn.get("class_name") != "function":
            fn = registry.deserialize(fn, fn.get("module") or "keras.losses", "loss function")
        else:  # a name; Keras writes functions as {"module": "builtins", "config": name}
            name = fn["config"] if isinstance(fn, dict) else fn
            fn = registry.lookup("keras.losses", name, "loss function")
        return cls(fn, **config)

    def __repr__(self):
        fn = getattr(self.fn, "__name__", self.fn)
        return f"<LossFunctionWrapper({fn}, kwargs={self._fn_kwargs})>"


class _BuiltinLoss(LossFunctionWrapper):
    """A built-in loss: `reduction`, `name` and `dtype` as in `Loss`, plus its function's
    options, kept as attributes (`loss.from_logits`) and in the config."""

    def __init__(self, fn, reduction, name, dtype, **options):
        super().__init__(fn, reduction=reduction, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)

    def get_config(self):
        return {**Loss.get_config(self), **self._fn_kwargs}

    def __repr__(self):
        return Loss.__repr__(self)


@register("keras.losses")
class MeanSquaredError(_BuiltinLoss):
    """Mean of squared errors, `mean_squared_error` reduced over the batch (see `Loss`).

    Example:
    >>> import torch
    >>> MeanSquaredError()(torch.tensor([[0.0, 1.0], [0.0, 0.0]]),
    ...                    torch.tensor([[1.0, 1.0], [1.0, 0.0]]))
    tensor(0.5000)
    """

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_error", dtype=None):
        super().__init__(mean_squared_error, reduction, name, dtype)


@register("keras.losses")
class MeanAbsoluteError(_BuiltinLoss):
    """Mean of absolute errors, `mean_absolute_error` reduced over the batch (see `Loss`)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_error", dtype=None):
        super().__init__(mean_absolute_error, reduction, name, dtype)


@register("keras.losses")
class MeanAbsolutePercentageError(_BuiltinLoss):
    """`mean_absolute_percentage_error` reduced over the batch (see `Loss`)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_absolute_percentage_error",
                 dtype=None):
        super().__init__(mean_absolute_percentage_error, reduction, name, dtype)


@register("keras.losses")
class MeanSquaredLogarithmicError(_BuiltinLoss):
    """`mean_squared_logarithmic_error` reduced over the batch (see `Loss`)."""

    def __init__(self, reduction="sum_over_batch_size", name="mean_squared_logarithmic_error",
                 dtype=None):
        super().__init__(mean_squared_logarithmic_error, reduction, name, dtype)


@register("keras.losses")
class CosineSimilarity(_BuiltinLoss):
    """`cosine_similarity` (negative: -1 is best) reduced over the batch (see `Loss`).

    Args:
        axis: The axis along which the similarity is computed. Defaults to `-1`.
    """

    def __init__(self, axis=-1, reduction="sum_over_batch_size", name="cosine_similarity",
                 dtype=None):
        super().__init__(cosine_similarity, reduction, name, dtype, axis=axis)


@register("keras.losses")
class Huber(_BuiltinLoss):
    """`huber` loss reduced over the batch (see `Loss`).

    Args:
        delta: Where the loss turns from quadratic to linear. Defaults to `1.0`.
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss",
                 dtype=None):
        super().__init__(huber, reduction, name, dtype, delta=delta)


@register("keras.losses")
class LogCosh(_BuiltinLoss):
    """`log_cosh` reduced over the batch (see `Loss`)."""

    def __init__(self, reduction="sum_over_batch_size", name="log_cosh", dtype=None):
        super().__init__(log_cosh, reduction, name, dtype)


@register("keras.losses")
class KLDivergence(_BuiltinLoss):
    """`kl_divergence` reduced over the batch (see `Loss`)."""

    def __init__(self, reduction="sum_over_batch_size", name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, reduction, name, dtype)


@register("keras.losses")
class Poisson(_BuiltinLoss):
    """`poisson` loss reduced over the batch (see `Loss`)."""

    def __init__(self, reduction="sum_over_batch_size", name="poisson", dtype=None):
        super().__init__(poisson, reduction, name, dtype)


@register("keras.losses")
class Hinge(_BuiltinLoss):
    """`hinge` loss reduced over the batch (see `Loss`)."""

    def __init__(self, reduction="sum_over_batch_size", name="hinge", dtype=None):
        super().__init__(hinge, reduction, name, dtype)


@register("keras.losses")
class SquaredHinge(_BuiltinLoss):
    """`squared_hinge` loss reduced over the batch (see `Loss`)."""

    def __init__(self, reduction="sum_over_batch_size", name="squared_hinge", dtype=None):
        super().__init__(squared_hinge, reduction, name, dtype)


@register("keras.losses")
class CategoricalHinge(_BuiltinLoss):
    """`categorical_hinge` loss reduced over the batch (see `Loss`)."""

    def __init__(self, reduction="sum_over_batch_size", name="categorical_hinge", dtype=None):
        super().__init__(categorical_hinge, reduction, name, dtype)


@register("keras.losses")
class BinaryCrossentropy(_BuiltinLoss):
    """`binary_crossentropy` reduced over the batch (see `Loss`).

    Args:
        from_logits, label_smoothing, axis: See `binary_crossentropy`. Default to `False`,
            `0.0` and `-1`.

    Example:
    >>> import torch
    >>> loss = BinaryCrossentropy(from_logits=True)
    >>> round(float(loss(torch.tensor([[0.0, 1.0]]), torch.tensor([[-2.0, 2.0]]))), 4)
    0.1269
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="binary_crossentropy", dtype=None):
        super().__init__(binary_crossentropy, reduction, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)


@register("keras.losses")
class CategoricalCrossentropy(_BuiltinLoss):
    """`categorical_crossentropy` reduced over the batch (see `Loss`).

    Args:
        from_logits, label_smoothing, axis: See `categorical_crossentropy`. Default to `False`,
            `0.0` and `-1`.
    """

    def __init__(self, from_logits=False, label_smoothing=0.0, axis=-1,
                 reduction="sum_over_batch_size", name="categorical_crossentropy", dtype=None):
        super().__init__(categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, label_smoothing=label_smoothing, axis=axis)


@register("keras.losses")
class SparseCategoricalCrossentropy(_BuiltinLoss):
    """`sparse_categorical_crossentropy` reduced over the batch (see `Loss`).

    With `ignore_class`, the default reduction averages over the entries that are not ignored.

    Args:
        from_logits, ignore_class, axis: See `sparse_categorical_crossentropy`. Default to
            `False`, `None` and `-1`.

    Example:
    >>> import torch
    >>> loss = SparseCategoricalCrossentropy(ignore_class=0)
    >>> loss(torch.tensor([0, 1]), torch.tensor([[0.9, 0.1], [0.5, 0.5]]))
    tensor(0.6931)
    """

    def __init__(self, from_logits=False, ignore_class=None, reduction="sum_over_batch_size",
                 axis=-1, name="sparse_categorical_crossentropy", dtype=None):
        super().__init__(sparse_categorical_crossentropy, reduction, name, dtype,
                         from_logits=from_logits, ignore_class=ignore_class, axis=axis)
