"""Metrics: Keras 3's metric classes and functions, and `get` to resolve an identifier.

Metric state lives in buffers on the device; `update_state` and `result` never read it back to
the host. `get("mse")` returns a `MeanSquaredError()` instance, as Keras 3 does; the plain
strings "accuracy"/"acc" are resolved by `compile` from the output shape.
"""

from lamina import registry
from lamina.losses.losses import (binary_crossentropy, categorical_crossentropy,
                                  categorical_hinge, hinge, huber, kl_divergence, log_cosh,
                                  mean_absolute_error, mean_absolute_percentage_error,
                                  mean_squared_error, mean_squared_logarithmic_error, poisson,
                                  sparse_categorical_crossentropy, squared_hinge)
from lamina.losses import binary_focal_crossentropy, categorical_focal_crossentropy
from lamina.metrics.accuracy_metrics import (
    Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
    SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, binary_accuracy,
    categorical_accuracy, sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
    top_k_categorical_accuracy)
from lamina.metrics.auc import AUC
from lamina.metrics.correlation_metrics import (ConcordanceCorrelation, PearsonCorrelation,
                                                concordance_correlation, pearson_correlation)
from lamina.metrics.confusion_metrics import (FalseNegatives, FalsePositives, Precision, Recall,
                                              TrueNegatives, TruePositives)
from lamina.metrics.f_score_metrics import F1Score, FBetaScore
from lamina.metrics.hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from lamina.metrics.iou_metrics import BinaryIoU, IoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from lamina.metrics.metric import Metric, MetricVariable
from lamina.metrics.probabilistic_metrics import (BinaryCrossentropy, CategoricalCrossentropy,
                                                  KLDivergence, Poisson,
                                                  SparseCategoricalCrossentropy)
from lamina.metrics.reduction_metrics import Mean, MeanMetricWrapper, Sum
from lamina.metrics.regression_metrics import (CosineSimilarity, LogCoshError,
                                               MeanAbsoluteError, MeanAbsolutePercentageError,
                                               MeanSquaredError, MeanSquaredLogarithmicError,
                                               RootMeanSquaredError)
from lamina.metrics.regression_metrics import R2Score
from lamina.metrics.sensitivity_metrics import (PrecisionAtRecall, RecallAtPrecision,
                                                SensitivityAtSpecificity,
                                                SpecificityAtSensitivity)
from lamina.validation import received

_MODULE = "keras.metrics"


def serialize(metric):
    """Keras 3's config dict of a metric function or `Metric` instance."""
    return registry.serialize(metric)


def deserialize(config, custom_objects=None):
    """The metric a config dict (or a registered name) describes."""
    if isinstance(config, str):
        return registry.lookup(_MODULE, config, "metric", custom_objects)
    return registry.deserialize(config, _MODULE, "metric", custom_objects)


def get(identifier):
    """Resolve a metric identifier as Keras 3 does.

    Args:
        identifier: `None`; a name (class names and their snake-case forms, and "mse", "mae",
            "mape", "msle", "bce"; each gives an instance with default arguments); a config
            dict; a `Metric` class (instantiated); or a `Metric` instance or any callable
            (returned as it is).

    Returns:
        A `Metric` instance, a metric function, or `None`.

    Raises:
        ValueError: For an unknown name (the message lists the valid ones).
        TypeError: For anything else that is not callable.

    Example:
    >>> get("mse").name
    'mean_squared_error'
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        found = deserialize(identifier)
    elif isinstance(identifier, str):
        found = registry.lookup(_MODULE, identifier, "metric")
    else:
        found = identifier
    if isinstance(found, type):
        return found()
    if callable(found):
        return found
    raise TypeError("`metrics.get` expects `identifier` to be a metric name, a config dict, a "
                    "`Metric` or a callable. " + received("identifier", identifier))


__all__ = [
    "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy",
    "CategoricalCrossentropy", "CosineSimilarity", "KLDivergence", "LogCoshError", "Mean",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanMetricWrapper", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "Metric", "MetricVariable", "Poisson",
    "RootMeanSquaredError", "SparseCategoricalAccuracy", "SparseCategoricalCrossentropy",
    "SparseTopKCategoricalAccuracy", "Sum", "TopKCategoricalAccuracy", "binary_accuracy",
    "binary_crossentropy", "categorical_accuracy", "categorical_crossentropy",
    "categorical_hinge", "deserialize", "get", "hinge", "huber", "kl_divergence", "log_cosh",
    "mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
    "mean_squared_logarithmic_error", "poisson", "serialize", "sparse_categorical_accuracy",
    "sparse_categorical_crossentropy", "sparse_top_k_categorical_accuracy", "squared_hinge",
    "top_k_categorical_accuracy",
]
__all__ += [  # confusion-matrix metrics and F-scores
    "AUC", "F1Score", "FBetaScore", "FalseNegatives", "FalsePositives", "Precision",
    "PrecisionAtRecall", "Recall", "RecallAtPrecision", "SensitivityAtSpecificity",
    "SpecificityAtSensitivity", "TrueNegatives", "TruePositives",
]
__all__ += [  # IoU, R2, hinge and correlation metrics
    "BinaryIoU", "CategoricalHinge", "ConcordanceCorrelation", "Hinge", "IoU", "MeanIoU",
    "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation", "R2Score", "SquaredHinge",
    "binary_focal_crossentropy", "categorical_focal_crossentropy", "concordance_correlation",
    "pearson_correlation",
]
