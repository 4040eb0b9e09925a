"""`Cropping1D/2D/3D`: remove cells from the start and end of spatial dimensions.

Cropping is one indexing operation, a view of the input: nothing is copied.
"""

import numbers

from lamina.layers.layer import Layer
from lamina.layers.spatial import check_rank, normalize_data_format, normalize_tuple
from lamina.registry import register
from lamina.validation import received

_ORDINALS = ("1st", "2nd", "3rd")


def normalize_pairs(value, n, arg, owner):
    """Keras' forms of per-dimension `(before, after)` amounts as a tuple of `n` pairs.

    An int `k` means `k` everywhere; a tuple of `n` entries gives one entry per spatial
    dimension, each an int (the same before and after) or a pair `(before, after)`; with
    `n == 1` the tuple is the pair itself. Every amount is a non-negative integer. Shared by the
    cropping and zero-padding layers.

    Args:
        value: The argument as given.
        n: Number of spatial dimensions.
        arg: The argument's name, for error messages.
        owner: The layer validating it, for error messages.

    Returns:
        A tuple of `n` pairs of ints.

    Example:
    >>> normalize_pairs(((1, 2), 3), 2, "cropping", owner=None)
    ((1, 2), (3, 3))
    """
    name = type(owner).__name__
    if n == 1:  # one dimension: an int or a single (before, after) pair
        return (normalize_tuple(value, 2, arg, owner, allow_zero=True),)
    if isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 0:
        return ((int(value), int(value)),) * n
    try:
        entries = tuple(value)
    except TypeError:
        entries = None
    if entries is None or len(entries) != n or isinstance(value, (str, bool)):
        raise ValueError(
            f"`{name}` expects `{arg}` to be a non-negative integer, a tuple of {n} non-negative "
            f"integers, or a tuple of {n} (before, after) pairs of non-negative integers. "
            + received(arg, value)
        )
    return tuple(normalize_tuple(e, 2, f"{_ORDINALS[i]} entry of {arg}", owner, allow_zero=True)
                 for i, e in enumerate(entries))


class BaseCropping(Layer):
    """Base of `Cropping1D/2D/3D`: a fixed slice of the spatial dimensions.

    Args:
        cropping: Any form `normalize_pairs` accepts.
        data_format: `"channels_last"`, `"channels_first"` or `None` (the global image data
            format).
        rank: Number of spatial dimensions.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).
    """

    def __init__(self, cropping, data_format, rank, **kwargs):
        super().__init__(**kwargs)
        self.cropping = normalize_pairs(cropping, rank, "cropping", self)
        self.data_format = normalize_data_format(data_format, self)
        spatial = tuple(slice(before, -after if after else None) for before, after in self.cropping)
        if self.data_format == "channels_last":
            self._index = (slice(None), *spatial, slice(None))  # (batch, *spatial, channels)
        else:
            self._index = (slice(None), slice(None), *spatial)  # (batch, channels, *spatial)

    def build(self, input_shape):
        check_rank(self, input_shape, len(self.cropping) + 2)
        spatial = (input_shape[1:-1] if self.data_format == "channels_last"
                   else input_shape[2:])
        if any(size is not None and sum(pair) >= size
               for size, pair in zip(spatial, self.cropping)):
            raise ValueError(
                f"`{type(self).__name__}` expects `cropping` to leave at least one cell in each "
                f"spatial dimension of its input. Received: cropping={self.cropping} for "
                f"input_shape={tuple(input_shape)} (data_format={self.data_format!r})."
            )
        self.built = True

    def call(self, inputs):
        return inputs[self._index]  # a view, spatial dimensions shortened

    def get_config(self):
        return {**super().get_config(), "cropping": self.cropping,
                "data_format": self.data_format}


@register("keras.layers")
class Cropping1D(BaseCropping):
    """Crops steps from the start and end of a sequence.

    Args:
        cropping: Non-negative int (the same at both ends) or tuple of 2 non-negative ints
            `(start, end)`. Defaults to `(1, 1)`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, steps, features)`.

    Output shape:
        `(batch_size, steps - start - end, features)`.

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.arange(5.0).reshape(1, 5, 1)
    >>> keras.layers.Cropping1D((1, 2))(x).flatten().tolist()
    [1.0, 2.0]
    """

    def __init__(self, cropping=(1, 1), **kwargs):
        super().__init__(cropping, "channels_last", 1, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["data_format"]  # Keras' Cropping1D has no data_format
        return {**config, "cropping": self.cropping[0]}


@register("keras.layers")
class Cropping2D(BaseCropping):
    """Crops rows and columns from the edges of images.

    Args:
        cropping: Non-negative int (all four edges), tuple of 2 non-negative ints
            `(symmetric_height_crop, symmetric_width_crop)`, or tuple of 2 pairs
            `((top, bottom), (left, right))`. Defaults to `((0, 0), (0, 0))`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (the global
            image data format).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, height, width, channels)` (channels-last) or
        `(batch_size, channels, height, width)`.

    Output shape:
        `(batch_size, height - top - bottom, width - left - right, channels)` or channels-first
        likewise.

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.arange(16.0).reshape(1, 4, 4, 1)
    >>> keras.layers.Cropping2D(((1, 0), (1, 2)))(x)[0, :, :, 0].tolist()
    [[5.0], [9.0], [13.0]]
    """

    def __init__(self, cropping=((0, 0), (0, 0)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, 2, **kwargs)


@register("keras.layers")
class Cropping3D(BaseCropping):
    """Crops cells from the edges of the three spatial dimensions of volumes.

    Args:
        cropping: Non-negative int (every edge), tuple of 3 non-negative ints (symmetric per
            dimension), or tuple of 3 pairs `((start1, end1), (start2, end2), (start3, end3))`.
            Defaults to `((1, 1), (1, 1), (1, 1))`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (the global
            image data format).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, dim1, dim2, dim3, channels)` (channels-last) or
        `(batch_size, channels, dim1, dim2, dim3)`.

    Output shape:
        `(batch_size, cropped_dim1, cropped_dim2, cropped_dim3, channels)` or channels-first
        likewise.

    Example:
    >>> import torch, lamina as keras
    >>> tuple(keras.layers.Cropping3D((1, 0, 2))(torch.zeros(2, 4, 4, 5, 3)).shape)
    (2, 2, 4, 1, 3)
    """

    def __init__(self, cropping=((1, 1), (1, 1), (1, 1)), data_format=None, **kwargs):
        super().__init__(cropping, data_format, 3, **kwargs)
