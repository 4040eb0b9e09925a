"""Losses: Keras 3's loss functions and classes, and `get` to resolve an identifier.

`get("categorical_crossentropy")` returns the function, `get("CategoricalCrossentropy")` an
instance of the class, as Keras 3 does. Both are looked up in the registry under
"keras.losses", so saved configs and `compile(loss=...)` strings resolve the same way.

Where they live: `loss.py` (the `Loss` base class and the reductions), `losses.py` (regression,
hinge and the three cross-entropies), `probabilistic.py` (focal and generalized
cross-entropies), `segmentation.py` (Dice, Tversky), `ctc.py` and `circle.py`.
"""

from lamina import registry
from lamina.losses.loss import Loss, reduce_weighted_values, squeeze_or_expand_to_same_rank
from lamina.losses.losses import (
    BinaryCrossentropy, CategoricalCrossentropy, CategoricalHinge, CosineSimilarity, Hinge,
    Huber, KLDivergence, LogCosh, LossFunctionWrapper, MeanAbsoluteError,
    MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, Poisson,
    SparseCategoricalCrossentropy, SquaredHinge, binary_crossentropy, categorical_crossentropy,
    categorical_hinge, cosine_similarity, hinge, huber, kl_divergence, log_cosh,
    mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
    mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)
from lamina.losses.circle import Circle, circle
from lamina.losses.ctc import CTC, ctc
from lamina.losses.probabilistic import (
    BinaryFocalCrossentropy, CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy,
    binary_focal_crossentropy, categorical_focal_crossentropy,
    categorical_generalized_cross_entropy)
from lamina.losses.segmentation import Dice, Tversky, dice, tversky
from lamina.validation import received

# Keras' short names.
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy

_MODULE = "keras.losses"


def serialize(loss):
    """Keras 3's config dict of a loss function or `Loss` instance."""
    return registry.serialize(loss)


def deserialize(config, custom_objects=None):
    """The loss function or `Loss` instance a config dict (or a registered name) describes."""
    if isinstance(config, str):
        return registry.lookup(_MODULE, config, "loss", custom_objects)
    return registry.deserialize(config, _MODULE, "loss", custom_objects)


def get(identifier):
    """Resolve a loss identifier as Keras 3 does.

    Args:
        identifier: `None`; a name (a function name gives the function, a class name an
            instance with default arguments); a config dict; a `Loss` class (instantiated);
            or a `Loss` instance or any callable (returned as it is).

    Returns:
        A loss function, a `Loss` instance, or `None`.

    Raises:
        ValueError: For an unknown name (the message lists the valid ones).
        TypeError: For anything else that is not callable.

    Example:
    >>> get("mse") is mean_squared_error
    True
    >>> get("CategoricalCrossentropy").get_config()["from_logits"]
    False
    """
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        found = deserialize(identifier)
    elif isinstance(identifier, str):
        found = registry.lookup(_MODULE, identifier, "loss")
    else:
        found = identifier
    if isinstance(found, type):
        return found()
    if callable(found):
        return found
    raise TypeError("`losses.get` expects `identifier` to be a loss name, a config dict, a "
                    "`Loss` or a callable. " + received("identifier", identifier))


__all__ = [
    "BCE", "BinaryCrossentropy", "CategoricalCrossentropy", "CategoricalHinge",
    "CosineSimilarity", "Hinge", "Huber", "KLD", "KLDivergence", "LogCosh", "Loss",
    "LossFunctionWrapper", "MAE", "MAPE", "MSE", "MSLE", "MeanAbsoluteError",
    "MeanAbsolutePercentageError", "MeanSquaredError", "MeanSquaredLogarithmicError", "Poisson",
    "SparseCategoricalCrossentropy", "SquaredHinge", "bce", "binary_crossentropy",
    "categorical_crossentropy", "categorical_hinge", "cosine_similarity", "deserialize", "get",
    "hinge", "huber", "kl_divergence", "kld", "log_cosh", "mae", "mape", "mean_absolute_error",
    "mean_absolute_percentage_error", "mean_squared_error", "mean_squared_logarithmic_error",
    "mse", "msle", "poisson", "reduce_weighted_values", "serialize",
    "sparse_categorical_crossentropy", "squared_hinge", "squeeze_or_expand_to_same_rank",
    "BinaryFocalCrossentropy", "CTC", "CategoricalFocalCrossentropy",
    "CategoricalGeneralizedCrossEntropy", "Circle", "Dice", "Tversky",
    "binary_focal_crossentropy", "categorical_focal_crossentropy",
    "categorical_generalized_cross_entropy", "circle", "ctc", "dice", "tversky",
]
