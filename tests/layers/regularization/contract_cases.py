"""Rows of the shared layer contract (`tests/layers/layer_contract.py`) for the regularization
layers added in "Layers I" (`Dropout` has its row in `test_layer_contract.py`)."""

import lamina as keras

L = keras.layers

CASES = [
    (L.SpatialDropout1D, {"rate": 0.5}, (2, 3, 4), (2, 3, 4)),
    (L.SpatialDropout2D, {"rate": 0.3}, (2, 3, 3, 4), (2, 3, 3, 4)),
    (L.SpatialDropout2D, {"rate": 0.3, "data_format": "channels_first"}, (2, 4, 3, 3),
     (2, 4, 3, 3)),
    (L.SpatialDropout3D, {"rate": 0.2, "seed": 3}, (2, 2, 2, 2, 3), (2, 2, 2, 2, 3)),
    (L.GaussianNoise, {"stddev": 0.1}, (2, 5), (2, 5)),
    (L.GaussianDropout, {"rate": 0.2}, (2, 5), (2, 5)),
    (L.AlphaDropout, {"rate": 0.2}, (2, 5), (2, 5)),
    (L.AlphaDropout, {"rate": 0.2, "noise_shape": (None, 1, 4)}, (2, 3, 4), (2, 3, 4)),
    (L.ActivityRegularization, {"l1": 0.01, "l2": 0.02}, (2, 5), (2, 5)),
]
