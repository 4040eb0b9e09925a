"""`UpSampling1D/2D/3D`: enlarge sequences, images and volumes by integer factors.

"nearest" (every layer) repeats each cell: one broadcast view and one copy, whose gradient is
a plain sum (deterministic on every device). `UpSampling2D` also interpolates as Keras does
(its `image.resize` without antialiasing, half-pixel centres):

- "bilinear": `F.interpolate(mode="bilinear", align_corners=False)`, the same sample points and
  the same clamping at the edges;
- "bicubic": Keras' Keys kernel has `a=-0.5` and renormalises at the edges, which is torch's
  *antialiased* bicubic (`antialias=True`); when enlarging, antialiasing widens nothing, so this
  is exactly Keras' filter (torch's plain bicubic uses `a=-0.75`);
- "lanczos3"/"lanczos5": torch has no Lanczos kernel, so the layer builds the two separable
  interpolation matrices from the input size and applies them with one `einsum`.
"""

import math
import numbers

import torch
import torch.nn.functional as F

from lamina.layers.layer import Layer
from lamina.layers.spatial import (
    check_rank,
    normalize_data_format,
    normalize_tuple,
    to_channels_first,
    to_channels_last,
)
from lamina.registry import register
from lamina.validation import received, validate_choice

INTERPOLATIONS = ("nearest", "bilinear", "bicubic", "lanczos3", "lanczos5")


def repeat_cells(x, sizes, first):
    """Repeat every cell of the dimensions `first, first + 1, ...` of `x` `sizes[i]` times.

    Example:
    >>> repeat_cells(torch.tensor([[1, 2]]), (2,), 1).tolist()
    [[1, 1, 2, 2]]
    """
    n = len(sizes)
    index = [slice(None)] * first
    for _ in range(n):
        index += [slice(None), None]
    spread = x[(*index, Ellipsis)]  # a length-1 axis after each repeated dimension (a view)
    head, body, tail = x.shape[:first], x.shape[first:first + n], x.shape[first + n:]
    spread_shape = [d for pair in zip(body, sizes) for d in pair]
    out_shape = [d * s for d, s in zip(body, sizes)]
    return spread.expand(*head, *spread_shape, *tail).reshape(*head, *out_shape, *tail)


def lanczos_matrix(in_size, out_size, radius, like):
    """`(out_size, in_size)` Lanczos interpolation weights (half-pixel centres, each row
    renormalised over the input cells), computed on `like`'s device in its dtype."""
    scale = in_size / out_size
    sample = (torch.arange(out_size, device=like.device, dtype=like.dtype) + 0.5) * scale - 0.5
    grid = torch.arange(in_size, device=like.device, dtype=like.dtype)
    x = (sample[:, None] - grid[None, :]).abs()  # (out, in) distances
    safe = torch.where(x > 1e-3, x, 1.0)
    weights = radius * torch.sin(math.pi * safe) * torch.sin(math.pi * safe / radius)
    weights = torch.where(x > 1e-3, weights / (math.pi ** 2 * safe ** 2), 1.0)
    weights = torch.where(x > radius, 0.0, weights)
    return weights / weights.sum(dim=1, keepdim=True)


