"""`clone_model` and `model_from_json`: new models from an existing one's architecture."""

import json

from lamina.saving import serialization_lib


def model_from_json(json_string, custom_objects=None):
    """A new model (freshly initialised weights) from `model.to_json()`'s string.

    Args:
        json_string: The JSON string.
        custom_objects: Optional dict of custom classes and functions by name. Defaults to
            `None`.

    Returns:
        The model.

    Example:
    >>> import lamina as keras
    >>> model = keras.Sequential([keras.Input(shape=(3,)), keras.layers.Dense(2)])
    >>> keras.models.model_from_json(model.to_json()).output_shape
    (None, 2)
    """
    return serialization_lib.deserialize_keras_object(json.loads(json_string),
                                                      custom_objects=custom_objects)


def clone_model(model, input_tensors=None, clone_function=None, call_function=None,
                recursive=False, **kwargs):
    """A new model with the same architecture as `model` and newly initialised weights.

    Sequential and functional models are rebuilt from their config; a subclassed model from
    its `get_config` through `from_config`.

    Args:
        model: The model to clone.
        input_tensors: Not supported (must be `None`). Defaults to `None`.
        clone_function: Not supported (must be `None`). Defaults to `None`.
        call_function: Not supported (must be `None`). Defaults to `None`.
        recursive: Ignored: nested models are always cloned. Defaults to `False`.

    Returns:
        The new model.

    Raises:
        ValueError: If an unsupported argument is given.
    """
    for argument, value in (("input_tensors", input_tensors), ("clone_function", clone_function),
                            ("call_function", call_function), *kwargs.items()):
        if value is not None:
            raise ValueError(f"`clone_model` in lamina does not support `{argument}`. "
                             f"Received: {argument}={value!r}.")
    config = serialization_lib.serialize_keras_object(model)
    with serialization_lib.CustomObjectScope({type(model).__name__: type(model)}):
        clone = serialization_lib.deserialize_keras_object(config, safe_mode=False)
    return clone
