"""Probabilistic metrics: running means of the cross-entropies, KL divergence and Poisson loss.

They use the loss functions, so they share their numerics: Keras' `1e-7` clipping, and the
fused logits path when `y_pred` came out of `softmax`/`sigmoid` (see `losses.losses`).
"""

from lamina.losses.losses import (binary_crossentropy, categorical_crossentropy, kl_divergence,
                                  poisson, sparse_categorical_crossentropy)
from lamina.metrics.reduction_metrics import _BuiltinMeanMetric
from lamina.registry import register


@register("keras.metrics", aliases=("kl_divergence",))
class KLDivergence(_BuiltinMeanMetric):
    """The running mean of `kl_divergence`."""

    def __init__(self, name="kl_divergence", dtype=None):
        super().__init__(kl_divergence, name, dtype)


@register("keras.metrics", aliases=("poisson",))
class Poisson(_BuiltinMeanMetric):
    """The running mean of `poisson`."""

    def __init__(self, name="poisson", dtype=None):
        super().__init__(poisson, name, dtype)


@register("keras.metrics", aliases=("binary_crossentropy", "bce", "BCE"))
class BinaryCrossentropy(_BuiltinMeanMetric):
    """The running mean of `binary_crossentropy`.

    Args:
        name: Defaults to `"binary_crossentropy"`.
        dtype: See `Metric`. Defaults to `None`.
        from_logits, label_smoothing: See `losses.binary_crossentropy`. Default to `False`
            and `0`.

    Example:
    >>> metric = BinaryCrossentropy()
    >>> metric.update_state([[0.0, 1.0]], [[0.5, 0.5]])
    >>> round(float(metric.result()), 4)
    0.6931
    """

    def __init__(self, name="binary_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0):
        super().__init__(binary_crossentropy, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing)
        self._direction = "down"


@register("keras.metrics", aliases=("categorical_crossentropy",))
class CategoricalCrossentropy(_BuiltinMeanMetric):
    """The running mean of `categorical_crossentropy`.

    Args:
        name: Defaults to `"categorical_crossentropy"`.
        dtype: See `Metric`. Defaults to `None`.
        from_logits, label_smoothing, axis: See `losses.categorical_crossentropy`. Default to
            `False`, `0` and `-1`.
    """

    def __init__(self, name="categorical_crossentropy", dtype=None, from_logits=False,
                 label_smoothing=0, axis=-1):
        super().__init__(categorical_crossentropy, name, dtype, from_logits=from_logits,
                         label_smoothing=label_smoothing, axis=axis)
        self._direction = "down"


@register("keras.metrics", aliases=("sparse_categorical_crossentropy",))
class SparseCategoricalCrossentropy(_BuiltinMeanMetric):
    """The running mean of `sparse_categorical_crossentropy`.

    Args:
        name: Defaults to `"sparse_categorical_crossentropy"`.
        dtype: See `Metric`. Defaults to `None`.
        from_logits, ignore_class, axis: See `losses.sparse_categorical_crossentropy`. Default
            to `False`, `None` and `-1`.
    """

    def __init__(self, name="sparse_categorical_crossentropy", dtype=None, from_logits=False,
                 ignore_class=None, axis=-1):
        super().__init__(sparse_categorical_crossentropy, name, dtype, from_logits=from_logits,
                         ignore_class=ignore_class, axis=axis)
        self._direction = "down"
