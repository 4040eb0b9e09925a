"""`ZeroPadding1D/2D/3D`: add rows of zeros before and after spatial dimensions.

One `F.pad` call, with the `(before, after)` amounts laid out once in `__init__`.
"""

import torch.nn.functional as F

from lamina.layers.layer import Layer
from lamina.layers.reshaping.cropping import normalize_pairs
from lamina.layers.spatial import check_rank, normalize_data_format
from lamina.registry import register


class BaseZeroPadding(Layer):
    """Base of `ZeroPadding1D/2D/3D`.

    Args:
        padding: Any form `normalize_pairs` accepts (see `lamina.layers.reshaping.cropping`).
        data_format: `"channels_last"`, `"channels_first"` or `None` (the global image data
            format).
        rank: Number of spatial dimensions.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).
    """

    def __init__(self, padding, data_format, rank, **kwargs):
        super().__init__(**kwargs)
        self.padding = normalize_pairs(padding, rank, "padding", self)
        self.data_format = normalize_data_format(data_format, self)
        # F.pad lists (before, after) from the last dimension backwards.
        pairs = list(self.padding)
        if self.data_format == "channels_last":
            pairs.append((0, 0))  # the channels, last
        self._pad = tuple(amount for pair in reversed(pairs) for amount in pair)
        self._rank = rank

    def build(self, input_shape):
        check_rank(self, input_shape, self._rank + 2)
        self.built = True

    def call(self, inputs):
        return F.pad(inputs, self._pad)  # spatial dimensions lengthened, zeros at the edges

    def get_config(self):
        return {**super().get_config(), "padding": self.padding,
                "data_format": self.data_format}


@register("keras.layers")
class ZeroPadding1D(BaseZeroPadding):
    """Pads a sequence with zero steps at its start and end.

    Args:
        padding: Non-negative int (the same at both ends) or tuple of 2 non-negative ints
            `(start, end)`. Defaults to `1`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (the global
            image data format).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, steps, features)` (channels-last) or `(batch_size, features, steps)`.

    Output shape:
        `(batch_size, start + steps + end, features)` or channels-first likewise.

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.tensor([[[1.0], [2.0]]])
    >>> keras.layers.ZeroPadding1D((1, 2))(x).flatten().tolist()
    [0.0, 1.0, 2.0, 0.0, 0.0]
    """

    def __init__(self, padding=1, data_format=None, **kwargs):
        super().__init__(padding, data_format, 1, **kwargs)

    def get_config(self):
        return {**super().get_config(), "padding": self.padding[0]}


@register("keras.layers")
class ZeroPadding2D(BaseZeroPadding):
    """Pads images with rows and columns of zeros at their edges.

    Args:
        padding: Non-negative int (all four edges), tuple of 2 non-negative ints
            `(symmetric_height_pad, symmetric_width_pad)`, or tuple of 2 pairs
            `((top, bottom), (left, right))`. Defaults to `(1, 1)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (the global
            image data format).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, height, width, channels)` (channels-last) or
        `(batch_size, channels, height, width)`.

    Output shape:
        `(batch_size, top + height + bottom, left + width + right, channels)` or
        channels-first likewise.

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.ones(1, 1, 2, 1)
    >>> keras.layers.ZeroPadding2D(((1, 0), (0, 1)))(x)[0, :, :, 0].tolist()
    [[0.0, 0.0, 0.0], [1.0, 1.0, 0.0]]
    """

    def __init__(self, padding=(1, 1), data_format=None, **kwargs):
        super().__init__(padding, data_format, 2, **kwargs)


@register("keras.layers")
class ZeroPadding3D(BaseZeroPadding):
    """Pads volumes with zeros at the edges of their three spatial dimensions.

    Args:
        padding: Non-negative int (every edge), tuple of 3 non-negative ints (symmetric per
            dimension), or tuple of 3 pairs `((start1, end1), (start2, end2), (start3, end3))`.
            Defaults to `((1, 1), (1, 1), (1, 1))`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (the global
            image data format).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, dim1, dim2, dim3, channels)` (channels-last) or
        `(batch_size, channels, dim1, dim2, dim3)`.

    Output shape:
        `(batch_size, padded_dim1, padded_dim2, padded_dim3, channels)` or channels-first
        likewise.

    Example:
    >>> import torch, lamina as keras
    >>> tuple(keras.layers.ZeroPadding3D((1, 0, 2))(torch.ones(2, 3, 3, 3, 4)).shape)
    (2, 5, 3, 7, 4)
    """

    def __init__(self, padding=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(padding, data_format, 3, **kwargs)
