"""Models: `Model` (functional and subclassed) and `Sequential` (Keras' `keras.models`)."""

from lamina.models.model import Model
from lamina.models.sequential import Sequential

__all__ = ["Model", "Sequential"]
