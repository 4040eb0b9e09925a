"""Noise layers, active only in training: `GaussianNoise` (additive), `GaussianDropout`
(multiplicative) and `AlphaDropout` (dropout that keeps a SELU network self-normalising).

Like `Dropout`, they draw from torch's global generator (seed it with
`keras.utils.set_random_seed`); their `seed` argument is kept in the config for Keras.
"""

import math
import numbers

import torch.nn.functional as F

from lamina.layers.layer import Layer
from lamina.registry import register
from lamina.validation import received, validate_rate, validate_shape

# SELU's constants: the negative saturation value of `scale * elu(x, alpha)` is -alpha * scale.
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


@register("keras.layers")
class GaussianNoise(Layer):
    """Adds zero-centred Gaussian noise of standard deviation `stddev` during training.

    A form of data augmentation for real-valued inputs; the identity at inference.

    Args:
        stddev: Float in [0, 1], the standard deviation of the noise.
        seed: Integer seed, kept in the config. Defaults to `None`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A tensor of any shape.
        training: Whether to add noise (training) or pass through unchanged.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.GaussianNoise(0.1)(torch.ones(3), training=False).tolist()
    [1.0, 1.0, 1.0]
    """

    def __init__(self, stddev, seed=None, **kwargs):
        super().__init__(**kwargs)
        if (isinstance(stddev, bool) or not isinstance(stddev, numbers.Real)
                or not 0 <= stddev <= 1):
            raise ValueError("`GaussianNoise` expects `stddev` to be a float in [0, 1]. "
                             + received("stddev", stddev))
        self.stddev = float(stddev)
        self.seed = seed
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.stddev == 0:
            return inputs
        return inputs + inputs.new_empty(inputs.shape).normal_(0.0, self.stddev)

    def get_config(self):
        return {**super().get_config(), "stddev": self.stddev, "seed": self.seed}


@register("keras.layers")
class GaussianDropout(Layer):
    """Multiplies inputs by Gaussian noise of mean 1 and standard deviation
    `sqrt(rate / (1 - rate))` during training (the variance `Dropout(rate)` would add).

    Args:
        rate: Float in [0, 1), the drop probability of the equivalent `Dropout`.
        seed: Integer seed, kept in the config. Defaults to `None`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A tensor of any shape.
        training: Whether to apply noise (training) or pass through unchanged.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.GaussianDropout(0.2)(torch.ones(3)).tolist()  # inference: identity
    [1.0, 1.0, 1.0]
    """

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = validate_rate(rate, "rate", self)
        self.seed = seed
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        stddev = math.sqrt(self.rate / (1.0 - self.rate))
        return inputs * inputs.new_empty(inputs.shape).normal_(1.0, stddev)

    def get_config(self):
        return {**super().get_config(), "rate": self.rate, "seed": self.seed}


@register("keras.layers")
class AlphaDropout(Layer):
    """Dropout that keeps the mean and variance of its inputs, for SELU networks.

    During training each entry is kept with probability `1 - rate` or set to SELU's negative
    saturation value `alpha' = -1.6733 * 1.0507`, then the result is mapped by `a * x + b`
    with `a = ((1 - rate) * (1 + rate * alpha'**2)) ** -0.5` and `b = -a * alpha' * rate`,
    which restores zero mean and unit variance for standardised inputs.

    Args:
        rate: Float in [0, 1), the probability of dropping an entry.
        noise_shape: Shape of the keep/drop draw, broadcast over the input, with `None` for
            the input's size (e.g. `(None, 1, features)` to drop the same features at every
            timestep). Defaults to `None` (the input's shape).
        seed: Integer seed, kept in the config. Defaults to `None`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A tensor of any shape.
        training: Whether to drop (training) or pass through unchanged.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.AlphaDropout(0.1)(torch.ones(3)).tolist()  # inference: identity
    [1.0, 1.0, 1.0]
    """

    def __init__(self, rate, noise_shape=None, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.rate = validate_rate(rate, "rate", self)
        self.noise_shape = (None if noise_shape is None
                            else validate_shape(noise_shape, "noise_shape", self))
        self.seed = seed
        self.supports_masking = True
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        if self.noise_shape is None:
            # torch's alpha dropout is this very transform, with the same constants.
            return F.alpha_dropout(inputs, self.rate, training=True)
        shape = [d if n is None else n for n, d in zip(self.noise_shape, inputs.shape)]
        alpha_p = -_SELU_ALPHA * _SELU_SCALE
        a = ((1 - self.rate) * (1 + self.rate * alpha_p**2)) ** -0.5
        b = -a * alpha_p * self.rate
        keep = inputs.new_empty(shape).bernoulli_(1 - self.rate).bool()
        return inputs.where(keep, alpha_p) * a + b

    def get_config(self):
        noise_shape = None if self.noise_shape is None else list(self.noise_shape)
        return {**super().get_config(), "rate": self.rate, "noise_shape": noise_shape,
                "seed": self.seed}
