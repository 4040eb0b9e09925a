"""Learning rate schedules: Keras 3's `keras.optimizers.schedules`.

Pass a schedule as an optimizer's `learning_rate`; the optimizer calls it with its step
counter before each update, and the rate is computed on the device.
"""

from lamina import registry
from lamina.optimizers.schedules.cosine_decay import CosineDecay, CosineDecayRestarts
from lamina.optimizers.schedules.learning_rate_schedule import (
    MODULE,
    ExponentialDecay,
    InverseTimeDecay,
    LearningRateSchedule,
    PiecewiseConstantDecay,
    PolynomialDecay,
)

__all__ = ["CosineDecay", "CosineDecayRestarts", "ExponentialDecay", "InverseTimeDecay",
           "LearningRateSchedule", "PiecewiseConstantDecay", "PolynomialDecay", "deserialize",
           "serialize"]


def serialize(learning_rate_schedule):
    """Keras 3's dict form of a schedule: `{"module", "class_name", "config", ...}`.

    Example:

    >>> from lamina.optimizers import schedules
    >>> schedules.serialize(schedules.ExponentialDecay(0.1, 10, 0.9))["class_name"]
    'ExponentialDecay'
    """
    return registry.serialize(learning_rate_schedule)


def deserialize(config, custom_objects=None):
    """Create a schedule from Keras' dict form (a custom class through `custom_objects`).

    Raises:
        TypeError: If `config` is not a dict with a `class_name`.
        ValueError: For an unknown class name (the message lists the valid ones).
    """
    return registry.deserialize(config, MODULE, "learning rate schedule", custom_objects)
