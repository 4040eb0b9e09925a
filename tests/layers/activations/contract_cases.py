"""Rows of the shared layer contract (`tests/layers/layer_contract.py`) for the activation
layers."""

import lamina as keras

L = keras.layers

CASES = [
    (L.ReLU, {}, (2, 5), (2, 5)),
    (L.ReLU, {"max_value": 0.8, "negative_slope": 0.1, "threshold": 0.3}, (2, 3, 4), (2, 3, 4)),
    (L.LeakyReLU, {"negative_slope": 0.1}, (2, 5), (2, 5)),
    (L.ELU, {"alpha": 0.5}, (2, 5), (2, 5)),
    # The contract's inputs are in [0, 1): PReLU's slopes get no gradient from them (see
    # test_prelu.py for its training on negative inputs).
    (L.PReLU, {}, (2, 5), (2, 5), {"trains": False}),
    (L.PReLU, {"shared_axes": [1, 2]}, (2, 3, 4, 5), (2, 3, 4, 5), {"trains": False}),
    (L.Softmax, {}, (2, 5), (2, 5)),
    (L.Softmax, {"axis": [1, 2]}, (2, 3, 4), (2, 3, 4)),
]
