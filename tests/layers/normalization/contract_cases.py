"""Contract rows for the normalization layers (run by `tests/layers/test_layer_contract.py`)."""

import lamina as keras

L = keras.layers

CASES = [
    (L.BatchNormalization, {}, (4, 3), (4, 3)),
    (L.BatchNormalization, {"momentum": 0.9}, (2, 5, 5, 3), (2, 5, 5, 3)),
    (L.BatchNormalization, {"axis": 1, "center": False}, (2, 3, 4, 4), (2, 3, 4, 4)),
    (L.BatchNormalization, {"axis": 2, "gamma_regularizer": "l2"}, (2, 3, 4), (2, 3, 4)),
    (L.BatchNormalization, {"renorm": True, "renorm_clipping": {"rmax": 2.0}}, (4, 3, 2),
     (4, 3, 2)),
    (L.LayerNormalization, {}, (2, 3, 4), (2, 3, 4)),
    (L.LayerNormalization, {"axis": [1, 3], "beta_constraint": "non_neg"}, (2, 3, 2, 4),
     (2, 3, 2, 4)),
    (L.LayerNormalization, {"axis": (-2, -1), "scale": False}, (2, 3, 4), (2, 3, 4)),
    (L.RMSNormalization, {}, (2, 3, 4), (2, 3, 4)),
    (L.RMSNormalization, {"axis": [1], "epsilon": 1e-3}, (2, 3, 4), (2, 3, 4)),
    (L.GroupNormalization, {"groups": 2}, (2, 4, 4, 6), (2, 4, 4, 6)),
    (L.GroupNormalization, {"groups": 3, "axis": 1}, (2, 6, 3, 3), (2, 6, 3, 3)),
    (L.GroupNormalization, {"groups": -1}, (2, 5, 4), (2, 5, 4)),
    (L.UnitNormalization, {}, (2, 5), (2, 5)),
    (L.UnitNormalization, {"axis": [1, 2]}, (2, 3, 4), (2, 3, 4)),
]
