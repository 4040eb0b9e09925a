"""`Activation`: applies an activation function to its input."""

from lamina import activations
from lamina.layers.layer import Layer
from lamina.registry import register


@register("keras.layers")
class Activation(Layer):
    """Applies an activation function to the output.

    Args:
        activation: Activation function or its name, e.g. `"relu"`.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.Activation("relu")(torch.tensor([-1.0, 2.0])).tolist()
    [0.0, 2.0]
    """

    def __init__(self, activation, **kwargs):
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return self.activation(inputs)

    def get_config(self):
        return {**super().get_config(), "activation": activations.serialize(self.activation)}
