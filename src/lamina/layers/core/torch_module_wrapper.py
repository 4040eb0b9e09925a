"""`TorchModuleWrapper`: a plain `torch.nn.Module` used as a lamina layer."""

import torch
from torch import nn
from torch._subclasses.fake_tensor import is_fake

from lamina.layers.layer import Layer
from lamina.registry import register


@register("keras.layers")
class TorchModuleWrapper(Layer):
    """Wraps a `torch.nn.Module` so it can sit in a `Sequential` or functional model.

    Its parameters become the layer's weights (trainable unless frozen); its output shapes are
    inferred like any layer's. `Sequential.add` wraps plain torch modules automatically.

    As in Keras, `training` switches the module's mode: `training=False` (`predict`,
    `evaluate`) puts it in `eval()` mode, anything else (`fit`, or a direct call without a
    flag) in `train()` mode, so a wrapped `nn.Dropout` or `nn.BatchNorm1d` behaves as its
    torch twin would. The mode is a Python flag (no host-device sync) and is set through
    `module.train(mode)` only when the module's own flag differs, so a submodule you put in
    `eval()` yourself stays so until the next switch. Inferring output shapes runs the module
    in `eval()` mode and puts every submodule's flag back, so building a model changes no
    state (a `BatchNorm1d`'s `num_batches_tracked` stays 0).

    Args:
        module: The `torch.nn.Module` to wrap.

    Call arguments:
        inputs: The tensor the module is called on.
        training: Python boolean, whether to run the module in training mode. Defaults to
            `None`: training mode, as Keras does, unless an enclosing call says otherwise.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.TorchModuleWrapper(torch.nn.Linear(4, 2))
    >>> tuple(layer(torch.ones(3, 4)).shape), layer.count_params()
    ((3, 2), 10)
    >>> dropout = keras.layers.TorchModuleWrapper(torch.nn.Dropout(0.5))
    >>> bool((dropout(torch.ones(2, 3), training=False) == 1).all()), dropout.module.training
    (True, False)
    """

    def __init__(self, module, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(module, nn.Module):
            raise TypeError("`TorchModuleWrapper` expects `module` to be a torch.nn.Module. "
                            f"Received: module={module!r} (of type {type(module).__name__}).")
        self.module = module
        self.built = True

    def call(self, inputs, training=None):
        if not torch.compiler.is_compiling() and is_fake(inputs):
            return self._infer(inputs)  # shape inference: no state may change
        mode = training is not False
        if self.module.training != mode:  # a Python flag: no sync
            self.module.train(mode)
        return self.module(inputs)

    def _infer(self, inputs):
        modes = [(module, module.training) for module in self.module.modules()]
        self.module.eval()
        try:
            return self.module(inputs)
        finally:
            for module, mode in modes:
                module.training = mode
