"""Optimizers: Keras 3's `keras.optimizers`, updating torch parameters.

`get(identifier)` resolves what `compile(optimizer=...)` accepts: an optimizer, a name such
as `"adam"`, or a Keras config dict.
"""

from lamina import registry
from lamina.optimizers.adafactor import Adafactor
from lamina.optimizers.adadelta import Adadelta
from lamina.optimizers.adagrad import Adagrad
from lamina.optimizers.adam import Adam
from lamina.optimizers.adamax import Adamax
from lamina.optimizers.adamw import AdamW
from lamina.optimizers.ftrl import Ftrl
from lamina.optimizers.lamb import Lamb
from lamina.optimizers.lion import Lion
from lamina.optimizers.loss_scale_optimizer import LossScaleOptimizer
from lamina.optimizers.nadam import Nadam
from lamina.optimizers.optimizer import MODULE, Optimizer
from lamina.optimizers.rmsprop import RMSprop
from lamina.optimizers.sgd import SGD
from lamina.optimizers import schedules  # registers the schedules by their Keras names

__all__ = ["Adadelta", "Adagrad", "Adam", "Optimizer", "RMSprop", "SGD", "deserialize",
           "get", "serialize"]
__all__ += ["AdamW", "Adamax", "Lamb", "Lion", "Nadam"]
__all__ += ["LossScaleOptimizer"]
__all__ += ["Adafactor", "Ftrl", "schedules"]


def serialize(optimizer):
    """Keras 3's dict form of `optimizer`: `{"module", "class_name", "config", ...}`."""
    return registry.serialize(optimizer)


def deserialize(config, custom_objects=None):
    """Create an optimizer from Keras' dict form (class names in any case, e.g. "adam")."""
    return registry.deserialize(config, MODULE, "optimizer", custom_objects)


def get(identifier):
    """Return an optimizer for `identifier`: an `Optimizer` (returned as is), a name such
    as `"adam"` (default arguments), or a Keras config dict.

    Raises:
        ValueError: For an unknown name (the message lists the valid ones).
        TypeError: For any other kind of identifier.

    Example:

    >>> from lamina import optimizers
    >>> optimizers.get("rmsprop").get_config()["rho"]
    0.9
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        names = registry.names(MODULE)
        key = identifier if identifier in names or identifier.lower() not in names \
            else identifier.lower()
        return registry.lookup(MODULE, key, "optimizer")()
    raise TypeError("Could not interpret optimizer identifier: expected an optimizer, its "
                    "name (e.g. 'adam') or a config dict. "
                    f"Received: optimizer={identifier!r} (of type {type(identifier).__name__}).")
