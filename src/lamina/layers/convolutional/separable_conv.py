"""`SeparableConv1D`, `SeparableConv2D`: a depthwise convolution followed by a pointwise one.

The depthwise step (see `depthwise_conv.py`) carries the strides, padding and dilation; the
pointwise step is a `1 x 1` convolution mixing the `channels * depth_multiplier` channels into
`filters`, and carries the bias.
"""

from lamina import constraints, initializers, regularizers
from lamina.layers.convolutional.base_conv import (
    SpatialConv,
    keras_kernel_permutation,
)
from lamina.layers.convolutional.depthwise_conv import (
    add_depthwise_kernel,
    depthwise_config,
)
from lamina.layers.spatial import to_channels_first, to_channels_last
from lamina.registry import register
from lamina.validation import validate_positive_int


class BaseSeparableConv(SpatialConv):
    """Base of `SeparableConv1D` and `SeparableConv2D`; subclasses set `rank`.

    See `SeparableConv2D` for the arguments.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, depth_multiplier=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", pointwise_initializer="glorot_uniform",
                 bias_initializer="zeros", depthwise_regularizer=None,
                 pointwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, pointwise_constraint=None, bias_constraint=None,
                 **kwargs):
        super().__init__(
            kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, bias_constraint=bias_constraint, **kwargs,
        )
        self.filters = validate_positive_int(filters, "filters", self)
        self.depth_multiplier = validate_positive_int(depth_multiplier, "depth_multiplier", self)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.depthwise_kernel, self._depthwise_shape = add_depthwise_kernel(
            self, channels, "depthwise_kernel"
        )
        self._channels = channels
        self.pointwise_kernel = self.add_weight(
            shape=(*(1,) * self.rank, channels * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint, name="pointwise_kernel",
            keras_permutation=keras_kernel_permutation(self.rank),
        )
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs):
        x = to_channels_first(inputs, self.data_format)  # (batch, channels, *spatial)
        depthwise = self.depthwise_kernel.view(self._depthwise_shape)
        y = self._convolve(x, depthwise, None, self._channels)  # (batch, channels * mult, *out)
        y = self._conv(y, self.pointwise_kernel, self.bias)  # (batch, filters, *out)
        return self.activation(to_channels_last(y, self.data_format))

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            "filters": self.filters,
            **self._spatial_config(),
            **self._bias_config(),
            **depthwise_config(self),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
        }

    def extra_repr(self):
        return f"{super().extra_repr()}, filters={self.filters}"


@register("keras.layers", aliases=("SeparableConvolution1D",))
class SeparableConv1D(BaseSeparableConv):
    """1D separable convolution: a depthwise convolution, then a pointwise one.

    Takes the same arguments as `SeparableConv2D`, as integers or 1-tuples.

    Weights:
        depthwise_kernel: `(kernel_size, channels, depth_multiplier)` in Keras' layout.
        pointwise_kernel: `(1, channels * depth_multiplier, filters)` in Keras' layout.
        bias: `(filters,)`.

    Input shape:
        `(batch_size, steps, channels)`, or `(batch_size, channels, steps)` with
        `data_format="channels_first"`.

    Output shape:
        `(batch_size, new_steps, filters)`, or `(batch_size, filters, new_steps)`.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.SeparableConv1D(5, 3, depth_multiplier=2)
    >>> tuple(layer(torch.ones(2, 10, 4)).shape)
    (2, 8, 5)
    """

    rank = 1


@register("keras.layers", aliases=("SeparableConvolution2D",))
class SeparableConv2D(BaseSeparableConv):
    """2D separable convolution: a depthwise convolution, then a pointwise one.

    Each input channel is first convolved with `depth_multiplier` filters of its own (as in
    `DepthwiseConv2D`); a `1 x 1` convolution then mixes the resulting channels into `filters`
    output channels, a bias is added and `activation` applied. Far fewer weights than a
    `Conv2D` with the same window.

    Args:
        filters: Positive integer, the number of output channels.
        kernel_size: Integer or tuple of 2 integers, the depthwise window.
        strides: Integer or tuple of 2 integers, the step of the depthwise window.
            Defaults to `1`.
        padding: `"valid"` or `"same"`, as in `Conv2D`. Defaults to `"valid"`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        dilation_rate: Integer or tuple of 2 integers, the depthwise dilation. Defaults to `1`.
        depth_multiplier: Positive integer, the number of depthwise filters per input channel.
            Defaults to `1`.
        activation: Activation function or its name. Defaults to `None` (linear).
        use_bias: Whether to add a bias vector. Defaults to `True`.
        depthwise_initializer: Initializer of the depthwise kernel. Defaults to
            `"glorot_uniform"`.
        pointwise_initializer: Initializer of the pointwise kernel. Defaults to
            `"glorot_uniform"`.
        bias_initializer: Initializer of the bias. Defaults to `"zeros"`.
        depthwise_regularizer: Regularizer of the depthwise kernel. Defaults to `None`.
        pointwise_regularizer: Regularizer of the pointwise kernel. Defaults to `None`.
        bias_regularizer: Regularizer of the bias. Defaults to `None`.
        activity_regularizer: Regularizer of the output. Defaults to `None`.
        depthwise_constraint: Constraint on the depthwise kernel. Defaults to `None`.
        pointwise_constraint: Constraint on the pointwise kernel. Defaults to `None`.
        bias_constraint: Constraint on the bias. Defaults to `None`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Weights:
        depthwise_kernel: `(kernel_h, kernel_w, channels, depth_multiplier)` in Keras' layout;
            stored as `(channels, depth_multiplier, kernel_h, kernel_w)`.
        pointwise_kernel: `(1, 1, channels * depth_multiplier, filters)` in Keras' layout;
            stored as torch's `(filters, channels * depth_multiplier, 1, 1)`.
        bias: `(filters,)`, zeros by default.

    Input shape:
        `(batch_size, height, width, channels)`, or `(batch_size, channels, height, width)`
        with `data_format="channels_first"`.

    Output shape:
        `(batch_size, new_height, new_width, filters)`, or
        `(batch_size, filters, new_height, new_width)`.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.SeparableConv2D(8, 3, padding="same", depth_multiplier=2)
    >>> tuple(layer(torch.ones(1, 6, 6, 3)).shape)
    (1, 6, 6, 8)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 3, 3, 2), (1, 1, 6, 8), (8,)]
    """

    rank = 2


SeparableConvolution1D = SeparableConv1D
SeparableConvolution2D = SeparableConv2D
