"""`TorchModuleWrapper`: a plain `torch.nn.Module` used as a lamina layer."""

from torch import nn

from lamina.layers.layer import Layer
from lamina.registry import register


@register("keras.layers")
class TorchModuleWrapper(Layer):
    """Wraps a `torch.nn.Module` so it can sit in a `Sequential` or functional model.

    Its parameters become the layer's weights (trainable unless frozen); its output shapes are
    inferred like any layer's. `Sequential.add` wraps plain torch modules automatically.

    Args:
        module: The `torch.nn.Module` to wrap.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.TorchModuleWrapper(torch.nn.Linear(4, 2))
    >>> tuple(layer(torch.ones(3, 4)).shape), layer.count_params()
    ((3, 2), 10)
    """

    def __init__(self, module, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(module, nn.Module):
            raise TypeError("`TorchModuleWrapper` expects `module` to be a torch.nn.Module. "
                            f"Received: module={module!r} (of type {type(module).__name__}).")
        self.module = module
        self.built = True

    def call(self, inputs):
        return self.module(inputs)
