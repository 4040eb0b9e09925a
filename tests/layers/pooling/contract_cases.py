"""The pooling layers' rows in the shared layer contract (`tests/layers/test_layer_contract.py`)."""

import lamina as keras

CF = "channels_first"
CASES = [
    (keras.layers.MaxPooling1D, {}, (2, 6, 3), (2, 3, 3)),
    (keras.layers.MaxPooling1D, {"pool_size": 2, "strides": 1, "padding": "same"}, (2, 6, 3),
     (2, 6, 3)),
    (keras.layers.MaxPooling2D, {}, (2, 6, 5, 3), (2, 3, 2, 3)),
    (keras.layers.MaxPooling2D, {"pool_size": 3, "strides": 2, "padding": "same",
                                 "data_format": CF}, (2, 3, 7, 5), (2, 3, 4, 3)),
    (keras.layers.MaxPooling3D, {"padding": "same"}, (2, 3, 4, 5, 2), (2, 2, 2, 3, 2)),
    (keras.layers.AveragePooling1D, {"pool_size": 3, "strides": 2, "padding": "same"},
     (2, 7, 3), (2, 4, 3)),
    (keras.layers.AveragePooling2D, {"pool_size": 2}, (2, 6, 5, 3), (2, 3, 2, 3)),
    (keras.layers.AveragePooling2D, {"pool_size": 2, "strides": 1, "padding": "same"},
     (2, 5, 4, 3), (2, 5, 4, 3)),
    (keras.layers.AveragePooling2D, {"pool_size": (2, 3), "padding": "same",
                                     "data_format": CF}, (2, 3, 5, 7), (2, 3, 3, 3)),
    (keras.layers.AveragePooling3D, {"pool_size": 2, "strides": 1, "padding": "same",
                                     "data_format": CF}, (2, 2, 3, 4, 3), (2, 2, 3, 4, 3)),
    (keras.layers.GlobalMaxPooling1D, {}, (2, 6, 3), (2, 3)),
    (keras.layers.GlobalMaxPooling2D, {"keepdims": True}, (2, 4, 5, 3), (2, 1, 1, 3)),
    (keras.layers.GlobalMaxPooling3D, {"data_format": CF}, (2, 3, 2, 4, 2), (2, 3)),
    (keras.layers.GlobalAveragePooling1D, {"data_format": CF, "keepdims": True}, (2, 3, 6),
     (2, 3, 1)),
    (keras.layers.GlobalAveragePooling2D, {}, (2, 4, 5, 3), (2, 3)),
    (keras.layers.GlobalAveragePooling3D, {"keepdims": True}, (2, 2, 3, 4, 3),
     (2, 1, 1, 1, 3)),
]
