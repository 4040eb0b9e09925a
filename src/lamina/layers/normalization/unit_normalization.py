"""`UnitNormalization`: scale each example to unit L2 norm."""

import torch

from lamina.layers.layer import Layer
from lamina.layers.normalization import common
from lamina.registry import register

# Keras bounds the inverse norm by 1 / 1e-12, so an all-zero example stays zero.
_MAX_INVERSE_NORM = 1e12


@register("keras.layers")
class UnitNormalization(Layer):
    """Divides each example by its L2 norm over `axis`: `x / sqrt(sum(x ** 2))`.

    The inverse norm is capped at `1e12` (Keras' `epsilon=1e-12`), so zeros stay zeros.

    Args:
        axis: Integer or list of integers, the axes the norm is taken over. Defaults to `-1`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Input shape:
        Any. Output shape: the input's.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.UnitNormalization()(torch.tensor([[3.0, 4.0]])).tolist()
    [[0.6000000238418579, 0.800000011920929]]
    """

    def __init__(self, axis=-1, **kwargs):
        super().__init__(**kwargs)
        self.axis = common.validate_axis(axis, self)
        self.supports_masking = True

    def build(self, input_shape):
        ndim = len(input_shape)
        axes = [self.axis] if isinstance(self.axis, int) else self.axis
        if not all(-ndim <= a < ndim for a in axes):
            raise ValueError(
                f"`UnitNormalization` expects every `axis` to be in [-{ndim}, {ndim}) for inputs "
                f"of rank {ndim}. Received: axis={self.axis} for input_shape="
                f"{tuple(input_shape)}."
            )
        self._axes = sorted({a % ndim for a in axes})
        self.built = True

    def call(self, inputs):
        square_sum = inputs.square().sum(self._axes, keepdim=True)
        return inputs * torch.rsqrt(square_sum).clamp_max(_MAX_INVERSE_NORM)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis}

    def extra_repr(self):
        return f"name={self.name!r}, axis={self.axis}"
