"""The `Loss` base class and the reduction rules every loss and metric shares.

A loss is called as `loss(y_true, y_pred, sample_weight=None)`: `call` computes one value per
sample (or per time step), then `reduce_weighted_values` weights and reduces them exactly as
Keras 3 does. Two Keras rules are easy to get wrong:

- "sum_over_batch_size" (the default) and "mean" divide the weighted sum by the number of
  values, not by the sum of the weights; only "mean_with_sample_weight" divides by the weights.
- A mask (a boolean `_keras_mask` attribute on `y_pred` or on the values `call` returns, e.g.
  from `ignore_class`) turns into weights `total / valid`, so the mean runs over valid entries.

Everything here is shape logic in Python plus tensor ops: nothing reads a value back to the host.
"""

import numbers

import torch

from lamina import config
from lamina.naming import auto_name
from lamina.registry import register
from lamina.validation import validate_choice

REDUCTIONS = ("sum_over_batch_size", "sum", "mean", "mean_with_sample_weight", "none", None)

def dtype_name(dtype):
    """Keras' name for a dtype argument (`None` means `floatx()`): `"float32"`, ..."""
    return str(config.torch_dtype(dtype)).replace("torch.", "")


def _device_of(*candidates):
    for value in candidates:
        if torch.is_tensor(value):
            return value.device
    return config.device()


def convert_pred(y_pred, dtype=None, like=None):
    """`y_pred` as a tensor (floatx when it was not one), keeping `_keras_logits`.

    A tensor already of `dtype` is returned as is, so the logits an activation attached to it
    (see `losses.binary_crossentropy`) survive; a cast carries them over, cast the same way.
    """
    if not torch.is_tensor(y_pred):
        dtype = dtype or config.torch_dtype(None)
        return torch.as_tensor(y_pred, dtype=dtype, device=_device_of(like))
    if dtype is None or y_pred.dtype == dtype:
        return y_pred
    return carry_logits(y_pred, y_pred.to(dtype), lambda logits: logits.to(dtype))


def carry_logits(source, target, transform):
    """Give `target` the `_keras_logits` of `source`, passed through `transform`.

    Activations (`softmax`, `sigmoid`) attach their input to their output so cross-entropies
    can work from logits; a cast or reshape of the output must carry them along. The optional
    `_keras_activation` tag ("softmax"/"sigmoid") travels too.
    """
    logits = getattr(source, "_keras_logits", None)
    if logits is not None and target is not source:
        target._keras_logits = transform(logits)
        activation = getattr(source, "_keras_activation", None)
        if activation is not None:
            target._keras_activation = activation
    return target


def convert_true(y_true, y_pred, dtype=None):
    """`y_true` as a tensor on `y_pred`'s device, cast to `dtype` (default: `y_pred.dtype`)."""
    dtype = dtype or y_pred.dtype
    if isinstance(y_true, torch.Tensor) and y_true.dtype == dtype and \
            y_true.device == y_pred.device:
        return y_true  # the training loop's case: no dispatch at all
    return torch.as_tensor(y_true, dtype=dtype, device=y_pred.device)


def squeeze_or_expand_to_same_rank(x1, x2, expand_rank_1=True):
    """Squeeze or expand a trailing size-1 axis when the ranks differ by exactly one."""
    rank1, rank2 = x1.dim(), x2.dim()
    if rank1 == rank2 + 1 and x1.shape[-1] == 1:
        if rank2 == 1 and expand_rank_1:
            x2 = x2.unsqueeze(-1)
        else:
            x1 = x1.squeeze(-1)
    elif rank2 == rank1 + 1 and x2.shape[-1] == 1:
        if rank1 == 1 and expand_rank_1:
            x1 = x1.unsqueeze(-1)
        else:
            x2 = x2.squeeze(-1)
    return x1, x2


def _divide_no_nan(numerator, denominator):
    if not torch.is_tensor(denominator):  # a Python number: decide in Python
        return numerator / denominator if denominator else numerator * 0.0
    return torch.where(denominator == 0, 0.0, numerator / denominator)


def apply_mask(sample_weight, mask, dtype, reduction):
    """Fold a boolean mask into the sample weights (a tensor, a Python number or `None`).

    For "mean" and "sum_over_batch_size" valid entries weigh `total / valid`, so that dividing
    by the number of values later gives the mean over the valid ones.
    """
    if mask is None:
        return sample_weight
    if reduction in ("mean", "sum_over_batch_size"):
        valid = mask.sum(dtype=dtype)  # may be 0: then every weight is 0
        float_mask = mask.to(dtype) * _divide_no_nan(mask.numel(), valid)
    else:
        float_mask = mask.to(dtype)
    if sample_weight is None:
        return float_mask
    if torch.is_tensor(sample_weight):
        sample_weight = sample_weight.to(dtype)
        float_mask, sample_weight = squeeze_or_expand_to_same_rank(float_mask, sample_weight)
    return sample_weight * float_mask


def as_weight(sample_weight, dtype, device):
    """Sample weights as a tensor on `device`; a Python number stays a number, because
    building a one-element device tensor from it would be a blocking host-to-device copy."""
    if sample_weight is None or isinstance(sample_weight, numbers.Real):
        return sample_weight
    return torch.as_tensor(sample_weight, dtype=dtype, device=device)


