"""Rows of the shared layer contract (`tests/layers/layer_contract.py`) for the attention
layers."""

import lamina as keras

L = keras.layers


CASES = [
    (L.Attention, {}, [(2, 3, 4), (2, 5, 4)], (2, 3, 4)),
    (L.Attention, {"use_scale": True, "score_mode": "concat", "dropout": 0.1},
     [(2, 3, 4), (2, 5, 4), (2, 5, 4)], (2, 3, 4)),
    (L.AdditiveAttention, {}, [(2, 3, 4), (2, 5, 4)], (2, 3, 4)),
    (L.AdditiveAttention, {"use_scale": False}, [(2, 3, 4), (2, 5, 4), (2, 5, 4)], (2, 3, 4)),
    (L.MultiHeadAttention, {"num_heads": 2, "key_dim": 3}, [(2, 3, 4), (2, 5, 6)], (2, 3, 4),
     {"spread": True}),
    (L.MultiHeadAttention, {"num_heads": 2, "key_dim": 3, "value_dim": 2,
                            "output_shape": (2, 5), "use_gate": True},
     [(2, 3, 4), (2, 5, 6)], (2, 3, 2, 5), {"spread": True}),
    (L.MultiHeadAttention, {"num_heads": 2, "key_dim": 2}, [(2, 3, 4, 5), (2, 3, 4, 5)],
     (2, 3, 4, 5), {"spread": True}),
]
