"""Rows of the shared layer contract (`tests/layers/layer_contract.py`) for the core layers
kept in their own files (Embedding, Masking)."""

import lamina as keras

L = keras.layers

CASES = [
    (L.Embedding, {"input_dim": 6, "output_dim": 3}, (2, 4), (2, 4, 3),
     {"input_dtype": "int64"}),
    (L.Embedding, {"input_dim": 5, "output_dim": 2, "mask_zero": True}, (2, 3, 4), (2, 3, 4, 2),
     {"input_dtype": "int32"}),
    (L.Masking, {}, (2, 3, 4), (2, 3, 4)),
    (L.Masking, {"mask_value": 0.5}, (2, 5, 1), (2, 5, 1)),
]
