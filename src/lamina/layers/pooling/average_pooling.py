"""`AveragePooling1D/2D/3D` (aliases `AvgPool1D/2D/3D`): the mean over sliding windows.

With "same" padding the padded cells are left out of each window's divisor, as in Keras, also
where the padding is asymmetric (see `BasePooling`).
"""

from lamina.layers.pooling.base_pooling import BasePooling
from lamina.registry import register


@register("keras.layers", aliases=("AvgPool1D",))
class AveragePooling1D(BasePooling):
    """Average pooling over the steps of a sequence.

    Each output step is the mean of a window of `pool_size` input steps; windows move by
    `strides`. With `padding="same"`, a window that overlaps the padding averages only its
    real steps.

    Args:
        pool_size: Positive int, the window size.
        strides: Positive int, the step between windows. Defaults to `None` (`pool_size`).
        padding: `"valid"` or `"same"` (case-insensitive). Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (the global
            image data format).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, steps, features)` (channels-last) or `(batch_size, features, steps)`.

    Output shape:
        `(batch_size, pooled_steps, features)` or `(batch_size, features, pooled_steps)`, with
        `pooled_steps = (steps - pool_size) // strides + 1` ("valid") or
        `ceil(steps / strides)` ("same").

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0]).reshape(1, 5, 1)
    >>> keras.layers.AveragePooling1D(2, padding="same")(x).flatten().tolist()
    [1.5, 3.5, 5.0]
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=1, pool_mode="average",
                         padding=padding, data_format=data_format, **kwargs)


@register("keras.layers", aliases=("AvgPool2D",))
class AveragePooling2D(BasePooling):
    """Average pooling over the height and width of images.

    Args:
        pool_size: Positive int or tuple of 2 positive ints `(pool_height, pool_width)`.
        strides: Positive int or tuple of 2 ints. Defaults to `None` (`pool_size`).
        padding: `"valid"` or `"same"` (case-insensitive). Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (the global
            image data format).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, height, width, channels)` (channels-last) or
        `(batch_size, channels, height, width)`.

    Output shape:
        `(batch_size, pooled_height, pooled_width, channels)` or channels-first likewise; each
        pooled size as for `AveragePooling1D`.

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.arange(9.0).reshape(1, 3, 3, 1)
    >>> keras.layers.AveragePooling2D(2, padding="same")(x)[0, :, :, 0].tolist()
    [[2.0, 3.5], [6.5, 8.0]]
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=2, pool_mode="average",
                         padding=padding, data_format=data_format, **kwargs)


@register("keras.layers", aliases=("AvgPool3D",))
class AveragePooling3D(BasePooling):
    """Average pooling over the three spatial dimensions of volumes.

    Args:
        pool_size: Positive int or tuple of 3 positive ints.
        strides: Positive int or tuple of 3 ints. Defaults to `None` (`pool_size`).
        padding: `"valid"` or `"same"` (case-insensitive). Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (the global
            image data format).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, dim1, dim2, dim3, channels)` (channels-last) or
        `(batch_size, channels, dim1, dim2, dim3)`.

    Output shape:
        `(batch_size, pooled_dim1, pooled_dim2, pooled_dim3, channels)` or channels-first
        likewise; each pooled size as for `AveragePooling1D`.

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.arange(8.0).reshape(1, 2, 2, 2, 1)
    >>> keras.layers.AveragePooling3D(2)(x).flatten().tolist()
    [3.5]
    """

    def __init__(self, pool_size, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=3, pool_mode="average",
                         padding=padding, data_format=data_format, **kwargs)


AvgPool1D = AveragePooling1D
AvgPool2D = AveragePooling2D
AvgPool3D = AveragePooling3D
