"""Rows of the shared layer contract (`tests/layers/layer_contract.py`) for the convolutions."""

import lamina as keras

L = keras.layers

CASES = [
    (L.Conv1D, {"filters": 4, "kernel_size": 3}, (2, 9, 3), (2, 7, 4)),
    (L.Conv1D, {"filters": 2, "kernel_size": 3, "padding": "causal", "dilation_rate": 2},
     (2, 8, 3), (2, 8, 2)),
    (L.Conv1D, {"filters": 4, "kernel_size": 2, "strides": 2, "padding": "same", "groups": 2,
                "data_format": "channels_first"}, (2, 4, 7), (2, 4, 4)),
    (L.Conv2D, {"filters": 3, "kernel_size": 3, "activation": "relu"}, (2, 6, 5, 2),
     (2, 4, 3, 3)),
    (L.Conv2D, {"filters": 3, "kernel_size": (4, 2), "strides": 2, "padding": "same"},
     (2, 7, 6, 2), (2, 4, 3, 3)),
    (L.Conv2D, {"filters": 4, "kernel_size": 3, "padding": "same", "groups": 2,
                "data_format": "channels_first", "use_bias": False}, (2, 2, 5, 5), (2, 4, 5, 5)),
    (L.Conv3D, {"filters": 2, "kernel_size": 2}, (2, 4, 3, 4, 2), (2, 3, 2, 3, 2)),
    (L.Conv3D, {"filters": 2, "kernel_size": 3, "strides": 2, "padding": "same",
                "data_format": "channels_first"}, (2, 2, 5, 4, 3), (2, 2, 3, 2, 2)),
    (L.DepthwiseConv1D, {"kernel_size": 3, "depth_multiplier": 2, "padding": "same"},
     (2, 7, 3), (2, 7, 6)),
    (L.DepthwiseConv2D, {"kernel_size": 3}, (2, 6, 5, 3), (2, 4, 3, 3)),
    (L.DepthwiseConv2D, {"kernel_size": 2, "strides": 2, "padding": "same",
                         "depth_multiplier": 2, "data_format": "channels_first"},
     (2, 3, 5, 4), (2, 6, 3, 2)),
    (L.SeparableConv1D, {"filters": 4, "kernel_size": 3, "depth_multiplier": 2},
     (2, 8, 3), (2, 6, 4)),
    (L.SeparableConv2D, {"filters": 4, "kernel_size": 3, "strides": 2, "padding": "same"},
     (2, 7, 6, 3), (2, 4, 3, 4)),
    (L.SeparableConv2D, {"filters": 2, "kernel_size": 2, "dilation_rate": 2,
                         "data_format": "channels_first"}, (2, 3, 6, 5), (2, 2, 4, 3)),
    (L.Conv1DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2}, (2, 5, 2),
     (2, 11, 3)),
    (L.Conv2DTranspose, {"filters": 3, "kernel_size": 3, "strides": 2, "padding": "same"},
     (2, 4, 5, 2), (2, 8, 10, 3)),
    (L.Conv2DTranspose, {"filters": 2, "kernel_size": 3, "strides": 2, "output_padding": 1,
                         "data_format": "channels_first"}, (2, 3, 3, 4), (2, 2, 8, 10)),
    (L.Conv3DTranspose, {"filters": 2, "kernel_size": 2, "strides": 2, "padding": "same"},
     (2, 2, 3, 2, 3), (2, 4, 6, 4, 2)),
]
