"""`RMSNormalization`: scale each example by the inverse root mean square of its features."""

import torch
import torch.nn.functional as F

from lamina.layers.layer import Layer
from lamina.layers.normalization import common
from lamina.registry import register


@register("keras.layers")
class RMSNormalization(Layer):
    """Root-mean-square normalisation: `x * rsqrt(mean(x ** 2) + epsilon) * scale`.

    The mean is taken over `axis` for each example separately; unlike `LayerNormalization`
    the input is not centred and there is no offset.

    Args:
        axis: Integer or list of integers, the axes to normalise over. Defaults to `-1`.
        epsilon: Small float added to the mean square. Defaults to `1e-6`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Weights:
        scale: the input's sizes along `axis` (e.g. `(features,)`), ones initially.

    Input shape:
        Any. Output shape: the input's.

    Example:
    >>> import torch, lamina as keras
    >>> out = keras.layers.RMSNormalization(epsilon=0.0)(torch.tensor([[3.0, 4.0]]))
    >>> [round(v, 4) for v in out.flatten().tolist()]  # rms = sqrt(12.5)
    [0.8485, 1.1314]
    """

    def __init__(self, axis=-1, epsilon=1e-6, **kwargs):
        super().__init__(**kwargs)
        self.axis = common.validate_axis(axis, self)
        self.epsilon = float(epsilon)
        self.supports_masking = True

    def build(self, input_shape):
        axes = common.resolve_axes(self.axis, input_shape, self)
        self._axes = axes
        self._normalized_shape = tuple(input_shape[d] for d in axes)
        self._broadcast = common.broadcast_shape(axes, input_shape)
        self._broadcast[0] = 1
        self._trailing = common.is_trailing(axes, len(input_shape))
        self.scale = self.add_weight(shape=self._normalized_shape, initializer="ones",
                                     name="scale")
        self.built = True

    def call(self, inputs):
        x = common.upcast(inputs)
        if self._trailing:
            out = F.rms_norm(x, self._normalized_shape, self.scale, self.epsilon)
        else:
            mean_square = x.square().mean(self._axes, keepdim=True)
            out = x * torch.rsqrt(mean_square + self.epsilon) * self.scale.view(self._broadcast)
        return common.downcast(out, self._dtype)

    def get_config(self):
        return {**super().get_config(), "axis": self.axis, "epsilon": self.epsilon}

    def extra_repr(self):
        return f"name={self.name!r}, axis={self.axis}, epsilon={self.epsilon}"
