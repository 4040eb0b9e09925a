"""`Lambda`: wraps an arbitrary function as a layer."""

import inspect

from lamina.layers.layer import Layer
from lamina.registry import register


@register("keras.layers")
class Lambda(Layer):
    """Wraps a function of tensors as a layer (for quick, weightless transformations).

    Args:
        function: The function to apply, `function(inputs, **arguments)`; it may take `mask`
            and `training` arguments.
        output_shape: Ignored in lamina except for the config: output shapes are inferred by
            running the function on fake tensors. Defaults to `None`.
        mask: Not used (masking arrives with the masking issue). Defaults to `None`.
        arguments: Optional dict of keyword arguments passed to `function`. Defaults to `None`.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.Lambda(lambda x: x * 2)(torch.tensor([1.0, 2.0])).tolist()
    [2.0, 4.0]
    """

    def __init__(self, function, output_shape=None, mask=None, arguments=None, **kwargs):
        super().__init__(**kwargs)
        if not callable(function):
            raise TypeError("`Lambda` expects `function` to be callable. Received: "
                            f"function={function!r} (of type {type(function).__name__}).")
        self.function = function
        self.output_shape_arg = output_shape
        self.arguments = dict(arguments or {})
        parameters = inspect.signature(function).parameters
        self._function_has_training = "training" in parameters
        self.built = True

    def call(self, inputs, training=None):
        if self._function_has_training:
            return self.function(inputs, training=training, **self.arguments)
        return self.function(inputs, **self.arguments)

    def get_config(self):
        # Saving a Lambda's code (and refusing it in safe mode) belongs to the saving issue (#8);
        # here the config names the function.
        name = getattr(self.function, "__name__", repr(self.function))
        return {**super().get_config(), "function": name,
                "output_shape": self.output_shape_arg, "arguments": self.arguments}
