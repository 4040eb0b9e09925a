"""`MaxPooling1D/2D/3D` (aliases `MaxPool1D/2D/3D`): the maximum over sliding windows."""

from lamina.layers.pooling.base_pooling import BasePooling
from lamina.registry import register


@register("keras.layers", aliases=("MaxPool1D",))
class MaxPooling1D(BasePooling):
    """Max pooling over the steps of a sequence.

    Each output step is the maximum of a window of `pool_size` input steps; windows move by
    `strides`. See `BasePooling` for how "same" padding is placed.

    Args:
        pool_size: Positive int, the window size. Defaults to `2`.
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
    >>> keras.layers.MaxPooling1D(2, strides=1, padding="same")(x).flatten().tolist()
    [2.0, 3.0, 4.0, 5.0, 5.0]
    """

    def __init__(self, pool_size=2, strides=None, padding="valid", data_format=None, **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=1, pool_mode="max", padding=padding,
                         data_format=data_format, **kwargs)


@register("keras.layers", aliases=("MaxPool2D",))
class MaxPooling2D(BasePooling):
    """Max pooling over the height and width of images.

    Args:
        pool_size: Positive int or tuple of 2 positive ints `(pool_height, pool_width)`.
            Defaults to `(2, 2)`.
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
        pooled size as for `MaxPooling1D`.

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.arange(16.0).reshape(1, 4, 4, 1)
    >>> keras.layers.MaxPooling2D()(x)[0, :, :, 0].tolist()
    [[5.0, 7.0], [13.0, 15.0]]
    """

    def __init__(self, pool_size=(2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=2, pool_mode="max", padding=padding,
                         data_format=data_format, **kwargs)


@register("keras.layers", aliases=("MaxPool3D",))
class MaxPooling3D(BasePooling):
    """Max pooling over the three spatial dimensions of volumes.

    Args:
        pool_size: Positive int or tuple of 3 positive ints. Defaults to `(2, 2, 2)`.
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
        likewise; each pooled size as for `MaxPooling1D`.

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.arange(8.0).reshape(1, 2, 2, 2, 1)
    >>> keras.layers.MaxPooling3D()(x).flatten().tolist()
    [7.0]
    """

    def __init__(self, pool_size=(2, 2, 2), strides=None, padding="valid", data_format=None,
                 **kwargs):
        super().__init__(pool_size, strides, pool_dimensions=3, pool_mode="max", padding=padding,
                         data_format=data_format, **kwargs)


MaxPool1D = MaxPooling1D
MaxPool2D = MaxPooling2D
MaxPool3D = MaxPooling3D
