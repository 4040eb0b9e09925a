"""What every convolution layer shares: argument checks, "same"/"causal" padding, the call.

`SpatialConv` holds the arguments common to all the convolution families (kernel size,
strides, padding, data format, dilation, activation, bias) and computes one convolution through
torch's kernels; `BaseConv` adds `filters`, `groups` and the kernel of `Conv1D/2D/3D`. The
dimension-specific classes only set `rank`.

Padding. Keras follows TensorFlow: "same" gives `ceil(size / stride)` outputs and, when the
total padding is odd, puts the extra element *after*; "causal" pads only before. torch's own
`padding=` is symmetric, so it is used when the padding is symmetric and an explicit `F.pad`
(one copy of the input) only when it is not. With `strides == 1` the padding does not depend on
the input size and is settled once in `__init__`; with `strides > 1` "same" depends on
`size % stride` and is recomputed from the (static) shape at each call.
"""

import torch.nn.functional as F

from lamina import activations, constraints, initializers, regularizers
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
from lamina.validation import validate_positive_int

CONV_FUNCTIONS = {1: F.conv1d, 2: F.conv2d, 3: F.conv3d}


def keras_kernel_permutation(rank):
    """The permutation turning torch's `(a, b, *kernel_size)` kernel into Keras'
    `(*kernel_size, b, a)` layout: `(out, in, k...)` -> `(k..., in, out)` for convolutions,
    `(in, out, k...)` -> `(k..., out, in)` for transposed ones."""
    return (*range(2, rank + 2), 1, 0)


