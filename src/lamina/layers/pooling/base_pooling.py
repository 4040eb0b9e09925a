"""`BasePooling`: what the max and average pooling layers share (arguments, checks, "same").

Keras pads "same" pooling the TensorFlow way: the output has `ceil(size / stride)` positions
and, when the total padding is odd, the extra padded cell goes *after*. Padded cells never win a
max and never count in an average's divisor. torch's kernels only pad symmetrically, so:

- `padding=before` with `ceil_mode=True` lets torch run the last window past the end of the
  input, which is exactly the extra cell after; `count_include_pad=False` makes the divisor the
  number of real cells in each window, padded or clipped. This gives Keras' output size for
  every `(size, pool, stride)` except stride 1 with an even pool size,
- where the padding is `(pool/2 - 1, pool/2)`: there `padding=pool/2` on both sides yields one
  extra window at the start, which is sliced off (a view).

One torch pooling call for every case, no explicit padding, no divisor tensor.
"""

import torch.nn.functional as F

from lamina.layers.layer import Layer
from lamina.layers.spatial import (
    check_rank,
    normalize_data_format,
    normalize_padding,
    normalize_tuple,
    same_padding,
    to_channels_first,
    to_channels_last,
)

_KERNELS = {
    ("max", 1): F.max_pool1d,
    ("max", 2): F.max_pool2d,
    ("max", 3): F.max_pool3d,
    ("average", 1): F.avg_pool1d,
    ("average", 2): F.avg_pool2d,
    ("average", 3): F.avg_pool3d,
}


def same_pool_arguments(spatial_shape, pool_size, strides):
    """torch's `padding` per spatial dimension for Keras' "same" pooling (with `ceil_mode=True`),
    and the index that drops the extra first window where one appears (`None` if none does).

    Args:
        spatial_shape: Spatial sizes of the input (Python ints).
        pool_size: Window size per spatial dimension.
        strides: Stride per spatial dimension.

    Returns:
        `(padding, index)`: a tuple of ints, and a tuple of slices for the channels-first output
        or `None`.

    Example:
    >>> same_pool_arguments((5,), pool_size=(2,), strides=(2,))
    ((0,), None)
    >>> padding, index = same_pool_arguments((6,), pool_size=(2,), strides=(1,))
    >>> padding, index[2]
    ((1,), slice(1, None, None))
    """
    padding, starts = [], []
    for size, pool, stride in zip(spatial_shape, pool_size, strides):
        before, after = same_padding(size, pool, stride)
        shifted = stride == 1 and before != after  # even pool size, stride 1
        padding.append(after if shifted else before)
        starts.append(slice(1, None) if shifted else slice(None))
    index = None
    if any(s.start for s in starts):
        index = (slice(None), slice(None), *starts)  # (batch, channels, *spatial)
    return tuple(padding), index


class BasePooling(Layer):
    """Base of `MaxPooling1D/2D/3D` and `AveragePooling1D/2D/3D`.

    Args:
        pool_size: Positive int or tuple of `pool_dimensions` positive ints, the window size.
        strides: Positive int or tuple of ints, the step between windows. `None` means
            `pool_size`.
        pool_dimensions: Number of spatial dimensions (1, 2 or 3).
        pool_mode: `"max"` or `"average"`.
        padding: `"valid"` (no padding) or `"same"` (TensorFlow-style padding: the output
            has `ceil(size / strides)` positions; padded cells are ignored). Case-insensitive.
            Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to `None` (the
            global image data format, `"channels_last"` unless set).
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, ...).
    """

    def __init__(self, pool_size, strides, pool_dimensions, pool_mode="max", padding="valid",
                 data_format=None, **kwargs):
        super().__init__(**kwargs)
        n = pool_dimensions
        self.pool_size = normalize_tuple(pool_size, n, "pool_size", self)
        self.strides = normalize_tuple(self.pool_size if strides is None else strides, n,
                                       "strides", self)
        self.padding = normalize_padding(padding, self)
        self.data_format = normalize_data_format(data_format, self)
        self.pool_mode = pool_mode
        self._kernel = _KERNELS[(pool_mode, n)]
        self._options = {} if pool_mode == "max" else {"count_include_pad": False}

    def build(self, input_shape):
        check_rank(self, input_shape, len(self.pool_size) + 2)
        spatial = (input_shape[1:-1] if self.data_format == "channels_last"
                   else input_shape[2:])
        if self.padding == "valid" and any(
            size is not None and size < pool for size, pool in zip(spatial, self.pool_size)
        ):
            raise ValueError(
                f"`{type(self).__name__}` with padding='valid' needs every spatial dimension of "
                f"its input to be at least `pool_size`, or the output would be empty. "
                f"Received: input_shape={tuple(input_shape)}, pool_size={self.pool_size} "
                f"(data_format={self.data_format!r}). Use padding='same' or a smaller pool_size."
            )
        self.built = True

    def call(self, inputs):
        x = to_channels_first(inputs, self.data_format)  # (batch, channels, *spatial), a view
        if self.padding == "valid":
            y = self._kernel(x, self.pool_size, self.strides, **self._options)
        else:
            padding, index = same_pool_arguments(x.shape[2:], self.pool_size, self.strides)
            y = self._kernel(x, self.pool_size, self.strides, padding, ceil_mode=True,
                             **self._options)
            if index is not None:
                y = y[index]
        return to_channels_last(y, self.data_format)  # (batch, *pooled, channels)

    def get_config(self):
        return {
            **super().get_config(),
            "pool_size": self.pool_size,
            "padding": self.padding,
            "strides": self.strides,
            "data_format": self.data_format,
        }

    def extra_repr(self):
        return (f"name={self.name!r}, pool_size={self.pool_size}, strides={self.strides}, "
                f"padding={self.padding!r}")
