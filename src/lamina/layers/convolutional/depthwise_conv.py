"""`DepthwiseConv1D`, `DepthwiseConv2D`: each input channel convolved with its own filters.

A depthwise convolution is a grouped convolution with one group per input channel: torch's
`F.convNd(..., groups=channels)` with a `(channels * depth_multiplier, 1, *kernel_size)` kernel.
Output channel `c * depth_multiplier + m` is input channel `c` convolved with its `m`-th filter,
the order Keras (and TensorFlow) use.
"""

from lamina import constraints, initializers, regularizers
from lamina.layers.convolutional.base_conv import SpatialConv
from lamina.layers.spatial import to_channels_first, to_channels_last
from lamina.registry import register
from lamina.validation import validate_positive_int


def add_depthwise_kernel(layer, channels, name):
    """Create `layer`'s depthwise kernel for `channels` input channels.

    Keras' layout is `(*kernel_size, channels, depth_multiplier)`; it is stored as
    `(channels, depth_multiplier, *kernel_size)`, which `view(depthwise_shape)` turns into
    torch's grouped kernel `(channels * depth_multiplier, 1, *kernel_size)` without a copy.
    Returns the weight and that view's shape.
    """
    rank = layer.rank
    kernel = layer.add_weight(
        shape=(*layer.kernel_size, channels, layer.depth_multiplier),
        initializer=layer.depthwise_initializer, regularizer=layer.depthwise_regularizer,
        constraint=layer.depthwise_constraint, name=name,
        keras_permutation=(*range(2, rank + 2), 0, 1),
    )
    return kernel, (channels * layer.depth_multiplier, 1, *layer.kernel_size)


def depthwise_config(layer):
    return {
        "depthwise_initializer": initializers.serialize(layer.depthwise_initializer),
        "depthwise_regularizer": regularizers.serialize(layer.depthwise_regularizer),
        "depthwise_constraint": constraints.serialize(layer.depthwise_constraint),
    }


class BaseDepthwiseConv(SpatialConv):
    """Base of `DepthwiseConv1D` and `DepthwiseConv2D`; subclasses set `rank`.

    See `DepthwiseConv2D` for the arguments.
    """

    def __init__(self, kernel_size, strides=1, padding="valid", depth_multiplier=1,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
                 depthwise_initializer="glorot_uniform", bias_initializer="zeros",
                 depthwise_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 depthwise_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, bias_constraint=bias_constraint, **kwargs,
        )
        self.depth_multiplier = validate_positive_int(depth_multiplier, "depth_multiplier", self)
        self.depthwise_initializer = initializers.get(depthwise_initializer)
        self.depthwise_regularizer = regularizers.get(depthwise_regularizer)
        self.depthwise_constraint = constraints.get(depthwise_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        self.kernel, self._depthwise_shape = add_depthwise_kernel(self, channels, "kernel")
        self._channels = channels
        self._add_bias(channels * self.depth_multiplier)
        self.built = True

    def call(self, inputs):
        x = to_channels_first(inputs, self.data_format)  # (batch, channels, *spatial)
        kernel = self.kernel.view(self._depthwise_shape)  # (channels * multiplier, 1, *kernel)
        y = self._convolve(x, kernel, self.bias, self._channels)
        return self.activation(to_channels_last(y, self.data_format))

    def get_config(self):
        return {
            **super().get_config(),
            "depth_multiplier": self.depth_multiplier,
            **self._spatial_config(),
            **self._bias_config(),
            **depthwise_config(self),
        }


@register("keras.layers")
class DepthwiseConv1D(BaseDepthwiseConv):
    """1D depthwise convolution: each input channel convolved with its own filters.

    Takes the same arguments as `DepthwiseConv2D`, as integers or 1-tuples.

    Weights:
        kernel: `(kernel_size, channels, depth_multiplier)` in Keras' layout.
        bias: `(channels * depth_multiplier,)`.

    Input shape:
        `(batch_size, steps, channels)`, or `(batch_size, channels, steps)` with
        `data_format="channels_first"`.

    Output shape:
        `(batch_size, new_steps, channels * depth_multiplier)`, or
        `(batch_size, channels * depth_multiplier, new_steps)`.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.DepthwiseConv1D(3, depth_multiplier=2, padding="same")
    >>> tuple(layer(torch.ones(2, 10, 4)).shape)
    (2, 10, 8)
    """

    rank = 1


@register("keras.layers")
class DepthwiseConv2D(BaseDepthwiseConv):
    """2D depthwise convolution: each input channel convolved with its own filters.

    Each of the `channels` input channels is convolved with `depth_multiplier` filters of its
    own (no mixing across channels), giving `channels * depth_multiplier` output channels;
    then a bias is added and `activation` applied.

    Args:
        kernel_size: Integer or tuple of 2 integers, the height and width of the window.
        strides: Integer or tuple of 2 integers, the step of the window. Defaults to `1`.
        padding: `"valid"` or `"same"`, as in `Conv2D`. Defaults to `"valid"`.
        depth_multiplier: Positive integer, the number of filters per input channel.
            Defaults to `1`.
        data_format: `"channels_last"` or `"channels_first"`. Defaults to
            `keras.config.image_data_format()`.
        dilation_rate: Integer or tuple of 2 integers, the spacing between kernel elements.
            Defaults to `1`.
        activation: Activation function or its name. Defaults to `None` (linear).
        use_bias: Whether to add a bias vector. Defaults to `True`.
        depthwise_initializer: Initializer of the kernel. Defaults to `"glorot_uniform"`.
        bias_initializer: Initializer of the bias. Defaults to `"zeros"`.
        depthwise_regularizer: Regularizer of the kernel. Defaults to `None`.
        bias_regularizer: Regularizer of the bias. Defaults to `None`.
        activity_regularizer: Regularizer of the output. Defaults to `None`.
        depthwise_constraint: Constraint on the kernel. Defaults to `None`.
        bias_constraint: Constraint on the bias. Defaults to `None`.
        **kwargs: Base layer arguments (`name`, `dtype`, `trainable`, `input_shape`, ...).

    Weights:
        kernel: `(kernel_h, kernel_w, channels, depth_multiplier)` in Keras' layout; stored as
            `(channels, depth_multiplier, kernel_h, kernel_w)`. `glorot_uniform` by default.
        bias: `(channels * depth_multiplier,)`, zeros by default.

    Input shape:
        `(batch_size, height, width, channels)`, or `(batch_size, channels, height, width)`
        with `data_format="channels_first"`.

    Output shape:
        `(batch_size, new_height, new_width, channels * depth_multiplier)`, or
        `(batch_size, channels * depth_multiplier, new_height, new_width)`.

    Example:
    >>> import torch, lamina as keras
    >>> layer = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, strides=2, padding="same")
    >>> tuple(layer(torch.ones(1, 8, 8, 3)).shape)
    (1, 4, 4, 6)
    >>> [w.shape for w in layer.get_weights()]
    [(3, 3, 3, 2), (6,)]
    """

    rank = 2
