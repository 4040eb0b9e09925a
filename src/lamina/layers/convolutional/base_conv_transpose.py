"""`BaseConvTranspose`: what `Conv1DTranspose`, `Conv2DTranspose`, `Conv3DTranspose` share.

A transposed convolution spreads each input position over a `kernel_size` window of an output
`strides` times larger. Keras (following TensorFlow and JAX) defines the output by padding the
stride-dilated input with `(before, after)` zeros and convolving; torch's `conv_transposeNd`
instead computes the *full* output, crops `padding` on both sides and adds `output_padding`
positions after. The two agree only when Keras' padding is symmetric enough, so
`transpose_padding` finds torch's arguments and the crop (a negative `F.pad`) left over. The
common `Conv2DTranspose(k=3, strides=2, padding="same")` needs that crop: Keras keeps the
first output position that torch's `padding=1, output_padding=1` would drop.
"""

import torch.nn.functional as F

from lamina import constraints, initializers, regularizers
from lamina.layers.convolutional.base_conv import (
    SpatialConv,
    keras_kernel_permutation,
)
from lamina.layers.spatial import normalize_tuple, to_channels_first, to_channels_last
from lamina.validation import validate_positive_int

CONV_TRANSPOSE_FUNCTIONS = {
    1: F.conv_transpose1d, 2: F.conv_transpose2d, 3: F.conv_transpose3d,
}


def transpose_padding(kernel, stride, dilation, padding, output_padding):
    """torch's arguments for Keras' transposed convolution along one dimension.

    Args:
        kernel, stride, dilation: The layer's values for this dimension.
        padding: `"valid"` or `"same"`.
        output_padding: Keras' `output_padding` for this dimension, or `None`.

    Returns:
        `(torch_padding, torch_output_padding, crop_before, crop_after)`: the positions still
        to remove from torch's output (never negative: torch's `output_padding` covers every
        extension Keras makes).
    """
    effective = (kernel - 1) * dilation + 1
    if padding == "valid":
        extra = max(effective, stride) - effective if output_padding is None else output_padding
        before, after = effective - 1, effective - 1 + extra
    else:
        if output_padding is None:
            total = stride + effective - 2
        else:
            total = effective + effective % 2 - 2 + output_padding
        before = min(total // 2 + total % 2, effective - 1)
        after = total - before
    # Positions of torch's full output (padding=0) that Keras drops on each side; a negative
    # value means Keras extends the output there with positions no input reaches.
    crop_before, crop_after = effective - 1 - before, effective - 1 - after
    shared = max(min(crop_before, crop_after), 0)
    crop_before, crop_after = crop_before - shared, crop_after - shared
    if crop_after < 0:  # only after, and by less than `stride`: torch's output_padding
        return shared, -crop_after, crop_before, 0
    return shared, 0, crop_before, crop_after


class BaseConvTranspose(SpatialConv):
    """Base of the transposed convolutions; subclasses set `rank`. See `Conv2DTranspose`.

    Weights:
        kernel: Keras' layout `(*kernel_size, filters, input_channels)`; stored as torch's
            `(input_channels, filters, *kernel_size)`.
        bias: `(filters,)`.
    """

    def __init__(self, filters, kernel_size, strides=1, padding="valid", output_padding=None,
                 data_format=None, dilation_rate=1, activation=None, use_bias=True,
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
        self.output_padding = None
        if output_padding is not None:
            self.output_padding = normalize_tuple(
                output_padding, self.rank, "output_padding", self, allow_zero=True
            )
            if any(p >= s for p, s in zip(self.output_padding, self.strides)):
                raise ValueError(
                    f"`{type(self).__name__}` expects each value of `output_padding` to be "
                    f"smaller than the matching `strides` value. Received: "
                    f"output_padding={self.output_padding}, strides={self.strides}."
                )
        self._reject_strides_with_dilation()
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self._conv_transpose = CONV_TRANSPOSE_FUNCTIONS[self.rank]
        output_padding = self.output_padding or (None,) * self.rank
        plan = [
            transpose_padding(k, s, d, self.padding, p) for k, s, d, p in zip(
                self.kernel_size, self.strides, self.dilation_rate, output_padding
            )
        ]
        self._torch_padding_args = tuple(p[0] for p in plan)
        self._torch_output_padding = tuple(p[1] for p in plan)
        crop = tuple(-c for _, _, before, after in reversed(plan) for c in (before, after))
        self._crop = crop if any(crop) else None  # F.pad's argument (negative: crop)

    def build(self, input_shape):
        channels = self._input_channels(input_shape, check_size=False)
        self.kernel = self.add_weight(
            shape=(*self.kernel_size, self.filters, channels),
            initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint, name="kernel",
            keras_permutation=keras_kernel_permutation(self.rank),
        )
        self._add_bias(self.filters)
        self.built = True

    def call(self, inputs):
        x = to_channels_first(inputs, self.data_format)  # (batch, channels, *spatial)
        y = self._conv_transpose(
            x, self.kernel, self.bias, self.strides, self._torch_padding_args,
            self._torch_output_padding, 1, self.dilation_rate,
        )  # (batch, filters, *out)
        if self._crop is not None:
            y = F.pad(y, self._crop)
        return self.activation(to_channels_last(y, self.data_format))

    def get_config(self):
        return {
            **super().get_config(),
            "filters": self.filters,
            **self._spatial_config(),
            "output_padding": self.output_padding,
            **self._bias_config(),
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
        }

    def extra_repr(self):
        return f"{super().extra_repr()}, filters={self.filters}"
