"""Every merging layer against real Keras 3 (`golden/make_merging_golden.py`): outputs and
output masks, including broadcasting, rank mismatches, `Dot` axes and masked inputs."""

import json
import pathlib

import numpy as np
import pytest
import torch

import lamina as keras

GOLDEN = np.load(pathlib.Path(__file__).parent / "golden" / "merging_golden.npz")
CASES = json.loads(str(GOLDEN["cases"]))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_matches_keras(case):
    name = case["name"]
    layer = getattr(keras.layers, case["class"])(**case["config"])
    inputs = [torch.from_numpy(GOLDEN[f"{name}/x{i}"]) for i in range(case["inputs"])]
    masks = None
    if case["masks"] is not None:
        masks = [torch.from_numpy(GOLDEN[f"{name}/mask{i}"]) if present else None
                 for i, present in enumerate(case["masks"])]
    output = layer(inputs) if masks is None else layer(inputs, mask=masks)
    np.testing.assert_allclose(output.numpy(), GOLDEN[f"{name}/y"], rtol=1e-5, atol=1e-5)
    if masks is not None:
        out_mask = layer.compute_mask(inputs, masks)
        if f"{name}/out_mask" in GOLDEN:
            np.testing.assert_array_equal(out_mask.numpy(), GOLDEN[f"{name}/out_mask"])
        else:
            assert out_mask is None


def test_golden_covers_every_merging_layer():
    covered = {c["class"] for c in CASES}
    assert covered == {"Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
                       "Concatenate", "Dot"}
