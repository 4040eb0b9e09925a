"""Convolution layers: `Conv1D/2D/3D`, their transposes, depthwise and separable convolutions.

Keras 2's `keras.layers.convolutional` module also held the padding, cropping and upsampling
layers (now in `reshaping/`) and the `Deconvolution2D`/`Deconv2D` aliases of
`Conv2DTranspose`: they can still be imported from here, with a `DeprecationWarning` naming
their Keras 3 spelling (see `lamina.deprecation`).
"""

from lamina.deprecation import module_getattr as _module_getattr
from lamina.layers.convolutional.conv import (
    Conv1D,
    Conv2D,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
)
from lamina.layers.convolutional.conv_transpose import (
    Conv1DTranspose,
    Conv2DTranspose,
    Conv3DTranspose,
    Convolution1DTranspose,
    Convolution2DTranspose,
    Convolution3DTranspose,
)
from lamina.layers.convolutional.depthwise_conv import DepthwiseConv1D, DepthwiseConv2D
from lamina.layers.convolutional.separable_conv import (
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)

__all__ = [
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Conv3D",
    "Conv3DTranspose",
    "Convolution1D",
    "Convolution1DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "Convolution3D",
    "Convolution3DTranspose",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
]

_KERAS2_NAMES = {
    **{f"{kind}{rank}D": f"lamina.layers:{kind}{rank}D"
       for kind in ("Cropping", "UpSampling", "ZeroPadding") for rank in (1, 2, 3)},
    **{f"{alias}{rank}D": f"lamina.layers:Conv{rank}DTranspose"
       for alias in ("Deconvolution", "Deconv") for rank in (2, 3)},
}
__getattr__ = _module_getattr(__name__, _KERAS2_NAMES)
