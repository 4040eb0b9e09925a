"""Rows of the shared layer contract (`tests/layers/layer_contract.py`) for the merging layers."""

import lamina as keras

L = keras.layers

CASES = [
    (L.Add, {}, [(2, 3), (2, 3)], (2, 3)),
    (L.Add, {}, [(2, 3, 4), (2, 4), (2, 1, 4)], (2, 3, 4)),
    (L.Subtract, {}, [(2, 3, 4), (2, 3, 1)], (2, 3, 4)),
    (L.Multiply, {}, [(2, 5), (2, 5), (2, 5)], (2, 5)),
    (L.Average, {}, [(2, 3), (2, 1)], (2, 3)),
    (L.Maximum, {}, [(2, 3, 2), (2, 3, 2)], (2, 3, 2)),
    (L.Minimum, {}, [(2, 4), (2, 3, 4)], (2, 3, 4)),
    (L.Concatenate, {}, [(2, 3, 4), (2, 3, 2)], (2, 3, 6)),
    (L.Concatenate, {"axis": 1}, [(2, 3, 4), (2, 1, 4)], (2, 4, 4)),
    (L.Dot, {"axes": 1}, [(2, 4), (2, 4)], (2, 1)),
    (L.Dot, {"axes": (1, 2), "normalize": True}, [(2, 3, 5), (2, 4, 3)], (2, 5, 4)),
    (L.Dot, {"axes": [-1, 1]}, [(2, 2, 3, 4), (2, 4, 5)], (2, 2, 3, 5)),
]
