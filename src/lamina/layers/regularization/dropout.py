"""`Dropout`: randomly zeroes inputs during training."""

import torch.nn.functional as F

from lamina.layers.layer import Layer
from lamina.registry import register
from lamina.validation import validate_rate


@register("keras.layers")
class Dropout(Layer):
    """Sets a fraction `rate` of inputs to 0 during training, scaling the rest by `1/(1-rate)`.

    Args:
        rate: Float in [0, 1), the fraction of inputs to drop.
        noise_shape: Shape of the binary mask, broadcast over the input (e.g. `(batch, 1,
            features)` to drop the same features at every timestep). Defaults to `None`.
        seed: Integer seed. Defaults to `None` (torch's global generator).

    Call arguments:
        inputs: Input tensor of any shape.
        training: Whether to drop (training) or pass through unchanged (inference).

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.Dropout(0.5)(torch.ones(4), training=False).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = validate_rate(rate, "rate", self)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.noise_shape is None:
            return F.dropout(inputs, self.rate, training=True)
        shape = [d if n is None else n for n, d in zip(self.noise_shape, inputs.shape)]
        keep = inputs.new_empty(shape).bernoulli_(1 - self.rate)
        return inputs * keep / (1 - self.rate)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "noise_shape": self.noise_shape,
                "seed": self.seed}
