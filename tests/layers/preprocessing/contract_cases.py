"""Contract rows for the preprocessing layers (run by `tests/layers/test_layer_contract.py`)."""

import lamina as keras

CASES = [
    (keras.layers.Normalization, {"mean": [1.0, 2.0, 3.0], "variance": [1.0, 4.0, 0.5]},
     (2, 3), (2, 3), {"trains": False}),
    (keras.layers.Normalization, {"axis": None, "mean": 0.5, "variance": 2.0, "invert": True},
     (2, 3, 4), (2, 3, 4), {"trains": False}),
]
