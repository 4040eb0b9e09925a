"""`Conv1DTranspose`, `Conv2DTranspose`, `Conv3DTranspose` (the logic is in
`BaseConvTranspose`)."""

from lamina.layers.convolutional.base_conv_transpose import BaseConvTranspose
from lamina.registry import register


@register("keras.layers", aliases=("Convolution1DTranspose",))
class Conv1DTranspose(BaseConvTranspose):
    """1D transposed convolution (sometimes called deconvolution).

    Takes the same arguments as `Conv2DTranspose`, as integers or 1-tuples.

    Weights:
        kernel: `(kernel_size, filters, input_channels)` in Keras' layout; stored as torch's
            `(input_channels, filters, kernel_size)`.
        bias: `(filters,)`.

    Input shape:
        `(batch_size, steps, channels)`, or `(batch_size, channels, steps)` with
        `data_format="channels_first"`.

    Output shape:
        `(batch_size, new_steps, filters)`, or `(batch_size, filters, new_steps)`.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.Conv1DTranspose(4, 3, strides=2, padding="same")
    >>> tuple(layer(torch.ones(2, 5, 3)).shape)
    (2, 10, 4)
    """

    rank = 1


@register("keras.layers", aliases=("Convolution2DTranspose",))
class Conv2DTranspose(BaseConvTranspose):
    """2D transposed convolution (sometimes called deconvolution): upsamples images.

    The transpose of `Conv2D`: each input position spreads over a `kernel_size` window of an
    output about `strides` times larger (the gradient of `Conv2D` with respect to its input).

    Args:
        filters: Positive integer, the number of output channels.
        kernel_size: Integer or tuple of 2 integers, the height and width of the window.
        strides: Integer or tuple of 2 integers, the upsampling factor. `strides > 1` cannot
            be combined with `dilation_rate > 1`. Defaults to `1`.
        padding: `"valid"` (output `(size - 1) * strides + max(kernel, strides)`, for a dilated
            kernel) or `"same"` (output `size * strides`). Defaults to `"valid"`.
        output_padding: Integer or tuple of 2 integers, each smaller than the matching stride:
            the output size becomes `(size - 1) * strides + kernel + output_padding` with
            "valid" and `(size - 1) * strides + kernel % 2 + output_padding` with "same".
            Defaults to `None` (the sizes above).
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        dilation_rate: Integer or tuple of 2 integers, the spacing between kernel elements.
            Defaults to `1`.
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
        kernel: `(kernel_h, kernel_w, filters, input_channels)` in Keras' layout; stored as
            torch's `(input_channels, filters, kernel_h, kernel_w)`. `glorot_uniform` by
            default.
        bias: `(filters,)`, zeros by default.

    Input shape:
        `(batch_size, height, width, channels)`, or `(batch_size, channels, height, width)`
        with `data_format="channels_first"`.

    Output shape:
        `(batch_size, new_height, new_width, filters)`, or
        `(batch_size, filters, new_height, new_width)`.

    Raises:
        ValueError: For a non-positive `filters`, `kernel_size`, `strides` or
            `dilation_rate`, an unknown `padding` or `data_format`, an `output_padding` not
            smaller than `strides`, `strides > 1` with `dilation_rate > 1`, or an input of the
            wrong rank.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.Conv2DTranspose(8, 3, strides=2, padding="same")
    >>> tuple(layer(torch.ones(4, 7, 7, 16)).shape)
    (4, 14, 14, 8)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 3, 8, 16), (8,)]
    """

    rank = 2


@register("keras.layers", aliases=("Convolution3DTranspose",))
class Conv3DTranspose(BaseConvTranspose):
    """3D transposed convolution (sometimes called deconvolution): upsamples volumes.

    Takes the same arguments as `Conv2DTranspose`, as integers or 3-tuples; as in Keras,
    `data_format` comes before `output_padding` among the positional arguments.

    Weights:
        kernel: `(kernel_d, kernel_h, kernel_w, filters, input_channels)` in Keras' layout;
            stored as torch's `(input_channels, filters, kernel_d, kernel_h, kernel_w)`.
        bias: `(filters,)`.

    Input shape:
        `(batch_size, dim1, dim2, dim3, channels)`, or
        `(batch_size, channels, dim1, dim2, dim3)` with `data_format="channels_first"`.

    Output shape:
        `(batch_size, new_dim1, new_dim2, new_dim3, filters)`, or
        `(batch_size, filters, new_dim1, new_dim2, new_dim3)`.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.Conv3DTranspose(2, 2, strides=2)
    >>> tuple(layer(torch.ones(1, 3, 3, 3, 4)).shape)
    (1, 6, 6, 6, 2)
    """

    rank = 3

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 output_padding=None, dilation_rate=1, **kwargs):
        super().__init__(filters, kernel_size, strides=strides, padding=padding,
                         output_padding=output_padding, data_format=data_format,
                         dilation_rate=dilation_rate, **kwargs)


Convolution1DTranspose = Conv1DTranspose
Convolution2DTranspose = Conv2DTranspose
Convolution3DTranspose = Conv3DTranspose