@register("keras.layers")
class UpSampling1D(Layer):
    """Repeats each step of a sequence `size` times.

    Args:
        size: Positive integer, the upsampling factor. Defaults to `2`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, steps, features)`.

    Output shape:
        `(batch_size, steps * size, features)`.

    Example:
    >>> import torch, lamina as keras
    >>> keras.layers.UpSampling1D(3)(torch.tensor([[[1.0], [2.0]]])).flatten().tolist()
    [1.0, 1.0, 1.0, 2.0, 2.0, 2.0]
    """

    def __init__(self, size=2, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(size, numbers.Integral) or isinstance(size, bool):
            raise TypeError("`UpSampling1D` expects `size` to be a positive integer. "
                            + received("size", size))
        if size <= 0:
            raise ValueError("`UpSampling1D` expects `size` to be a positive integer. "
                             + received("size", size))
        self.size = int(size)

    def build(self, input_shape):
        check_rank(self, input_shape, 3)
        self.built = True

    def call(self, inputs):
        return repeat_cells(inputs, (self.size,), 1)  # (batch, steps * size, features)

    def get_config(self):
        return {**super().get_config(), "size": self.size}


@register("keras.layers")
class UpSampling2D(Layer):
    """Enlarges images by integer factors, repeating or interpolating pixels.

    Args:
        size: Positive int or tuple of 2 positive ints `(height_factor, width_factor)`.
            Defaults to `(2, 2)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (the global
            image data format).
        interpolation: One of `"nearest"` (repeat pixels), `"bilinear"`, `"bicubic"`,
            `"lanczos3"`, `"lanczos5"` (case-insensitive; see the module docstring for how each
            matches Keras). Defaults to `"nearest"`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, height, width, channels)` (channels-last) or
        `(batch_size, channels, height, width)`.

    Output shape:
        `(batch_size, height * height_factor, width * width_factor, channels)` or
        channels-first likewise.

    Example:
    >>> import torch, lamina as keras
    >>> x = torch.tensor([[[[0.0], [4.0]]]])  # (1, 1, 2, 1)
    >>> keras.layers.UpSampling2D((1, 2), interpolation="bilinear")(x).flatten().tolist()
    [0.0, 1.0, 3.0, 4.0]
    """

    def __init__(self, size=(2, 2), data_format=None, interpolation="nearest", **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 2, "size", self)
        self.data_format = normalize_data_format(data_format, self)
        lowered = interpolation.lower() if isinstance(interpolation, str) else interpolation
        self.interpolation = validate_choice(lowered, "interpolation", INTERPOLATIONS, self)

    def build(self, input_shape):
        check_rank(self, input_shape, 4)
        self.built = True

    def call(self, inputs):
        if self.interpolation == "nearest":
            first = 1 if self.data_format == "channels_last" else 2
            return repeat_cells(inputs, self.size, first)  # (batch, h * sh, w * sw, channels)
        x = to_channels_first(inputs, self.data_format)  # (batch, channels, h, w), a view
        if self.interpolation == "bilinear":
            y = F.interpolate(x, scale_factor=self.size, mode="bilinear", align_corners=False)
        elif self.interpolation == "bicubic":
            y = F.interpolate(x, scale_factor=self.size, mode="bicubic", align_corners=False,
                              antialias=True)
        else:
            radius = 3 if self.interpolation == "lanczos3" else 5
            height, width = x.shape[2:]
            rows = lanczos_matrix(height, height * self.size[0], radius, x)
            cols = lanczos_matrix(width, width * self.size[1], radius, x)
            y = torch.einsum("oh,bchw,pw->bcop", rows, x, cols)
        return to_channels_last(y, self.data_format)  # (batch, h * sh, w * sw, channels)

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format,
                "interpolation": self.interpolation}


@register("keras.layers")
class UpSampling3D(Layer):
    """Enlarges volumes by repeating each cell along the three spatial dimensions.

    Args:
        size: Positive int or tuple of 3 positive ints `(dim1_factor, dim2_factor,
            dim3_factor)`. Defaults to `(2, 2, 2)`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (the global
            image data format).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).

    Input shape:
        `(batch_size, dim1, dim2, dim3, channels)` (channels-last) or
        `(batch_size, channels, dim1, dim2, dim3)`.

    Output shape:
        `(batch_size, dim1 * dim1_factor, dim2 * dim2_factor, dim3 * dim3_factor, channels)` or
        channels-first likewise.

    Example:
    >>> import torch, lamina as keras
    >>> tuple(keras.layers.UpSampling3D((1, 2, 3))(torch.zeros(2, 2, 2, 2, 4)).shape)
    (2, 2, 4, 6, 4)
    """

    def __init__(self, size=(2, 2, 2), data_format=None, **kwargs):
        super().__init__(**kwargs)
        self.size = normalize_tuple(size, 3, "size", self)
        self.data_format = normalize_data_format(data_format, self)

    def build(self, input_shape):
        check_rank(self, input_shape, 5)
        self.built = True

    def call(self, inputs):
        first = 1 if self.data_format == "channels_last" else 2
        return repeat_cells(inputs, self.size, first)  # spatial dimensions multiplied

    def get_config(self):
        return {**super().get_config(), "size": self.size, "data_format": self.data_format}
