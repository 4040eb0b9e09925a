"""`Conv1D`, `Conv2D`, `Conv3D`: convolution layers (the logic is in `BaseConv`)."""

from lamina.layers.convolutional.base_conv import BaseConv
from lamina.registry import register


@register("keras.layers", aliases=("Convolution1D",))
class Conv1D(BaseConv):
    """1D convolution (temporal convolution) over `(batch, steps, channels)` inputs.

    Takes the same arguments as `Conv2D`, as integers or 1-tuples, and one more `padding`
    value: `"causal"` pads only before the sequence (by `dilation_rate * (kernel_size - 1)`),
    so that the output at step `t` depends on inputs up to `t` only (WaveNet's convolution).

    Weights:
        kernel: `(kernel_size, input_channels // groups, filters)` in Keras' layout; stored as
            torch's `(filters, input_channels // groups, kernel_size)`.
        bias: `(filters,)`.

    Input shape:
        `(batch_size, steps, channels)`, or `(batch_size, channels, steps)` with
        `data_format="channels_first"`.

    Output shape:
        `(batch_size, new_steps, filters)`, or `(batch_size, filters, new_steps)`.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.Conv1D(4, 3, padding="causal")
    >>> tuple(layer(torch.ones(2, 10, 3)).shape)
    (2, 10, 4)
    """

    rank = 1
    _paddings = ("valid", "same", "causal")


@register("keras.layers", aliases=("Convolution2D",))
class Conv2D(BaseConv):
    """2D convolution (spatial convolution over images).

    Convolves a kernel with the input, adds a bias (`use_bias`) and applies `activation`.

    Args:
        filters: Positive integer, the number of output channels.
        kernel_size: Integer or tuple of 2 integers, the height and width of the window.
        strides: Integer or tuple of 2 integers, the step of the window. `strides > 1` cannot
            be combined with `dilation_rate > 1`. Defaults to `1`.
        padding: `"valid"` (no padding) or `"same"` (pad so that the output has
            `ceil(size / strides)` positions; an odd total padding puts the extra element
            after, as in Keras and TensorFlow). Case-insensitive. Defaults to `"valid"`.
        data_format: `"channels_last"` (`(batch, height, width, channels)`) or
            `"channels_first"` (`(batch, channels, height, width)`). Defaults to
            `keras.config.image_data_format()` (`"channels_last"`).
        dilation_rate: Integer or tuple of 2 integers, the spacing between kernel elements
            (atrous convolution). Defaults to `1`.
        groups: Positive integer dividing `filters` and the input channels: the input channels
            are split in `groups` groups, each convolved with its own `filters // groups`
            filters. Defaults to `1`.
        activation: Activation function or its name. Defaults to `None` (linear).
        use_bias: Whether to add a bias vector. Defaults to `True`.
        kernel_initializer: Initializer of the kernel. Defaults to `"glorot_uniform"`.
        bias_initializer: Initializer of the bias. Defaults to `"zeros"`.
        kernel_regularizer: Regularizer of the kernel. Defaults to `None`.
        bias_regularizer: Regularizer of the bias. Defaults to `None`.
        activity_regularizer: Regularizer of the output. Defaults to `None`.
        kernel_constraint: Constraint on the kernel. Defaults to `None`.
        bias_constraint: Constraint on the bias. Defaults to `None`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Weights:
        kernel: `(kernel_h, kernel_w, input_channels // groups, filters)` in Keras' layout
            (`get_weights`, `numpy()`, `assign`); stored as torch's
            `(filters, input_channels // groups, kernel_h, kernel_w)`, so `layer.kernel.shape`
            is torch's and `layer.kernel.keras_view()` is Keras'. `glorot_uniform` by default.
        bias: `(filters,)`, zeros by default.

    Input shape:
        `(batch_size, height, width, channels)`, or `(batch_size, channels, height, width)`
        with `data_format="channels_first"`.

    Output shape:
        `(batch_size, new_height, new_width, filters)`, or
        `(batch_size, filters, new_height, new_width)`.

    Raises:
        ValueError: For a non-positive `filters`, `kernel_size`, `strides`, `dilation_rate` or
            `groups`, an unknown `padding` or `data_format`, `filters` or the input channels
            not divisible by `groups`, `strides > 1` with `dilation_rate > 1`, an input of the
            wrong rank, or (with `padding="valid"`) a kernel larger than the input.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.Conv2D(8, 3, strides=2, padding="same", activation="relu")
    >>> tuple(layer(torch.ones(4, 28, 28, 1)).shape)
    (4, 14, 14, 8)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 3, 1, 8), (8,)]
    """

    rank = 2


@register("keras.layers", aliases=("Convolution3D",))
class Conv3D(BaseConv):
    """3D convolution (spatial convolution over volumes).

    Takes the same arguments as `Conv2D`, as integers or 3-tuples.

    Weights:
        kernel: `(kernel_d, kernel_h, kernel_w, input_channels // groups, filters)` in Keras'
            layout; stored as torch's `(filters, input_channels // groups, *kernel_size)`.
        bias: `(filters,)`.

    Input shape:
        `(batch_size, dim1, dim2, dim3, channels)`, or
        `(batch_size, channels, dim1, dim2, dim3)` with `data_format="channels_first"`.

    Output shape:
        `(batch_size, new_dim1, new_dim2, new_dim3, filters)`, or
        `(batch_size, filters, new_dim1, new_dim2, new_dim3)`.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.Conv3D(2, (3, 3, 2))
    >>> tuple(layer(torch.ones(1, 5, 5, 4, 3)).shape)
    (1, 3, 3, 3, 2)
    """

    rank = 3


Convolution1D = Conv1D
Convolution2D = Conv2D
Convolution3D = Conv3D