class SpatialConv(Layer):
    """Base of the convolution layers: the arguments and computation they all share.

    Subclasses set the class attribute `rank` (1, 2 or 3) and create their weights in `build`.
    See `Conv2D` for the meaning of the arguments.
    """

    rank = None
    _paddings = ("valid", "same")

    def __init__(self, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, activation=None, use_bias=True, bias_initializer="zeros",
                 bias_regularizer=None, activity_regularizer=None, bias_constraint=None,
                 **kwargs):
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        rank = self.rank
        self.kernel_size = normalize_tuple(kernel_size, rank, "kernel_size", self)
        self.strides = normalize_tuple(strides, rank, "strides", self)
        self.dilation_rate = normalize_tuple(dilation_rate, rank, "dilation_rate", self)
        self.padding = normalize_padding(padding, self, self._paddings)
        self.data_format = normalize_data_format(data_format, self)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.bias_initializer = initializers.get(bias_initializer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.bias_constraint = constraints.get(bias_constraint)
        self._conv = CONV_FUNCTIONS[rank]
        self._effective_kernel = tuple(
            (k - 1) * d + 1 for k, d in zip(self.kernel_size, self.dilation_rate)
        )
        # Padding known without the input size: every dimension unless "same" with a stride.
        self._fixed_padding = None
        if self.padding != "same" or max(self.strides) == 1:
            self._fixed_padding = self._torch_padding([None] * rank)

    def _reject_strides_with_dilation(self):
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(
                f"`{type(self).__name__}` does not support `strides > 1` together with "
                f"`dilation_rate > 1`. Received: strides={self.strides} and "
                f"dilation_rate={self.dilation_rate}."
            )

    # -- build ----------------------------------------------------------------------------------
    def _input_channels(self, input_shape, check_size=True):
        """Check the input's rank and (with `check_size`) that "valid" padding leaves at least
        one output position; return the input's (known) number of channels."""
        check_rank(self, input_shape, self.rank + 2)
        if self.data_format == "channels_last":
            channels, spatial = input_shape[-1], tuple(input_shape[1:-1])
        else:
            channels, spatial = input_shape[1], tuple(input_shape[2:])
        if channels is None:
            raise ValueError(
                f"`{type(self).__name__}` needs the channel dimension of its input to be known. "
                f"Received: input_shape={tuple(input_shape)} with data_format="
                f"{self.data_format!r}."
            )
        if check_size and self.padding == "valid" and any(
            size is not None and size < k for size, k in zip(spatial, self._effective_kernel)
        ):
            raise ValueError(
                f'Layer "{self.name}" (`{type(self).__name__}`) cannot apply a kernel of size '
                f"{self.kernel_size} (dilation_rate={self.dilation_rate}, spanning "
                f"{self._effective_kernel}) with padding='valid' to an input of shape "
                f"{tuple(input_shape)}: the kernel is larger than the spatial dimensions "
                f"{spatial}, so the output would be empty. Use padding='same' or a smaller "
                "kernel."
            )
        return channels

    def _add_bias(self, size):
        if not self.use_bias:
            self.bias = None
            return
        self.bias = self.add_weight(
            shape=(size,), initializer=self.bias_initializer, regularizer=self.bias_regularizer,
            constraint=self.bias_constraint, name="bias",
        )

    # -- call -----------------------------------------------------------------------------------
    def _torch_padding(self, spatial):
        """For spatial sizes `spatial` (channels-first order): `(padding, pad)` where
        `padding` is torch's symmetric `padding=` argument and `pad` the `F.pad` argument for
        asymmetric padding (`None` when not needed)."""
        if self.padding == "valid":
            return 0, None
        if self.padding == "causal":
            pairs = [(k - 1, 0) for k in self._effective_kernel]
        else:
            pairs = [
                same_padding(size, k, s) if s > 1 else ((k - 1) // 2, k // 2)
                for size, k, s in zip(spatial, self._effective_kernel, self.strides)
            ]
        if all(before == after for before, after in pairs):
            return tuple(before for before, _ in pairs), None
        return 0, tuple(p for pair in reversed(pairs) for p in pair)  # F.pad: last dim first

    def _convolve(self, x, weight, bias, groups):
        """`x` channels-first; pads as Keras does and applies torch's convolution."""
        padding, pad = self._fixed_padding or self._torch_padding(x.shape[2:])
        if pad is not None:
            x = F.pad(x, pad)
        return self._conv(x, weight, bias, self.strides, padding, self.dilation_rate, groups)

    def _spatial_config(self):
        return {
            "kernel_size": self.kernel_size,
            "strides": self.strides,
            "padding": self.padding,
            "data_format": self.data_format,
            "dilation_rate": self.dilation_rate,
        }

    def _bias_config(self):
        return {
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        }

    def extra_repr(self):
        return (f"name={self.name!r}, kernel_size={self.kernel_size}, strides={self.strides}, "
                f"padding={self.padding!r}")


class BaseConv(SpatialConv):
    """Base of `Conv1D`, `Conv2D` and `Conv3D`: a kernel convolved with the input, plus a bias.

    Subclasses set `rank`. See `Conv2D` for the arguments.

    Weights:
        kernel: Keras' layout `(*kernel_size, input_channels // groups, filters)`; stored as
            torch's `(filters, input_channels // groups, *kernel_size)` (`kernel.keras_view()`
            gives Keras' layout). `glorot_uniform` by default.
        bias: `(filters,)`, zeros by default.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", data_format=None,
                 dilation_rate=1, groups=1, activation=None, use_bias=True,
                 kernel_initializer="glorot_uniform", bias_initializer="zeros",
                 kernel_regularizer=None, bias_regularizer=None, activity_regularizer=None,
                 kernel_constraint=None, bias_constraint=None, **kwargs):
        super().__init__(
            kernel_size, strides=strides, padding=padding, data_format=data_format,
            dilation_rate=dilation_rate, activation=activation, use_bias=use_bias,
            bias_initializer=bias_initializer, bias_regularizer=bias_regularizer,
            activity_regularizer=activity_regularizer, bias_constraint=bias_constraint, **kwargs,
        )
        self.filters = validate_positive_int(filters, "filters", self)
        self.groups = validate_positive_int(groups, "groups", self)
        if self.filters % self.groups:
            raise ValueError(
                f"`{type(self).__name__}` expects `filters` to be divisible by `groups`. "
                f"Received: filters={self.filters}, groups={self.groups}."
            )
        self._reject_strides_with_dilation()
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)

    def build(self, input_shape):
        channels = self._input_channels(input_shape)
        if channels % self.groups:
            raise ValueError(
                f"`{type(self).__name__}` expects the number of input channels to be divisible "
                f"by `groups`. Received: groups={self.groups}, but the input has {channels} "
                f"channels (input_shape={tuple(input_shape)})."
            )
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, channels // self.groups, self.filters),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, name="kernel",
            keras_permutation=keras_kernel_permutation(self.rank),
        )
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs):
        x = to_channels_first(inputs, self.data_format)  # (batch, channels, *spatial), a view
        y = self._convolve(x, self.kernel, self.bias, self.groups)  # (batch, filters, *out)
        return self.activation(to_channels_last(y, self.data_format))

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            **self._spatial_config(),
            "groups": self.groups,
            **self._bias_config(),
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }

    def extra_repr(self):
        return f"{super().extra_repr()}, filters={self.filters}"
