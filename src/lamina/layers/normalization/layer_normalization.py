"""`LayerNormalization`: normalise each example over its feature axes."""

import warnings

import torch
import torch.nn.functional as F

from lamina.layers.layer import Layer
from lamina.layers.normalization import common
from lamina.registry import register


@register("keras.layers")
class LayerNormalization(Layer):
    """Normalises each example over `axis`: `gamma * (x - mean) / sqrt(var + epsilon) + beta`.

    The mean and (biased) variance are taken over the `axis` dimensions of each example
    separately, so training and inference compute the same thing.

    Args:
        axis: Integer or list of integers, the axes to normalise over (typically the features
            axis). Defaults to `-1`.
        epsilon: Small float added to the variance. Defaults to `1e-3`.
        center: Whether to add the learned offset `beta`. Defaults to `True`.
        scale: Whether to multiply by the learned `gamma`. Defaults to `True`.
        rms_scaling: Deprecated in Keras: `x * rsqrt(var + epsilon) * gamma`, without
            centring or `beta` (it scales by the variance, not the root mean square; use
            `RMSNormalization` instead). Warns when `True`. Defaults to `False`.
        beta_initializer: Initializer of `beta`. Defaults to `"zeros"`.
        gamma_initializer: Initializer of `gamma`. Defaults to `"ones"`.
        beta_regularizer: Regularizer of `beta`. Defaults to `None`.
        gamma_regularizer: Regularizer of `gamma`. Defaults to `None`.
        beta_constraint: Constraint on `beta`. Defaults to `None`.
        gamma_constraint: Constraint on `gamma`. Defaults to `None`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Weights:
        gamma, beta: the input's sizes along `axis` (e.g. `(features,)`); `gamma` when `scale`
            or `rms_scaling`, `beta` when `center` and not `rms_scaling`.

    Input shape:
        Any. Output shape: the input's.

    Example:
    >>> import torch, lamina as keras
    >>> out = keras.layers.LayerNormalization(epsilon=0.0)(torch.tensor([[1.0, 3.0]]))
    >>> out.tolist()
    [[-1.0, 1.0]]
    """

    def __init__(self, axis=-1, epsilon=1e-3, center=True, scale=True, rms_scaling=False,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if rms_scaling:
            warnings.warn(
                "`LayerNormalization(rms_scaling=True)` is deprecated (as in Keras): it scales "
                "by the variance, not the root mean square. Use `RMSNormalization` instead.",
                UserWarning, stacklevel=2,
            )
        self.axis = common.validate_axis(axis, self)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        self.rms_scaling = bool(rms_scaling)
        common.set_gamma_beta_options(self, beta_initializer, gamma_initializer,
                                      beta_regularizer, gamma_regularizer, beta_constraint,
                                      gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        axes = common.resolve_axes(self.axis, input_shape, self)
        self._axes = axes
        self._normalized_shape = tuple(input_shape[d] for d in axes)
        self._broadcast = common.broadcast_shape(axes, input_shape)
        self._broadcast[0] = 1  # the batch size may be unknown; weights never span it
        self._trailing = common.is_trailing(axes, len(input_shape))
        common.add_gamma_beta(self, self._normalized_shape, self.scale or self.rms_scaling,
                              self.center and not self.rms_scaling)
        self.built = True

    def call(self, inputs):
        x = common.upcast(inputs)
        if self.rms_scaling:
            out = x * torch.rsqrt(torch.var(x, self._axes, correction=0, keepdim=True)
                                  + self.epsilon)
            if self.gamma is not None:
                out = out * self._broadcasted(self.gamma)
        elif self._trailing:
            out = F.layer_norm(x, self._normalized_shape, self.gamma, self.beta, self.epsilon)
        else:
            variance, mean = torch.var_mean(x, self._axes, correction=0, keepdim=True)
            inv = torch.rsqrt(variance + self.epsilon)
            if self.gamma is not None:
                inv = inv * self._broadcasted(self.gamma)
            shift = -mean * inv
            if self.beta is not None:
                shift = shift + self._broadcasted(self.beta)
            out = x * inv + shift
        return common.downcast(out, self._dtype)

    def _broadcasted(self, weight):
        return weight.view(self._broadcast)  # (1, ..., sizes on axis, ..., 1)

    def get_config(self):
        return {
            **super().get_config(),
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            **common.gamma_beta_config(self),
        }

    def extra_repr(self):
        return f"name={self.name!r}, axis={self.axis}, epsilon={self.epsilon}"
