"""Models: `Model` (functional and subclassed) and `Sequential` (Keras' `keras.models`),
with `load_model`, `save_model`, `model_from_json` and `clone_model`."""

from lamina.models.cloning import clone_model, model_from_json
from lamina.models.model import Model
from lamina.models.sequential import Sequential
from lamina.saving import load_model, save_model

__all__ = ["Model", "Sequential", "clone_model", "load_model", "model_from_json", "save_model"]
