"""Helpers shared by the spatial layers (convolution, pooling, padding, cropping, upsampling).

Keras lays images out channels-last, `(batch, *spatial, channels)`; torch's kernels take
channels-first `(batch, channels, *spatial)`. `to_channels_first` and `to_channels_last` are
permuted *views*: a contiguous channels-last tensor seen channels-first is exactly torch's
`channels_last` memory format, which its convolution and pooling kernels accept and keep, so
the round trip copies nothing.
"""

import numbers

from lamina import config
from lamina.validation import received, validate_choice


def normalize_tuple(value, n, arg, owner, allow_zero=False):
    """An int or a sequence of `n` ints as a tuple of `n` ints (positive, or >= 0 with
    `allow_zero`); raises a ValueError naming `arg` otherwise."""
    values = (value,) * n if isinstance(value, numbers.Integral) else value
    try:
        values = tuple(values)
    except TypeError:
        values = None
    low = 0 if allow_zero else 1
    if values is None or len(values) != n or not all(
        isinstance(v, numbers.Integral) and not isinstance(v, bool) and v >= low for v in values
    ):
        kind = "non-negative" if allow_zero else "positive"
        raise ValueError(f"`{type(owner).__name__}` expects `{arg}` to be a {kind} integer or a "
                         f"tuple of {n} {kind} integers. " + received(arg, value))
    return tuple(int(v) for v in values)


def normalize_padding(value, owner, allowed=("valid", "same")):
    """`padding` lower-cased and checked against `allowed`."""
    lowered = value.lower() if isinstance(value, str) else value
    if lowered not in allowed:
        validate_choice(value, "padding", allowed, owner)
    return lowered


def normalize_data_format(value, owner):
    """`data_format`, with `None` meaning `config.image_data_format()`."""
    if value is None:
        return config.image_data_format()
    lowered = value.lower() if isinstance(value, str) else value
    return validate_choice(lowered, "data_format", ("channels_last", "channels_first"), owner)


def check_rank(layer, shape, ndim):
    """Raise Keras' incompatible-input error when `shape` does not have `ndim` dimensions."""
    if len(shape) != ndim:
        raise ValueError(
            f'Input 0 of layer "{layer.name}" is incompatible with the layer: expected '
            f"ndim={ndim}, found ndim={len(shape)}. Full shape received: {tuple(shape)}"
        )


def channel_axis(data_format):
    return -1 if data_format == "channels_last" else 1


def to_channels_first(x, data_format):
    """`(batch, *spatial, channels)` -> `(batch, channels, *spatial)` as a view."""
    if data_format == "channels_first":
        return x
    return x.permute(0, x.dim() - 1, *range(1, x.dim() - 1))


def to_channels_last(x, data_format):
    """The inverse of `to_channels_first`: back to the layout the user gave, as a view."""
    if data_format == "channels_first":
        return x
    return x.permute(0, *range(2, x.dim()), 1)


def same_padding(size, kernel, stride, dilation=1):
    """Keras' (TensorFlow's) "same" padding of one spatial dimension as `(before, after)`.

    The output has `ceil(size / stride)` positions; when the total padding is odd the extra
    element goes after, which torch's symmetric `padding=` cannot express.
    """
    effective = (kernel - 1) * dilation + 1
    out = -(-size // stride)
    total = max((out - 1) * stride + effective - size, 0)
    return total // 2, total - total // 2


def conv_output_length(size, kernel, padding, stride, dilation=1):
    """Output length of one spatial dimension for `padding` in "valid", "same", "causal"."""
    if size is None:
        return None
    effective = (kernel - 1) * dilation + 1
    if padding == "valid":
        return (size - effective) // stride + 1
    return -(-size // stride)
