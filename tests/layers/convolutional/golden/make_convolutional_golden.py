"""Golden outputs of Keras 3's convolution layers, for `test_golden.py`.

Run with real Keras (JAX backend), never under pytest:

    KERAS_BACKEND=jax /tmp/kenv/bin/python tests/layers/convolutional/golden/make_convolutional_golden.py

For each case it builds the Keras layer from `config`, sets its weights from a seeded numpy
generator (Keras' layout), runs it on a seeded input and writes the input, the weights and the
output to `convolutional_golden.npz` beside this script (the case list is stored as JSON under
the key `cases`).
"""

import json
import os

import keras
import numpy as np

# (key, class name, config, input shape)
CASES = [
    ("conv1d_valid", "Conv1D", {"filters": 4, "kernel_size": 3}, (2, 9, 3)),
    ("conv1d_same_stride2_even_kernel", "Conv1D",
     {"filters": 3, "kernel_size": 4, "strides": 2, "padding": "same"}, (2, 9, 2)),
    ("conv1d_same_even_kernel", "Conv1D",
     {"filters": 2, "kernel_size": 2, "padding": "same"}, (2, 6, 2)),
    ("conv1d_causal_dilated", "Conv1D",
     {"filters": 3, "kernel_size": 3, "padding": "causal", "dilation_rate": 2}, (2, 10, 2)),
    ("conv1d_causal_stride2", "Conv1D",
     {"filters": 2, "kernel_size": 3, "padding": "causal", "strides": 2}, (2, 9, 2)),
    ("conv1d_groups_same", "Conv1D",
     {"filters": 4, "kernel_size": 3, "groups": 2, "padding": "same"}, (2, 8, 4)),
    ("conv1d_channels_first_causal", "Conv1D",
     {"filters": 3, "kernel_size": 2, "padding": "causal", "data_format": "channels_first",
      "activation": "tanh"}, (2, 3, 7)),
    ("conv2d_valid", "Conv2D", {"filters": 4, "kernel_size": 3}, (2, 7, 6, 3)),
    ("conv2d_same_stride2_even_kernel", "Conv2D",
     {"filters": 3, "kernel_size": (4, 2), "strides": 2, "padding": "same"}, (2, 7, 8, 2)),
    ("conv2d_same_stride3", "Conv2D",
     {"filters": 2, "kernel_size": (2, 3), "strides": (3, 2), "padding": "same"}, (2, 7, 6, 2)),
    ("conv2d_same_dilated_even", "Conv2D",
     {"filters": 3, "kernel_size": (2, 3), "dilation_rate": (2, 1), "padding": "same"},
     (2, 7, 6, 2)),
    ("conv2d_valid_dilated", "Conv2D",
     {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "use_bias": False,
      "activation": "relu"}, (2, 7, 8, 2)),
    ("conv2d_groups_channels_first", "Conv2D",
     {"filters": 6, "kernel_size": 3, "groups": 3, "padding": "same", "strides": (2, 1),
      "data_format": "channels_first"}, (2, 3, 7, 6)),
    ("conv3d_valid", "Conv3D", {"filters": 3, "kernel_size": 2}, (1, 4, 5, 4, 2)),
    ("conv3d_same_stride2", "Conv3D",
     {"filters": 2, "kernel_size": (3, 2, 2), "strides": 2, "padding": "same"}, (1, 5, 4, 5, 2)),
    ("conv3d_channels_first_dilated", "Conv3D",
     {"filters": 2, "kernel_size": 2, "dilation_rate": (1, 2, 1), "padding": "same",
      "data_format": "channels_first"}, (1, 2, 4, 5, 3)),
    ("depthwise1d_same_stride2", "DepthwiseConv1D",
     {"kernel_size": 4, "strides": 2, "padding": "same", "depth_multiplier": 2}, (2, 9, 3)),
    ("depthwise1d_valid_dilated", "DepthwiseConv1D",
     {"kernel_size": 3, "dilation_rate": 2, "depth_multiplier": 3}, (2, 9, 2)),
    ("depthwise2d_same_stride2", "DepthwiseConv2D",
     {"kernel_size": (3, 2), "strides": 2, "padding": "same", "depth_multiplier": 3},
     (2, 7, 6, 2)),
    ("depthwise2d_channels_first_dilated", "DepthwiseConv2D",
     {"kernel_size": 2, "dilation_rate": 2, "depth_multiplier": 2, "padding": "same",
      "data_format": "channels_first"}, (2, 3, 6, 5)),
    ("depthwise2d_same_stride2_dilated", "DepthwiseConv2D",
     {"kernel_size": 3, "strides": 2, "dilation_rate": 2, "padding": "same"}, (1, 9, 8, 2)),
    ("separable1d_same_stride2_dilated", "SeparableConv1D",
     {"filters": 2, "kernel_size": 3, "strides": 2, "dilation_rate": 2, "padding": "same"},
     (2, 10, 2)),
    ("separable1d_same_stride2", "SeparableConv1D",
     {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same", "depth_multiplier": 2},
     (2, 9, 3)),
    ("separable2d_same_stride2_even", "SeparableConv2D",
     {"filters": 5, "kernel_size": (2, 3), "strides": 2, "padding": "same",
      "depth_multiplier": 2}, (2, 7, 6, 3)),
    ("separable2d_channels_first_dilated", "SeparableConv2D",
     {"filters": 3, "kernel_size": 2, "dilation_rate": 2, "depth_multiplier": 3,
      "data_format": "channels_first", "use_bias": False}, (2, 2, 6, 5)),
    ("conv1d_transpose_valid_stride2", "Conv1DTranspose",
     {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 5, 2)),
    ("conv1d_transpose_same_output_padding", "Conv1DTranspose",
     {"filters": 3, "kernel_size": 4, "strides": 3, "padding": "same", "output_padding": 1},
     (2, 5, 2)),
    ("conv1d_transpose_same_dilated", "Conv1DTranspose",
     {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "padding": "same"}, (2, 6, 3)),
    ("conv1d_transpose_valid_kernel_below_stride", "Conv1DTranspose",
     {"filters": 2, "kernel_size": 2, "strides": 3}, (2, 4, 2)),
    ("conv2d_transpose_same_stride2", "Conv2DTranspose",
     {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"}, (2, 4, 5, 2)),
    ("conv2d_transpose_same_stride2_even", "Conv2DTranspose",
     {"filters": 3, "kernel_size": (4, 2), "strides": 2, "padding": "same"}, (2, 4, 3, 2)),
    ("conv2d_transpose_valid_output_padding", "Conv2DTranspose",
     {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": (1, 0)}, (2, 3, 4, 2)),
    ("conv2d_transpose_same_output_padding", "Conv2DTranspose",
     {"filters": 2, "kernel_size": (3, 4), "strides": 3, "padding": "same",
      "output_padding": (2, 1)}, (2, 3, 4, 2)),
    ("conv2d_transpose_same_kernel1_output_padding", "Conv2DTranspose",
     {"filters": 2, "kernel_size": 1, "strides": 2, "padding": "same", "output_padding": 1},
     (2, 3, 3, 2)),
    ("conv2d_transpose_valid_dilated", "Conv2DTranspose",
     {"filters": 2, "kernel_size": 3, "dilation_rate": 2, "activation": "relu"}, (2, 3, 4, 2)),
    ("conv2d_transpose_channels_first", "Conv2DTranspose",
     {"filters": 3, "kernel_size": 2, "strides": (3, 2), "padding": "same",
      "data_format": "channels_first"}, (2, 2, 3, 4)),
    ("conv3d_transpose_same_stride2", "Conv3DTranspose",
     {"filters": 2, "kernel_size": (3, 2, 2), "strides": 2, "padding": "same"},
     (1, 3, 2, 3, 2)),
    ("conv3d_transpose_valid_output_padding_channels_first", "Conv3DTranspose",
     {"filters": 2, "kernel_size": 2, "strides": (2, 3, 2), "output_padding": (1, 2, 0),
      "data_format": "channels_first"}, (1, 2, 2, 3, 2)),
]


def main():
    rng = np.random.default_rng(1234)
    arrays = {}
    for key, class_name, config, input_shape in CASES:
        layer = getattr(keras.layers, class_name)(**config)
        x = rng.normal(size=input_shape).astype("float32")
        layer.build(input_shape)
        weights = [rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()]
        layer.set_weights(weights)
        y = np.asarray(layer(x))
        arrays[f"{key}/x"] = x
        for i, w in enumerate(weights):
            arrays[f"{key}/w{i}"] = w
        arrays[f"{key}/y"] = y.astype("float32")
    arrays["cases"] = np.array(json.dumps(CASES))
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "convolutional_golden.npz")
    np.savez_compressed(path, **arrays)
    print(f"wrote {len(CASES)} cases to {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
