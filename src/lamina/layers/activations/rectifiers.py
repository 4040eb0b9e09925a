"""Rectifier activation layers with fixed parameters: `ReLU`, `LeakyReLU`, `ELU`.

Each is one call into `lamina.activations` (itself one or two `torch.nn.functional` kernels).
"""

import math
import numbers

import torch.nn.functional as F

from lamina import activations
from lamina.layers.layer import Layer
from lamina.registry import register
from lamina.validation import received


def non_negative_float(owner, value, arg, allow_none=False):
    """`value` if it is a finite number >= 0 (or `None` with `allow_none`); a ValueError naming
    `arg` otherwise."""
    if value is None and allow_none:
        return None
    if (isinstance(value, bool) or not isinstance(value, numbers.Real)
            or not math.isfinite(value) or value < 0):
        extra = " or None" if allow_none else ""
        raise ValueError(f"`{type(owner).__name__}` expects `{arg}` to be a non-negative "
                         f"float{extra}. " + received(arg, value))
    return value


@register("keras.layers")
class ReLU(Layer):
    """Rectified linear unit, with an optional ceiling, threshold and negative slope.

    `f(x) = max_value` for `x >= max_value`, `x` for `threshold <= x < max_value`,
    `negative_slope * (x - threshold)` otherwise (see `lamina.activations.relu`).

    Args:
        max_value: Non-negative float, the largest output, or `None` for no ceiling.
            Defaults to `None`.
        negative_slope: Non-negative float, the slope below the threshold. Defaults to `0.0`.
        threshold: Non-negative float, below which values are damped. Defaults to `0.0`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Input shape:
        Any.

    Output shape:
        The input's.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.ReLU(max_value=10, negative_slope=0.5)
    >>> layer(torch.tensor([-10.0, -5.0, 0.0, 5.0, 20.0])).tolist()
    [-5.0, -2.5, 0.0, 5.0, 10.0]
    """

    def __init__(self, max_value=None, negative_slope=0.0, threshold=0.0, **kwargs):
        super().__init__(**kwargs)
        self.max_value = non_negative_float(self, max_value, "max_value", allow_none=True)
        self.negative_slope = non_negative_float(self, negative_slope, "negative_slope")
        self.threshold = non_negative_float(self, threshold, "threshold")
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return activations.relu(inputs, negative_slope=self.negative_slope,
                                max_value=self.max_value, threshold=self.threshold)

    def get_config(self):
        return {**super().get_config(), "max_value": self.max_value,
                "negative_slope": self.negative_slope, "threshold": self.threshold}


@register("keras.layers")
class LeakyReLU(Layer):
    """Leaky rectified linear unit: `x` for `x >= 0`, `negative_slope * x` otherwise.

    Args:
        negative_slope: Non-negative float, the slope for negative inputs. Keras 2's spelling
            `alpha=` is accepted too (and wins if both are given, as in Keras). Defaults to
            `0.3`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Input shape:
        Any.

    Output shape:
        The input's.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.LeakyReLU(negative_slope=0.5)(torch.tensor([-10.0, 0.0, 5.0])).tolist()
    [-5.0, 0.0, 5.0]
    """

    def __init__(self, negative_slope=0.3, **kwargs):
        if "alpha" in kwargs:  # Keras 2's name of the argument
            negative_slope = kwargs.pop("alpha")
        super().__init__(**kwargs)
        self.negative_slope = non_negative_float(self, negative_slope, "negative_slope")
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return F.leaky_relu(inputs, self.negative_slope)

    def get_config(self):
        return {**super().get_config(), "negative_slope": self.negative_slope}


@register("keras.layers")
class ELU(Layer):
    """Exponential linear unit: `x` for `x > 0`, `alpha * (exp(x) - 1)` otherwise.

    Args:
        alpha: Float, the scale of the negative part. Defaults to `1.0`.
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Input shape:
        Any.

    Output shape:
        The input's.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.ELU(alpha=2.0)(torch.tensor([0.0, 3.0])).tolist()
    [0.0, 3.0]
    """

    def __init__(self, alpha=1.0, **kwargs):
        super().__init__(**kwargs)
        if (isinstance(alpha, bool) or not isinstance(alpha, numbers.Real)
                or not math.isfinite(alpha)):
            raise ValueError("`ELU` expects `alpha` to be a finite float. "
                             + received("alpha", alpha))
        self.alpha = alpha
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        return F.elu(inputs, self.alpha)

    def get_config(self):
        # Keras 3 leaves `alpha` out of ELU's config (so a saved non-default alpha is lost);
        # lamina keeps it, which Keras' ELU(alpha=...) also accepts on loading.
        return {**super().get_config(), "alpha": self.alpha}
