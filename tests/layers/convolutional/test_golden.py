"""Every convolution layer against golden outputs of real Keras 3 (JAX backend).

The fixture and the script that made it are in `golden/`: for each case, the layer's config, a
seeded input, weights in Keras' layout and Keras' output. The awkward cases are there: "same"
with strides and even kernels, dilation, causal padding, groups, channels_first, depth
multipliers, transposes with `output_padding`.
"""

import json
import os

import numpy as np
import pytest
import torch

import lamina as keras

_PATH = os.path.join(os.path.dirname(__file__), "golden", "convolutional_golden.npz")
_GOLDEN = np.load(_PATH, allow_pickle=False)
_CASES = json.loads(str(_GOLDEN["cases"]))


@pytest.mark.parametrize("case", _CASES, ids=[c[0] for c in _CASES])
def test_matches_keras(case):
    key, class_name, config, input_shape = case
    layer = getattr(keras.layers, class_name)(**config)
    x = torch.from_numpy(_GOLDEN[f"{key}/x"])
    layer.build(tuple(input_shape))
    count = len(layer.weights)
    layer.set_weights([_GOLDEN[f"{key}/w{i}"] for i in range(count)])
    assert f"{key}/w{count}" not in _GOLDEN  # same number of weights as Keras
    with torch.no_grad():
        y = layer(x)
    np.testing.assert_allclose(y.numpy(), _GOLDEN[f"{key}/y"], rtol=1e-5, atol=1e-5)


def test_golden_covers_every_layer():
    covered = {c[1] for c in _CASES}
    exported = {name for name in keras.layers.convolutional.__all__
                if not name.startswith("Convolution") and not name.startswith("SeparableConvolution")}
    assert covered == exported
