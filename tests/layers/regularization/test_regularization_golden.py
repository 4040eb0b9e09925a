"""The regularization layers against real Keras 3 (`golden/make_regularization_golden.py`):
`ActivityRegularization`'s loss (normalised by the batch size), and the identity of the random
layers outside training."""

import json
import pathlib

import numpy as np
import pytest
import torch

import lamina as keras

GOLDEN = np.load(pathlib.Path(__file__).parent / "golden" / "regularization_golden.npz")
CASES = json.loads(str(GOLDEN["cases"]))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_keras(case):
    name = case["name"]
    layer = getattr(keras.layers, case["class"])(**case["config"])
    x = torch.from_numpy(GOLDEN[f"{name}/x"])
    output = layer(x, training=False)
    np.testing.assert_allclose(output.numpy(), GOLDEN[f"{name}/y"], rtol=1e-6, atol=1e-6)
    loss = sum(layer.losses) if layer.losses else torch.tensor(0.0)
    np.testing.assert_allclose(float(loss), GOLDEN[f"{name}/loss"], rtol=1e-5, atol=1e-6)