def reduce_values(values, sample_weight=None, reduction="sum_over_batch_size"):
    """Reduce already-weighted values: sum, or sum divided by the count or by the weights."""
    if reduction in (None, "none") or values.dim() == 0 or tuple(values.shape) == (0,):
        return values
    if reduction == "sum":
        return values.sum()
    if reduction == "mean_with_sample_weight" and sample_weight is not None:
        total_weight = (sample_weight.sum(dtype=values.dtype) if torch.is_tensor(sample_weight)
                        else sample_weight)
        return _divide_no_nan(values.sum(), total_weight)
    if values.numel() == 0:  # Keras' divide_no_nan: an empty batch reduces to 0
        return values.sum()
    return values.mean()  # sum / number of values, whatever the weights


def reduce_weighted_values(values, sample_weight=None, mask=None,
                           reduction="sum_over_batch_size", dtype=None):
    """Weight `values` by `sample_weight` (and `mask`), then reduce them as `reduction` says."""
    dtype = config.torch_dtype(dtype) if dtype is not None else values.dtype
    values = values.to(dtype)
    sample_weight = apply_mask(as_weight(sample_weight, dtype, values.device), mask, dtype,
                               reduction)
    if torch.is_tensor(sample_weight):
        values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        if values.shape != sample_weight.shape:
            _check_weight_shape(values, sample_weight)
    if sample_weight is not None:
        values = values * sample_weight
    return reduce_values(values, sample_weight, reduction)


def _check_weight_shape(values, sample_weight):
    """Raise a teaching `ValueError` when `sample_weight` cannot scale `values` (as in Keras,
    only a trailing size-1 axis is squeezed or added; other shapes must broadcast)."""
    try:
        torch.broadcast_shapes(values.shape, sample_weight.shape)
    except RuntimeError:
        hint = ""
        if values.dim() > sample_weight.dim() and \
                values.shape[:sample_weight.dim()] == sample_weight.shape:
            shape = tuple(sample_weight.shape) + (1,) * (values.dim() - sample_weight.dim())
            hint = (f" To weight whole samples, reshape it to {shape}, e.g. "
                    f"`sample_weight.reshape{shape}`.")
        raise ValueError("The loss expects `sample_weight` of a shape that broadcasts to the "
                         f"per-sample losses. Received: sample_weight.shape="
                         f"{tuple(sample_weight.shape)}, loss values shape="
                         f"{tuple(values.shape)}.{hint}") from None


def combine_masks(first, second):
    if first is None:
        return second
    if second is None:
        return first
    return first & second


@register("keras.losses")
class Loss:
    """Base class of losses: subclass it and write `call(y_true, y_pred)`.

    Args:
        name: Optional name of the loss. Defaults to the snake-case class name.
        reduction: How the per-sample values are reduced: `"sum_over_batch_size"` (sum divided
            by the number of values), `"sum"`, `"mean"` (same as `"sum_over_batch_size"`),
            `"mean_with_sample_weight"` (sum divided by the sum of the sample weights), or
            `"none"`/`None` (no reduction). Defaults to `"sum_over_batch_size"`.
        dtype: The dtype the loss is computed in. Defaults to `None`, meaning `floatx()`.

    Call arguments:
        y_true: Ground truth values, any array-like; cast to the loss dtype.
        y_pred: Predicted values, any array-like.
        sample_weight: Optional weights scaling each value's contribution: a number, or an
            array that broadcasts to the per-sample losses once a trailing size-1 axis is
            squeezed or added (Keras' rule): `(batch,)` or `(batch, 1)` for losses of shape
            `(batch,)`, `(batch, time)` or `(batch, 1)` for losses of shape `(batch, time)`.

    Example:
    >>> import torch
    >>> class MeanError(Loss):
    ...     def call(self, y_true, y_pred):
    ...         return (y_pred - y_true).mean(dim=-1)
    >>> MeanError()(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 3.0]]))
    tensor(1.5000)
    """

    def __init__(self, name=None, reduction="sum_over_batch_size", dtype=None):
        self.name = name or auto_name(type(self).__name__)
        self.reduction = validate_choice(reduction, "reduction", REDUCTIONS, self)
        self._torch_dtype = config.torch_dtype(dtype)

    @property
    def dtype(self):
        """The name of the dtype the loss computes in, e.g. `"float32"`."""
        return dtype_name(self._torch_dtype)

    def __call__(self, y_true, y_pred, sample_weight=None):
        in_mask = getattr(y_pred, "_keras_mask", None)
        y_pred = convert_pred(y_pred, self._torch_dtype, like=y_true)
        y_true = convert_true(y_true, y_pred, self._torch_dtype)
        losses = self.call(y_true, y_pred)
        mask = combine_masks(in_mask, getattr(losses, "_keras_mask", None))
        if (mask is None and sample_weight is None and losses.dtype == self._torch_dtype
                and self.reduction in ("sum_over_batch_size", "mean") and losses.numel()):
            return losses.mean()  # the training loop's common case, without the weighting
        return reduce_weighted_values(losses, sample_weight, mask, self.reduction,
                                      self._torch_dtype)

    def call(self, y_true, y_pred):
        """The per-sample loss values; subclasses override this."""
        raise TypeError(
            f"`{type(self).__name__}` subclasses `Loss` but does not define "
            "`call(self, y_true, y_pred)`. Add it: it returns one loss value per sample."
        )

    def get_config(self):
        return {"name": self.name, "reduction": self.reduction}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    def __repr__(self):
        return f"<{type(self).__name__} name={self.name}>"
