"""The reshaping layers' rows in the shared layer contract (`tests/layers/test_layer_contract.py`).
`Flatten` and `Reshape` have theirs in the shared table."""

import lamina as keras

CF = "channels_first"
CASES = [
    (keras.layers.Permute, {"dims": (2, 1)}, (2, 3, 4), (2, 4, 3)),
    (keras.layers.Permute, {"dims": (3, 1, 2)}, (2, 3, 4, 5), (2, 5, 3, 4)),
    (keras.layers.RepeatVector, {"n": 3}, (2, 4), (2, 3, 4)),
    (keras.layers.Cropping1D, {"cropping": (1, 2)}, (2, 6, 3), (2, 3, 3)),
    (keras.layers.Cropping2D, {"cropping": ((1, 2), (0, 3))}, (2, 6, 7, 3), (2, 3, 4, 3)),
    (keras.layers.Cropping2D, {"cropping": 1, "data_format": CF}, (2, 3, 6, 7), (2, 3, 4, 5)),
    (keras.layers.Cropping3D, {}, (2, 4, 5, 6, 2), (2, 2, 3, 4, 2)),
    (keras.layers.Cropping3D, {"cropping": ((1, 0), 0, (0, 2)), "data_format": CF},
     (2, 2, 4, 5, 6), (2, 2, 3, 5, 4)),
    (keras.layers.ZeroPadding1D, {"padding": (1, 2)}, (2, 4, 3), (2, 7, 3)),
    (keras.layers.ZeroPadding1D, {"data_format": CF}, (2, 3, 4), (2, 3, 6)),
    (keras.layers.ZeroPadding2D, {"padding": ((1, 2), (0, 3))}, (2, 3, 4, 2), (2, 6, 7, 2)),
    (keras.layers.ZeroPadding2D, {"data_format": CF}, (2, 2, 3, 4), (2, 2, 5, 6)),
    (keras.layers.ZeroPadding3D, {}, (2, 2, 3, 2, 2), (2, 4, 5, 4, 2)),
    (keras.layers.ZeroPadding3D, {"padding": (1, 0, 2), "data_format": CF}, (2, 2, 2, 3, 2),
     (2, 2, 4, 3, 6)),
    (keras.layers.UpSampling1D, {"size": 3}, (2, 3, 2), (2, 9, 2)),
    (keras.layers.UpSampling2D, {}, (2, 3, 4, 2), (2, 6, 8, 2)),
    (keras.layers.UpSampling2D, {"size": (2, 3), "data_format": CF}, (2, 2, 3, 4),
     (2, 2, 6, 12)),
    (keras.layers.UpSampling2D, {"interpolation": "bilinear"}, (2, 3, 4, 2), (2, 6, 8, 2)),
    (keras.layers.UpSampling2D, {"size": (3, 2), "interpolation": "bicubic",
                                 "data_format": CF}, (2, 2, 3, 4), (2, 2, 9, 8)),
    (keras.layers.UpSampling2D, {"interpolation": "lanczos3"}, (2, 4, 5, 2), (2, 8, 10, 2)),
    (keras.layers.UpSampling3D, {}, (2, 2, 3, 2, 2), (2, 4, 6, 4, 2)),
    (keras.layers.UpSampling3D, {"size": (1, 2, 3), "data_format": CF}, (2, 2, 2, 3, 2),
     (2, 2, 2, 6, 6)),
]
