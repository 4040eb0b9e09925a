"""Every activation layer against real Keras 3 (`golden/make_activations_golden.py`): ReLU
with each of its arguments and all three together (inputs on the thresholds and ceilings),
PReLU with `shared_axes`, Softmax over one or several axes and with masks."""

import json
import pathlib

import numpy as np
import pytest
import torch

import lamina as keras

GOLDEN = np.load(pathlib.Path(__file__).parent / "golden" / "activations_golden.npz")
CASES = json.loads(str(GOLDEN["cases"]))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_keras(case):
    name = case["name"]
    layer = getattr(keras.layers, case["class"])(**case["config"])
    x = torch.from_numpy(GOLDEN[f"{name}/x"])
    if case["weights"]:
        layer(x)
        layer.set_weights([GOLDEN[f"{name}/w{i}"] for i in range(case["weights"])])
    if case["mask"]:
        output = layer(x, mask=torch.from_numpy(GOLDEN[f"{name}/mask"]))
    else:
        output = layer(x)
    np.testing.assert_allclose(output.detach().numpy(), GOLDEN[f"{name}/y"], rtol=1e-5,
                               atol=1e-5)


def test_golden_covers_every_activation_layer():
    assert {c["class"] for c in CASES} == {"ReLU", "LeakyReLU", "PReLU", "ELU", "Softmax"}
