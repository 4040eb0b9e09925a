"""`Masking`: marks the timesteps whose features all equal `mask_value` as padding."""

import torch

from lamina.layers.layer import Layer
from lamina.registry import register


@register("keras.layers")
class Masking(Layer):
    """Masks the timesteps of a sequence whose features all equal `mask_value`.

    A timestep `t` is kept when any feature differs from `mask_value`:
    `mask[b, t] = any(inputs[b, t, :] != mask_value)`. Kept timesteps pass through unchanged;
    masked ones are set to 0. Downstream layers that support masking (recurrent layers,
    attention, pooling) then skip the masked timesteps.

    Args:
        mask_value: The padding value. Defaults to `0.0`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Input shape:
        `(batch_size, timesteps, features)`, or any rank: the mask reduces the last axis.

    Output shape:
        Same as the input; the mask is `inputs.shape[:-1]`.

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.tensor([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]])
    >>> layer = keras.layers.Masking()
    >>> layer.compute_mask(x).tolist()
    [[True, False, True]]
    >>> layer(x)[0, 2].tolist()
    [0.0, 3.0]
    """

    def __init__(self, mask_value=0.0, **kwargs):
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True

    def call(self, inputs):
        keep = (inputs != self.mask_value).any(-1, keepdim=True)  # (batch, ..., 1)
        return torch.where(keep, inputs, 0)  # an int 0 keeps the input dtype

    def compute_mask(self, inputs, mask=None):
        return (inputs != self.mask_value).any(-1)  # (batch, ...)

    def get_config(self):
        return {**super().get_config(), "mask_value": self.mask_value}
