"""`Sum`, `Mean` and `MeanMetricWrapper`: the running reductions most metrics are built on.

Sample weights follow Keras 3: values are first reduced to one per sample (over the axes the
weights do not cover), multiplied by the weights, and `Mean` divides the weighted total by the
total weight. A Python number as `sample_weight` weighs the whole batch as one sample (the
training loop tracks the loss this way, with the batch size as the weight).
"""

import torch

from lamina import registry
from lamina.losses.loss import apply_mask, as_weight, squeeze_or_expand_to_same_rank
from lamina.metrics.metric import Metric
from lamina.registry import register
from lamina.validation import received


def reduce_to_samplewise_values(values, sample_weight, reduce_fn, dtype):
    """Reduce `values` to one per sample and weight them.

    Returns:
        `(values, sample_weight)`: values of shape `(batch,)` (or `()`), already multiplied by
        the weights, and the weights reduced the same way (`None` without weights).
    """
    mask = getattr(values, "_keras_mask", None)
    values = values.to(dtype)
    if sample_weight is not None:
        sample_weight = as_weight(sample_weight, dtype, values.device)
        sample_weight = apply_mask(sample_weight, mask, dtype, "sum")
        if torch.is_tensor(sample_weight):
            values, sample_weight = squeeze_or_expand_to_same_rank(values, sample_weight)
        weight_ndim = sample_weight.dim() if torch.is_tensor(sample_weight) else 0
        if values.dim() > weight_ndim:
            values = reduce_fn(values, dim=list(range(weight_ndim, values.dim())))
        values = values * sample_weight  # broadcasts as Keras' broadcast_to does
        if weight_ndim > 1:
            sample_weight = reduce_fn(sample_weight, dim=list(range(1, weight_ndim)))
    if values.dim() > 1:
        if values.numel() == values.shape[0]:  # (batch, 1, ...): a view, not a reduction
            values = values.reshape(values.shape[0])
        else:
            values = reduce_fn(values, dim=list(range(1, values.dim())))
    return values, sample_weight


