"""`GroupNormalization`: normalise each example over groups of channels."""

import numbers

import torch
import torch.nn.functional as F

from lamina.layers.layer import Layer
from lamina.layers.normalization import common
from lamina.registry import register
from lamina.validation import received


@register("keras.layers")
class GroupNormalization(Layer):
    """Splits the channels into `groups` and normalises each group of each example.

    Channel `c` belongs to group `c // (channels // groups)`; the mean and (biased) variance
    of a group are taken over its channels and every other non-batch axis. Then
    `gamma * (x - mean) / sqrt(var + epsilon) + beta` with per-channel `gamma` and `beta`.
    `groups=1` normalises over all channels (like `LayerNormalization` over every axis);
    `groups=-1` (one channel per group) is instance normalisation.

    Args:
        groups: Positive integer dividing the number of channels, or `-1` for one group per
            channel. Defaults to `32`.
        axis: Integer, the channels axis. Defaults to `-1`.
        epsilon: Small float added to the variance. Defaults to `1e-3`.
        center: Whether to add the learned offset `beta`. Defaults to `True`.
        scale: Whether to multiply by the learned `gamma`. Defaults to `True`.
        beta_initializer: Initializer of `beta`. Defaults to `"zeros"`.
        gamma_initializer: Initializer of `gamma`. Defaults to `"ones"`.
        beta_regularizer: Regularizer of `beta`. Defaults to `None`.
        gamma_regularizer: Regularizer of `gamma`. Defaults to `None`.
        beta_constraint: Constraint on `beta`. Defaults to `None`.
        gamma_constraint: Constraint on `gamma`. Defaults to `None`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Weights:
        gamma, beta: `(channels,)` (when `scale`, `center`).

    Input shape:
        Any rank >= 2, channels on `axis`. Output shape: the input's.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.GroupNormalization(groups=2, epsilon=0.0)
    >>> layer(torch.tensor([[1.0, 3.0, 0.0, 10.0]])).tolist()
    [[-1.0, 1.0, -1.0, 1.0]]
    """

    def __init__(self, groups=32, axis=-1, epsilon=1e-3, center=True, scale=True,
                 beta_initializer="zeros", gamma_initializer="ones", beta_regularizer=None,
                 gamma_regularizer=None, beta_constraint=None, gamma_constraint=None, **kwargs):
        super().__init__(**kwargs)
        if (isinstance(groups, bool) or not isinstance(groups, numbers.Integral)
                or (groups <= 0 and groups != -1)):
            raise ValueError("`GroupNormalization` expects `groups` to be a positive integer, "
                             "or -1 for one group per channel. " + received("groups", groups))
        self.groups = int(groups)
        self.axis = common.validate_axis(axis, self, allow_list=False)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)
        common.set_gamma_beta_options(self, beta_initializer, gamma_initializer,
                                      beta_regularizer, gamma_regularizer, beta_constraint,
                                      gamma_constraint)
        self.supports_masking = True

    def build(self, input_shape):
        self._axis = common.resolve_axes(self.axis, input_shape, self)[0]
        channels = input_shape[self._axis]
        groups = channels if self.groups == -1 else self.groups
        if channels % groups != 0:
            raise ValueError(
                f"`GroupNormalization` expects the number of channels ({channels}, axis "
                f"{self.axis} of the input) to be divisible by `groups`. Received: "
                f"groups={self.groups} for input_shape={tuple(input_shape)}."
            )
        self._groups = groups
        common.add_gamma_beta(self, (channels,), self.scale, self.center)
        self.built = True

    def call(self, inputs):
        x = common.upcast(inputs)
        if self._axis == 1:
            out = F.group_norm(x, self._groups, self.gamma, self.beta, self.epsilon)
        else:  # a channels-first view; channels-last images are torch's channels_last format
            x = x.movedim(self._axis, 1)  # (batch, channels, ...)
            if x.is_cpu and not x.requires_grad and torch.is_grad_enabled():
                # torch 2.13's CPU channels-last group-norm backward crashes (segfault) when
                # only gamma/beta need gradients, e.g. for a model's first layer: copy.
                x = x.contiguous()
            out = F.group_norm(x, self._groups, self.gamma, self.beta, self.epsilon)
            out = out.movedim(1, self._axis)
        return common.downcast(out, self._dtype)

    def get_config(self):
        return {
            **super().get_config(),
            "groups": self.groups,
            "axis": self.axis,
            "epsilon": self.epsilon,
            "center": self.center,
            "scale": self.scale,
            **common.gamma_beta_config(self),
        }

    def extra_repr(self):
        return f"name={self.name!r}, groups={self.groups}, axis={self.axis}"
