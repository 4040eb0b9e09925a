import pytest

import lamina as keras
from tests.layers.layer_contract import check_layer

CASES = [
    (keras.layers.Dense, {"units": 3}, (2, 5), (2, 3)),
    (keras.layers.Dense, {"units": 4, "activation": "relu", "use_bias": False}, (2, 3, 5),
     (2, 3, 4)),
    (keras.layers.Activation, {"activation": "tanh"}, (2, 5), (2, 5)),
    (keras.layers.Dropout, {"rate": 0.5}, (2, 5), (2, 5)),
    (keras.layers.Flatten, {}, (2, 3, 4), (2, 12)),
    (keras.layers.Reshape, {"target_shape": (2, -1)}, (2, 6), (2, 2, 3)),
]


@pytest.mark.parametrize("cls, kwargs, input_shape, output_shape", CASES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_layer_contract(cls, kwargs, input_shape, output_shape):
    check_layer(cls, kwargs, input_shape, output_shape)
