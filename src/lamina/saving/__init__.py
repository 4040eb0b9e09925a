"""Saving and loading: Keras 3's `.keras`, `.weights.h5` and sharded `.weights.json` formats,
legacy Keras 2 `.h5` files, config serialisation.

See `saving/README.md` for the layout of the files and the safety rules of loading.
"""

from lamina.saving.saving_api import load_model, load_weights, save_model, save_weights
from lamina.saving.serialization_lib import (
    CustomObjectScope,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    get_registered_name,
    get_registered_object,
    register_keras_serializable,
    serialize_keras_object,
)

__all__ = [
    "CustomObjectScope",
    "custom_object_scope",
    "deserialize_keras_object",
    "get_custom_objects",
    "get_registered_name",
    "get_registered_object",
    "load_model",
    "load_weights",
    "register_keras_serializable",
    "save_model",
    "save_weights",
    "serialize_keras_object",
]
