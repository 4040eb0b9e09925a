"""`SpatialDropout1D/2D/3D`: dropout of whole feature maps (channels) at once.

Neighbouring positions of a feature map are strongly correlated, so dropping single entries
barely regularises; these layers drop a channel everywhere in a sample, and scale the kept
channels by `1 / (1 - rate)`. The random draw is one value per (sample, channel): a tensor of
shape `(batch, 1, ..., channels)` (or `(batch, channels, 1, ...)` channels-first) broadcast in
one multiplication.
"""

from lamina.layers.regularization.dropout import Dropout
from lamina.layers.spatial import check_rank, normalize_data_format
from lamina.registry import register


class BaseSpatialDropout(Dropout):
    """Shared by `SpatialDropout1D/2D/3D`: see those. Subclasses set `_rank` (the input rank)."""

    _rank = None

    def __init__(self, rate, data_format=None, seed=None, **kwargs):
        super().__init__(rate, seed=seed, **kwargs)
        self.data_format = normalize_data_format(data_format, self)
        self.built = False  # build checks the input rank

    def build(self, input_shape):
        check_rank(self, input_shape, self._rank)
        self.built = True

    def call(self, inputs, training=None):
        if not training or self.rate == 0:
            return inputs
        shape = [1] * inputs.dim()  # one draw per (sample, channel)
        shape[0] = inputs.shape[0]
        channels = 1 if self.data_format == "channels_first" else inputs.dim() - 1
        shape[channels] = inputs.shape[channels]
        keep = inputs.new_empty(shape).bernoulli_(1 - self.rate).div_(1 - self.rate)
        return inputs * keep

    def get_config(self):
        # Keras' spatial dropout configs hold only these keys (no `trainable`, no
        # `noise_shape`), and their constructors accept no others.
        config = {**super().get_config()}
        for key in ("trainable", "noise_shape"):
            config.pop(key, None)
        return config


@register("keras.layers")
class SpatialDropout1D(BaseSpatialDropout):
    """Drops whole channels of `(batch, timesteps, channels)` sequences during training.

    Args:
        rate: Float in [0, 1), the fraction of channels to drop.
        seed: Integer seed, kept in the config. Defaults to `None`. Like `Dropout`, the draw
            uses torch's global generator (seed it with `keras.utils.set_random_seed`).
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A 3D tensor.
        training: Whether to drop (training) or pass through unchanged. Defaults to the
            enclosing call's value, else `False`.

    Input shape:
        `(batch, timesteps, channels)`.

    Output shape:
        The input's.

    Example:
    >>> import torch, lamina as keras
    >>> x = keras.layers.SpatialDropout1D(0.5)(torch.ones(2, 3, 4), training=True)
    >>> bool(((x[:, :1] == x).all()))  # each channel dropped (0) or kept (2) at every step
    True
    """

    _rank = 3

    def __init__(self, rate, seed=None, **kwargs):
        super().__init__(rate, data_format="channels_last", seed=seed, **kwargs)


@register("keras.layers")
class SpatialDropout2D(BaseSpatialDropout):
    """Drops whole channels of images during training.

    Args:
        rate: Float in [0, 1), the fraction of channels to drop.
        data_format: `"channels_last"` (`(batch, rows, cols, channels)`) or
            `"channels_first"` (`(batch, channels, rows, cols)`). Defaults to
            `keras.config.image_data_format()` (`"channels_last"`).
        seed: Integer seed, kept in the config. Defaults to `None` (see `SpatialDropout1D`).
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A 4D tensor.
        training: Whether to drop (training) or pass through unchanged.

    Input shape:
        4D, as `data_format` says.

    Output shape:
        The input's.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.SpatialDropout2D(0.5)(torch.ones(1, 2, 2, 3)).shape  # inference: identity
    torch.Size([1, 2, 2, 3])
    """

    _rank = 4

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}


@register("keras.layers")
class SpatialDropout3D(BaseSpatialDropout):
    """Drops whole channels of volumes during training.

    Args:
        rate: Float in [0, 1), the fraction of channels to drop.
        data_format: `"channels_last"` (`(batch, dim1, dim2, dim3, channels)`) or
            `"channels_first"` (`(batch, channels, dim1, dim2, dim3)`). Defaults to
            `keras.config.image_data_format()` (`"channels_last"`).
        seed: Integer seed, kept in the config. Defaults to `None` (see `SpatialDropout1D`).
        **kwargs: Base layer arguments (`name`, `dtype`, ...).

    Call arguments:
        inputs: A 5D tensor.
        training: Whether to drop (training) or pass through unchanged.

    Input shape:
        5D, as `data_format` says.

    Output shape:
        The input's.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.SpatialDropout3D(0.5)(torch.ones(1, 2, 2, 2, 3)).shape
    torch.Size([1, 2, 2, 2, 3])
    """

    _rank = 5

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format}