@register("keras.metrics", aliases=("sum",))
class Sum(Metric):
    """The running (weighted) sum of the values it is given.

    Args:
        name: Defaults to `"sum"`.
        dtype: See `Metric`. Defaults to `None`.

    Example:
    >>> metric = Sum()
    >>> metric.update_state([1.0, 3.0, 5.0, 7.0])
    >>> float(metric.result())
    16.0
    """

    def __init__(self, name="sum", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")

    @torch.no_grad()
    def update_state(self, values, sample_weight=None):
        values, _ = reduce_to_samplewise_values(self._on_state_device(values), sample_weight,
                                                torch.sum, self._torch_dtype)
        self.total.add_(values.sum())

    def result(self):
        return self.total.clone()


@register("keras.metrics", aliases=("mean",))
class Mean(Metric):
    """The running (weighted) mean of the values it is given.

    Values of shape `(batch, ...)` count as `batch` samples (each the mean of its entries).

    Args:
        name: Defaults to `"mean"`.
        dtype: See `Metric`. Defaults to `None`.

    Example:
    >>> metric = Mean()
    >>> metric.update_state([1.0, 3.0, 5.0, 7.0], sample_weight=[1.0, 1.0, 0.0, 0.0])
    >>> float(metric.result())
    2.0
    """

    def __init__(self, name="mean", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.total = self.add_variable((), "zeros", name="total")
        self.count = self.add_variable((), "zeros", name="count")

    def update_state(self, values, sample_weight=None):
        if (isinstance(sample_weight, (int, float)) and isinstance(values, torch.Tensor)
                and values.dim() == 0 and values.device == self.total.device):
            # The training loop's loss tracker, every step: the batch's mean loss weighted by
            # the batch size. Two in-place kernels, no autograd, no host sync.
            self.total.add_(values.detach(), alpha=sample_weight)
            self.count.add_(sample_weight)
            return
        self._update_state(values, sample_weight)

    @torch.no_grad()
    def _update_state(self, values, sample_weight):
        values, sample_weight = reduce_to_samplewise_values(
            self._on_state_device(values), sample_weight, torch.mean, self._torch_dtype)
        self.total.add_(values.sum())
        if torch.is_tensor(sample_weight):
            self.count.add_(sample_weight.sum())
        elif sample_weight is not None:
            self.count.add_(sample_weight)  # a Python number: no tensor made
        else:
            self.count.add_(values.shape[0] if values.dim() >= 1 else 1)

    def result(self):
        return torch.where(self.count == 0, 0.0, self.total / self.count)  # divide_no_nan


@register("keras.metrics", aliases=("mean_metric_wrapper",))
class MeanMetricWrapper(Mean):
    """The running mean of a function's per-sample values, `fn(y_true, y_pred, **kwargs)`.

    Args:
        fn: The function, e.g. a loss function such as `losses.mean_squared_error`.
        name: The metric name. Defaults to `None` (the snake-case class name).
        dtype: See `Metric`. Defaults to `None`.
        **kwargs: Keyword arguments passed to `fn` on every call.

    Example:
    >>> import torch
    >>> from lamina import losses
    >>> metric = MeanMetricWrapper(losses.mean_absolute_error, name="mae")
    >>> metric.update_state(torch.tensor([[0.0, 1.0]]), torch.tensor([[1.0, 1.0]]))
    >>> float(metric.result())
    0.5
    """

    def __init__(self, fn, name=None, dtype=None, **kwargs):
        super().__init__(name=name, dtype=dtype)
        if not callable(fn):
            raise TypeError("`MeanMetricWrapper` expects `fn` to be a callable "
                            "`fn(y_true, y_pred)`. " + received("fn", fn))
        self._fn = fn
        self._fn_kwargs = kwargs
        found = registry.registered_name(fn)
        if found is not None and found[0] == "keras.losses":
            self._direction = "down"  # a loss: lower is better (EarlyStopping's "auto" mode)

    def update_state(self, y_true, y_pred, sample_weight=None):
        mask = getattr(y_pred, "_keras_mask", None)
        if isinstance(y_pred, torch.Tensor) and y_pred.requires_grad:
            y_pred = y_pred.detach()  # cheaper than a no_grad context; metrics need no graph
        values = self._fn(y_true, y_pred, **self._fn_kwargs)
        if (sample_weight is None and mask is None and values.dim() >= 1
                and values.numel() == values.shape[0] and values.device == self.total.device
                and getattr(values, "_keras_mask", None) is None):
            # One value per sample, unweighted (every training step of the usual metrics).
            self.total.add_(values.sum(dtype=self._torch_dtype))
            self.count.add_(values.shape[0])
            return None
        sample_weight = apply_mask(as_weight(sample_weight, self._torch_dtype, values.device),
                                   mask, self._torch_dtype, "sum")
        return self._update_state(values, sample_weight)

    def get_config(self):
        return {**super().get_config(), "fn": registry.serialize(self._fn), **self._fn_kwargs}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        if "fn" not in config:
            return cls(**config)
        return cls(_function_from_config(config.pop("fn")), **config)


def _function_from_config(fn):
    """The function a config names: a name, or `{"class_name": "function", "config": name}`.

    Keras writes module "builtins" for functions, and in "keras.metrics" a name such as
    "binary_accuracy" also denotes a class; so, as Keras does, the name is looked up in the
    public `metrics` namespace first, then among the losses.
    """
    if isinstance(fn, dict) and fn.get("class_name") != "function":
        return registry.deserialize(fn, fn.get("module") or "keras.metrics", "metric function")
    name = fn["config"] if isinstance(fn, dict) else fn
    from lamina import metrics as namespace  # the package is loaded by now; no import cycle

    found = getattr(namespace, str(name), None)
    if callable(found) and not isinstance(found, type):
        return found
    return registry.lookup("keras.losses", name, "metric function")


class _BuiltinMeanMetric(MeanMetricWrapper):
    """A built-in mean metric: its config is `name`, `dtype` and its function's options (kept
    as attributes, e.g. `metric.threshold`)."""

    def __init__(self, fn, name, dtype, **options):
        super().__init__(fn, name=name, dtype=dtype, **options)
        for key, value in options.items():
            setattr(self, key, value)

    def get_config(self):
        return {**Metric.get_config(self), **self._fn_kwargs}
