"""Global pooling: the maximum or mean over every spatial position, one value per channel.

`GlobalMaxPooling1D/2D/3D` (aliases `GlobalMaxPool1D/2D/3D`) and `GlobalAveragePooling1D/2D/3D`
(aliases `GlobalAvgPool1D/2D/3D`). Each is one torch reduction over the spatial axes.
"""

import torch

from lamina.layers.layer import Layer
from lamina.layers.spatial import check_rank, normalize_data_format
from lamina.registry import register


class BaseGlobalPooling(Layer):
    """Base of the global pooling layers.

    Args:
        pool_dimensions: Number of spatial dimensions (1, 2 or 3).
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (the global
            image data format).
        keepdims: Whether to keep the spatial dimensions, with length 1. Defaults to `False`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, *spatial, channels)` (channels-last) or `(batch_size, channels, *spatial)`.

    Output shape:
        `(batch_size, channels)`; with `keepdims=True`, `(batch_size, 1, ..., 1, channels)` or
        `(batch_size, channels, 1, ..., 1)`.
    """

    def __init__(self, pool_dimensions, data_format=None, keepdims=False, **kwargs):
        super().__init__(**kwargs)
        self.data_format = normalize_data_format(data_format, self)
        if not isinstance(keepdims, bool):
            raise TypeError(f"`{type(self).__name__}` expects `keepdims` to be a boolean. "
                            f"Received: keepdims={keepdims!r} (of type {type(keepdims).__name__}).")
        self.keepdims = keepdims
        self._pool_dimensions = pool_dimensions
        first = 1 if self.data_format == "channels_last" else 2
        self._axes = tuple(range(first, first + pool_dimensions))

    def build(self, input_shape):
        check_rank(self, input_shape, self._pool_dimensions + 2)
        self.built = True

    def get_config(self):
        return {**super().get_config(), "data_format": self.data_format,
                "keepdims": self.keepdims}


class _GlobalMax(BaseGlobalPooling):
    def call(self, inputs):
        return inputs.amax(dim=self._axes, keepdim=self.keepdims)  # (batch, channels)


class _GlobalAverage(BaseGlobalPooling):
    def call(self, inputs):
        return inputs.mean(dim=self._axes, keepdim=self.keepdims)  # (batch, channels)


@register("keras.layers", aliases=("GlobalMaxPool1D",))
class GlobalMaxPooling1D(_GlobalMax):
    """The maximum over the steps of a sequence, per feature.

    Args: see `BaseGlobalPooling` (`data_format`, `keepdims`).

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.tensor([[[1.0, 6.0], [4.0, 2.0], [3.0, 5.0]]])  # (1, steps=3, features=2)
    >>> keras.layers.GlobalMaxPooling1D()(x).tolist()
    [[4.0, 6.0]]
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format=data_format, keepdims=keepdims, **kwargs)


@register("keras.layers", aliases=("GlobalMaxPool2D",))
class GlobalMaxPooling2D(_GlobalMax):
    """The maximum over the height and width of images, per channel.

    Args: see `BaseGlobalPooling` (`data_format`, `keepdims`).

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.arange(12.0).reshape(1, 2, 3, 2)
    >>> keras.layers.GlobalMaxPooling2D(keepdims=True)(x).tolist()
    [[[[10.0, 11.0]]]]
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format=data_format, keepdims=keepdims, **kwargs)


@register("keras.layers", aliases=("GlobalMaxPool3D",))
class GlobalMaxPooling3D(_GlobalMax):
    """The maximum over the three spatial dimensions of volumes, per channel.

    Args: see `BaseGlobalPooling` (`data_format`, `keepdims`).

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.arange(16.0).reshape(1, 2, 2, 2, 2)
    >>> keras.layers.GlobalMaxPooling3D()(x).tolist()
    [[14.0, 15.0]]
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format=data_format, keepdims=keepdims, **kwargs)


@register("keras.layers", aliases=("GlobalAvgPool1D",))
class GlobalAveragePooling1D(_GlobalAverage):
    """The mean over the steps of a sequence, per feature, skipping masked steps.

    Args: see `BaseGlobalPooling` (`data_format`, `keepdims`).

    Call arguments:
        inputs: A 3D tensor.
        mask: Optional `(batch_size, steps)` tensor, true (or 1) for the steps to average; the
            others are left out of both the sum and the count. A sample whose steps are all
            masked gives NaN, as in Keras. Defaults to `None` (every step counts).

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.tensor([[[1.0], [2.0], [6.0]]])  # (1, steps=3, features=1)
    >>> layer = keras.layers.GlobalAveragePooling1D()
    >>> layer(x).tolist(), layer(x, mask=torch.tensor([[True, True, False]])).tolist()
    ([[3.0]], [[1.5]])
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(1, data_format=data_format, keepdims=keepdims, **kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        if mask is None:
            return inputs.mean(dim=self._axes, keepdim=self.keepdims)  # (batch, features)
        # (batch, steps, 1) or (batch, 1, steps), broadcast over the features
        keep = mask.to(torch.bool).unsqueeze(-1 if self.data_format == "channels_last" else 1)
        total = torch.where(keep, inputs, 0).sum(dim=self._axes, keepdim=self.keepdims)
        return total / keep.sum(dim=self._axes, keepdim=self.keepdims, dtype=inputs.dtype)

    def compute_mask(self, inputs, mask=None):
        return None  # the steps are pooled away


@register("keras.layers", aliases=("GlobalAvgPool2D",))
class GlobalAveragePooling2D(_GlobalAverage):
    """The mean over the height and width of images, per channel.

    Args: see `BaseGlobalPooling` (`data_format`, `keepdims`).

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.arange(12.0).reshape(1, 2, 3, 2)
    >>> keras.layers.GlobalAveragePooling2D()(x).tolist()
    [[5.0, 6.0]]
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(2, data_format=data_format, keepdims=keepdims, **kwargs)


@register("keras.layers", aliases=("GlobalAvgPool3D",))
class GlobalAveragePooling3D(_GlobalAverage):
    """The mean over the three spatial dimensions of volumes, per channel.

    Args: see `BaseGlobalPooling` (`data_format`, `keepdims`).

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.arange(16.0).reshape(1, 2, 2, 2, 2)
    >>> keras.layers.GlobalAveragePooling3D(data_format="channels_first")(x).tolist()
    [[3.5, 11.5]]
    """

    def __init__(self, data_format=None, keepdims=False, **kwargs):
        super().__init__(3, data_format=data_format, keepdims=keepdims, **kwargs)


GlobalMaxPool1D = GlobalMaxPooling1D
GlobalMaxPool2D = GlobalMaxPooling2D
GlobalMaxPool3D = GlobalMaxPooling3D
GlobalAvgPool1D = GlobalAveragePooling1D
GlobalAvgPool2D = GlobalAveragePooling2D
GlobalAvgPool3D = GlobalAveragePooling3D
